/**
 * Runs in the export test page. export.test.ts calls these through
 * page.evaluate: runs train in the real engine worker (checkpoints on, so the
 * result and trained model go to IndexedDB), the worker exports them, and the
 * page loads the files with tf.loadLayersModel and compares the loaded model
 * with the engine's own forward pass over the same stored weights.
 */
import * as tf from '@tensorflow/tfjs';
import { startEngine, eventSink } from '../../workers/client';
import type { ExportedModel, ImportedDataset, RunRequest } from '../../workers/api';
import { deleteDataset, storeImport } from '../../src/data/import';
import { loadDataset } from '../../src/data/load';
import { generateSynthetic } from '../../src/data/synthetic';
import { selectBackend } from '../../src/engine/backend';
import { BatchLoader } from '../../src/engine/batches';
import { createResNet } from '../../src/engine/resnet';
import { buildArchitecture } from '../../src/model/architecture';
import { CheckpointStore } from '../../src/storage/checkpoints';
import { configHash, parseRunConfig, parseWith, syntheticDatasetSchema, type DatasetConfigInput, type RunConfigInput } from '../../src/study/config';
import { parseRunResult } from '../../src/study/results';
import { CHECKPOINT_SCHEMA, runKey, type SavedTensor } from '../../src/training/checkpoint';
import { Rng } from '../../src/util/rng';
import { attempt, type Outcome } from './outcome';

/** The exported files as plain data: page.evaluate carries no ArrayBuffers, so the weights go as base64. */
export interface ExportedFiles {
  modelJson: string;
  weightsFileName: string;
  weightsBase64: string;
  fileNames: string[];
}

function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function plainFiles(exported: ExportedModel): ExportedFiles {
  return {
    modelJson: exported.modelJson,
    weightsFileName: exported.weightsFileName,
    weightsBase64: toBase64(exported.weightsBin),
    fileNames: exported.files.map((f) => f.name),
  };
}

export interface TrainAndExport {
  result: unknown;
  files: ExportedFiles;
  /** Worker tensors before and after the export (after the run). */
  tensorsBeforeExport: number;
  tensorsAfterExport: number;
}

/** Trains a durable run in a fresh worker, then exports it from the same worker. */
async function trainAndExport(request: RunRequest): Promise<TrainAndExport> {
  const { engine, terminate } = startEngine();
  try {
    await engine.init('webgpu');
    const result = await engine.run(request, eventSink(() => undefined));
    const tensorsBeforeExport = (await engine.memory()).numTensors;
    const exported = await engine.exportModel({ config: request.config, seed: request.seed });
    return { result, files: plainFiles(exported), tensorsBeforeExport, tensorsAfterExport: (await engine.memory()).numTensors };
  } finally {
    terminate();
  }
}

/** An export from a fresh worker, as after a reload: the files, or the error it gave. */
async function exportInNewWorker(config: RunConfigInput, seed: number): Promise<Outcome<ExportedFiles>> {
  const { engine, terminate } = startEngine();
  try {
    await engine.init('webgpu');
    return await attempt(async () => plainFiles(await engine.exportModel({ config, seed })));
  } finally {
    terminate();
  }
}

async function keyOf(config: RunConfigInput, seed: number): Promise<string> {
  return runKey(await configHash(parseRunConfig(config)), seed);
}

/** A checkpoint at `step` for the run, as an interrupted run leaves (its tensors do not matter to the export's refusal). */
async function leaveCheckpoint(config: RunConfigInput, seed: number, step: number): Promise<void> {
  const store = await CheckpointStore.open();
  try {
    const hash = await configHash(parseRunConfig(config));
    await store.save({
      schema: CHECKPOINT_SCHEMA,
      runKey: runKey(hash, seed),
      configHash: hash,
      seed,
      step,
      epoch: 0,
      rng: { shuffle: [0], augment: [0] },
      tensors: [],
      history: [],
      evaluations: [],
      savedAt: new Date().toISOString(),
    });
  } finally {
    store.close();
  }
}

/** A result stored as a v2 database held it: the run's result under another seed's key, with no trained model. */
async function leaveResultWithoutModel(config: RunConfigInput, fromSeed: number, seed: number): Promise<void> {
  const store = await CheckpointStore.open();
  try {
    const result = await store.result(await keyOf(config, fromSeed));
    if (!result) throw new Error('no result to copy');
    await store.db.put('runResults', { runKey: await keyOf(config, seed), result: { ...result, seed }, savedAt: new Date().toISOString() });
  } finally {
    store.close();
  }
}

/**
 * A generated dataset stored in the cache as an import stores it, so a run
 * names it by its cache id and it can be deleted like any import. Generated
 * rather than a CIFAR archive: at 32 px every step would take seconds on
 * SwiftShader. Storing the same config again gives the same id.
 */
async function importGenerated(config: Extract<DatasetConfigInput, { kind: 'synthetic' }>): Promise<ImportedDataset['config']> {
  const dataset = generateSynthetic(parseWith(syntheticDatasetSchema, config, 'generated dataset'));
  return (await storeImport(dataset, {}, dataset.name)).config;
}

/**
 * The run's result and trained model copied to another seed's key as they
 * were stored before models kept their input (no `input`). Fails unless the
 * run's own model kept it.
 */
async function leaveModelWithoutInput(config: RunConfigInput, fromSeed: number, seed: number): Promise<void> {
  const store = await CheckpointStore.open();
  try {
    const from = await keyOf(config, fromSeed);
    const result = await store.result(from);
    const model = await store.trainedModel(from);
    if (!result || !model?.input) throw new Error(`run ${from} has no stored result, or no model with its input`);
    await store.complete(await keyOf(config, seed), { ...result, seed }, model.tensors);
  } finally {
    store.close();
  }
}

export interface Comparison {
  backend: string;
  testCount: number;
  classes: number;
  /** The loaded model's argmax against the run's stored predictions, and against the engine's on this page. */
  agreeWithRun: number;
  agreeWithEngine: number;
  maxAbsError: number;
  /** max |exported − engine| over max |engine|: the error relative to the logits' scale. */
  relativeError: number;
  maxLogit: number;
  /** The stored run's predictions, in test order. */
  runPredictions: number[];
  exportedPredictions: number[];
  enginePredictions: number[];
  layerClasses: string[];
  metadata: Record<string, unknown>;
  weightsPaths: string[];
  /** Page tensors leaked by the comparison. */
  leaked: number;
  /** Stored tensors holding a NaN or infinity (a diverged run makes the comparison meaningless). */
  nonFiniteTensors: string[];
  /** Milliseconds: loading the files, the loaded model's forward pass (first call: shader compilation), the engine's. */
  ms: { load: number; exported: number; engine: number };
}

/**
 * Loads the exported files with tf.loadLayersModel through browserFiles (as a
 * user picking the two files would), feeds it the test split's raw pixels,
 * and compares its logits with the engine's forward pass in eval mode over
 * the weights stored in IndexedDB, fed by the engine's own BatchLoader.
 */
async function compareExport(config: RunConfigInput, seed: number, files: ExportedFiles, backendName: 'webgpu' | 'cpu'): Promise<Comparison> {
  if (backendName === 'cpu') await tf.setBackend('cpu');
  else await selectBackend('webgpu');
  const before = tf.memory().numTensors;
  const parsed = parseRunConfig(config);
  const store = await CheckpointStore.open();
  let result;
  let trained: SavedTensor[];
  try {
    const key = await keyOf(config, seed);
    const stored = await store.result(key);
    const model = await store.trainedModel(key);
    if (!stored || !model) throw new Error(`run ${key} has no stored result or model`);
    result = await parseRunResult(stored);
    trained = model.tensors;
  } finally {
    store.close();
  }
  if (!result.predictions) throw new Error('the stored result has no predictions');
  const dataset = await loadDataset(parsed.dataset);
  const { test } = dataset;
  const [h, w, c] = dataset.shape;

  const json = new File([files.modelJson], 'model.json', { type: 'application/json' });
  const bin = new File([fromBase64(files.weightsBase64)], files.weightsFileName, { type: 'application/octet-stream' });
  const t0 = performance.now();
  const loaded = await tf.loadLayersModel(tf.io.browserFiles([json, bin]));
  const t1 = performance.now();

  const exportedLogits = tf.tidy(() => {
    const pixels = tf.tensor4d(Float32Array.from(test.images), [test.count, h, w, c]);
    return loaded.predict(pixels) as tf.Tensor2D;
  });

  await exportedLogits.data();
  const t2 = performance.now();
  const spec = buildArchitecture(parsed.model, dataset.shape, dataset.classNames.length);
  const net = createResNet(spec, Rng.fromSeed(0, 'init'));
  tf.tidy(() => {
    for (const t of trained) {
      const [kind, name] = [t.name.slice(0, t.name.indexOf(':')), t.name.slice(t.name.indexOf(':') + 1)];
      const target = kind === 'param' ? net.store.param(name) : net.store.buffer(name);
      target.assign(tf.tensor(t.data, t.shape));
    }
  });
  const loader = new BatchLoader(dataset, test.count);
  const engineLogits = tf.tidy(() => {
    const { x } = loader.batch(test, Array.from({ length: test.count }, (_, i) => i), null);
    return net.forward(x, { training: false, bnMomentum: parsed.training.bnMomentum });
  });
  const [exported, engine] = await Promise.all([exportedLogits.data(), engineLogits.data()]);
  const t3 = performance.now();
  tf.dispose([exportedLogits, engineLogits]);
  loader.dispose();
  net.dispose();
  loaded.dispose();

  const classes = dataset.classNames.length;
  const argmax = (logits: ArrayLike<number>) =>
    Array.from({ length: test.count }, (_, i) => {
      let best = 0;
      for (let k = 1; k < classes; k++) if (logits[i * classes + k]! > logits[i * classes + best]!) best = k;
      return best;
    });
  const exportedPredictions = argmax(exported);
  const enginePredictions = argmax(engine);
  let maxAbsError = 0;
  let maxLogit = 0;
  for (let i = 0; i < engine.length; i++) {
    maxAbsError = Math.max(maxAbsError, Math.abs(exported[i]! - engine[i]!));
    maxLogit = Math.max(maxLogit, Math.abs(engine[i]!));
  }
  const modelJson = JSON.parse(files.modelJson) as {
    modelTopology: { config: { layers: { class_name: string }[] } };
    weightsManifest: { paths: string[] }[];
    userDefinedMetadata: Record<string, unknown>;
  };
  const count = (p: number[], q: number[]) => p.filter((v, i) => v === q[i]).length;
  return {
    backend: tf.getBackend(),
    testCount: test.count,
    classes,
    agreeWithRun: count(exportedPredictions, result.predictions),
    agreeWithEngine: count(exportedPredictions, enginePredictions),
    maxAbsError,
    relativeError: maxAbsError / maxLogit,
    maxLogit,
    runPredictions: result.predictions,
    exportedPredictions,
    enginePredictions,
    layerClasses: [...new Set(modelJson.modelTopology.config.layers.map((l) => l.class_name))].sort(),
    metadata: modelJson.userDefinedMetadata,
    weightsPaths: modelJson.weightsManifest.flatMap((g) => g.paths),
    leaked: tf.memory().numTensors - before,
    nonFiniteTensors: trained.filter((t) => !t.data.every(Number.isFinite)).map((t) => t.name),
    ms: { load: t1 - t0, exported: t2 - t1, engine: t3 - t2 },
  };
}

const exportHarness = {
  trainAndExport,
  exportInNewWorker,
  leaveCheckpoint,
  leaveResultWithoutModel,
  importGenerated,
  deleteDataset,
  leaveModelWithoutInput,
  compareExport,
};

declare global {
  interface Window {
    exportHarness?: typeof exportHarness;
  }
}

window.exportHarness = exportHarness;
