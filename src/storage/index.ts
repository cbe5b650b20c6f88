/** The storage layer: cached datasets, checkpoints and the browser's storage status, all in IndexedDB. */
export { openClasswiseDb, DB_VERSION, DEFAULT_DB_NAME, MIGRATIONS } from './db';
export type { CheckpointInfo, ClasswiseDb, ClasswiseSchema, ManifestRecord, Migration, ShardRecord } from './db';
export { DatasetCache } from './dataset-cache';
export type { DatasetSummary, FetchOptions, FetchProgress, ShardRef } from './dataset-cache';
export { CheckpointStore, checkpointBytes } from './checkpoints';
export type { CheckpointStoreOptions } from './checkpoints';
export { storageStatus, requestPersistence } from './status';
export type { StorageStatus } from './status';
export { CorruptShardError, ShardDownloadError, StorageFullError, StorageUnavailableError, isQuotaExceeded } from './errors';
