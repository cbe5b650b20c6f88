/**
 * What can go wrong with the browser's storage, as errors whose messages can
 * be shown to the user as they are: what happened, and what to do about it.
 */
import { formatBytes } from '../util/units';

/** `name: message` of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error || (typeof DOMException !== 'undefined' && error instanceof DOMException)) {
    return error.message ? `${error.name}: ${error.message}` : error.name;
  }
  return String(error);
}

/** True for the error IndexedDB (or a failed transaction) reports when the origin's quota is used up. */
export function isQuotaExceeded(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  // code 22 is the legacy QUOTA_EXCEEDED_ERR; Firefox once used NS_ERROR_DOM_QUOTA_REACHED.
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22;
}

/** The browser refused to store more: the origin's quota (or the disk) is full. */
export class StorageFullError extends Error {
  /** What was being stored, e.g. `shard 3f2a…` or `the checkpoint of run …`. */
  readonly what: string;
  /** Bytes the write needed. */
  readonly needed: number;
  /** `navigator.storage.estimate()` at the time of the failure; null where the browser does not say. */
  readonly usage: number | null;
  readonly quota: number | null;

  constructor(what: string, needed: number, estimate: { usage: number | null; quota: number | null }, options?: { cause?: unknown }) {
    const { usage, quota } = estimate;
    const said =
      usage !== null && quota !== null
        ? `the browser's estimate says ${formatBytes(usage)} are used of a ${formatBytes(quota)} quota (${formatBytes(Math.max(0, quota - usage))} free)`
        : 'the browser gives no estimate of its quota';
    super(
      `Not enough browser storage to save ${what}: it needs ${formatBytes(needed)}, and ${said}. ` +
        'Delete cached datasets or checkpoints you no longer need, or free disk space, then try again.',
      options,
    );
    this.name = 'StorageFullError';
    this.what = what;
    this.needed = needed;
    this.usage = usage;
    this.quota = quota;
  }
}

/** A shard whose bytes do not hash to the SHA-256 its manifest names. */
export class CorruptShardError extends Error {
  readonly sha256: string;
  /** The hash the bytes actually have. */
  readonly actual: string;
  /** Where the bytes came from: the shard's URL, or `cache` for a copy read back from IndexedDB. */
  readonly source: string;

  constructor(sha256: string, actual: string, source: string, detail?: string) {
    const shard = source === 'cache' ? `the cached copy of shard ${sha256}` : `shard ${source} (sha256 ${sha256})`;
    const what =
      source === 'cache'
        ? 'it has been removed and will be downloaded again on the next load'
        : 'it was not stored; the download may have been damaged, or the dataset changed on the server since its manifest was written';
    super(`${shard} is corrupt: its bytes hash to ${actual}${detail ? ` (${detail})` : ''}; ${what}.`);
    this.name = 'CorruptShardError';
    this.sha256 = sha256;
    this.actual = actual;
    this.source = source;
  }
}

/** A shard could not be downloaded (network failure, HTTP error, or the download was stopped). */
export class ShardDownloadError extends Error {
  readonly url: string;

  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(`Could not download dataset shard ${url}: ${reason}. The shards already downloaded are kept; loading again resumes from here.`, options);
    this.name = 'ShardDownloadError';
    this.url = url;
  }
}

/** IndexedDB is missing, disabled or blocked, as in some private-browsing modes. */
export class StorageUnavailableError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(
      `Browser storage (IndexedDB) is not available: ${reason}. ` +
        'Private browsing and some privacy settings turn it off; without it datasets are downloaded again every time and checkpoints cannot be saved.',
      options,
    );
    this.name = 'StorageUnavailableError';
  }
}
