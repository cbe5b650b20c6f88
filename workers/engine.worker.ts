/// <reference lib="webworker" />
/**
 * The engine worker: owns TensorFlow.js and the GPU. The page talks to it
 * only through EngineApi (comlink), so the UI stays responsive while a step
 * runs.
 */
import * as tf from '@tensorflow/tfjs';
import { expose, transfer } from 'comlink';
import { selectBackend, type BackendReport } from '../src/engine/backend';
import { train, type CheckpointPolicy } from '../src/engine/train';
import { exportTrainedModel, ModelNotExportable } from '../src/engine/export';
import { buildArchitecture } from '../src/model/architecture';
import { CheckpointStore, type ModelInput } from '../src/storage/checkpoints';
import { runKey, type SavedTensor } from '../src/training/checkpoint';
import { forgetLoadedDataset, loadDataset } from '../src/data/load';
import { deleteDataset, importArchive, importImageFolder, listDatasets } from '../src/data/import';
import { channelStatistics, datasetIdentity, type Dataset } from '../src/data/dataset';
import { augmentationSchema, checkAgainstDataset, configHash, datasetSchema, parseRunConfig, parseWith, type RunConfig } from '../src/study/config';
import { newlyWrong } from '../src/data/inspection';
import { cropPreviews, measureSteps } from '../src/engine/probe';
import { imageProblem, predictImage } from '../src/engine/predict';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { parseRunResult } from '../src/study/results';
import { RunControl } from '../src/training/control';
import type { EngineApi, PredictOutcome, RunEvent, RunRequest, RunResult } from './api';

let backend: BackendReport | null = null;
let control: RunControl | null = null;

let checkpointStore: Promise<CheckpointStore> | null = null;

/** Steps a measurement times after its warm-up step. */
const MEASURED_STEPS = 3;
/** The measurement under way, and whether it was asked to stop. */
let measurement: { cancelled: boolean } | null = null;

/**
 * A durable run: saved to its IndexedDB slot as it goes, resumed from what is
 * there, and ended by storing its result in place of the checkpoint.
 */
async function durableRun(hash: string, seed: number, everySteps: number) {
  const store = await (checkpointStore ??= CheckpointStore.open());
  const key = runKey(hash, seed);
  const policy: CheckpointPolicy = {
    configHash: hash,
    everySteps,
    resumeFrom: await store.load(key),
    save: async (checkpoint) => void (await store.save(checkpoint)),
  };
  return {
    policy,
    finished: () => store.result(key),
    complete: (result: RunResult, weights: SavedTensor[], input: ModelInput) => store.complete(key, result, weights, input),
  };
}

/** What exporting a model needs of its dataset. The BatchLoader normalised training with these same statistics. */
function modelInput(dataset: Dataset): ModelInput {
  return { shape: dataset.shape, normalization: channelStatistics(dataset) };
}

/**
 * For a model stored before its record kept its input: the run's dataset is
 * loaded (from the cache) and must still be the one the run trained on.
 */
async function inputFromDataset(config: RunConfig, key: string, result: RunResult): Promise<ModelInput> {
  const dataset = await loadDataset(config.dataset);
  const identity = await datasetIdentity(dataset);
  if (identity.contentHash !== result.dataset.contentHash) {
    throw new ModelNotExportable(`the dataset "${identity.name}" has changed since run ${key} trained on it (content hash ${identity.contentHash.slice(0, 12)}…, the run's ${result.dataset.contentHash.slice(0, 12)}…), so the model's input normalisation cannot be recovered.`);
  }
  return modelInput(dataset);
}

export const engine: EngineApi = {
  async init(requested, kernels) {
    backend = await selectBackend(requested, kernels);
    return backend;
  },

  importArchive,
  importImageFolder,
  listDatasets,

  async deleteDataset(id) {
    await deleteDataset(id);
    forgetLoadedDataset();
  },

  async describeDataset(config, onProgress) {
    const dataset = await loadDataset(parseWith(datasetSchema, config, 'dataset config'), onProgress);
    return { ...(await datasetIdentity(dataset)), shape: dataset.shape, trainCount: dataset.train.count };
  },

  async run(request: RunRequest, onEvent: (event: RunEvent) => void) {
    if (control) throw new Error('a run is already in progress in this worker');
    const config = parseRunConfig(request.config);
    backend ??= await selectBackend();
    const runControl = (control = new RunControl());
    try {
      const startedAt = new Date();
      const dataset = await loadDataset(config.dataset, (progress) => onEvent({ kind: 'dataset-progress', ...progress }));
      checkAgainstDataset(config, { classNames: dataset.classNames, trainCount: dataset.train.count });
      onEvent({ kind: 'dataset', trainCount: dataset.train.count, ...(await datasetIdentity(dataset)) });
      const hash = await configHash(config);
      const durable = request.checkpointEverySteps ? await durableRun(hash, request.seed, request.checkpointEverySteps) : undefined;
      const finished = await durable?.finished();
      if (finished) {
        onEvent({ kind: 'restored', step: finished.steps });
        return await parseRunResult(finished);
      }
      const { weights, kernels, ...outcome } = await train(config, request.seed, dataset, runControl, onEvent, durable?.policy);
      const result = await parseRunResult({
        config,
        configHash: hash,
        seed: request.seed,
        environment: {
          backend: backend.backend,
          adapter: backend.adapter,
          fallbacks: backend.fallbacks,
          browser: backend.userAgent,
          tfjsVersion: backend.tfjsVersion,
          ...(kernels ? { kernels } : {}),
        },
        dataset: await datasetIdentity(dataset),
        ...outcome,
        labels: Array.from(dataset.test.labels),
        startedAt: startedAt.toISOString(),
        wallTimeSec: (Date.now() - startedAt.getTime()) / 1000,
      });
      await durable?.complete(result, weights, modelInput(dataset));
      return result;
    } finally {
      control = null;
    }
  },

  async measureStep({ config: input, seed = 0 }, onProgress) {
    if (control) throw new Error('a run is in progress: measure when it has finished');
    if (measurement) throw new Error('a measurement is already in progress');
    const current = (measurement = { cancelled: false });
    const stopIfCancelled = () => {
      if (!current.cancelled) return;
      const error = new Error('the measurement was cancelled');
      error.name = 'MeasureCancelled';
      throw error;
    };
    try {
      const config = parseRunConfig(input);
      backend ??= await selectBackend();
      onProgress?.({ stage: 'dataset', fetch: null });
      const dataset = await loadDataset(config.dataset, (fetch) => onProgress?.({ stage: 'dataset', fetch }));
      stopIfCancelled();
      checkAgainstDataset(config, { classNames: dataset.classNames, trainCount: dataset.train.count });
      onProgress?.({ stage: 'steps', done: 0, total: MEASURED_STEPS + 1 });
      // Thrown from the step callback, a cancel ends the loop after the step in flight (and frees the model).
      const timing = await measureSteps(config, dataset, seed, MEASURED_STEPS, (done, total) => {
        stopIfCancelled();
        onProgress?.({ stage: 'steps', done, total });
      });
      return { warmupMs: timing.warmupMs, msPerStep: timing.msPerStep, batchSize: timing.batchSize, backend: backend.backend };
    } finally {
      measurement = null;
    }
  },

  cancelMeasure() {
    if (measurement) measurement.cancelled = true;
  },


  async predict({ runs, image }) {
    const problem = imageProblem(image);
    if (problem) throw new Error(problem);
    backend ??= await selectBackend();
    const store = await (checkpointStore ??= CheckpointStore.open());
    let seen: PredictOutcome['seen'] = null;
    const outcomes: PredictOutcome['runs'] = [];
    // One model at a time: two large ones need not be on the GPU together.
    for (const run of runs) {
      const config = parseRunConfig(run.config);
      const key = runKey(await configHash(config), run.seed);
      const result = await store.result(key);
      const trained = result && (await store.trainedModel(key));
      if (!result || !trained) {
        outcomes.push({ ok: false, reason: result ? 'it finished before Classwise kept trained models' : 'its trained model is not stored in this browser (it was not trained here, or its study was deleted)' });
        continue;
      }
      try {
        const { shape, normalization } = trained.input ?? (await inputFromDataset(config, key, result));
        const spec = buildArchitecture(config.model, shape, result.dataset.classNames.length);
        const prediction = await predictImage(spec, trained.tensors, normalization, image);
        seen ??= prediction.seen;
        outcomes.push({ ok: true, classNames: result.dataset.classNames, probabilities: prediction.probabilities });
      } catch (error) {
        outcomes.push({ ok: false, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return { seen, runs: outcomes };
  },

  async inspectClass(request) {
    const dataset = await loadDataset(parseWith(datasetSchema, request.dataset, 'dataset config'));
    const augmentation = parseWith(augmentationSchema, request.augmentation, 'augmentation');
    const [height, width, channels] = dataset.shape;
    const { test } = dataset;
    const size = height * width * channels;
    const image = (pixels: Uint8Array) => ({ width, height, channels: channels as 1 | 3, pixels });
    const wrong = newlyWrong(test.labels, request.classIndex, request.treatment, request.baseline, request.limit).map((w) => ({
      ...image(test.images.slice(w.index * size, (w.index + 1) * size)),
      index: w.index,
      predicted: w.predicted,
    }));
    const crops = await cropPreviews(dataset, request.classIndex, augmentation, request.limit, 0);
    return { wrong, crops: crops.map(image) };
  },

  watchDevice(onLost) {
    if (tf.getBackend() !== 'webgpu') return;
    void (tf.backend() as WebGPUBackend).device.lost.then((info) => onLost(info.message || `the device was ${info.reason ?? 'lost'}`));
  },

  pause: () => control?.pause(),
  resume: () => control?.resume(),
  cancel: () => control?.cancel(),
  async exportModel(request) {
    const config = parseRunConfig(request.config);
    const hash = await configHash(config);
    const key = runKey(hash, request.seed);
    const store = await (checkpointStore ??= CheckpointStore.open());
    const result = await store.result(key);
    if (!result) {
      const checkpoint = await store.load(key);
      throw new ModelNotExportable(
        checkpoint
          ? `run ${key} has not finished: its checkpoint is at step ${checkpoint.step}. Run it to the end, then export its model.`
          : `run ${key} has not finished in this browser: there is no stored result for this config and seed. Only runs with checkpoints on keep their model; run it to the end, then export.`,
      );
    }
    const trained = await store.trainedModel(key);
    if (!trained) {
      throw new ModelNotExportable(`run ${key} finished before Classwise kept trained models, so its weights were not stored and cannot be exported. Runs finished from now on can be.`);
    }
    backend ??= await selectBackend();
    const { shape, normalization } = trained.input ?? (await inputFromDataset(config, key, result));
    const spec = buildArchitecture(config.model, shape, result.dataset.classNames.length);
    const exported = await exportTrainedModel(spec, trained.tensors, {
      classNames: result.dataset.classNames,
      configHash: hash,
      seed: request.seed,
      dataset: result.dataset.name,
      normalization,
    });
    // The weights move to the page rather than being copied.
    return transfer(exported, [exported.weightsBin]);
  },

  memory: () => {
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  },
};

// In a worker, the page's; in Node (src/runtime/node-engine.ts) the same object is called in-process.
if (typeof WorkerGlobalScope !== 'undefined') expose(engine);
