/**
 * Running a study: its runs one after another in the engine worker (through
 * runStudy), durably (a reload resumes it from the journal and the runs'
 * checkpoints), with pause, resume and cancel, and the live progress each
 * run reports folded into the state.
 */
import type { RunEvent } from '../../workers/api';
import { parseStudySpec } from '../study/study';
import { configHash } from '../study/config';
import { messageOf } from '../util/errors';
import type { ComparisonController } from './comparison-controller';
import { localStorageNote, type LocalNote } from './local-note';
import { finishedRun, idleStudy, isActive, plannedRuns, type RunView, type SelectedStudy, type StudySource } from './state';
import { selectedStudy } from './study-selection';
import { runStudy, type StudyEvent } from './study-runner';
import type { EngineRef, Store } from './store';

/**
 * Runs started here are durable: a reload, a crash or a closed tab costs at
 * most this many steps, and running the same study again picks up where it
 * stopped (finished runs come back from IndexedDB).
 */
const CHECKPOINT_EVERY_STEPS = 50;

/**
 * Where the workbench notes the study it is running, so that after a reload it
 * can offer to resume it. Only the spec is kept here: the runs' checkpoints and
 * finished results are in IndexedDB.
 */
export type StudyJournal = LocalNote;

export const localStorageJournal: StudyJournal = localStorageNote('classwise.runningStudy');

/** What a run needs from the rest of the workbench. */
export interface RunHooks {
  /** Whether a study may start now (backend ready, nothing else holding the GPU). */
  canRun(): boolean;
  /** A study has started: its runs are planned (with these config hashes). */
  started(study: SelectedStudy, hashes: readonly string[]): void;
  /** A run has finished, or the study has ended. */
  progressed(): void;
  /** A study has ended: a run may have downloaded a dataset (the built-in Fashion-MNIST, a manifest URL). */
  afterRun(): void;
}

/** Thrown into runStudy from its own event callback, so no further run starts after a cancel. */
class StudyCancelled extends Error {
  constructor() {
    super('the study was cancelled');
    this.name = 'StudyCancelled';
  }
}

export class RunController {
  private wantPaused = false;
  private wantCancel = false;

  constructor(
    private readonly store: Store,
    private readonly engine: EngineRef,
    private readonly comparison: ComparisonController,
    private readonly journal: StudyJournal,
    private readonly hooks: RunHooks,
  ) {}

  /** The study the journal says was running; a journal this version cannot read is dropped. */
  readJournal(): SelectedStudy | null {
    const text = this.journal.read();
    if (!text) return null;
    try {
      const { source, spec } = JSON.parse(text) as { source: StudySource; spec: unknown };
      return selectedStudy(source, parseStudySpec(spec));
    } catch {
      this.journal.clear();
      return null;
    }
  }

  /** Selects the interrupted study and runs it: finished runs come back from IndexedDB, the one in progress resumes from its checkpoint. */
  async resumeInterrupted(): Promise<void> {
    const { interrupted, phase } = this.store.state;
    if (!interrupted || isActive(phase)) return;
    this.store.set({ ...idleStudy(), study: interrupted, shown: interrupted, studyError: null, interrupted: null });
    await this.run();
  }

  discardInterrupted(): void {
    this.journal.clear();
    this.store.set({ interrupted: null });
  }

  /** Runs the selected study, one run after another, in the worker. */
  async run(): Promise<void> {
    const study = this.store.state.study;
    const engine = this.engine();
    if (!this.hooks.canRun() || !study || !engine) return;
    this.wantPaused = false;
    this.wantCancel = false;
    this.journal.write(JSON.stringify({ source: study.source, spec: study.spec }));
    const hashes = await Promise.all(study.planned.map((p) => configHash(p.config)));
    this.store.set({ ...idleStudy(), interrupted: null, shown: study, phase: 'running', runs: plannedRuns(study, hashes) });
    this.hooks.started(study, hashes);
    this.comparison.recompare();
    try {
      const results = await runStudy(engine, study.spec, (event) => this.onStudyEvent(event), { checkpointEverySteps: CHECKPOINT_EVERY_STEPS });
      this.journal.clear();
      this.store.set({ phase: 'finished', results, studyEtaSec: null });
    } catch (error) {
      const runs = this.store.state.runs.map((r) => (r.status === 'running' ? ({ ...r, status: this.wantCancel ? 'cancelled' : 'failed' } as RunView) : r));
      if (this.wantCancel && isCancel(error)) {
        this.journal.clear();
        this.store.set({ phase: 'cancelled', runs, studyEtaSec: null });
      } else {
        this.store.set({ phase: 'failed', runs, studyEtaSec: null, error: messageOf(error) });
      }
    } finally {
      this.wantPaused = false;
      this.wantCancel = false;
      this.hooks.progressed();
      this.hooks.afterRun();
    }
  }

  pause(): void {
    const engine = this.engine();
    if (this.store.state.phase !== 'running' || !engine) return;
    this.wantPaused = true;
    void engine.pause();
    this.store.set({ phase: 'pausing' });
  }

  resume(): void {
    const { phase } = this.store.state;
    const engine = this.engine();
    if ((phase !== 'pausing' && phase !== 'paused') || !engine) return;
    this.wantPaused = false;
    void engine.resume();
    this.store.set({ phase: 'running' });
  }

  cancel(): void {
    const { phase } = this.store.state;
    const engine = this.engine();
    if (!isActive(phase) || phase === 'cancelling' || !engine) return;
    this.wantCancel = true;
    this.wantPaused = false;
    void engine.cancel();
    this.store.set({ phase: 'cancelling' });
  }

  private onStudyEvent(event: StudyEvent): void {
    switch (event.kind) {
      case 'backend':
        this.store.set({ backend: { status: 'ready', report: event.report } });
        return;
      case 'run-start':
        // Thrown back into runStudy, so a cancel that landed between two runs starts no new one.
        if (this.wantCancel) throw new StudyCancelled();
        this.updateRun(event.index, { status: 'running', startedAt: performance.now() });
        this.store.set({ current: event.index });
        return;
      case 'run-event':
        this.onRunEvent(event.index, event.event);
        return;
      case 'run-done': {
        const run = this.store.state.runs[event.index];
        if (run) this.updateRun(event.index, finishedRun(run, event.result));
        this.comparison.recompare();
        this.hooks.progressed();
        return;
      }
    }
  }

  private onRunEvent(index: number, event: RunEvent): void {
    switch (event.kind) {
      case 'dataset':
        // The first event of a run, sent once the worker holds its run control:
        // a pause or cancel asked for between two runs is repeated here.
        if (this.wantCancel) void this.engine()?.cancel();
        else if (this.wantPaused) void this.engine()?.pause();
        this.comparison.setLiveDataset({ name: event.name, classNames: event.classNames, testCount: event.testCount, contentHash: event.contentHash });
        return;
      case 'start':
        this.updateRun(index, { epochs: event.epochs, totalSteps: event.totalSteps, stepsDone: 0 });
        return;
      case 'progress': {
        const run = this.store.state.runs[index];
        if (!run) return;
        const { loss, lr, imagesPerSec, etaSec, epoch, step } = event;
        this.updateRun(index, {
          stepsDone: step + 1,
          latest: { loss, lr, imagesPerSec, etaSec, epoch },
          losses: [...run.losses, { step: step + 1, loss }],
        });
        this.store.set({ studyEtaSec: this.estimateStudyEta(index, etaSec) });
        return;
      }
      case 'evaluation': {
        const { epoch, step, top1, perClass } = event.evaluation;
        const accuracies = [...(this.store.state.runs[index]?.accuracies ?? []), { step, top1 }];
        this.updateRun(index, { evaluation: { epoch, top1, perClass }, accuracies });
        this.comparison.recompare();
        return;
      }
      case 'paused':
        if (this.store.state.phase === 'pausing') this.store.set({ phase: 'paused' });
        return;
      case 'resumed':
        this.updateRun(index, { stepsDone: event.step, resumedFrom: event.step });
        return;
      case 'epoch':
        return;
    }
  }

  /** This run's ETA plus, for each run still to go, the mean wall time of the finished ones (or this run's own pace). */
  private estimateStudyEta(index: number, etaSec: number): number {
    const runs = this.store.state.runs;
    const remaining = runs.length - index - 1;
    const finished = runs.flatMap((r) => (r.result ? [r.result.wallTimeSec] : []));
    const run = runs[index];
    const thisRun = run?.startedAt != null ? (performance.now() - run.startedAt) / 1000 + etaSec : etaSec;
    const perRun = finished.length ? finished.reduce((a, b) => a + b, 0) / finished.length : thisRun;
    return etaSec + remaining * perRun;
  }

  private updateRun(index: number, patch: Partial<RunView>): void {
    this.store.set({ runs: this.store.state.runs.map((r) => (r.index === index ? { ...r, ...patch } : r)) });
  }
}

function isCancel(error: unknown): boolean {
  return error instanceof StudyCancelled || (error instanceof Error && (error.name === 'RunCancelled' || error.name === 'StudyCancelled'));
}
