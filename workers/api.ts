/**
 * The one API between the page and the engine worker. Both sides import these
 * types: the worker implements EngineApi, the page holds a comlink Remote of
 * it. Everything crossing it is structured-cloneable, and run results are
 * validated against the results schema on both sides.
 */
import type { BackendName, BackendReport } from '../src/engine/backend';
import type { KernelPolicy } from '../src/engine/kernels/names';
import type { TrainingEvent } from '../src/engine/train';
import type { ExportedModel } from '../src/engine/export';
export type { ExportedModel };
import type { FetchProgress } from '../src/data/load';
import type { DatasetIdentity } from '../src/data/dataset';
import type { DatasetConfigInput, RunConfigInput } from '../src/study/config';
import type { RunResult } from '../src/study/results';

export type { BackendName, BackendReport, TrainingEvent, RunResult };

export interface RunRequest {
  config: RunConfigInput;
  seed: number;
  /**
   * Makes the run durable: a checkpoint goes to IndexedDB every N steps (and
   * after every epoch), the run resumes from its checkpoint if one is there,
   * and its result is stored when it ends, so asking again for a run that
   * already finished returns that result. Off when absent.
   */
  checkpointEverySteps?: number;
}

export type RunEvent =
  | TrainingEvent
  | ({ kind: 'dataset-progress' } & FetchProgress)
  /** The run's dataset is loaded: what it is (for comparing live runs before they finish) and its size. */
  | ({ kind: 'dataset'; trainCount: number } & DatasetIdentity)
  /** The run had already finished: its stored result is returned without training. */
  | { kind: 'restored'; step: number };

export interface MemoryReport {
  numTensors: number;
  numBytes: number;
}

export interface DatasetSummary extends DatasetIdentity {
  shape: [number, number, number];
  trainCount: number;
}

/** A dataset the cache holds (built in, downloaded or imported). */
export interface CachedDataset {
  /** The manifest URL, or `import:…` for data imported from local files. */
  id: string;
  name: string | null;
  bytes: number;
  complete: boolean;
  addedAt: string;
}

export interface ImportProgress {
  stage: 'reading' | 'decoding' | 'sharding' | 'storing';
  done: number;
  total: number;
}

/** What an import leaves in the cache: a config to train on it, and what it holds. */
export interface ImportedDataset {
  config: { kind: 'manifest'; url: string };
  summary: DatasetSummary;
}

export type ArchiveSource = { file: Blob; name: string } | { url: string };

export interface ImageFolderFile {
  /** Relative path inside the picked folder, e.g. `train/cat/001.jpg`. */
  path: string;
  file: Blob;
}

export interface ImageFolderOptions {
  name: string;
  /** Resize every image to size × size; without it, mixed sizes are refused. */
  size?: number;
  /** Without train/ and test/ folders: the share of each class held out for testing. */
  testFraction?: number;
  seed?: number;
}

/** A config timed on this GPU: what the study designer's estimate rests on. */
export interface StepMeasurement {
  warmupMs: number;
  msPerStep: number;
  batchSize: number;
  backend: BackendName;
}

/** How far a measurement has got: loading its dataset, then the warm-up step (it compiles the shaders) and the timed ones. */
export type MeasureProgress = { stage: 'dataset'; fetch: FetchProgress | null } | { stage: 'steps'; done: number; total: number };

/** Pixels as the page can draw them: HWC, 0–255. */
export interface ImagePixels {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Uint8Array;
}

/** Try the model: one image through the trained models of finished runs (a baseline and a treatment, say). */
export interface PredictRequest {
  runs: { config: RunConfigInput; seed: number }[];
  image: ImagePixels;
}

export interface PredictOutcome {
  /** The image as the models saw it: resized and converted to their input (the same for every run of one dataset). */
  seen: ImagePixels | null;
  /** Per run, in the request's order: its class probabilities, or why it has none. */
  runs: ({ ok: true; classNames: string[]; probabilities: number[] } | { ok: false; reason: string })[];
}

export interface InspectRequest {
  dataset: DatasetConfigInput;
  classIndex: number;
  /** The treatment run's predictions for every test image. */
  treatment: number[];
  /** The baseline run's (same seed), to show only images that became wrong. */
  baseline: number[] | null;
  /** The treatment's augmentation, for the crop previews. */
  augmentation: RunConfigInput['augmentation'];
  limit: number;
}

export interface ClassInspectionData {
  wrong: (ImagePixels & { index: number; predicted: number })[];
  crops: ImagePixels[];
}

export interface EngineApi {
  /** A CIFAR-10/100 binary archive (a picked file or a URL) into the cache. */
  importArchive(source: ArchiveSource, options: { labels?: 'fine' | 'coarse' }, onProgress?: (progress: ImportProgress) => void): Promise<ImportedDataset>;
  /** An image folder (one sub-folder per class), decoded here, off the main thread, into the cache. */
  importImageFolder(files: ImageFolderFile[], options: ImageFolderOptions, onProgress?: (progress: ImportProgress) => void): Promise<ImportedDataset>;
  listDatasets(): Promise<CachedDataset[]>;
  deleteDataset(id: string): Promise<void>;
  /** Loads a dataset (from the cache when it is there) and says what it holds. */
  describeDataset(config: DatasetConfigInput, onProgress?: (progress: FetchProgress) => void): Promise<DatasetSummary>;
  /** Starts a backend (webgpu unless told otherwise), falling back as needed; `kernels` is the WebGPU kernel policy (custom unless told). */
  init(backend?: BackendName, kernels?: KernelPolicy): Promise<BackendReport>;
  /** Trains and evaluates one run; rejects with a RunCancelled-named error when cancelled. */
  run(request: RunRequest, onEvent: (event: RunEvent) => void): Promise<RunResult>;
  /** A few real training steps of the config, timed one by one (the first apart: it compiles the shaders). */
  measureStep(request: { config: RunConfigInput; seed?: number }, onProgress?: (progress: MeasureProgress) => void): Promise<StepMeasurement>;
  /** Stops the measurement under way once its step in flight is done (a GPU step cannot be interrupted); it rejects with a MeasureCancelled-named error. */
  cancelMeasure(): void;
  /** Class probabilities of finished runs' trained models for one image, resized and converted to their input as needed. */
  predict(request: PredictRequest): Promise<PredictOutcome>;
  /** The test images of a class a treatment now gets wrong, and crops of its training images as training draws them. */
  inspectClass(request: InspectRequest): Promise<ClassInspectionData>;
  /** Calls back once if the GPU device is lost (driver reset, GPU process crash): the worker can no longer train. */
  watchDevice(onLost: (reason: string) => void): void;
  pause(): void;
  resume(): void;
  cancel(): void;
  memory(): MemoryReport;
  /**
   * A finished durable run's trained model in TensorFlow.js's Layers format
   * (model.json plus one weights file, for tf.loadLayersModel), read from
   * IndexedDB by the run's config and seed. It takes 0–255 pixels and gives
   * logits. Needs no dataset: the model's input shape and normalisation are
   * stored with it (a model stored before they were is exported only while
   * its unchanged dataset is cached). Rejects, saying why, when the run has
   * not finished or finished before trained models were kept.
   */
  exportModel(request: { config: RunConfigInput; seed: number }): Promise<ExportedModel>;
}
