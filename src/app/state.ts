/**
 * What the workbench page shows, as one immutable snapshot: the shape each
 * controller writes its part of and every component reads.
 */
import type { BackendReport, CachedDataset, DatasetSummary, ImportedDataset, ImportProgress, MeasureProgress } from '../../workers/api';
import type { StorageStatus } from '../storage/status';
import type { PresetName } from '../study/presets';
import type { StudySpec } from '../study/study';
import type { ResultsFile, RunResult } from '../study/results';
import type { RunConfig } from '../study/config';
import type { RunOutcome, StudyAnalysis } from '../study/analysis';
import type { StepEstimate } from '../study/estimate';
import type { ClassInspection } from '../ui/views/types';
import type { ContributeState } from './contributor';
import type { TrialState } from './model-trial';

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
  /** The study in the designer: what Run would run. Editing it leaves the shown study's results alone. */
  study: SelectedStudy | null;
  /** Why the last study the user chose was refused (the designer keeps the one it had). */
  studyError: string | null;
  /** The study whose runs, results and per-class views are on screen: the one last run or reopened. */
  shown: SelectedStudy | null;
  phase: StudyPhase;
  /** The shown study's runs. */
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
  library: LibraryState;
  /** Try the model: an image through the shown comparison's two trained models. */
  trial: TrialState;
  mitigation: MitigationState;
}

/** The follow-up the per-class view's "mitigate" designed, or why it could not. */
export interface MitigationState {
  /** The designed follow-up (the study Run would run): its name, the treatment it mitigates, the classes whose crop it turns off, the runs it adds. */
  followUp: { name: string; of: string; classes: string[]; newRuns: number } | null;
  problem: string | null;
}

/** A past study, as the list shows it (the StudyRecord without its spec). */
export interface PastStudy {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  planned: number;
  finished: number;
  dataset: string;
  headline: string | null;
}

/** The studies run in this browser, kept in IndexedDB. */
export interface LibraryState {
  /** Newest first; null until first read. */
  studies: PastStudy[] | null;
  /** The library's id of the shown study, once it is stored. */
  shownId: string | null;
  /** Why the last list, reopen, rename or delete failed, in words. */
  error: string | null;
}

/** What the study designer shows besides the spec: the dataset's size and a measured step, for the estimate. */
export interface DesignState {
  datasetSummary: DatasetSummary | null;
  estimate: StepEstimate | null;
  measuring: boolean;
  /** What the measurement under way is doing. */
  measureProgress: MeasureProgress | null;
  /** A cancel was asked for: the worker stops after the step in flight. */
  measureCancelling: boolean;
  /** Why the dataset could not be described or the step not measured. */
  problem: string | null;
}

/** The per-class views' input and what they look at. */
export interface ComparisonState {
  analysis: StudyAnalysis | null;
  /** Why the runs cannot be compared (e.g. different datasets). */
  problem: string | null;
  imported: { fileName: string; studyName: string; runs: number }[];
  /** The imported runs the views count, for the runs table (a run already on screen is counted once, from there). */
  importedRuns: { fileName: string; result: RunResult }[];
  importError: string | null;
  /** What the last import added, when it was not all of the file (runs already on screen are not counted twice). */
  importNote: string | null;
  selectedComparison: string | null;
  selectedClasses: number[];
  inspected: ClassInspection | null;
  /** Why the last model export failed. */
  exportError: string | null;
}

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

const ACTIVE: readonly StudyPhase[] = ['running', 'pausing', 'paused', 'cancelling'];

/** A study holds the GPU and its design is locked. */
export function isActive(phase: StudyPhase): boolean {
  return ACTIVE.includes(phase);
}

/** The run part of the state, as it is before a study runs. */
export function idleStudy(): Pick<WorkbenchState, 'phase' | 'runs' | 'current' | 'studyEtaSec' | 'error' | 'results'> {
  return { phase: 'idle', runs: [], current: null, studyEtaSec: null, error: null, results: null };
}

/** A study's runs as planned, none started yet. */
export function plannedRuns(study: SelectedStudy, hashes: readonly string[]): RunView[] {
  return study.planned.map((p, index) => ({
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
    configHash: hashes[index] ?? null,
  }));
}

/** A run view of a run that finished (while it trained here, or read back from storage). */
export function finishedRun(run: RunView, result: RunResult): RunView {
  return {
    ...run,
    status: 'done',
    result,
    stepsDone: result.steps,
    totalSteps: run.totalSteps ?? result.steps,
    epochs: run.epochs ?? result.config.training.epochs,
    // The full history replaces the live points (one per read-back group).
    losses: result.history.map((h) => ({ step: h.step + 1, loss: h.loss })),
    accuracies: result.evaluations.map((e) => ({ step: e.step, top1: e.top1 })),
    evaluation: { epoch: result.evaluations.at(-1)?.epoch ?? 0, top1: result.top1, perClass: result.perClass },
  };
}
