/**
 * Resolves a dataset config into pixels in memory: generated sets are made on
 * the spot; shard sets come from the IndexedDB cache, fetching (and
 * verifying) only the shards it lacks. Runs in the engine worker.
 */
import { assembleDataset, parseManifest, parseManifestText, type Manifest } from '../formats/shards';
import type { DatasetConfig } from '../study/config';
import { DatasetCache, type FetchProgress } from '../storage/dataset-cache';
import { canonicalJson } from '../util/hash';
import type { Dataset } from './dataset';
import { FASHION_MNIST_MANIFEST_PATH } from './fashion-mnist';
import { sliceDataset, sliceOf } from './slice';
import { generateSynthetic } from './synthetic';
import { generateTeaching } from './teaching';

export type { FetchProgress };

/**
 * Runs of one study share their dataset; keep the last one rather than rebuild it. It is kept as
 * soon as it is asked for, so that callers asking at the same time (the designer describing it
 * while a step is measured) share one download; each hears its progress.
 */
let cached: { key: string; dataset: Promise<Dataset>; listeners: Set<(progress: FetchProgress) => void> } | null = null;

export async function loadDataset(config: DatasetConfig, onProgress?: (progress: FetchProgress) => void): Promise<Dataset> {
  const key = canonicalJson(config);
  if (cached?.key !== key) {
    const listeners = new Set<(progress: FetchProgress) => void>();
    const entry = { key, listeners, dataset: (async () => resolve(config, (progress) => listeners.forEach((listener) => listener(progress))))() };
    // A failed load is not kept: asking again tries again.
    entry.dataset.catch(() => {
      if (cached === entry) cached = null;
    });
    cached = entry;
  }
  const { dataset, listeners } = cached;
  if (onProgress) listeners.add(onProgress);
  try {
    return await dataset;
  } finally {
    if (onProgress) listeners.delete(onProgress);
  }
}

/** Drops the dataset kept in memory (after a dataset is deleted from the cache, so a later load does not see it). */
export function forgetLoadedDataset(): void {
  cached = null;
}

let nodeBase: string | null = null;

/**
 * Where dataset URLs resolve outside a browser: the Node runtime sets the
 * origin that serves the app's datasets (a coordinator, or a local server).
 */
export function setDatasetBase(url: string): void {
  nodeBase = url;
}

/** The page's (or worker's) own location in a browser; the base set above in Node. */
function here(): URL {
  const location = (globalThis as { location?: { href: string } }).location;
  if (location) return new URL(location.href);
  if (nodeBase) return new URL(nodeBase);
  throw new Error('a dataset URL needs a base outside the browser: the Node runtime sets it (setDatasetBase)');
}

async function resolve(config: DatasetConfig, onProgress?: (progress: FetchProgress) => void): Promise<Dataset> {
  switch (config.kind) {
    case 'synthetic':
      return generateSynthetic(config);
    case 'teaching':
      return generateTeaching({ size: config.size, perClassTrain: config.trainPerClass, perClassTest: config.testPerClass, seed: config.seed });
    case 'builtin':
    case 'manifest': {
      const url =
        config.kind === 'builtin'
          ? new URL(`${import.meta.env?.BASE_URL ?? '/'}${FASHION_MNIST_MANIFEST_PATH}`, here().origin).href
          : new URL(config.url, here()).href;
      const whole = await loadShards(url, onProgress);
      const slice = sliceOf(config);
      return slice ? sliceDataset(whole, slice) : whole;
    }
  }
}

/** The dataset a manifest URL describes; a complete cached copy answers without any network request. */
async function loadShards(manifestUrl: string, onProgress?: (progress: FetchProgress) => void): Promise<Dataset> {
  const cache = await DatasetCache.open();
  try {
    const record = await cache.getManifest(manifestUrl);
    let manifest: Manifest;
    if (record?.complete && record.manifest) {
      manifest = parseManifest(record.manifest, `cached manifest of ${manifestUrl}`);
    } else if (manifestUrl.startsWith('import:')) {
      // Imported from local files: there is nowhere to download it from.
      throw new Error(`the imported dataset ${manifestUrl} is not in this browser's storage${record ? ' (it is incomplete)' : ''}; import it again`);
    } else {
      manifest = await fetchManifest(manifestUrl);
      await cache.putManifest(manifestUrl, manifest, false);
    }
    const refs = [...manifest.splits.train, ...manifest.splits.test];
    const shards = await cache.fetchShards(manifestUrl, manifestUrl, refs, onProgress);
    const trainShards = manifest.splits.train.length;
    return assembleDataset(manifest, { train: shards.slice(0, trainShards), test: shards.slice(trainShards) });
  } finally {
    cache.close();
  }
}

async function fetchManifest(url: string): Promise<Manifest> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`could not fetch the dataset manifest ${url}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) throw new Error(`could not fetch the dataset manifest ${url}: HTTP ${response.status}`);
  return parseManifestText(await response.text(), url);
}
