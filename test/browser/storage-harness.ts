/**
 * Runs in the storage test page. storage.test.ts calls these through
 * page.evaluate; each returns plain data, and errors come back as
 * `{ ok: false, name, message }` so tests can check which error it was.
 */
import type { RunResult } from '../../src/study/results';
import { CHECKPOINT_SCHEMA, type Checkpoint, type SavedTensor } from '../../src/training/checkpoint';
import { sha256Hex } from '../../src/util/hash';
import { openDB } from 'idb';
import {
  CheckpointStore,
  DatasetCache,
  MIGRATIONS,
  openClasswiseDb,
  requestPersistence,
  storageStatus,
  type ClasswiseDb,
  type ClasswiseSchema,
  type FetchProgress,
  type ShardRef,
} from '../../src/storage';
import { StudyLibrary } from '../../src/storage/studies';
import { attempt, type Outcome } from './outcome';

let connection: ClasswiseDb | undefined;
async function db(): Promise<ClasswiseDb> {
  connection ??= await openClasswiseDb();
  return connection;
}

interface TestManifest {
  name: string;
  shards: ShardRef[];
}

export interface LoadReport {
  /** SHA-256 of each shard as returned. */
  shards: string[];
  sizes: number[];
  progress: FetchProgress[];
  /** Whether the manifest came from IndexedDB rather than the network. */
  manifestCached: boolean;
}

/** What a dataset loader does: the manifest from the cache or the network, then its shards through the cache. */
function loadDataset(manifestUrl: string): Promise<Outcome<LoadReport>> {
  return attempt(async () => {
    const cache = new DatasetCache(await db());
    const record = await cache.getManifest(manifestUrl);
    let manifest = record?.manifest as TestManifest | null | undefined;
    const manifestCached = !!manifest;
    if (!manifest) {
      const response = await fetch(manifestUrl);
      if (!response.ok) throw new Error(`manifest: HTTP ${response.status}`);
      manifest = (await response.json()) as TestManifest;
      await cache.putManifest(manifestUrl, manifest, false);
    }
    const progress: FetchProgress[] = [];
    const shards = await cache.fetchShards(manifestUrl, manifestUrl, manifest.shards, (p) => progress.push(p));
    return { shards: await Promise.all(shards.map((s) => sha256Hex(s))), sizes: shards.map((s) => s.byteLength), progress, manifestCached };
  });
}

async function getShard(sha256: string): Promise<Outcome<number | null>> {
  return attempt(async () => (await new DatasetCache(await db()).getShard(sha256))?.byteLength ?? null);
}

async function putShard(sha256: string, bytes: number[], datasetId: string): Promise<Outcome<void>> {
  return attempt(async () => new DatasetCache(await db()).putShard(sha256, Uint8Array.from(bytes), datasetId));
}

async function storedShards(): Promise<{ sha256: string; bytes: number; datasetIds: string[] }[]> {
  const records = await (await db()).getAll('shards');
  return records.map((r) => ({ sha256: r.sha256, bytes: r.bytes.byteLength, datasetIds: r.datasetIds }));
}

/** Flips a byte of a stored shard behind the cache's back, as disk corruption would. */
async function corruptStoredShard(sha256: string): Promise<void> {
  const database = await db();
  const record = await database.get('shards', sha256);
  if (!record) throw new Error(`no stored shard ${sha256}`);
  record.bytes[0] = record.bytes[0]! ^ 0xff;
  await database.put('shards', record);
}

async function listDatasets() {
  return new DatasetCache(await db()).list();
}

async function deleteDataset(id: string) {
  return new DatasetCache(await db()).delete(id);
}

export interface CheckpointSpec {
  runKey: string;
  step: number;
  /** Varies the values so that checkpoints differ. */
  fill: number;
  /** Floats per tensor. */
  size: number;
}

function makeCheckpoint({ runKey, step, fill, size }: CheckpointSpec): Checkpoint {
  const weight = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + fill));
  // The momentum buffer is a view into a larger buffer: only its own bytes may be stored.
  const backing = new Float32Array(size * 3);
  const momentum = backing.subarray(size, 2 * size);
  momentum.set(weight.map((w) => w * -0.5 + fill));
  return {
    schema: CHECKPOINT_SCHEMA,
    runKey,
    configHash: runKey.split(':')[0]!,
    seed: Number(runKey.split(':')[1] ?? 0),
    step,
    epoch: Math.floor(step / 10),
    rng: { shuffle: [1, 2, 3, fill], augment: [4, 5, 6, step] },
    tensors: [
      { name: 'param:conv1.weight', shape: [size / 4, 4], data: weight },
      { name: 'momentum:conv1.weight', shape: [size / 4, 4], data: momentum },
    ],
    history: [{ step, epoch: Math.floor(step / 10), loss: 1 / (step + 1), lr: 0.1, imagesPerSec: 100 }],
    evaluations: [],
    savedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, step)).toISOString(),
  } as Checkpoint;
}

function sameCheckpoint(a: Checkpoint, b: Checkpoint): boolean {
  const { tensors: ta, ...ra } = a;
  const { tensors: tb, ...rb } = b;
  if (JSON.stringify(ra) !== JSON.stringify(rb) || ta.length !== tb.length) return false;
  return ta.every((t, i) => {
    const u = tb[i]!;
    return t.name === u.name && JSON.stringify(t.shape) === JSON.stringify(u.shape) && t.data.length === u.data.length && t.data.every((v, j) => Object.is(v, u.data[j]));
  });
}

function saveCheckpoint(spec: CheckpointSpec, fault?: 'abort-before-commit' | 'uncloneable') {
  return attempt(async () => {
    const store = new CheckpointStore(await db(), fault === 'abort-before-commit' ? { beforeCommit: () => { throw new Error('test fault: abort before commit'); } } : {});
    const checkpoint = makeCheckpoint(spec);
    if (fault === 'uncloneable') (checkpoint.history as unknown[]).push({ step: 0, loss: () => 0 });
    return store.save(checkpoint);
  });
}

/** The stored checkpoint's summary and whether it equals, bit for bit, the one `expected` describes. */
async function loadCheckpoint(runKey: string, expected?: CheckpointSpec) {
  const checkpoint = await new CheckpointStore(await db()).load(runKey);
  if (!checkpoint) return null;
  return {
    step: checkpoint.step,
    epoch: checkpoint.epoch,
    tensors: checkpoint.tensors.map((t) => ({ name: t.name, shape: t.shape, float32: t.data instanceof Float32Array, length: t.data.length, bufferBytes: t.data.buffer.byteLength })),
    identical: expected ? sameCheckpoint(checkpoint, makeCheckpoint(expected)) : null,
  };
}

async function deleteCheckpoint(runKey: string) {
  return new CheckpointStore(await db()).delete(runKey);
}

async function listCheckpoints() {
  return new CheckpointStore(await db()).list();
}

/**
 * A run's trained model as the engine hands it over: the spec's parameter and
 * a BatchNorm buffer (a view into a larger buffer: only its own bytes may be
 * stored).
 */
function makeWeights({ fill, size }: CheckpointSpec): SavedTensor[] {
  const backing = new Float32Array(size * 2);
  const buffer = backing.subarray(size);
  buffer.set(Float32Array.from({ length: size }, (_, i) => Math.cos(i * 0.11 + fill)));
  return [
    { name: 'param:conv1.weight', shape: [size / 4, 4], data: Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + fill)) },
    { name: 'buffer:bn1.running_var', shape: [size / 4, 4], data: buffer },
  ];
}

/** Stands in for a run's result: the store keeps it as given, and this marks whose it is. */
function makeResult({ runKey, step }: CheckpointSpec): RunResult {
  return { configHash: runKey.split(':')[0]!, seed: Number(runKey.split(':')[1] ?? 0), steps: step } as unknown as RunResult;
}

/** Ends the spec's run with its result and trained model (the spec's fill and size). */
function completeRun(spec: CheckpointSpec): Promise<Outcome<void>> {
  return attempt(async () => new CheckpointStore(await db()).complete(spec.runKey, makeResult(spec), makeWeights(spec)));
}

/**
 * The past studies' store through the workbench's own StudyLibrary: two studies sharing a finished run, listed
 * newest first, their runs read back by key, then deleted one after the other.
 */
async function pastStudies() {
  const store = new CheckpointStore(await db());
  for (const runKey of ['a:0', 'b:0', 'c:0']) await store.complete(runKey, makeResult({ runKey, step: 5, fill: 1, size: 16 }), []);
  const library = new StudyLibrary();
  const record = (id: string, runKeys: string[], updatedAt: string) =>
    library.put({ id, name: id, spec: {}, source: { kind: 'designed' }, runKeys, finished: runKeys.length, dataset: 'd', headline: null, createdAt: updatedAt, updatedAt });
  await record('older', ['a:0', 'b:0'], '2026-01-01T00:00:00.000Z');
  await record('newer', ['b:0', 'c:0'], '2026-01-02T00:00:00.000Z');
  const stored = async () => (await library.results(['a:0', 'b:0', 'c:0'])).map((r) => r !== null);
  const listed = (await library.list()).map((r) => r.id);
  const before = await stored();
  await library.delete('older');
  const afterOlder = { listed: (await library.list()).map((r) => r.id), stored: await stored(), model: (await store.trainedModel('a:0')) !== undefined };
  await library.delete('newer');
  return { listed, before, afterOlder, afterBoth: { listed: (await library.list()).map((r) => r.id), stored: await stored() } };
}

/** What the store holds for a run: checkpoint, result, trained model (and whether it equals the spec's, bit for bit). */
async function runRecords(runKey: string, expected?: CheckpointSpec) {
  const store = new CheckpointStore(await db());
  const result = await store.result(runKey);
  const model = await store.trainedModel(runKey);
  const want = expected ? makeWeights(expected) : null;
  return {
    checkpoint: (await store.load(runKey)) !== undefined,
    listed: (await store.list()).some((x) => x.runKey === runKey),
    result: result ? { steps: (result as unknown as { steps: number }).steps } : null,
    model: model
      ? {
          tensors: model.tensors.map((t) => ({ name: t.name, shape: t.shape, float32: t.data instanceof Float32Array, bufferBytes: t.data.buffer.byteLength })),
          identical: want
            ? want.length === model.tensors.length &&
              want.every((w, i) => {
                const t = model.tensors[i]!;
                return t.name === w.name && t.shape.join() === w.shape.join() && t.data.length === w.data.length && t.data.every((v, j) => Object.is(v, w.data[j]));
              })
            : null,
        }
      : null,
  };
}

async function deleteResult(runKey: string) {
  return new CheckpointStore(await db()).deleteResult(runKey);
}

/**
 * Loads one shard from `url` as a dataset of its own and returns the byte progress; then deletes the dataset.
 * `ackUrl`, if given, is told of every progress report (`?loaded=<bytes>`), so a test server can pace its parts on them.
 */
function streamedDownload(url: string, sha256: string, bytes: number, ackUrl?: string): Promise<Outcome<{ progress: FetchProgress[]; bytes: number }>> {
  return attempt(async () => {
    const cache = new DatasetCache(await db());
    const progress: FetchProgress[] = [];
    const report = (p: FetchProgress) => {
      progress.push(p);
      if (ackUrl) void fetch(`${ackUrl}?loaded=${p.loadedBytes}`).catch(() => undefined);
    };
    try {
      const [shard] = await cache.fetchShards('stream-test', url, [{ url, bytes, sha256, count: 1 }], report);
      return { progress, bytes: shard!.byteLength };
    } finally {
      await cache.delete('stream-test');
    }
  });
}

/** openClasswiseDb in a context without IndexedDB (restored afterwards). */
async function openWithoutIndexedDb(): Promise<Outcome<void>> {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
  Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true });
  try {
    return await attempt(async () => {
      (await openClasswiseDb('classwise-unavailable')).close();
    });
  } finally {
    if (descriptor) Object.defineProperty(globalThis, 'indexedDB', descriptor);
    else delete (globalThis as { indexedDB?: unknown }).indexedDB;
  }
}

/**
 * A database as version 2 left it (a checkpoint and a finished run's result,
 * no trained models), then opened by the current code: v3 adds the model
 * store, keeps both, and has no model for the old result.
 */
async function upgradeFromVersion2(): Promise<{ version: number; stores: string[]; checkpointStep: number | undefined; resultSteps: number | null; model: boolean }> {
  const name = 'classwise-upgrade-test-v2';
  const v2 = await openDB<ClasswiseSchema>(name, 2, {
    upgrade: (database, _old, _new, tx) => {
      MIGRATIONS[0]!(database, tx);
      MIGRATIONS[1]!(database, tx);
    },
  });
  await v2.put('checkpoints', makeCheckpoint({ runKey: 'running:0', step: 9, fill: 1, size: 8 }));
  await v2.put('runResults', { runKey: 'done:0', result: makeResult({ runKey: 'done:0', step: 12, fill: 0, size: 0 }), savedAt: new Date().toISOString() });
  v2.close();
  const current = await openClasswiseDb(name);
  try {
    const store = new CheckpointStore(current);
    const result = await store.result('done:0');
    return {
      version: current.version,
      stores: [...current.objectStoreNames],
      checkpointStep: (await store.load('running:0'))?.step,
      resultSteps: result ? (result as unknown as { steps: number }).steps : null,
      model: (await store.trainedModel('done:0')) !== undefined,
    };
  } finally {
    current.close();
  }
}

/**
 * A database as version 1 left it (the first migration only, one checkpoint),
 * then opened by the current code: the later migrations must run and keep it.
 */
async function upgradeFromVersion1(): Promise<{ version: number; stores: string[]; checkpointStep: number | undefined }> {
  const name = 'classwise-upgrade-test';
  const v1 = await openDB<ClasswiseSchema>(name, 1, { upgrade: (database, _old, _new, tx) => MIGRATIONS[0]!(database, tx) });
  await v1.put('checkpoints', makeCheckpoint({ runKey: 'old:0', step: 7, fill: 1, size: 8 }));
  v1.close();
  const current = await openClasswiseDb(name);
  try {
    return { version: current.version, stores: [...current.objectStoreNames], checkpointStep: (await current.get('checkpoints', 'old:0'))?.step };
  } finally {
    current.close();
  }
}

const storageHarness = {
  upgradeFromVersion1,
  upgradeFromVersion2,
  completeRun,
  runRecords,
  pastStudies,
  deleteResult,
  loadDataset,
  getShard,
  putShard,
  storedShards,
  corruptStoredShard,
  listDatasets,
  deleteDataset,
  saveCheckpoint,
  loadCheckpoint,
  deleteCheckpoint,
  listCheckpoints,
  storageStatus,
  requestPersistence,
  openWithoutIndexedDb,
  streamedDownload,
};

declare global {
  interface Window {
    storageHarness?: typeof storageHarness;
  }
}

window.storageHarness = storageHarness;
