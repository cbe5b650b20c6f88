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
  DatasetSummary,
  ImageFolderFile,
  ImageFolderOptions,
  ImportedDataset,
  ImportProgress,
  RunEvent,
} from '../../workers/api';
import { requestPersistence, storageStatus, type StorageStatus } from '../storage/status';
import { PRESETS, isPresetName, type PresetName } from '../study/presets';
import { parseStudySpec, planRuns, type StudySpec, type StudySpecInput } from '../study/study';
import type { ResultsFile, RunResult } from '../study/results';
import { configHash, type RunConfig } from '../study/config';
import type { RunOutcome, StudyAnalysis } from '../study/analysis';
import { perClassCsv } from '../study/analysis-report';
import { stepKey, type StepEstimate } from '../study/estimate';
import type { ClassInspection } from '../ui/views/types';
import { canonicalJson } from '../util/hash';
import { messageOf } from '../util/errors';
import { compare, liveOutcomes, readResultsFile, type ImportedResults } from './comparison';
import { runStudy, type StudyEvent } from './study-runner';
import { Contributor, IDLE_CONTRIBUTE_STATE, type ContributeBudget, type ContributeState } from './contributor';
import { downloadWithLink, fileNameFor, type Download } from './download';

/**
 * Runs started here are durable: a reload, a crash or a closed tab costs at
 * most this many steps, and running the same study again picks up where it
 * stopped (finished runs come back from IndexedDB).
 */
const CHECKPOINT_EVERY_STEPS = 50;

export type StudySource =
  | { kind: 'preset'; name: PresetName }
  | { kind: 'file'; fileName: string }
  /** Made or changed in the study designer. */
  | { kind: 'designed' }
  /** A preset or spec file whose baseline dataset was replaced by a cached one. */
  | { kind: 'dataset'; base: Exclude<StudySource, { kind: 'dataset' }>; baseSpec: StudySpec; dataset: { name: string; url: string } };

export interface PlannedRunView {
  label: string;
  config: RunConfig;
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
  /** The GPU device went away under the worker (driver reset, GPU process crash): it can no longer train. */
  | { status: 'lost'; report: BackendReport; reason: string }
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
  /** Test top-1 at each evaluation, by steps done. */
  accuracies: { step: number; top1: number }[];
  evaluation: { epoch: number; top1: number; perClass: RunOutcome['perClass'] } | null;
  /** Computed when the study starts: live runs are grouped by it before they finish. */
  configHash: string | null;
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
  design: DesignState;
  comparison: ComparisonState;
  /** Contribute mode: units of a shared study trained here for the coordinator. */
  contribute: ContributeState;
}

/** What the study designer shows besides the spec: the dataset's size and a measured step, for the estimate. */
export interface DesignState {
  datasetSummary: DatasetSummary | null;
  estimate: StepEstimate | null;
  measuring: boolean;
  /** Why the dataset could not be described or the step not measured. */
  problem: string | null;
}

/** The per-class views' input and what they look at. */
export interface ComparisonState {
  analysis: StudyAnalysis | null;
  /** Why the runs cannot be compared (e.g. different datasets). */
  problem: string | null;
  imported: { fileName: string; studyName: string; runs: number }[];
  importError: string | null;
  selectedComparison: string | null;
  selectedClasses: number[];
  inspected: ClassInspection | null;
  /** Why the last model export failed. */
  exportError: string | null;
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
  /** Results files the user brought in, pooled with the study's runs in the views. */
  private imported: ImportedResults[] = [];
  /** The dataset the study's runs train on, as the worker identified it. */
  private liveDataset: RunOutcome['dataset'] | null = null;
  /** Which dataset config the design state describes, so a study change on the same data costs nothing. */
  private describedDataset: string | null = null;
  private current: WorkbenchState;
  private readonly contributor: Contributor;

  constructor(
    private readonly start: () => EngineHandle = startEngine,
    private readonly download: Download = downloadWithLink,
    private readonly journal: StudyJournal = localStorageJournal,
  ) {
    this.contributor = new Contributor(
      () => this.handle?.engine ?? null,
      (contribute) => this.set({ contribute }),
    );
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
      design: { datasetSummary: null, estimate: null, measuring: false, problem: null },
      comparison: {
        analysis: null,
        problem: null,
        imported: [],
        importError: null,
        selectedComparison: null,
        selectedClasses: [],
        inspected: null,
        exportError: null,
      },
      contribute: IDLE_CONTRIBUTE_STATE,
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
      void this.handle.engine.watchDevice(proxy((reason: string) => this.onDeviceLost(reason)));
      void this.describeStudyDataset();
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
    const { backend, study, phase, datasets, design } = this.current;
    return (
      backend.status === 'ready' && study !== null && !isActive(phase) && datasets.importing === null && !design.measuring && !this.contributor.active
    );
  }

  /** Runs the selected study, one run after another, in the worker. */
  async run(): Promise<void> {
    const study = this.current.study;
    if (!this.canRun || !study || !this.handle) return;
    const { engine } = this.handle;
    this.wantPaused = false;
    this.wantCancel = false;
    this.journal.write(JSON.stringify({ source: study.source, spec: study.spec }));
    const hashes = await Promise.all(study.planned.map((p) => configHash(p.config)));
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
        accuracies: [],
        evaluation: null,
        startedAt: null,
        resumedFrom: null,
        result: null,
        configHash: hashes[index]!,
      })),
    });
    this.recompare();
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

  /** The designer's form, each time it holds a spec: validated again here, since intents cross a boundary. */
  designStudy(input: StudySpecInput): void {
    if (isActive(this.current.phase)) return;
    try {
      this.set({ ...idleStudy(), study: selectedStudy({ kind: 'designed' }, parseStudySpec(input)), studyError: null });
    } catch (error) {
      this.set({ studyError: `The designed study was refused: ${messageOf(error)}` });
    }
  }

  /** Downloads the chosen study's spec, to load again later or share. */
  saveSpec(): void {
    const spec = this.current.study?.spec;
    if (!spec) return;
    this.download(fileNameFor('classwise-study', spec.name, 'json'), new Blob([JSON.stringify(spec, null, 2)], { type: 'application/json' }));
  }

  /** Times a few training steps of the study's baseline on this GPU, for the designer's estimate. */
  async measureStep(): Promise<void> {
    const spec = this.current.study?.spec;
    if (!spec || !this.handle || isActive(this.current.phase) || this.current.design.measuring) return;
    this.setDesign({ measuring: true, problem: null });
    try {
      const measured = await this.handle.engine.measureStep({ config: spec.baseline });
      const estimate: StepEstimate = {
        configHash: await configHash(spec.baseline),
        msPerStep: measured.msPerStep,
        backend: measured.backend,
        batchSize: measured.batchSize,
        stepKey: stepKey(spec.baseline),
      };
      this.setDesign({ estimate, measuring: false });
    } catch (error) {
      this.setDesign({ measuring: false, problem: `The warm-up step could not be measured: ${messageOf(error)}` });
    }
  }

  /** The per-class table of every comparison, as CSV. */
  exportCsv(): void {
    const { analysis } = this.current.comparison;
    if (!analysis) return;
    const name = this.current.study?.spec.name ?? this.imported[0]?.studyName ?? 'study';
    this.download(fileNameFor('classwise-per-class', name, 'csv'), new Blob([perClassCsv(analysis)], { type: 'text/csv' }));
  }

  /** A chart a view drew: the view makes the image, the page saves it. */
  saveChart(fileName: string, blob: Blob): void {
    this.download(fileName, blob);
  }

  /** A finished run's trained model, as TensorFlow.js files (model.json and its weights), loadable with tf.loadLayersModel. */
  async exportModel(runIndex: number): Promise<void> {
    const run = this.current.runs[runIndex];
    if (!run?.result || !this.handle) return;
    this.setComparison({ exportError: null });
    try {
      const exported = await this.handle.engine.exportModel({ config: run.config, seed: run.seed });
      for (const file of exported.files) this.download(file.name, new Blob([file.data], { type: file.type }));
    } catch (error) {
      this.setComparison({ exportError: `The model of run ${runIndex + 1} could not be exported: ${messageOf(error)}` });
    }
  }

  /** Results files to compare with (and pool into) the views; each is checked, and one on another dataset is refused. */
  async importResults(files: { name: string; text: string }[]): Promise<void> {
    this.setComparison({ importError: null });
    const refused: string[] = [];
    for (const { name, text } of files) {
      try {
        const alongside = [...this.liveRunOutcomes(), ...this.imported.flatMap((f) => f.runs)];
        this.imported = [...this.imported, await readResultsFile(name, text, alongside)];
      } catch (error) {
        refused.push(messageOf(error));
      }
    }
    this.setComparison({
      imported: this.imported.map((f) => ({ fileName: f.fileName, studyName: f.studyName, runs: f.runs.length })),
      importError: refused.length ? refused.join('\n') : null,
    });
    this.recompare();
  }

  clearImported(): void {
    this.imported = [];
    this.setComparison({ imported: [], importError: null });
    this.recompare();
  }

  selectComparison(treatmentHash: string): void {
    this.setComparison({ selectedComparison: treatmentHash, inspected: null });
  }

  selectClasses(classes: number[]): void {
    this.setComparison({ selectedClasses: classes });
  }

  /**
   * Shows, for one class of the selected comparison, the test images the
   * treatment now gets wrong (for one seed both sides ran, so the images are
   * the same) and crops of its training images at the treatment's strength.
   */
  async inspectClass(classIndex: number | null): Promise<void> {
    const { analysis, selectedComparison } = this.current.comparison;
    const comparison = analysis?.comparisons.find((c) => c.treatment.configHash === selectedComparison) ?? analysis?.comparisons[0];
    if (classIndex === null || !comparison || !analysis) return this.setComparison({ inspected: null });
    const className = analysis.dataset.classNames[classIndex] ?? `class ${classIndex}`;
    const base = { classIndex, className, treatmentLabel: comparison.treatment.label, wrong: [], crops: [] };
    const runs = this.resultsOf(comparison.treatment.configHash);
    const baselines = this.resultsOf(comparison.baseline.configHash);
    const treatment = runs.find((r) => r.predictions && baselines.some((b) => b.seed === r.seed && b.predictions)) ?? runs.find((r) => r.predictions);
    if (!treatment?.predictions || !this.handle) {
      const reason = runs.length ? 'these results carry no per-image predictions (made by an older version)' : 'no run of this configuration has finished yet';
      return this.setComparison({ inspected: { ...base, status: 'unavailable', reason } });
    }
    const baseline = baselines.find((b) => b.seed === treatment.seed)?.predictions ?? null;
    this.setComparison({ inspected: { ...base, status: 'loading' } });
    try {
      const data = await this.handle.engine.inspectClass({
        dataset: treatment.config.dataset,
        classIndex,
        treatment: treatment.predictions,
        baseline,
        augmentation: treatment.config.augmentation,
        limit: 24,
      });
      if (this.current.comparison.inspected?.classIndex !== classIndex) return;
      const names = analysis.dataset.classNames;
      this.setComparison({
        inspected: {
          ...base,
          status: 'ready',
          reason: baseline ? `seed ${treatment.seed}: right without the regularizer, wrong with it` : `seed ${treatment.seed}: wrong with the regularizer`,
          wrong: data.wrong.map((w) => ({ ...w, caption: `test #${w.index} → ${names[w.predicted] ?? w.predicted}` })),
          crops: data.crops.map((c, i) => ({ ...c, caption: `crop ${i + 1}` })),
        },
      });
    } catch (error) {
      this.setComparison({ inspected: { ...base, status: 'unavailable', reason: `the images could not be read: ${messageOf(error)}` } });
    }
  }

  get canContribute(): boolean {
    return this.current.backend.status === 'ready' && !isActive(this.current.phase) && this.current.datasets.importing === null && !this.contributor.active;
  }

  listSharedStudies(): Promise<void> {
    return this.contributor.listStudies();
  }

  /** Trains units of a shared study for the coordinator, one after another, within the volunteer's budget. */
  async contribute(studyId: string, budget: ContributeBudget, displayName?: string): Promise<void> {
    if (!this.canContribute) return;
    await this.contributor.start(studyId, budget, displayName);
    void this.refreshDatasets({ afterRun: true });
  }

  pauseContributing(): void {
    this.contributor.pause();
  }

  resumeContributing(): void {
    this.contributor.resume();
  }

  stopContributing(): void {
    this.contributor.stop();
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

  private setDesign(patch: Partial<DesignState>): void {
    this.set({ design: { ...this.current.design, ...patch } });
  }

  private setComparison(patch: Partial<ComparisonState>): void {
    this.set({ comparison: { ...this.current.comparison, ...patch } });
  }

  private liveRunOutcomes(): RunOutcome[] {
    return liveOutcomes(
      this.current.runs.map((r) => ({ ...r, perClass: r.evaluation?.perClass ?? null })),
      this.liveDataset,
    );
  }

  /** Finished runs of a config, from this study and the imported files. */
  private resultsOf(hash: string): RunResult[] {
    const live = this.current.runs.flatMap((r) => (r.result && r.configHash === hash ? [r.result] : []));
    return [...live, ...this.imported.flatMap((f) => f.runs.filter((r) => r.configHash === hash))];
  }

  /** Analyses the runs again: after an evaluation, a finished run, an import, or another study. */
  private recompare(): void {
    const { analysis, problem } = compare(this.current.study?.spec ?? null, this.liveRunOutcomes(), this.imported);
    const hashes = analysis?.comparisons.map((c) => c.treatment.configHash) ?? [];
    const { selectedComparison } = this.current.comparison;
    this.setComparison({ analysis, problem, selectedComparison: selectedComparison && hashes.includes(selectedComparison) ? selectedComparison : (hashes[0] ?? null) });
  }

  /** The study's dataset size, for the designer's estimate: described by the worker once per dataset config. */
  private async describeStudyDataset(): Promise<void> {
    const dataset = this.current.study?.spec.baseline.dataset;
    if (!dataset || !this.handle || this.current.backend.status !== 'ready') return;
    const key = canonicalJson(dataset);
    if (key === this.describedDataset) return;
    this.describedDataset = key;
    this.setDesign({ datasetSummary: null, problem: null });
    try {
      const summary = await this.handle.engine.describeDataset(dataset);
      if (this.describedDataset === key) this.setDesign({ datasetSummary: summary });
    } catch (error) {
      if (this.describedDataset === key) this.setDesign({ problem: `The dataset could not be loaded: ${messageOf(error)}` });
    }
  }

  private onDeviceLost(reason: string): void {
    const { backend } = this.current;
    if (backend.status !== 'ready') return;
    this.set({ backend: { status: 'lost', report: backend.report, reason } });
    // The worker cannot train any more: stop the study; its checkpoints let it resume after a reload.
    if (isActive(this.current.phase)) this.cancel();
    this.contributor.stop();
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
          accuracies: result.evaluations.map((e) => ({ step: e.step, top1: e.top1 })),
          evaluation: { epoch: result.evaluations.at(-1)?.epoch ?? 0, top1: result.top1, perClass: result.perClass },
        });
        this.recompare();
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
        this.liveDataset = { name: event.name, classNames: event.classNames, testCount: event.testCount, contentHash: event.contentHash };
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
      case 'evaluation': {
        const { epoch, step, top1, perClass } = event.evaluation;
        const accuracies = [...(this.current.runs[index]?.accuracies ?? []), { step, top1 }];
        this.updateRun(index, { evaluation: { epoch, top1, perClass }, accuracies });
        this.recompare();
        return;
      }
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
    const studyChanged = 'study' in patch && patch.study !== this.current.study;
    this.current = { ...this.current, ...patch };
    for (const listener of this.listeners) listener(this.current);
    if (studyChanged) {
      this.recompare();
      void this.describeStudyDataset();
    }
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
  const planned = planRuns(spec).map((run) => ({ ...run, baseline: canonicalJson(run.config) === baseline }));
  return { source, spec, planned };
}

export function resultsFileName(studyName: string): string {
  return fileNameFor('classwise-results', studyName, 'json');
}


function isCancel(error: unknown): boolean {
  return error instanceof StudyCancelled || (error instanceof Error && (error.name === 'RunCancelled' || error.name === 'StudyCancelled'));
}
