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
import { cropBoxes } from '../../src/augment/crop';
import { channelStatistics } from '../../src/data/dataset';
import { loadDataset } from '../../src/data/load';
import { selectBackend, type BackendName } from '../../src/engine/backend';
import { BatchLoader } from '../../src/engine/batches';
import { addBatchNorm, batchNorm, conv2d, crossEntropy, dense, ParameterStore } from '../../src/engine/layers';
import { Sgd, trainStep } from '../../src/engine/optimizer';
import { createResNet } from '../../src/engine/resnet';
import { buildArchitecture } from '../../src/model/architecture';
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

interface TorchCase {
  name: string;
  hyper: { lr: number; momentum: number; nesterov: boolean; weightDecay: number; decayNormAndBias: boolean; bnMomentumTorch: number; steps: number };
  batches: { xNHWC: number[][][][]; labels: number[] }[];
  init: Record<string, unknown>;
}

const FIXTURE_NAMES: Record<string, string> = {
  'conv.kernel': 'conv.weight',
  'bn.gamma': 'bn.weight',
  'bn.beta': 'bn.bias',
  'bn.movingMean': 'bn.running_mean',
  'bn.movingVarianceUnbiased': 'bn.running_var',
  'dense.kernel': 'fc.weight',
  'dense.bias': 'fc.bias',
};

/**
 * The PyTorch reference network (conv3x3 → BN → ReLU → global mean → linear)
 * built from the engine's own layers, trained by its own SGD.
 */
async function torchReference(kase: TorchCase): Promise<{ losses: number[]; final: Record<string, number[]>; evalLogits: number[]; leaked: number }> {
  await selectBackend('webgpu');
  const before = tf.memory().numTensors;
  const tensor = (key: string) => tf.tensor(kase.init[key] as number[]);
  const store = new ParameterStore();
  const conv = { name: 'conv', inChannels: 1, outChannels: 4, kernel: 3, stride: 1, padding: 1 };
  const bn = { name: 'bn', channels: 4 };
  store.addParam('conv.weight', 'conv-kernel', tensor('conv.kernel'));
  addBatchNorm(store, bn);
  tf.tidy(() => {
    store.param('bn.weight').assign(tensor('bn.gamma'));
    store.param('bn.bias').assign(tensor('bn.beta'));
    store.buffer('bn.running_mean').assign(tensor('bn.movingMean'));
    store.buffer('bn.running_var').assign(tensor('bn.movingVarianceUnbiased'));
  });
  store.addParam('fc.weight', 'fc-kernel', tensor('dense.kernel'));
  store.addParam('fc.bias', 'fc-bias', tensor('dense.bias'));
  const forward = (x: tf.Tensor4D, training: boolean) =>
    tf.tidy(() => {
      const h = tf.relu(batchNorm(store, bn, conv2d(store, conv, x), { training, bnMomentum: kase.hyper.bnMomentumTorch }));
      return dense(store, 'fc', tf.mean(h, [1, 2]) as tf.Tensor2D);
    });
  const { lr, momentum, nesterov, weightDecay, decayNormAndBias } = kase.hyper;
  const sgd = new Sgd(store, { lr, momentum, nesterov, weightDecay, decayNormAndBias });
  const batches = kase.batches.map((b) => ({ x: tf.tensor4d(b.xNHWC), labels: tf.tensor1d(b.labels, 'int32') }));
  const losses: number[] = [];
  for (let step = 0; step < kase.hyper.steps; step++) {
    const batch = batches[step % batches.length]!;
    const loss = trainStep(store, sgd, () => crossEntropy(forward(batch.x, true), batch.labels), lr);
    losses.push((await loss.data())[0]!);
    loss.dispose();
  }
  const final: Record<string, number[]> = {};
  for (const [fixtureName, name] of Object.entries(FIXTURE_NAMES)) {
    const v = store.params.get(name) ?? store.buffer(name);
    final[fixtureName] = Array.from(await v.data());
  }
  const logits = forward(batches[0]!.x, false);
  const evalLogits = Array.from(await logits.data());
  tf.dispose([logits, ...batches.flatMap((b) => [b.x, b.labels])]);
  sgd.dispose();
  store.dispose();
  return { losses, final, evalLogits, leaked: tf.memory().numTensors - before };
}

/** One training step of a full-depth ResNet on the page's WebGPU device. */
async function resnetStep(configInput: RunConfigInput, batchSize: number): Promise<{
  backend: string; params: number; layers: number; lossBefore: number; lossAfter: number; changed: number; leaked: number; ms: number;
}> {
  const backend = await selectBackend('webgpu');
  const config = parseRunConfig(configInput);
  if (config.dataset.kind !== 'synthetic') throw new Error('resnetStep takes a synthetic dataset config for its shapes');
  const before = tf.memory().numTensors;
  const { size, channels, classes } = config.dataset;
  const spec = buildArchitecture(config.model, [size, size, channels], classes);
  const net = createResNet(spec, Rng.fromSeed(0, 'init'));
  const sgd = new Sgd(net.store, config.training.optimizer);
  const x = tf.randomNormal([batchSize, size, size, channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: batchSize }, (_, i) => i % classes), 'int32');
  const mode = { training: true, bnMomentum: 0.1 };
  const loss = () => crossEntropy(net.forward(x, mode), labels);
  const firstWeight = net.store.param('conv1.weight');
  const w0 = await firstWeight.data();
  const t0 = performance.now();
  const l0 = trainStep(net.store, sgd, loss, config.training.optimizer.lr);
  const lossBefore = (await l0.data())[0]!;
  const ms = performance.now() - t0;
  const w1 = await firstWeight.data();
  const l1 = tf.tidy(loss);
  const lossAfter = (await l1.data())[0]!;
  let changed = 0;
  for (let i = 0; i < w0.length; i++) if (w0[i] !== w1[i]) changed++;
  tf.dispose([l0, l1, x, labels]);
  sgd.dispose();
  const params = [...net.store.params.values()].reduce((n, p) => n + p.size, 0);
  net.dispose();
  return { backend: backend.backend, params, layers: spec.blocks.length, lossBefore, lossAfter, changed, leaked: tf.memory().numTensors - before, ms };
}

/** A batch through the engine's loader with the given augmentation, and what went in. */
async function augmentedBatch(datasetConfig: RunConfigInput['dataset'], augmentation: RunConfigInput['augmentation'], seed: number) {
  await selectBackend('webgpu');
  const config = parseRunConfig({ model: { arch: 'resnet20' }, dataset: datasetConfig, augmentation, training: { epochs: 1, batchSize: 8, optimizer: { lr: 0.1 } } });
  const dataset = await loadDataset(config.dataset);
  const [h, w] = dataset.shape;
  const loader = new BatchLoader(dataset, 8);
  const indices = Array.from({ length: 8 }, (_, i) => i);
  const boxes = cropBoxes(Rng.fromSeed(seed, 'augment'), config.augmentation, 8, h, w);
  const batch = loader.batch(dataset.train, indices, boxes);
  const output = Array.from(await batch.x.data());
  tf.dispose([batch.x, batch.labels]);
  loader.dispose();
  return { boxes: Array.from(boxes), shape: dataset.shape, input: Array.from(dataset.train.images.subarray(0, 8 * h * w * dataset.shape[2])), output, ...channelStatistics(dataset) };
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
  torchReference,
  resnetStep,
  augmentedBatch,
  selectBackend,
};

declare global {
  interface Window {
    harness?: typeof harness;
  }
}

window.harness = harness;
