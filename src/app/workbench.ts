/**
 * The workbench: owns the engine worker and the state store, and puts one
 * controller on each concern (designing, running, past studies, comparing,
 * inspecting, exporting, the dataset cache, contributing). UI components render the state
 * and send intents, which cw-app hands to the methods here; they never talk
 * to the worker themselves. No TensorFlow.js here: it lives in the worker only.
 */
import { proxy } from 'comlink';
import { startEngine, type EngineHandle } from '../../workers/client';
import { PRESETS, isPresetName } from '../study/presets';
import { StudyLibrary, type StudyArchive } from '../storage/studies';
import { messageOf } from '../util/errors';
import { ComparisonController } from './comparison-controller';
import { Contributor, IDLE_CONTRIBUTE_STATE, type ContributeBudget } from './contributor';
import { DatasetsController } from './datasets-controller';
import { DesignController } from './design-controller';
import { downloadWithLink, type Download } from './download';
import { Exports } from './exports';
import { Inspector } from './inspector';
import { LibraryController } from './library-controller';
import { IDLE_TRIAL, ModelTrial } from './model-trial';
import { localStorageNote, type LocalNote } from './local-note';
import { MitigationController } from './mitigation-controller';
import { localStorageJournal, RunController, type StudyJournal } from './run-controller';
import { isActive, type WorkbenchState } from './state';
import { presetStudy } from './study-selection';
import { Store, type EngineRef } from './store';

export interface WorkbenchOptions {
  /** Starts the engine worker (a fake one in tests). */
  start?: () => EngineHandle;
  /** Saves a file for the user. */
  download?: Download;
  /** Notes the running study, to offer it for resuming after a reload. */
  journal?: StudyJournal;
  /** Where past studies are kept. */
  archive?: StudyArchive;
  /** Notes the shown study, to reopen it after a reload. */
  lastShown?: LocalNote;
}

export class Workbench {
  private handle: EngineHandle | null = null;
  private readonly store: Store;
  private readonly contributor: Contributor;
  readonly design: DesignController;
  readonly runs: RunController;
  readonly comparison: ComparisonController;
  readonly inspector: Inspector;
  readonly exports: Exports;
  readonly datasets: DatasetsController;
  readonly library: LibraryController;
  readonly trial: ModelTrial;
  readonly mitigation: MitigationController;

  private readonly start: () => EngineHandle;

  constructor({
    start = startEngine,
    download = downloadWithLink,
    journal = localStorageJournal,
    archive = new StudyLibrary(),
    lastShown = localStorageNote('classwise.shownStudy'),
  }: WorkbenchOptions = {}) {
    this.start = start;
    const engine: EngineRef = () => this.handle?.engine ?? null;
    const first = Object.keys(PRESETS)[0];
    this.store = new Store({
      backend: { status: 'starting' },
      study: first && isPresetName(first) ? presetStudy(first) : null,
      studyError: null,
      shown: null,
      phase: 'idle',
      runs: [],
      current: null,
      studyEtaSec: null,
      error: null,
      results: null,
      datasets: { storage: null, persistRequest: null, list: null, listError: null, importing: null, importError: null, imported: null, deleting: [] },
      interrupted: null,
      design: { datasetSummary: null, estimate: null, measuring: false, measureProgress: null, measureCancelling: false, problem: null },
      comparison: {
        analysis: null,
        problem: null,
        imported: [],
        importedRuns: [],
        importError: null,
        importNote: null,
        selectedComparison: null,
        selectedClasses: [],
        inspected: null,
        exportError: null,
      },
      contribute: IDLE_CONTRIBUTE_STATE,
      library: { studies: null, shownId: null, error: null },
      trial: IDLE_TRIAL,
      mitigation: { followUp: null, problem: null },
    });
    // Constructed in this order because a study change re-runs the comparison before describing its dataset.
    this.comparison = new ComparisonController(this.store);
    this.design = new DesignController(this.store, engine, download, {
      afterLoad: () => void this.datasets.refreshDatasets({ afterRun: true }),
      busy: () => this.store.state.datasets.importing !== null || this.contributor.active,
    });
    this.datasets = new DatasetsController(this.store, engine, (id) => this.design.datasetDeleted(id));
    this.library = new LibraryController(this.store, archive, lastShown);
    this.runs = new RunController(this.store, engine, this.comparison, journal, {
      canRun: () => this.canRun,
      started: (study, hashes) => void this.library.started(study, hashes),
      progressed: () => void this.library.progressed(),
      afterRun: () => void this.datasets.refreshDatasets({ afterRun: true }),
    });
    this.inspector = new Inspector(this.store, engine, this.comparison);
    this.exports = new Exports(this.store, engine, this.comparison, download);
    this.trial = new ModelTrial(this.store, engine);
    this.mitigation = new MitigationController(this.store);
    this.contributor = new Contributor(engine, (contribute) => this.store.set({ contribute }));
    this.store.set({ interrupted: this.runs.readJournal() });
  }

  get state(): WorkbenchState {
    return this.store.state;
  }

  /** Calls `listener` now and on every change; returns the unsubscribe function. */
  subscribe(listener: (state: WorkbenchState) => void): () => void {
    return this.store.subscribe(listener);
  }

  /** Starts the worker and its backend (WebGPU, or the fallback it reports), and reads the storage and the past studies. */
  async init(): Promise<void> {
    if (this.handle) return;
    void this.datasets.refreshStorage();
    // The past studies need no worker: their results are read from IndexedDB here.
    void this.library.refresh().then(() => this.library.reopenLast());
    try {
      this.handle = this.start();
    } catch (error) {
      this.store.set({ backend: { status: 'failed', message: messageOf(error) } });
      return;
    }
    // The cache is listed by the worker, whether or not a GPU backend starts.
    void this.datasets.refreshDatasets();
    try {
      const report = await this.handle.engine.init('webgpu');
      this.store.set({ backend: { status: 'ready', report } });
      void this.handle.engine.watchDevice(proxy((reason: string) => this.onDeviceLost(reason)));
      void this.design.describeStudyDataset();
    } catch (error) {
      this.store.set({ backend: { status: 'failed', message: messageOf(error) } });
    }
  }

  dispose(): void {
    this.handle?.terminate();
    this.handle = null;
    this.store.clear();
  }

  /** Nothing else holds the GPU or the design: the backend is up, no study, import, measurement or contribution is under way. */
  get canRun(): boolean {
    const { backend, study, phase, datasets, design } = this.store.state;
    return backend.status === 'ready' && study !== null && !isActive(phase) && datasets.importing === null && !design.measuring && !this.contributor.active;
  }

  get canImport(): boolean {
    return this.datasets.canImport;
  }

  get canContribute(): boolean {
    return this.contributeBlocked === null && !this.contributor.active;
  }

  /** Why Contribute's Start is not offered now, in words; null when the GPU is free for it. */
  get contributeBlocked(): string | null {
    const { backend, phase, datasets, design } = this.store.state;
    if (backend.status === 'starting') return 'the GPU backend is still starting';
    if (backend.status !== 'ready') return 'no GPU backend is running (see the status above)';
    if (isActive(phase)) return 'a study of yours is training on this GPU: Start is offered once it finishes, or once you stop it under My studies';
    if (datasets.importing !== null) return 'a dataset is being imported: Start is offered once it is done';
    if (design.measuring) return 'a training step is being measured on this GPU: Start is offered once it is done';
    return null;
  }

  listSharedStudies(): Promise<void> {
    return this.contributor.listStudies();
  }

  /** Trains units of a shared study for the coordinator, one after another, within the volunteer's budget. */
  async contribute(studyId: string, budget: ContributeBudget, displayName?: string): Promise<void> {
    if (!this.canContribute) return;
    await this.contributor.start(studyId, budget, displayName);
    void this.datasets.refreshDatasets({ afterRun: true });
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

  private onDeviceLost(reason: string): void {
    const { backend } = this.store.state;
    if (backend.status !== 'ready') return;
    this.store.set({ backend: { status: 'lost', report: backend.report, reason } });
    // The worker cannot train any more: stop the study; its checkpoints let it resume after a reload.
    if (isActive(this.store.state.phase)) this.runs.cancel();
    this.contributor.stop();
  }
}
