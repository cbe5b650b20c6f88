/**
 * Datasets cached in IndexedDB: each dataset's manifest, and its shards
 * stored once by SHA-256 however many datasets list them. Every shard is
 * verified before it is written and again when it is read; a download
 * stores shard by shard, so an interrupted one resumes where it stopped, and
 * a dataset is marked complete only once all its shards are in.
 *
 * Runs in a page or a Web Worker: IndexedDB, fetch and WebCrypto only.
 */
import { readAll } from '../util/bytes';
import { sha256Hex } from '../util/hash';
import { openClasswiseDb, writeTransaction, type ClasswiseDb, type ManifestRecord, type ShardRecord } from './db';
import { CorruptShardError, describeError, isQuotaExceeded, ShardDownloadError, StorageFullError } from './errors';
import { storageStatus } from './status';

/** A shard as a manifest lists it. `url` is relative to the manifest's URL. */
export interface ShardRef {
  url: string;
  bytes: number;
  sha256: string;
  /** Examples in the shard (the dataset format's business; carried, not used here). */
  count: number;
}

export interface DatasetSummary {
  id: string;
  /** The manifest's `name`, where it has a string one. */
  name: string | undefined;
  bytes: number;
  complete: boolean;
  addedAt: string;
}

export interface FetchProgress {
  /** Bytes of the dataset available so far, cached or downloaded (partial shards count). */
  loadedBytes: number;
  /** Sum of the manifest's shard sizes. */
  totalBytes: number;
  /** Index of the shard this report is about. */
  shard: number;
  shards: number;
  /** True when this shard came from the cache rather than the network. */
  fromCache: boolean;
}

export interface FetchOptions {
  signal?: AbortSignal;
}

function normalizeSha(sha256: string): string {
  return sha256.trim().toLowerCase();
}

/** The bytes as an array that owns exactly its buffer, so that IndexedDB stores no more than them. */
function compact(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
}

function baseUrl(): string | undefined {
  return (globalThis as { location?: { href: string } }).location?.href;
}

function nameOf(manifest: unknown): string | undefined {
  const name = (manifest as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

async function download(url: string, signal: AbortSignal | undefined, onBytes: (received: number) => void): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : {});
  } catch (error) {
    throw new ShardDownloadError(url, describeError(error), { cause: error });
  }
  if (!response.ok) throw new ShardDownloadError(url, `the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  try {
    if (!response.body) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      onBytes(bytes.byteLength);
      return bytes;
    }
    return await readAll(response.body, onBytes);
  } catch (error) {
    throw new ShardDownloadError(url, `the download broke off (${describeError(error)})`, { cause: error });
  }
}

export class DatasetCache {
  constructor(readonly db: ClasswiseDb) {}

  static async open(name?: string): Promise<DatasetCache> {
    return new DatasetCache(await openClasswiseDb(name));
  }

  close(): void {
    this.db.close();
  }

  /**
   * Verifies that `bytes` hash to `sha256` and stores them as that shard, used
   * by `datasetId` (one transaction). A mismatch throws CorruptShardError and
   * writes nothing; a full quota throws StorageFullError and writes nothing.
   * `source` (a URL) names the shard in error messages.
   */
  async putShard(sha256: string, bytes: Uint8Array, datasetId: string, source?: string): Promise<void> {
    const sha = normalizeSha(sha256);
    const actual = await sha256Hex(bytes);
    if (actual !== sha) throw new CorruptShardError(sha, actual, source ?? `given for dataset ${datasetId}`, `${bytes.byteLength} bytes`);
    await this.storeShard(sha, compact(bytes), datasetId, source);
  }

  /**
   * The shard's bytes, verified; undefined when it is not stored. A stored
   * copy that no longer matches its hash is deleted (and every dataset using
   * it marked incomplete, so the next load downloads it again) and
   * CorruptShardError is thrown.
   */
  async getShard(sha256: string): Promise<Uint8Array | undefined> {
    return (await this.readShard(normalizeSha(sha256)))?.bytes;
  }

  /** Stores (or replaces) a dataset's manifest; `addedAt` and, unless given, `bytes` of an existing record are kept. */
  async putManifest(id: string, manifest: unknown, complete: boolean, bytes?: number): Promise<void> {
    let size = 0;
    try {
      size = new TextEncoder().encode(JSON.stringify(manifest) ?? '').byteLength;
    } catch {
      // Not JSON-able: the size only feeds an error message.
    }
    await this.guardQuota(`the manifest of ${id}`, size, () =>
      writeTransaction(this.db, ['manifests'], async (tx) => {
        const store = tx.objectStore('manifests');
        const existing = await store.get(id);
        await store.put({ id, manifest, complete, addedAt: existing?.addedAt ?? new Date().toISOString(), bytes: bytes ?? existing?.bytes ?? 0 });
      }),
    );
  }

  async getManifest(id: string): Promise<ManifestRecord | undefined> {
    return this.db.get('manifests', id);
  }

  /** Every cached dataset, oldest first. */
  async list(): Promise<DatasetSummary[]> {
    const records = await this.db.getAll('manifests');
    return records
      .map(({ id, manifest, bytes, complete, addedAt }) => ({ id, name: nameOf(manifest), bytes, complete, addedAt }))
      .sort((a, b) => (a.addedAt < b.addedAt ? -1 : a.addedAt > b.addedAt ? 1 : 0));
  }

  /**
   * Removes the dataset's manifest and every shard no other dataset uses, in
   * one transaction; shards shared with other datasets stay, without this one.
   */
  async delete(id: string): Promise<{ shardsRemoved: number; bytesFreed: number }> {
    return writeTransaction(this.db, ['manifests', 'shards'], async (tx) => {
      await tx.objectStore('manifests').delete(id);
      const shards = tx.objectStore('shards');
      const keys = await shards.index('byDataset').getAllKeys(id);
      let shardsRemoved = 0;
      let bytesFreed = 0;
      for (const key of keys) {
        const record = await shards.get(key);
        if (!record) continue;
        const datasetIds = record.datasetIds.filter((d) => d !== id);
        if (datasetIds.length === 0) {
          await shards.delete(key);
          shardsRemoved++;
          bytesFreed += record.bytes.byteLength;
        } else {
          await shards.put({ ...record, datasetIds });
        }
      }
      return { shardsRemoved, bytesFreed };
    });
  }

  /**
   * The bytes of every shard of dataset `id`, in order. Shards already cached
   * (by this or any dataset) are read from IndexedDB, verified, and not
   * downloaded again; the others are fetched (URLs relative to `manifestUrl`),
   * verified and stored one transaction each, so an interrupted load resumes
   * shard by shard. Only when all are stored is the manifest marked complete.
   *
   * Store the manifest first with `putManifest(id, manifest, false)`; a
   * dataset without one gets a record with `manifest: null` so that its
   * shards can still be listed and deleted.
   *
   * Throws ShardDownloadError, CorruptShardError (a download that does not
   * match its hash; nothing of it stored) or StorageFullError.
   */
  async fetchShards(
    id: string,
    manifestUrl: string,
    shardRefs: readonly ShardRef[],
    onProgress?: (progress: FetchProgress) => void,
    options: FetchOptions = {},
  ): Promise<Uint8Array[]> {
    const totalBytes = shardRefs.reduce((n, ref) => n + ref.bytes, 0);
    const shards = shardRefs.length;
    const base = new URL(manifestUrl, baseUrl());
    await this.ensureManifest(id, totalBytes);
    const result: Uint8Array[] = [];
    let loadedBytes = 0;
    for (const [shard, ref] of shardRefs.entries()) {
      const sha = normalizeSha(ref.sha256);
      let record: ShardRecord | undefined;
      try {
        record = await this.readShard(sha);
      } catch (error) {
        if (!(error instanceof CorruptShardError)) throw error;
        // The bad copy is gone: download it again below.
      }
      if (record) {
        if (!record.datasetIds.includes(id)) await this.storeShard(sha, record.bytes, id);
        loadedBytes += record.bytes.byteLength;
        result.push(record.bytes);
        onProgress?.({ loadedBytes, totalBytes, shard, shards, fromCache: true });
        continue;
      }
      // Data imported from local files has nowhere to be downloaded from again.
      if (manifestUrl.startsWith('import:')) {
        throw new Error(`shard ${ref.url} of the imported dataset ${manifestUrl} is no longer in this browser's storage (damaged or evicted): import it again`);
      }
      const url = new URL(ref.url, base).href;
      const bytes = await download(url, options.signal, (received) => onProgress?.({ loadedBytes: loadedBytes + received, totalBytes, shard, shards, fromCache: false }));
      await this.putShard(sha, bytes, id, url);
      loadedBytes += bytes.byteLength;
      result.push(bytes);
    }
    await writeTransaction(this.db, ['manifests'], async (tx) => {
      const store = tx.objectStore('manifests');
      const record = await store.get(id);
      // A load from the cache writes nothing (so it works even when the quota is used up).
      if (record && !(record.complete && record.bytes === loadedBytes)) await store.put({ ...record, complete: true, bytes: loadedBytes });
    });
    return result;
  }

  /** Writes a verified shard, or adds `datasetId` to the users of the stored copy. */
  private async storeShard(sha: string, bytes: Uint8Array, datasetId: string, source?: string): Promise<void> {
    await this.guardQuota(`shard ${source ?? sha}`, bytes.byteLength, () =>
      writeTransaction(this.db, ['shards'], async (tx) => {
        const store = tx.objectStore('shards');
        const existing = await store.get(sha);
        if (existing?.datasetIds.includes(datasetId)) return;
        const datasetIds = existing ? [...existing.datasetIds, datasetId] : [datasetId];
        await store.put({ sha256: sha, bytes: existing?.bytes ?? bytes, datasetIds });
      }),
    );
  }

  private async ensureManifest(id: string, bytes: number): Promise<void> {
    await this.guardQuota(`the manifest of ${id}`, 256, () =>
      writeTransaction(this.db, ['manifests'], async (tx) => {
        const store = tx.objectStore('manifests');
        if (!(await store.get(id))) await store.put({ id, manifest: null, complete: false, addedAt: new Date().toISOString(), bytes });
      }),
    );
  }

  private async readShard(sha: string): Promise<ShardRecord | undefined> {
    const record = await this.db.get('shards', sha);
    if (!record) return undefined;
    const actual = await sha256Hex(record.bytes);
    if (actual === sha) return record;
    await writeTransaction(this.db, ['shards', 'manifests'], async (tx) => {
      const shards = tx.objectStore('shards');
      await shards.delete(sha);
      const manifests = tx.objectStore('manifests');
      for (const datasetId of record.datasetIds) {
        const manifest = await manifests.get(datasetId);
        if (manifest?.complete) await manifests.put({ ...manifest, complete: false });
      }
    });
    throw new CorruptShardError(sha, actual, 'cache', `${record.bytes.byteLength} bytes`);
  }

  /** Runs a write, turning a quota failure into StorageFullError with the browser's estimate. */
  private async guardQuota<T>(what: string, needed: number, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!isQuotaExceeded(error)) throw error;
      throw new StorageFullError(what, needed, await storageStatus(), { cause: error });
    }
  }
}
