/**
 * The workbench: owns the engine worker and the state store, and puts one
 * controller on each concern (designing, running, comparing, inspecting,
 * exporting, the dataset cache, contributing). UI components render the state
 * and send intents, which cw-app hands to the methods here; they never talk
 * to the worker themselves. No TensorFlow.js here: it lives in the worker only.
 */
import { proxy } from 'comlink';
import { startEngine, type EngineHandle } from '../../workers/client';
import { PRESETS, isPresetName } from '../study/presets';
import { messageOf } from '../util/errors';
import { ComparisonController } from './comparison-controller';
import { Contributor, IDLE_CONTRIBUTE_STATE, type ContributeBudget } from './contributor';
import { DatasetsController } from './datasets-controller';
import { DesignController } from './design-controller';
import { downloadWithLink, type Download } from './download';
import { Exports } from './exports';
import { Inspector } from './inspector';
import { localStorageJournal, RunController, type StudyJournal } from './run-controller';
import { isActive, type WorkbenchState } from './state';
import { presetStudy } from './study-selection';
import { Store, type EngineRef } from './store';

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

  constructor(
    private readonly start: () => EngineHandle = startEngine,
    download: Download = downloadWithLink,
    journal: StudyJournal = localStorageJournal,
  ) {
    const engine: EngineRef = () => this.handle?.engine ?? null;
    const first = Object.keys(PRESETS)[0];
    this.store = new Store({
      backend: { status: 'starting' },
      study: first && isPresetName(first) ? presetStudy(first) : null,
      studyError: null,
      phase: 'idle',
      runs: [],
      current: null,
      studyEtaSec: null,
      error: null,
      results: null,
      datasets: { storage: null, persistRequest: null, list: null, listError: null, importing: null, importError: null, imported: null, deleting: [] },
      interrupted: null,
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
    });
    // Constructed in this order because a study change re-runs the comparison before describing its dataset.
    this.comparison = new ComparisonController(this.store);
    this.design = new DesignController(this.store, engine, download);
    this.datasets = new DatasetsController(this.store, engine, (id) => this.design.datasetDeleted(id));
    this.runs = new RunController(this.store, engine, this.comparison, journal, {
      canRun: () => this.canRun,
      afterRun: () => void this.datasets.refreshDatasets({ afterRun: true }),
    });
    this.inspector = new Inspector(this.store, engine, this.comparison);
    this.exports = new Exports(this.store, engine, this.comparison, download);
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

  /** Starts the worker and its backend (WebGPU, or the fallback it reports). */
  async init(): Promise<void> {
    if (this.handle) return;
    void this.datasets.refreshStorage();
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
    const { backend, phase, datasets } = this.store.state;
    return backend.status === 'ready' && !isActive(phase) && datasets.importing === null && !this.contributor.active;
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
