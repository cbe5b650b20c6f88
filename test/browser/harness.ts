/**
 * Runs in the test page. Browser tests call these through page.evaluate: the
 * worker ones drive the real engine worker over comlink; the others run engine
 * code on the page's own WebGPU device, where a test needs its internals.
 */
import * as tf from '@tensorflow/tfjs';
import { startEngine, eventSink } from '../../workers/client';
import { proxy } from 'comlink';
import type { CachedDataset, DatasetSummary, ImageFolderOptions, ImportedDataset, ImportProgress, RunEvent, RunRequest } from '../../workers/api';
import type { FetchProgress } from '../../src/data/load';
import { cropResampling } from '../../src/augment/crop';
import { channelStatistics } from '../../src/data/dataset';
import { loadDataset } from '../../src/data/load';
import { selectBackend, type BackendName } from '../../src/engine/backend';
import { BatchLoader } from '../../src/engine/batches';
import { cropPreviews } from '../../src/engine/probe';
import { parseRunConfig, type DatasetConfigInput, type RunConfigInput } from '../../src/study/config';
import { Rng } from '../../src/util/rng';

export interface WorkerRunReport {
  backend: Awaited<ReturnType<typeof selectBackend>>;
  result: unknown;
  error: string | null;
  events: (RunEvent & { at: number })[];
  memoryBefore: number;
  memoryAfter: number;
  /** When the script sent its resume (page clock, as the events' `at`); null without a pause. */
  resumeSentAt: number | null;
}

export interface ControlScript {
  /** After the first progress event: pause, wait this long, then resume. */
  pauseForMs?: number;
  /** After the first progress event: cancel. */
  cancel?: boolean;
}

async function runInWorker(request: RunRequest, script: ControlScript = {}, backend: BackendName = 'webgpu'): Promise<WorkerRunReport> {
  const { engine, terminate } = startEngine();
  try {
    const report = await engine.init(backend);
    const memoryBefore = (await engine.memory()).numTensors;
    const events: WorkerRunReport['events'] = [];
    let controlled = false;
    let resumeSentAt: number | null = null;
    const onEvent = (event: RunEvent) => {
      events.push({ ...event, at: performance.now() });
      if (event.kind !== 'progress' || controlled) return;
      controlled = true;
      if (script.cancel) void engine.cancel();
      if (script.pauseForMs !== undefined) {
        void engine.pause();
        setTimeout(() => {
          resumeSentAt = performance.now();
          void engine.resume();
        }, script.pauseForMs);
      }
    };
    let result: unknown = null;
    let error: string | null = null;
    try {
      result = await engine.run(request, eventSink(onEvent));
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    return { backend: report, result, error, events, memoryBefore, memoryAfter: (await engine.memory()).numTensors, resumeSentAt };
  } finally {
    terminate();
  }
}

/**
 * A crash mid-run: the first worker is terminated (as a closed tab would end
 * it) right after the progress event of step `killAfterStep`; a second worker
 * then runs the same request, which must resume from the last checkpoint.
 */
async function runKilledThenResumed(request: RunRequest, killAfterStep: number): Promise<{ killedAt: number; second: WorkerRunReport }> {
  const first = startEngine();
  await first.engine.init('webgpu');
  const killedAt = await new Promise<number>((resolve, reject) => {
    const onEvent = (event: RunEvent) => {
      if (event.kind === 'progress' && event.step >= killAfterStep) {
        first.terminate();
        resolve(event.step);
      }
    };
    // After terminate() this promise never settles; a rejection before it is a real failure.
    first.engine.run(request, eventSink(onEvent)).then(() => reject(new Error('the run finished before it could be killed')), reject);
  });
  return { killedAt, second: await runInWorker(request) };
}

/**
 * A dataset loaded by a fresh engine worker, with the progress it reported; `callers` ask for it at
 * the same time (as the designer's description, a measured step and the inspector may), and every
 * caller's summary and progress come back.
 */
async function describeInWorker(
  config: DatasetConfigInput,
  callers = 1,
): Promise<{ summary: DatasetSummary; progress: FetchProgress[]; summaries: DatasetSummary[]; progressByCaller: FetchProgress[][] }> {
  const { engine, terminate } = startEngine();
  try {
    const progressByCaller = Array.from({ length: callers }, () => [] as FetchProgress[]);
    const summaries = await Promise.all(progressByCaller.map((progress) => engine.describeDataset(config, proxy((p: FetchProgress) => void progress.push(p)))));
    return { summary: summaries[0]!, progress: progressByCaller[0]!, summaries, progressByCaller };
  } finally {
    terminate();
  }
}

/** What an import in a fresh engine worker came to: the dataset, or the error's name and message; and its progress. */
export type ImportReport = ({ ok: true; value: ImportedDataset } | { ok: false; name: string; message: string }) & { progress: ImportProgress[]; ms: number };

/** A file made by a test in Node, carried into the page as base64 (page.evaluate carries no bytes). */
export interface TestFile {
  path: string;
  base64: string;
  type?: string;
}

function fromBase64(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/**
 * One engine worker for imports, listing and deleting, started on first use
 * and kept for the page's life (a worker's start, loading tfjs, is most of a
 * small import's time); describeInWorker still starts a fresh one each time.
 */
let importEngine: ReturnType<typeof startEngine> | undefined;
const importer = () => (importEngine ??= startEngine()).engine;

async function importInWorker(body: (engine: ReturnType<typeof startEngine>['engine'], onProgress: (p: ImportProgress) => void) => Promise<ImportedDataset>): Promise<ImportReport> {
  const progress: ImportProgress[] = [];
  const started = performance.now();
  try {
    const value = await body(importer(), proxy((p: ImportProgress) => void progress.push(p)));
    return { ok: true, value, progress, ms: performance.now() - started };
  } catch (e) {
    const error = e as Error;
    return { ok: false, name: error.name, message: error.message, progress, ms: performance.now() - started };
  }
}

/** A CIFAR archive imported by the engine worker: bytes made into a Blob here (a picked file), or a URL it fetches. */
function importArchiveInWorker(source: { base64: string; name: string } | { url: string }, options: { labels?: 'fine' | 'coarse' } = {}): Promise<ImportReport> {
  const given = 'url' in source ? source : { file: new Blob([fromBase64(source.base64)], { type: 'application/gzip' }), name: source.name };
  return importInWorker((engine, onProgress) => engine.importArchive(given, options, onProgress));
}

/** An image folder imported by the engine worker; a path ending in '/' is a folder entry (empty blob). */
function importFolderInWorker(files: TestFile[], options: ImageFolderOptions): Promise<ImportReport> {
  const given = files.map(({ path, base64, type }) => ({ path, file: new Blob([fromBase64(base64)], type ? { type } : {}) }));
  return importInWorker((engine, onProgress) => engine.importImageFolder(given, options, onProgress));
}

function listDatasetsInWorker(): Promise<CachedDataset[]> {
  return importer().listDatasets();
}

function deleteDatasetInWorker(id: string): Promise<void> {
  return importer().deleteDataset(id);
}

/** A dataset loaded on the page itself (the same load path as the worker's), as plain numbers: labels and each image's bytes. */
async function datasetPixels(config: DatasetConfigInput): Promise<{ name: string; shape: number[]; classNames: string[]; train: { labels: number[]; images: number[][] }; test: { labels: number[]; images: number[][] } }> {
  const dataset = await loadDataset(parseRunConfig({ model: { arch: 'resnet20' }, dataset: config, training: { epochs: 1, batchSize: 1, optimizer: { lr: 0.1 } } }).dataset);
  const bytes = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
  const split = (s: typeof dataset.train) => ({
    labels: Array.from(s.labels),
    images: Array.from({ length: s.count }, (_, i) => Array.from(s.images.subarray(i * bytes, (i + 1) * bytes))),
  });
  return { name: dataset.name, shape: [...dataset.shape], classNames: dataset.classNames, train: split(dataset.train), test: split(dataset.test) };
}

/** A batch through the engine's loader with the given augmentation (drawn from Rng.fromSeed(seed, 'augment')), and what went in. */
async function augmentedBatch(datasetConfig: RunConfigInput['dataset'], augmentation: RunConfigInput['augmentation'], seed: number) {
  await selectBackend('webgpu');
  const config = parseRunConfig({ model: { arch: 'resnet20' }, dataset: datasetConfig, augmentation, training: { epochs: 1, batchSize: 8, optimizer: { lr: 0.1 } } });
  const dataset = await loadDataset(config.dataset);
  const [h, w] = dataset.shape;
  const loader = new BatchLoader(dataset, 8);
  const indices = Array.from({ length: 8 }, (_, i) => i);
  const batch = loader.batch(dataset.train, indices, cropResampling(Rng.fromSeed(seed, 'augment'), config.augmentation, 8, h, w));
  const output = Array.from(await batch.x.data());
  tf.dispose([batch.x, batch.labels]);
  loader.dispose();
  return { shape: dataset.shape, input: Array.from(dataset.train.images.subarray(0, 8 * h * w * dataset.shape[2])), output, ...channelStatistics(dataset) };
}

/** The class inspector's crop previews (as the worker makes them), and the class's first training images they crop. */
async function previewCrops(datasetConfig: RunConfigInput['dataset'], augmentation: RunConfigInput['augmentation'], classIndex: number, count: number, seed: number) {
  await selectBackend('webgpu');
  const config = parseRunConfig({ model: { arch: 'resnet20' }, dataset: datasetConfig, augmentation, training: { epochs: 1, batchSize: 1, optimizer: { lr: 0.1 } } });
  const dataset = await loadDataset(config.dataset);
  const size = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
  const before = tf.memory().numTensors;
  const previews = await cropPreviews(dataset, classIndex, config.augmentation, count, seed);
  const inputs: number[][] = [];
  for (let i = 0; i < dataset.train.count && inputs.length < count; i++) {
    if (dataset.train.labels[i] === classIndex) inputs.push(Array.from(dataset.train.images.subarray(i * size, (i + 1) * size)));
  }
  return { shape: dataset.shape, previews: previews.map((p) => Array.from(p)), inputs, leaked: tf.memory().numTensors - before };
}

const harness = {
  runInWorker,
  runKilledThenResumed,
  describeInWorker,
  importArchiveInWorker,
  importFolderInWorker,
  listDatasetsInWorker,
  deleteDatasetInWorker,
  datasetPixels,
  augmentedBatch,
  previewCrops,
  selectBackend,
};

declare global {
  interface Window {
    harness?: typeof harness;
  }
}

window.harness = harness;
