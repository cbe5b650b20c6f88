/**
 * How much the browser stores for this origin, how much it allows, and
 * whether it may evict it. Works in a page or a worker; where the Storage API
 * is missing (old browsers, some embedded views) it answers "unknown" rather
 * than throwing.
 */

export interface StorageStatus {
  /** Bytes used by this origin; null where the browser does not say. */
  usage: number | null;
  /** Bytes this origin may use; null where the browser does not say. */
  quota: number | null;
  /** True when the browser has promised not to evict this origin's data under storage pressure. */
  persisted: boolean;
}

function storageManager(): StorageManager | undefined {
  const nav = (globalThis as { navigator?: { storage?: StorageManager } }).navigator;
  return nav?.storage;
}

export async function storageStatus(): Promise<StorageStatus> {
  const storage = storageManager();
  let usage: number | null = null;
  let quota: number | null = null;
  let persisted = false;
  if (typeof storage?.estimate === 'function') {
    try {
      const estimate = await storage.estimate();
      usage = typeof estimate.usage === 'number' ? estimate.usage : null;
      quota = typeof estimate.quota === 'number' ? estimate.quota : null;
    } catch {
      // Some browsers reject estimate() in private modes: unknown, not an error.
    }
  }
  if (typeof storage?.persisted === 'function') {
    try {
      persisted = await storage.persisted();
    } catch {
      persisted = false;
    }
  }
  return { usage, quota, persisted };
}

/**
 * Asks the browser not to evict this origin's data (datasets, checkpoints)
 * when the disk runs low. True when granted. Browsers decide by their own
 * rules (Chromium by site engagement, Firefox by asking the user), and it is
 * only available in a page, not in a worker; false wherever it cannot be had.
 */
export async function requestPersistence(): Promise<boolean> {
  const storage = storageManager();
  if (typeof storage?.persist !== 'function') return false;
  try {
    return await storage.persist();
  } catch {
    return false;
  }
}
