/**
 * The one IndexedDB database Classwise keeps per origin: cached datasets
 * (manifests and content-addressed shards), training checkpoints, the
 * results and trained models of finished runs, and the studies they belong to.
 *
 * ## Changing the schema
 *
 * The database's version is the number of migrations in {@link MIGRATIONS};
 * opening runs, in order, every migration the stored database has not seen
 * yet (a fresh database runs them all). To change the schema:
 *
 * 1. Update {@link ClasswiseSchema} to describe the stores as they will be.
 * 2. Append a function to `MIGRATIONS` — never edit or reorder the ones
 *    already there, browsers in the field have run them. It receives the
 *    database and the upgrade transaction: create or delete stores and
 *    indexes with `db`, rewrite records through `tx.objectStore(...)`.
 * 3. A migration that rewrites records may be `async`, but may only await
 *    requests of `tx` itself: awaiting anything else (fetch, timers,
 *    crypto.subtle) lets the upgrade transaction commit under it. If it
 *    throws, the upgrade is rolled back and opening fails with
 *    StorageUnavailableError; the stored data stays at the old version.
 *
 * Example, a v2 that adds an index:
 *
 * ```ts
 * (_db, tx) => { tx.objectStore('manifests').createIndex('byAddedAt', 'addedAt'); },
 * ```
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { ChannelStatistics } from '../data/dataset';
import type { RunResult } from '../study/results';
import type { Checkpoint, SavedTensor } from '../training/checkpoint';
import { describeError, StorageUnavailableError } from './errors';

/** A dataset the cache knows: its manifest as the dataset format defines it, and whether all its shards are stored. */
export interface ManifestRecord {
  /** The manifest's URL, or an import id for a dataset loaded from local files. */
  id: string;
  manifest: unknown;
  /** True only once every shard the manifest lists is stored. */
  complete: boolean;
  /** ISO 8601. */
  addedAt: string;
  /** Total bytes of the dataset's shards. */
  bytes: number;
}

/** A shard, addressed by the SHA-256 of its bytes; shared by every dataset that lists it. */
export interface ShardRecord {
  /** Lower-case hex. */
  sha256: string;
  bytes: Uint8Array;
  /** The datasets (ManifestRecord ids) that use this shard; the shard is deleted with the last of them. */
  datasetIds: string[];
}

/** What the checkpoint list shows, kept beside each checkpoint so listing does not read the weights. */
export interface CheckpointInfo {
  runKey: string;
  step: number;
  epoch: number;
  savedAt: string;
  /** Approximate bytes the checkpoint occupies: its tensors plus its JSON-sized remainder. */
  bytes: number;
}

/** A finished run's result, kept until the study that ran it has it: a reload re-runs nothing that finished. */
export interface RunResultRecord {
  runKey: string;
  result: RunResult;
  savedAt: string;
}

/**
 * What a trained model's input is, beyond what the run's result says: the
 * shape of one image and the per-channel normalisation (of pixels scaled to
 * [0, 1]) training applied. Kept with the model so that exporting it does
 * not need its dataset, which may since have been deleted.
 */
export interface ModelInput {
  /** `[height, width, channels]`. */
  shape: [number, number, number];
  normalization: ChannelStatistics;
}

/**
 * A finished run's trained model: its parameters and BatchNorm statistics (no
 * momentum), stored with its result in one transaction so that a model can be
 * exported from any finished run.
 */
export interface TrainedModelRecord {
  runKey: string;
  /** `param:<name>` and `buffer:<name>`, as the engine saves them. */
  tensors: SavedTensor[];
  /**
   * Absent from models stored before it was kept (no migration: a store's
   * records are not checked against a schema, so old and new ones sit side by
   * side); those export only while their dataset is still in the cache.
   */
  input?: ModelInput;
  savedAt: string;
}

/**
 * A study the workbench ran (or began to run), for its list of past studies:
 * what it is and how it came out. Its runs' results are not copied here: they
 * are the runResults of its run keys, which a reopened study reads back.
 */
export interface StudyRecord {
  /** The design's identity: the SHA-256 of its spec without name and description (see studyId). */
  id: string;
  /** What the list shows; the spec's name unless the user renamed it. */
  name: string;
  /** The study spec as it was run (checked again when read). */
  spec: unknown;
  /** Where the spec came from (a preset, a file, the designer), as the workbench describes it. */
  source: unknown;
  /** `configHash:seed` of every planned run, in the plan's order. */
  runKeys: string[];
  /** How many of them have finished. */
  finished: number;
  /** The dataset's name as the runs saw it (or as the spec names it before any run). */
  dataset: string;
  /** One line on how it came out (the first comparison's verdicts), once there is a comparison. */
  headline: string | null;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
}

export interface ClasswiseSchema extends DBSchema {
  studies: { key: string; value: StudyRecord };
  runResults: { key: string; value: RunResultRecord };
  trainedModels: { key: string; value: TrainedModelRecord };
  manifests: { key: string; value: ManifestRecord };
  shards: { key: string; value: ShardRecord; indexes: { byDataset: string } };
  checkpoints: { key: string; value: Checkpoint };
  checkpointInfo: { key: string; value: CheckpointInfo };
}

export type ClasswiseDb = IDBPDatabase<ClasswiseSchema>;
export type UpgradeTransaction = IDBPTransaction<ClasswiseSchema, StoreNames<ClasswiseSchema>[], 'versionchange'>;
/** Brings the database from version i to i + 1, where i is its index in MIGRATIONS. */
export type Migration = (db: ClasswiseDb, tx: UpgradeTransaction) => void | Promise<void>;

export const MIGRATIONS: readonly Migration[] = [
  // v1: the stores.
  (db) => {
    db.createObjectStore('manifests', { keyPath: 'id' });
    const shards = db.createObjectStore('shards', { keyPath: 'sha256' });
    shards.createIndex('byDataset', 'datasetIds', { multiEntry: true });
    db.createObjectStore('checkpoints', { keyPath: 'runKey' });
    db.createObjectStore('checkpointInfo', { keyPath: 'runKey' });
  },
  // v2: finished runs' results, so a crash after a run's end loses nothing.
  (db) => {
    db.createObjectStore('runResults', { keyPath: 'runKey' });
  },
  // v3: finished runs' trained models, for export. Results stored before
  // this have no model, and none can be made up for them.
  (db) => {
    db.createObjectStore('trainedModels', { keyPath: 'runKey' });
  },
  // v4: the workbench's past studies.
  (db) => {
    db.createObjectStore('studies', { keyPath: 'id' });
  },
];

export const DB_VERSION = MIGRATIONS.length;

export const DEFAULT_DB_NAME = 'classwise';

/**
 * Opens (creating or upgrading) the database. Throws StorageUnavailableError
 * when IndexedDB is missing or refuses (private modes), when another tab keeps
 * an older version open and so blocks the upgrade, or when the stored database
 * is newer than this code. The connection closes itself when a newer version
 * of the app, in another tab, needs to upgrade; open again after that.
 */
export async function openClasswiseDb(name = DEFAULT_DB_NAME): Promise<ClasswiseDb> {
  const factory = (globalThis as { indexedDB?: IDBFactory | null }).indexedDB;
  if (!factory) throw new StorageUnavailableError('this browser context exposes no IndexedDB');
  return new Promise<ClasswiseDb>((resolve, reject) => {
    let settled = false;
    const fail = (error: StorageUnavailableError) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    let opening: Promise<ClasswiseDb>;
    try {
      opening = openDB<ClasswiseSchema>(name, DB_VERSION, {
        upgrade(db, oldVersion, newVersion, tx) {
          const target = newVersion ?? DB_VERSION;
          // Synchronous migrations run back to back; after an async one, the next waits for it.
          const runFrom = (from: number): void | Promise<void> => {
            for (let version = from; version < target; version++) {
              const migrate = MIGRATIONS[version];
              if (!migrate) throw new Error(`no migration to version ${version + 1}`);
              const pending = migrate(db, tx);
              if (pending) return pending.then(() => runFrom(version + 1));
            }
          };
          runFrom(oldVersion)?.catch(() => {
            try {
              tx.abort();
            } catch {
              // The transaction already ended; opening fails either way.
            }
          });
        },
        blocked(currentVersion) {
          fail(new StorageUnavailableError(`another tab has version ${currentVersion} of the database open, which blocks the upgrade to version ${DB_VERSION}; close other Classwise tabs and reload`));
        },
        blocking(_currentVersion, _blockedVersion, event) {
          // A newer version wants to upgrade: step aside rather than block it.
          (event.target as IDBDatabase).close();
        },
      });
    } catch (error) {
      // Some browsers throw from indexedDB.open itself (e.g. SecurityError in sandboxed frames).
      fail(new StorageUnavailableError(describeError(error), { cause: error }));
      return;
    }
    opening.then(
      (db) => {
        if (settled) db.close();
        else {
          settled = true;
          resolve(db);
        }
      },
      (error: unknown) => {
        const reason =
          (error as { name?: string } | null)?.name === 'VersionError'
            ? `the stored database was written by a newer version of Classwise (it is newer than version ${DB_VERSION}); reload to get the new version`
            : `opening the database failed (${describeError(error)})`;
        fail(new StorageUnavailableError(reason, { cause: error }));
      },
    );
  });
}

/** Stores a write transaction may span. */
export type StoreList = StoreNames<ClasswiseSchema>[];

/**
 * Runs `body` in one readwrite transaction over `stores` and resolves once
 * the transaction has committed. If `body` throws or any request fails, the
 * transaction is aborted — nothing it wrote remains — and the error that
 * ended it is thrown: the transaction's own error where there is one (a
 * QuotaExceededError at commit says more than the AbortError of a request).
 *
 * `body` may await only requests of `tx`; awaiting anything else lets the
 * transaction commit early.
 */
export async function writeTransaction<S extends StoreList, T>(
  db: ClasswiseDb,
  stores: S,
  body: (tx: IDBPTransaction<ClasswiseSchema, S, 'readwrite'>) => Promise<T>,
): Promise<T> {
  const tx = db.transaction(stores, 'readwrite');
  const done = tx.done;
  done.catch(() => undefined); // observed below; never an unhandled rejection
  try {
    const result = await body(tx);
    await done;
    return result;
  } catch (error) {
    try {
      tx.abort();
    } catch {
      // Already aborted by the failure, or committed.
    }
    throw tx.error ?? error;
  }
}
