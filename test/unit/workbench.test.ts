/**
 * The workbench's controllers in Node, on a fake engine worker that answers
 * the way the real one does (events, then a result; RunCancelled on cancel).
 * The real worker and page are covered by test/browser/ui.test.ts; these
 * cover the controllers' own logic: what state each intent leaves behind.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent, RunRequest } from '../../workers/api';
import type { EngineHandle } from '../../workers/client';
import type { StudyJournal } from '../../src/app/run-controller';
import type { StudyArchive, StudyRecord } from '../../src/storage/studies';
import type { WorkbenchState } from '../../src/app/state';
import { Workbench } from '../../src/app/workbench';
import { configHash, parseRunConfig } from '../../src/study/config';
import { mitigationSummaries } from '../../src/study/mitigation';
import { PRESETS } from '../../src/study/presets';
import type { RunResult } from '../../src/study/results';

// The smoke preset's synthetic class names, so that a per-class crop may name them.
const CLASSES = ['pattern-0', 'pattern-1', 'pattern-2', 'pattern-3'];
const DATASET = { name: 'four', classNames: CLASSES, testCount: 64, contentHash: 'e'.repeat(64) };

/** A result as the worker returns it: `correct` test images right in each class of 16. */
async function resultOf(request: RunRequest, correct: number[]): Promise<RunResult> {
  const config = parseRunConfig(request.config);
  return {
    config,
    configHash: await configHash(config),
    seed: request.seed,
    environment: { backend: 'webgpu', adapter: null, fallbacks: [], browser: 'node', tfjsVersion: '4.22.0' },
    dataset: DATASET,
    top1: correct.reduce((a, b) => a + b, 0) / 64,
    perClass: CLASSES.map((name, i) => ({ class: name, correct: correct[i]!, total: 16 })),
    confusion: CLASSES.map((_, i) => CLASSES.map((__, j) => (i === j ? correct[i]! : j === (i + 1) % 4 ? 16 - correct[i]! : 0))),
    evaluations: [],
    history: [{ step: 0, epoch: 0, loss: 1, lr: 0.1, imagesPerSec: 10 }],
    steps: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    wallTimeSec: 1,
  } as RunResult;
}

class FakeEngine {
  constructor(private readonly archive: MemoryArchive) {}
  readonly calls: string[] = [];
  /** Resolves a run that waits (see holdRuns). */
  private release: (() => void) | null = null;
  private rejectRun: ((error: Error) => void) | null = null;
  holdRuns = false;
  deleted: string[] = [];

  async init() {
    return { backend: 'webgpu', adapter: null, fallbacks: [] };
  }
  watchDevice() {}
  async listDatasets() {
    this.calls.push('listDatasets');
    return [];
  }
  async describeDataset() {
    this.calls.push('describeDataset');
    return { ...DATASET, shape: [8, 8, 3], trainCount: 64 };
  }
  async deleteDataset(id: string) {
    this.deleted.push(id);
  }
  async run(request: RunRequest, onEvent: (event: RunEvent) => void): Promise<RunResult> {
    this.calls.push(`run ${request.seed}`);
    onEvent({ kind: 'dataset', trainCount: 64, ...DATASET });
    if (this.holdRuns) {
      await new Promise<void>((resolve, reject) => {
        this.release = resolve;
        this.rejectRun = reject;
      });
    }
    // The crop costs the second class half its images, unless its crop is turned off.
    const { augmentation } = parseRunConfig(request.config);
    const hurt = (augmentation.perClass?.['pattern-1'] ?? augmentation.crop).kind !== 'none';
    const result = await resultOf(request, hurt ? [16, 8, 16, 16] : [16, 16, 16, 16]);
    // A durable run stores its result, as the real worker does.
    this.archive.stored.set(`${result.configHash}:${result.seed}`, result);
    return result;
  }
  cancel() {
    this.calls.push('cancel');
    const error = new Error('the run was cancelled');
    error.name = 'RunCancelled';
    this.rejectRun?.(error);
  }
  pause() {
    this.calls.push('pause');
  }
  resume() {
    this.calls.push('resume');
  }
  finishHeldRun() {
    this.release?.();
  }
}

function memoryJournal(text: string | null = null): StudyJournal & { text: string | null } {
  return {
    text,
    read() {
      return this.text;
    },
    write(value) {
      this.text = value;
    },
    clear() {
      this.text = null;
    },
  };
}

/** The past studies in memory, with the engine's stored results beside them (as IndexedDB holds both). */
class MemoryArchive implements StudyArchive {
  readonly records = new Map<string, StudyRecord>();
  readonly stored = new Map<string, RunResult>();
  async list() {
    return [...this.records.values()].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1));
  }
  async get(id: string) {
    return this.records.get(id);
  }
  async put(record: StudyRecord) {
    this.records.set(record.id, structuredClone(record));
  }
  async delete(id: string) {
    const record = this.records.get(id);
    this.records.delete(id);
    const kept = new Set([...this.records.values()].flatMap((r) => r.runKeys));
    for (const key of record?.runKeys ?? []) if (!kept.has(key)) this.stored.delete(key);
  }
  async results(keys: readonly string[]) {
    return keys.map((key) => this.stored.get(key) ?? null);
  }
}

async function workbench(journal = memoryJournal(), archive = new MemoryArchive(), lastShown = memoryJournal()) {
  const engine = new FakeEngine(archive);
  const handle = { engine: engine as unknown as EngineHandle['engine'], terminate() {} };
  const downloads: string[] = [];
  const wb = new Workbench({ start: () => handle, download: (name) => downloads.push(name), journal, archive, lastShown });
  await wb.init();
  return { wb, engine, downloads, journal, archive, lastShown };
}

const until = async (wb: Workbench, test: (s: WorkbenchState) => boolean) => {
  for (let i = 0; i < 200 && !test(wb.state); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(test(wb.state)).toBe(true);
};

describe('the workbench controllers', () => {
  it('select a preset; refuse an unknown one and a bad spec file, saying why and keeping the design it had', async () => {
    const { wb } = await workbench();
    wb.design.selectPreset('smoke');
    const smoke = wb.state.study;
    expect(smoke?.spec.name).toBe('smoke');
    expect(smoke?.planned.map((p) => p.baseline)).toEqual([true, false]);
    wb.design.selectPreset('nope');
    expect(wb.state.study).toBe(smoke);
    expect(wb.state.studyError).toBe('there is no preset named "nope"; the design is unchanged');
    wb.design.loadSpecFile('x.json', '{');
    expect(wb.state.studyError).toMatch(/^x\.json is not valid JSON: /);
    wb.design.loadSpecFile('y.json', JSON.stringify({ ...PRESETS.smoke, seeds: [] }));
    expect(wb.state.studyError).toMatch(/^y\.json was refused: /);
    // Refused files leave the design as it was, still runnable.
    expect(wb.state.study).toBe(smoke);
    expect(wb.canRun).toBe(true);
    wb.design.loadSpecFile('z.json', JSON.stringify(PRESETS.smoke));
    expect(wb.state.study?.source).toEqual({ kind: 'file', fileName: 'z.json' });
    expect(wb.state.studyError).toBeNull();
  });

  it('describe the study dataset once per dataset config', async () => {
    const { wb, engine } = await workbench();
    wb.design.selectPreset('smoke');
    await until(wb, (s) => s.design.datasetSummary !== null);
    const described = engine.calls.filter((c) => c === 'describeDataset').length;
    wb.design.designStudy({ ...PRESETS.smoke, name: 'renamed' });
    await until(wb, (s) => s.study?.spec.name === 'renamed');
    expect(engine.calls.filter((c) => c === 'describeDataset').length).toBe(described);
  });

  it('run a study to the end: every run done, the results file, the comparison, the journal cleared, the cache listed again', async () => {
    const { wb, engine, downloads, journal } = await workbench();
    wb.design.selectPreset('smoke');
    expect(wb.canRun).toBe(true);
    const listed = engine.calls.filter((c) => c === 'listDatasets').length;
    await wb.runs.run();
    expect(wb.state.phase).toBe('finished');
    expect(wb.state.runs.map((r) => r.status)).toEqual(['done', 'done']);
    expect(wb.state.results?.runs).toHaveLength(2);
    expect(journal.text).toBeNull();
    const comparison = wb.state.comparison.analysis?.comparisons[0];
    expect(comparison?.classes.map((c) => c.delta.estimate)).toEqual([0, -0.5, 0, 0]);
    expect(wb.state.comparison.selectedComparison).toBe(comparison?.treatment.configHash);
    await until(wb, () => engine.calls.filter((c) => c === 'listDatasets').length > listed);
    wb.exports.exportResults();
    wb.exports.exportCsv();
    expect(downloads).toEqual(['classwise-results-smoke.json', 'classwise-per-class-smoke.csv']);
  });

  it('cancel a study in its second run and keep the first; the journal is cleared', async () => {
    const { wb, engine, journal } = await workbench();
    wb.design.selectPreset('smoke');
    engine.holdRuns = true;
    const running = wb.runs.run();
    await until(wb, (s) => s.current === 0);
    expect(journal.text).not.toBeNull();
    engine.finishHeldRun();
    await until(wb, (s) => s.current === 1);
    wb.runs.cancel();
    expect(wb.state.phase).toBe('cancelling');
    await running;
    expect(wb.state.phase).toBe('cancelled');
    expect(wb.state.runs.map((r) => r.status)).toEqual(['done', 'cancelled']);
    expect(journal.text).toBeNull();
    expect(wb.canRun).toBe(true);
  });

  it('offer the study a journal names for resuming, and drop a journal it cannot read', async () => {
    const kept = await workbench(memoryJournal(JSON.stringify({ source: { kind: 'preset', name: 'smoke' }, spec: PRESETS.smoke })));
    expect(kept.wb.state.interrupted?.spec.name).toBe('smoke');
    await kept.wb.runs.resumeInterrupted();
    expect(kept.wb.state.phase).toBe('finished');
    expect(kept.wb.state.interrupted).toBeNull();

    const broken = memoryJournal('{"source": 1}');
    const dropped = await workbench(broken);
    expect(dropped.wb.state.interrupted).toBeNull();
    expect(broken.text).toBeNull();
  });

  it('put a study back on its own data when the cached dataset it used is deleted', async () => {
    const { wb, engine } = await workbench();
    wb.design.selectPreset('smoke');
    wb.design.useDataset({ url: 'import:pets', name: 'pets' });
    expect(wb.state.study?.spec.name).toBe('smoke · pets');
    expect(wb.state.study?.spec.baseline.dataset).toEqual({ kind: 'manifest', url: 'import:pets' });
    await wb.datasets.deleteDataset('import:pets');
    expect(engine.deleted).toEqual(['import:pets']);
    expect(wb.state.study?.spec.name).toBe('smoke');
    expect(wb.state.study?.source).toEqual({ kind: 'preset', name: 'smoke' });
  });

  it('mitigate: refuse a comparison without verdicts, design the follow-up of the hurt class, note it until it runs, then show its recovery', async () => {
    const { wb, engine } = await workbench();
    wb.design.selectPreset('smoke');
    await wb.runs.run();
    const single = wb.state.comparison.analysis!.comparisons[0]!;
    wb.mitigation.mitigate(single.treatment.configHash);
    expect(wb.state.mitigation).toEqual({ followUp: null, problem: 'Nothing to mitigate: one seed a side gives no verdicts to act on.' });
    expect(wb.state.study?.spec.name).toBe('smoke');

    wb.design.designStudy({ ...PRESETS.smoke, seeds: [0, 1, 2] });
    await wb.runs.run();
    const comparison = wb.state.comparison.analysis!.comparisons[0]!;
    expect(comparison.classes.map((c) => c.verdict)).toEqual([null, 'hurt', null, null]);
    wb.mitigation.mitigate(comparison.treatment.configHash);
    expect(wb.state.mitigation).toEqual({ followUp: { name: 'smoke · mitigated', of: 'resized crop s=0.5, wd 0', classes: ['pattern-1'], newRuns: 3 }, problem: null });
    expect(wb.state.study?.spec.sweep.perClass).toEqual([{ 'pattern-1': { kind: 'none' } }]);
    // The shown study stays until the follow-up runs.
    expect(wb.state.shown?.spec.name).toBe('smoke');

    const before = engine.calls.length;
    await wb.runs.run();
    expect(wb.state.phase).toBe('finished');
    expect(engine.calls.slice(before).filter((c) => c.startsWith('run '))).toHaveLength(9);
    expect(wb.state.mitigation.followUp).toBeNull();
    const [summary] = mitigationSummaries(wb.state.comparison.analysis!);
    expect(summary!.classes.map((c) => [c.className, c.originalVerdict, c.mitigatedVerdict, c.mitigated.estimate])).toEqual([['pattern-1', 'hurt', null, 0]]);
  });

  it('keep the shown results while the design is edited, until the new design runs', async () => {
    const { wb } = await workbench();
    wb.design.selectPreset('smoke');
    await wb.runs.run();
    const shown = wb.state.shown;
    wb.design.designStudy({ ...PRESETS.smoke, seeds: [0, 1] });
    expect(wb.state.study?.spec.seeds).toEqual([0, 1]);
    expect(wb.state.shown).toBe(shown);
    expect(wb.state.runs.map((r) => r.status)).toEqual(['done', 'done']);
    expect(wb.state.comparison.analysis?.comparisons).toHaveLength(1);
    wb.design.selectPreset('teaching-demo');
    expect(wb.state.phase).toBe('finished');
    expect(wb.state.results?.study.name).toBe('smoke');
  });

  it('record each study run, and reopen it from storage, with its views, after a reload', async () => {
    const first = await workbench();
    first.wb.design.selectPreset('smoke');
    await first.wb.runs.run();
    await until(first.wb, (s) => s.library.studies?.[0]?.finished === 2);
    const [past] = first.wb.state.library.studies!;
    expect(past).toMatchObject({ name: 'smoke', planned: 2, finished: 2, dataset: 'four' });
    expect(past!.headline).toBe('resized crop s=0.5, wd 0: model vs model (one seed): 1 of 4 classes lower, 0 higher; mean −12.5 pp');

    // A fresh page on the same storage: the study is back with its results, and nothing trains.
    const second = await workbench(memoryJournal(), first.archive, first.lastShown);
    await until(second.wb, (s) => s.shown !== null);
    expect(second.engine.calls.filter((c) => c.startsWith('run'))).toEqual([]);
    expect(second.wb.state.phase).toBe('finished');
    expect(second.wb.state.runs.map((r) => r.status)).toEqual(['done', 'done']);
    expect(second.wb.state.comparison.analysis?.comparisons[0]?.classes.map((c) => c.delta.estimate)).toEqual([0, -0.5, 0, 0]);
    expect(second.wb.state.results?.runs).toHaveLength(2);
    expect(second.wb.state.library.shownId).toBe(past!.id);
  });

  it('rename a past study (not to an empty name) and delete it with the runs no other study shares', async () => {
    const { wb, archive } = await workbench();
    wb.design.selectPreset('smoke');
    await wb.runs.run();
    wb.design.designStudy({ ...PRESETS.smoke, name: 'two seeds', seeds: [0, 1] });
    await wb.runs.run();
    await until(wb, (s) => s.library.studies?.length === 2 && s.library.studies.every((p) => p.finished === p.planned));
    const [twoSeeds, smoke] = wb.state.library.studies!;
    expect(twoSeeds!.name).toBe('two seeds');
    expect(archive.stored.size).toBe(4);

    await wb.library.rename(smoke!.id, '   ');
    expect(wb.state.library.error).toMatch(/needs a name/);
    await wb.library.rename(smoke!.id, ' first try ');
    expect(wb.state.library.studies!.find((p) => p.id === smoke!.id)!.name).toBe('first try');
    await wb.library.open(smoke!.id);
    expect(wb.state.shown?.spec.name).toBe('first try');

    // Seed 0's two runs belong to both studies: deleting the shown one keeps them for the other.
    await wb.library.remove(smoke!.id);
    expect(wb.state.library.studies!.map((p) => p.name)).toEqual(['two seeds']);
    expect(archive.stored.size).toBe(4);
    expect(wb.state.shown).toBeNull();
    expect(wb.state.runs).toEqual([]);
    await wb.library.remove(twoSeeds!.id);
    expect(archive.stored.size).toBe(0);
  });

  it('count a re-imported run once: a file of runs already on screen is refused, one that repeats some says so', async () => {
    const { wb } = await workbench();
    wb.design.selectPreset('smoke');
    await wb.runs.run();
    const text = JSON.stringify(wb.state.results);
    await wb.comparison.importResults([{ name: 'same.json', text }]);
    expect(wb.state.comparison.importError).toBe('same.json was not added: its 2 runs are all already on screen (the same config and seed)');
    expect(wb.state.comparison.imported).toEqual([]);

    const partly = JSON.parse(text) as { runs: { seed: number }[] };
    partly.runs[1]!.seed = 7;
    await wb.comparison.importResults([{ name: 'partly.json', text: JSON.stringify(partly) }]);
    expect(wb.state.comparison.importError).toBeNull();
    expect(wb.state.comparison.importNote).toBe('partly.json: 1 of its 2 runs were already on screen and are counted once.');
    expect(wb.state.comparison.importedRuns.map((r) => r.result.seed)).toEqual([7]);

    // Another study on screen: the note about the last import goes.
    wb.design.selectPreset('teaching-demo');
    await wb.runs.run();
    expect(wb.state.comparison.importNote).toBeNull();
  });
});
