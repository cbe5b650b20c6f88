/**
 * The workbench's controller: owns the engine worker, runs a study through
 * runStudy, and holds everything the page shows as one immutable state
 * snapshot. UI components render that state and call the intents below
 * (select, load, run, pause, resume, cancel, export; and for datasets:
 * import, delete, use in a study, keep storage persistent); they never talk
 * to the worker themselves. No TensorFlow.js here: it lives in the worker only.
 */
import { proxy } from 'comlink';
import { startEngine, type EngineHandle } from '../../workers/client';
import type {
  ArchiveSource,
  BackendReport,
  CachedDataset,
  ImageFolderFile,
  ImageFolderOptions,
  ImportedDataset,
  ImportProgress,
  RunEvent,
} from '../../workers/api';
import { requestPersistence, storageStatus, type StorageStatus } from '../storage/status';
import { PRESETS, isPresetName, type PresetName } from '../study/presets';
import { parseStudySpec, planRuns, type StudySpec } from '../study/study';
import type { ResultsFile, RunResult } from '../study/results';
import { canonicalJson } from '../util/hash';
import { runStudy, type StudyEvent } from './study-runner';

/**
 * Runs started here are durable: a reload, a crash or a closed tab costs at
 * most this many steps, and running the same study again picks up where it
 * stopped (finished runs come back from IndexedDB).
 */
const CHECKPOINT_EVERY_STEPS = 50;

export type StudySource =
  | { kind: 'preset'; name: PresetName }
  | { kind: 'file'; fileName: string }
  /** A preset or spec file whose baseline dataset was replaced by a cached one. */
  | { kind: 'dataset'; base: Exclude<StudySource, { kind: 'dataset' }>; baseSpec: StudySpec; dataset: { name: string; url: string } };

export interface PlannedRunView {
  label: string;
  seed: number;
  /** The run whose config is spec.baseline: what the other runs of its seed are compared against. */
  baseline: boolean;
}

export interface SelectedStudy {
  source: StudySource;
  spec: StudySpec;
  planned: PlannedRunView[];
}

export type BackendState =
  | { status: 'starting' }
  | { status: 'ready'; report: BackendReport }
  | { status: 'failed'; message: string };

export type RunStatus = 'planned' | 'running' | 'done' | 'cancelled' | 'failed';

export interface LossPoint {
  /** Steps done when the loss was read (1-based). */
  step: number;
  loss: number;
}

export interface RunProgress {
  loss: number;
  lr: number;
  imagesPerSec: number;
  etaSec: number;
  /** 0-based epoch of the latest step. */
  epoch: number;
}

export interface RunView extends PlannedRunView {
  index: number;
  status: RunStatus;
  epochs: number | null;
  totalSteps: number | null;
  stepsDone: number;
  latest: RunProgress | null;
  losses: LossPoint[];
  evaluation: { epoch: number; top1: number } | null;
  /** The step this run resumed from after an interruption, if it did. */
  resumedFrom: number | null;
  /** Wall-clock start (performance.now()), for the study ETA. */
  startedAt: number | null;
  result: RunResult | null;
}

export type StudyPhase = 'idle' | 'running' | 'pausing' | 'paused' | 'cancelling' | 'finished' | 'cancelled' | 'failed';

export interface WorkbenchState {
  backend: BackendState;
  study: SelectedStudy | null;
  /** Why the last study the user chose was refused. */
  studyError: string | null;
  phase: StudyPhase;
  runs: RunView[];
  /** Index of the run in progress (or the last one that was). */
  current: number | null;
  /** Rough seconds left for the whole study: this run's ETA plus the runs still to go. */
  studyEtaSec: number | null;
  /** A run that failed (not a cancel), as the worker reported it. */
  error: string | null;
  /** The results file, once every planned run has finished. */
  results: ResultsFile | null;
  datasets: DatasetsState;
  /** A study that was running when the page went away (reload, crash, closed tab), offered for resuming. */
  interrupted: SelectedStudy | null;
}

/**
 * Where the workbench notes the study it is running, so that after a reload it
 * can offer to resume it. Only the spec is kept here: the runs' checkpoints and
 * finished results are in IndexedDB.
 */
export interface StudyJournal {
  read(): string | null;
  write(text: string): void;
  clear(): void;
}

const JOURNAL_KEY = 'classwise.runningStudy';

const localStorageJournal: StudyJournal = {
  read: () => globalThis.localStorage?.getItem(JOURNAL_KEY) ?? null,
  write: (text) => globalThis.localStorage?.setItem(JOURNAL_KEY, text),
  clear: () => globalThis.localStorage?.removeItem(JOURNAL_KEY),
};

/** What an import is reading, and how far it has got. */
export interface ImportView {
  /** The file, folder or URL being imported. */
  what: string;
  progress: ImportProgress | null;
}

export interface DatasetsState {
  /** Usage, quota and persistence of this origin's storage; null until first read. */
  storage: StorageStatus | null;
  /** The answer to the last request for persistent storage (the user's or the automatic one). */
  persistRequest: { granted: boolean; automatic: boolean } | null;
  /** The datasets the cache holds; null until the worker first answers. */
  list: CachedDataset[] | null;
  /** Why the list (or a delete) failed. */
  listError: string | null;
  importing: ImportView | null;
  /** Why the last import failed, as the worker said it (naming the file). */
  importError: string | null;
  /** The last import that succeeded, with what it holds. */
  imported: ImportedDataset | null;
  /** Ids whose delete is under way. */
  deleting: string[];
}

export type Download = (fileName: string, blob: Blob) => void;

/** Thrown into runStudy from its own event callback, so no further run starts after a cancel. */
class StudyCancelled extends Error {
  constructor() {
    super('the study was cancelled');
    this.name = 'StudyCancelled';
  }
}

const ACTIVE: readonly StudyPhase[] = ['running', 'pausing', 'paused', 'cancelling'];

export function isActive(phase: StudyPhase): boolean {
  return ACTIVE.includes(phase);
}

export class Workbench {
  private handle: EngineHandle | null = null;
  private listeners = new Set<(state: WorkbenchState) => void>();
  private wantPaused = false;
  private wantCancel = false;
  /** Persistence is asked for automatically at most once, after the first import or download. */
  private autoPersistAsked = false;
  /** Ids of the complete datasets at the last listing, to notice a download a study made. */
  private knownComplete: Set<string> | null = null;
  private current: WorkbenchState;

  constructor(
    private readonly start: () => EngineHandle = startEngine,
    private readonly download: Download = downloadWithLink,
    private readonly journal: StudyJournal = localStorageJournal,
  ) {
    const first = Object.keys(PRESETS)[0];
    this.current = {
      backend: { status: 'starting' },
      study: first && isPresetName(first) ? presetStudy(first) : null,
      studyError: null,
      phase: 'idle',
      runs: [],
      current: null,
      studyEtaSec: null,
      error: null,
      results: null,
      datasets: {
        storage: null,
        persistRequest: null,
        list: null,
        listError: null,
        importing: null,
        importError: null,
        imported: null,
        deleting: [],
      },
      interrupted: this.readJournal(),
    };
  }

  /** The study the journal says was running; a journal this version cannot read is dropped. */
  private readJournal(): SelectedStudy | null {
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
    const { interrupted, phase } = this.current;
    if (!interrupted || isActive(phase)) return;
    this.set({ ...idleStudy(), study: interrupted, studyError: null, interrupted: null });
    await this.run();
  }

  discardInterrupted(): void {
    this.journal.clear();
    this.set({ interrupted: null });
  }

  get state(): WorkbenchState {
    return this.current;
  }

  /** Calls `listener` now and on every change; returns the unsubscribe function. */
  subscribe(listener: (state: WorkbenchState) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  /** Starts the worker and its backend (WebGPU, or the fallback it reports). */
  async init(): Promise<void> {
    if (this.handle) return;
    void this.refreshStorage();
    try {
      this.handle = this.start();
    } catch (error) {
      this.set({ backend: { status: 'failed', message: messageOf(error) } });
      return;
    }
    // The cache is listed by the worker, whether or not a GPU backend starts.
    void this.refreshDatasets();
    try {
      const report = await this.handle.engine.init('webgpu');
      this.set({ backend: { status: 'ready', report } });
    } catch (error) {
      this.set({ backend: { status: 'failed', message: messageOf(error) } });
    }
  }

  dispose(): void {
    this.handle?.terminate();
    this.handle = null;
    this.listeners.clear();
  }

  selectPreset(name: string): void {
    if (isActive(this.current.phase)) return;
    if (!isPresetName(name)) {
      this.set({ study: null, studyError: `there is no preset named "${name}"` });
      return;
    }
    this.set({ ...idleStudy(), study: presetStudy(name), studyError: null });
  }

  /** A study spec file's text: refused (with every bad field named) unless it is valid JSON and a valid spec. */
  loadSpecFile(fileName: string, text: string): void {
    if (isActive(this.current.phase)) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.set({ ...idleStudy(), study: null, studyError: `${fileName} is not valid JSON: ${error instanceof Error ? error.message : String(error)}` });
      return;
    }
    try {
      this.set({ ...idleStudy(), study: selectedStudy({ kind: 'file', fileName }, parseStudySpec(value)), studyError: null });
    } catch (error) {
      this.set({ ...idleStudy(), study: null, studyError: `${fileName} was refused: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  get canRun(): boolean {
    const { backend, study, phase, datasets } = this.current;
    return backend.status === 'ready' && study !== null && !isActive(phase) && datasets.importing === null;
  }

  /** Runs the selected study, one run after another, in the worker. */
  async run(): Promise<void> {
    const study = this.current.study;
    if (!this.canRun || !study || !this.handle) return;
    const { engine } = this.handle;
    this.wantPaused = false;
    this.wantCancel = false;
    this.journal.write(JSON.stringify({ source: study.source, spec: study.spec }));
    this.set({
      ...idleStudy(),
      interrupted: null,
      phase: 'running',
      runs: study.planned.map((p, index) => ({
        ...p,
        index,
        status: 'planned',
        epochs: null,
        totalSteps: null,
        stepsDone: 0,
        latest: null,
        losses: [],
        evaluation: null,
        startedAt: null,
        resumedFrom: null,
        result: null,
      })),
    });
    try {
      const results = await runStudy(engine, study.spec, (event) => this.onStudyEvent(event), { checkpointEverySteps: CHECKPOINT_EVERY_STEPS });
      this.journal.clear();
      this.set({ phase: 'finished', results, studyEtaSec: null });
    } catch (error) {
      const runs = this.current.runs.map((r) => (r.status === 'running' ? { ...r, status: this.wantCancel ? 'cancelled' : 'failed' } as RunView : r));
      if (this.wantCancel && isCancel(error)) {
        this.journal.clear();
        this.set({ phase: 'cancelled', runs, studyEtaSec: null });
      } else {
        this.set({ phase: 'failed', runs, studyEtaSec: null, error: messageOf(error) });
      }
    } finally {
      this.wantPaused = false;
      this.wantCancel = false;
      // A run may have downloaded a dataset (the built-in Fashion-MNIST, a manifest URL).
      void this.refreshDatasets({ afterRun: true });
    }
  }

  pause(): void {
    const { phase } = this.current;
    if (phase !== 'running' || !this.handle) return;
    this.wantPaused = true;
    void this.handle.engine.pause();
    this.set({ phase: 'pausing' });
  }

  resume(): void {
    const { phase } = this.current;
    if ((phase !== 'pausing' && phase !== 'paused') || !this.handle) return;
    this.wantPaused = false;
    void this.handle.engine.resume();
    this.set({ phase: 'running' });
  }

  cancel(): void {
    if (!isActive(this.current.phase) || this.current.phase === 'cancelling' || !this.handle) return;
    this.wantCancel = true;
    this.wantPaused = false;
    void this.handle.engine.cancel();
    this.set({ phase: 'cancelling' });
  }

  /** Downloads the results file (classwise-results-<name>.json); only once the study has finished. */
  exportResults(): void {
    const { results } = this.current;
    if (!results || this.current.phase !== 'finished') return;
    const blob = new Blob([JSON.stringify(results, null, 2)], { type: 'application/json' });
    this.download(resultsFileName(results.study.name), blob);
  }

  /** Reads usage, quota and persistence again (main thread: the Storage API as the page sees it). */
  async refreshStorage(): Promise<void> {
    const storage = await storageStatus();
    this.setDatasets({ storage });
  }

  /**
   * Lists the cached datasets (and reads the storage figures again). After a
   * study, a complete dataset that was not there before is a download: the
   * first one asks for persistent storage.
   */
  async refreshDatasets(options: { afterRun?: boolean } = {}): Promise<void> {
    const refreshed = this.refreshStorage();
    if (!this.handle) return refreshed;
    try {
      const list = await this.handle.engine.listDatasets();
      const complete = new Set(list.filter((d) => d.complete).map((d) => d.id));
      const downloaded = options.afterRun && this.knownComplete !== null && [...complete].some((id) => !this.knownComplete!.has(id));
      this.knownComplete = complete;
      this.setDatasets({ list, listError: null });
      if (downloaded) await this.askPersistenceOnce();
    } catch (error) {
      this.setDatasets({ listError: `The cached datasets could not be listed: ${messageOf(error)}` });
    }
    await refreshed;
  }

  /** Asks the browser to keep this origin's data; the answer is shown. */
  async keepPersistent(): Promise<void> {
    await this.persist(false);
  }

  get canImport(): boolean {
    return this.handle !== null && this.current.datasets.importing === null && !isActive(this.current.phase);
  }

  /** A CIFAR-10/100 binary archive, picked or at a URL, into the cache. */
  async importArchive(source: ArchiveSource, labels: 'fine' | 'coarse' = 'fine'): Promise<void> {
    const what = 'url' in source ? source.url : source.name;
    await this.runImport(what, (engine, onProgress) => engine.importArchive(source, { labels }, onProgress));
  }

  /** An image folder (paths relative to the folder, one sub-folder per class, or train/ and test/). */
  async importImageFolder(files: ImageFolderFile[], options: ImageFolderOptions): Promise<void> {
    await this.runImport(options.name, (engine, onProgress) => engine.importImageFolder(files, options, onProgress));
  }

  /** Removes a dataset from the cache, then lists again. Not while a study runs (it may be reading it). */
  async deleteDataset(id: string): Promise<void> {
    const { datasets } = this.current;
    if (!this.handle || isActive(this.current.phase) || datasets.importing || datasets.deleting.includes(id)) return;
    this.setDatasets({ deleting: [...datasets.deleting, id], listError: null });
    try {
      await this.handle.engine.deleteDataset(id);
      const { imported } = this.current.datasets;
      if (imported?.config.url === id) this.setDatasets({ imported: null });
      // A study trained on the deleted dataset could not run: back to the study it came from.
      const source = this.current.study?.source;
      if (source?.kind === 'dataset' && source.dataset.url === id && !isActive(this.current.phase)) {
        this.set({ ...idleStudy(), study: selectedStudy(source.base, source.baseSpec), studyError: null });
      }
    } catch (error) {
      this.setDatasets({ listError: `The dataset could not be deleted: ${messageOf(error)}` });
    } finally {
      this.setDatasets({ deleting: this.current.datasets.deleting.filter((d) => d !== id) });
      this.knownComplete?.delete(id);
      await this.refreshDatasets();
    }
  }

  /**
   * Selects the current study (preset or spec file) with its baseline trained
   * on a cached dataset instead; the name says which. Validated like any
   * study; a refusal is shown where a refused spec file is.
   */
  useDataset(dataset: { url: string; name: string }): void {
    const study = this.current.study;
    if (!study || isActive(this.current.phase)) return;
    const base = study.source.kind === 'dataset' ? study.source.base : study.source;
    const baseSpec = study.source.kind === 'dataset' ? study.source.baseSpec : study.spec;
    const source: StudySource = { kind: 'dataset', base, baseSpec, dataset };
    const value = { ...baseSpec, name: `${baseSpec.name} · ${dataset.name}`, baseline: { ...baseSpec.baseline, dataset: { kind: 'manifest', url: dataset.url } } };
    try {
      this.set({ ...idleStudy(), study: selectedStudy(source, parseStudySpec(value)), studyError: null });
    } catch (error) {
      this.set({ studyError: `${dataset.name} cannot be used in ${baseSpec.name}: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  private async runImport(
    what: string,
    start: (engine: EngineHandle['engine'], onProgress: (progress: ImportProgress) => void) => Promise<ImportedDataset>,
  ): Promise<void> {
    if (!this.canImport || !this.handle) return;
    this.setDatasets({ importing: { what, progress: null }, importError: null });
    const onProgress = proxy((progress: ImportProgress) => {
      if (this.current.datasets.importing?.what === what) this.setDatasets({ importing: { what, progress } });
    });
    try {
      const imported = await start(this.handle.engine, onProgress);
      this.setDatasets({ importing: null, imported });
      await this.refreshDatasets();
      await this.askPersistenceOnce();
    } catch (error) {
      this.setDatasets({ importing: null, importError: messageOf(error) });
      await this.refreshDatasets();
    }
  }

  private async askPersistenceOnce(): Promise<void> {
    if (this.autoPersistAsked) return;
    this.autoPersistAsked = true;
    if (this.current.datasets.storage?.persisted) return;
    await this.persist(true);
  }

  private async persist(automatic: boolean): Promise<void> {
    const granted = await requestPersistence();
    this.setDatasets({ persistRequest: { granted, automatic } });
    await this.refreshStorage();
  }

  private setDatasets(patch: Partial<DatasetsState>): void {
    this.set({ datasets: { ...this.current.datasets, ...patch } });
  }

  private onStudyEvent(event: StudyEvent): void {
    switch (event.kind) {
      case 'backend':
        this.set({ backend: { status: 'ready', report: event.report } });
        return;
      case 'run-start':
        // Thrown back into runStudy, so a cancel that landed between two runs starts no new one.
        if (this.wantCancel) throw new StudyCancelled();
        this.updateRun(event.index, { status: 'running', startedAt: performance.now() });
        this.set({ current: event.index });
        return;
      case 'run-event':
        this.onRunEvent(event.index, event.event);
        return;
      case 'run-done': {
        const { result } = event;
        this.updateRun(event.index, {
          status: 'done',
          result,
          stepsDone: result.steps,
          totalSteps: this.current.runs[event.index]?.totalSteps ?? result.steps,
          // The full history replaces the live points (one per read-back group).
          losses: result.history.map((h) => ({ step: h.step + 1, loss: h.loss })),
          evaluation: { epoch: result.evaluations.at(-1)?.epoch ?? 0, top1: result.top1 },
        });
        return;
      }
    }
  }

  private onRunEvent(index: number, event: RunEvent): void {
    switch (event.kind) {
      case 'dataset':
        // The first event of a run, sent once the worker holds its run control:
        // a pause or cancel asked for between two runs is repeated here.
        if (this.wantCancel) void this.handle?.engine.cancel();
        else if (this.wantPaused) void this.handle?.engine.pause();
        return;
      case 'start':
        this.updateRun(index, { epochs: event.epochs, totalSteps: event.totalSteps, stepsDone: 0 });
        return;
      case 'progress': {
        const run = this.current.runs[index];
        if (!run) return;
        const { loss, lr, imagesPerSec, etaSec, epoch, step } = event;
        this.updateRun(index, {
          stepsDone: step + 1,
          latest: { loss, lr, imagesPerSec, etaSec, epoch },
          losses: [...run.losses, { step: step + 1, loss }],
        });
        this.set({ studyEtaSec: this.estimateStudyEta(index, etaSec) });
        return;
      }
      case 'evaluation':
        this.updateRun(index, { evaluation: { epoch: event.evaluation.epoch, top1: event.evaluation.top1 } });
        return;
      case 'paused':
        if (this.current.phase === 'pausing') this.set({ phase: 'paused' });
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
    const runs = this.current.runs;
    const remaining = runs.length - index - 1;
    const finished = runs.flatMap((r) => (r.result ? [r.result.wallTimeSec] : []));
    const run = runs[index];
    const thisRun = run?.startedAt != null ? (performance.now() - run.startedAt) / 1000 + etaSec : etaSec;
    const perRun = finished.length ? finished.reduce((a, b) => a + b, 0) / finished.length : thisRun;
    return etaSec + remaining * perRun;
  }

  private updateRun(index: number, patch: Partial<RunView>): void {
    this.set({ runs: this.current.runs.map((r) => (r.index === index ? { ...r, ...patch } : r)) });
  }

  private set(patch: Partial<WorkbenchState>): void {
    this.current = { ...this.current, ...patch };
    for (const listener of this.listeners) listener(this.current);
  }
}

function idleStudy(): Pick<WorkbenchState, 'phase' | 'runs' | 'current' | 'studyEtaSec' | 'error' | 'results'> {
  return { phase: 'idle', runs: [], current: null, studyEtaSec: null, error: null, results: null };
}

function presetStudy(name: PresetName): SelectedStudy {
  return selectedStudy({ kind: 'preset', name }, parseStudySpec(PRESETS[name]));
}

function selectedStudy(source: StudySource, spec: StudySpec): SelectedStudy {
  const baseline = canonicalJson(spec.baseline);
  const planned = planRuns(spec).map((run) => ({ label: run.label, seed: run.seed, baseline: canonicalJson(run.config) === baseline }));
  return { source, spec, planned };
}

export function resultsFileName(studyName: string): string {
  const safe = studyName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'study';
  return `classwise-results-${safe}.json`;
}

function isCancel(error: unknown): boolean {
  return error instanceof StudyCancelled || (error instanceof Error && (error.name === 'RunCancelled' || error.name === 'StudyCancelled'));
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}

function downloadWithLink(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // Give the browser a moment to start the download before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
