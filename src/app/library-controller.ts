/**
 * The past studies: every study run here is recorded in the library
 * (IndexedDB) when it starts and again as its runs finish, with a one-line
 * headline; any of them reopens with its views, from the runs' stored
 * results, without training anything. The last one shown comes back after a
 * reload. Rename and delete act on the record (delete also frees the runs no
 * other study shares).
 */
import type { StudyAnalysis } from '../study/analysis';
import { configHash } from '../study/config';
import { parseResultsFile, parseRunResult, RESULTS_SCHEMA, type RunResult } from '../study/results';
import { parseStudySpec } from '../study/study';
import type { StudyArchive, StudyRecord } from '../storage/studies';
import { runKey } from '../training/checkpoint';
import { pointsDelta } from '../ui/format';
import { messageOf } from '../util/errors';
import type { LocalNote } from './local-note';
import { finishedRun, idleStudy, isActive, plannedRuns, type PastStudy, type SelectedStudy } from './state';
import { selectedStudy, storedSource, studyId } from './study-selection';
import type { Store } from './store';

export class LibraryController {
  /** Writes to the library one after another, so a run's update never lands before its study's record. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly archive: StudyArchive,
    /** The id of the study last shown, reopened after a reload. */
    private readonly lastShown: LocalNote,
  ) {}

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private fail(what: string, error: unknown): void {
    this.store.patch('library', { error: `${what}: ${messageOf(error)}` });
  }

  /** Reads the list again. */
  refresh(): Promise<void> {
    return this.enqueue(async () => {
      try {
        const studies = (await this.archive.list()).map(pastStudy);
        this.store.patch('library', { studies });
      } catch (error) {
        this.fail('The past studies could not be read', error);
      }
    });
  }

  /** A study has started: its record is made (or, for a design run before, brought up to date) and it becomes the shown one. */
  started(study: SelectedStudy, hashes: readonly string[]): Promise<void> {
    return this.enqueue(async () => {
      try {
        const id = await studyId(study.spec);
        const now = new Date().toISOString();
        const before = await this.archive.get(id);
        const record: StudyRecord = {
          id,
          name: study.spec.name,
          spec: study.spec,
          source: study.source,
          runKeys: study.planned.map((p, i) => runKey(hashes[i]!, p.seed)),
          finished: 0,
          dataset: before?.dataset ?? datasetName(study),
          headline: before?.headline ?? null,
          createdAt: before?.createdAt ?? now,
          updatedAt: now,
        };
        await this.archive.put(record);
        this.store.patch('library', { shownId: id, error: null });
        this.lastShown.write(id);
      } catch (error) {
        this.fail('This study could not be added to the past studies', error);
      }
    }).then(() => this.refresh());
  }

  /** A run of the shown study finished (or the study ended): its record says how far it got and how it came out. */
  progressed(): Promise<void> {
    return this.enqueue(async () => {
      const { library, runs, comparison } = this.store.state;
      if (!library.shownId) return;
      try {
        const record = await this.archive.get(library.shownId);
        if (!record) return;
        const done = runs.flatMap((r) => (r.result ? [r.result] : []));
        await this.archive.put({
          ...record,
          finished: done.length,
          dataset: done[0]?.dataset.name ?? record.dataset,
          headline: headline(comparison.analysis) ?? record.headline,
          updatedAt: new Date().toISOString(),
        });
      } catch (error) {
        this.fail('The past study could not be updated', error);
      }
    }).then(() => this.refresh());
  }

  /** Shows a past study with its views: its stored results, and the design in the designer. Not while a study runs. */
  open(id: string): Promise<void> {
    return this.enqueue(async () => {
      if (isActive(this.store.state.phase)) return;
      try {
        const record = await this.archive.get(id);
        if (!record) {
          this.store.patch('library', { error: 'That study is no longer stored in this browser.' });
          return;
        }
        const study = selectedStudy(storedSource(record.source), parseStudySpec({ ...(record.spec as object), name: record.name }));
        const hashes = await Promise.all(study.planned.map((p) => configHash(p.config)));
        const stored = await this.archive.results(study.planned.map((p, i) => runKey(hashes[i]!, p.seed)));
        const results = await Promise.all(stored.map((r) => (r ? parseRunResult(r).catch(() => null) : null)));
        const runs = plannedRuns(study, hashes).map((run, i) => (results[i] ? finishedRun(run, results[i]) : run));
        const complete = results.every((r): r is RunResult => r !== null);
        const file = complete ? await parseResultsFile({ schema: RESULTS_SCHEMA, createdAt: record.updatedAt, study: study.spec, runs: results }) : null;
        this.store.set({ ...idleStudy(), study, shown: study, studyError: null, runs, phase: complete ? 'finished' : 'idle', results: file });
        this.store.patch('library', { shownId: id, error: null });
        this.lastShown.write(id);
      } catch (error) {
        this.fail('That study could not be reopened', error);
      }
    });
  }

  /** Reopens the study shown before the page was last closed, unless something is on screen already. */
  async reopenLast(): Promise<void> {
    const id = this.lastShown.read();
    if (!id || this.store.state.shown) return;
    const exists = await this.archive.get(id).catch(() => undefined);
    if (!exists) return this.lastShown.clear();
    if (!this.store.state.shown) await this.open(id);
  }

  /** A new name for the list (and for the spec it reopens with); an empty name is refused. */
  rename(id: string, name: string): Promise<void> {
    const trimmed = name.trim();
    if (!trimmed) {
      this.store.patch('library', { error: 'A study needs a name: the new name is empty, so the old one is kept.' });
      return Promise.resolve();
    }
    return this.enqueue(async () => {
      try {
        const record = await this.archive.get(id);
        if (!record) return;
        await this.archive.put({ ...record, name: trimmed, spec: { ...(record.spec as object), name: trimmed } });
        this.store.patch('library', { error: null });
      } catch (error) {
        this.fail('The study could not be renamed', error);
      }
    }).then(() => this.refresh());
  }

  /** Forgets a past study and its stored runs (those no other study shares); a shown one leaves the screen. */
  remove(id: string): Promise<void> {
    return this.enqueue(async () => {
      if (this.store.state.library.shownId === id && isActive(this.store.state.phase)) return;
      try {
        await this.archive.delete(id);
        if (this.store.state.library.shownId === id) {
          this.store.set({ ...idleStudy(), shown: null });
          this.store.patch('library', { shownId: null });
          this.lastShown.clear();
        }
        this.store.patch('library', { error: null });
      } catch (error) {
        this.fail('The study could not be deleted', error);
      }
    }).then(() => this.refresh());
  }
}

function pastStudy(record: StudyRecord): PastStudy {
  const { id, name, createdAt, updatedAt, finished, dataset, headline } = record;
  return { id, name, createdAt, updatedAt, planned: record.runKeys.length, finished, dataset, headline };
}

/** The dataset as the spec names it, before a run has named it properly. */
function datasetName(study: SelectedStudy): string {
  const dataset = study.spec.baseline.dataset;
  switch (dataset.kind) {
    case 'builtin':
      return dataset.name;
    case 'manifest':
      return dataset.url;
    default:
      return `${dataset.kind} (generated)`;
  }
}

/** How the study came out, in one line: the comparison that hurt (or, model vs model, lowered) most classes. */
function headline(analysis: StudyAnalysis | null): string | null {
  const comparisons = analysis?.comparisons ?? [];
  if (!comparisons.length) return null;
  const fallen = (c: (typeof comparisons)[number]) => c.summary.hurt + c.summary.lower;
  const worst = comparisons.reduce((a, b) => (fallen(b) > fallen(a) ? b : a));
  const { hurt, helped, lower, higher, meanDelta } = worst.summary;
  const n = worst.classes.length;
  const mean = `mean ${pointsDelta(meanDelta.estimate)}`;
  // One seed a side: a difference between two trained models, not a verdict on the regularizer.
  if (worst.moderation === null) return `${worst.treatment.label}: model vs model (one seed): ${lower} of ${n} classes lower, ${higher} higher; ${mean}`;
  const seeds = worst.pairedSeeds.length || Math.min(worst.baselineSeeds.length, worst.treatmentSeeds.length);
  return `${worst.treatment.label}: ${hurt} of ${n} classes hurt, ${helped} helped; ${mean} (${seeds} seeds)`;
}
