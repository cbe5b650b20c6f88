/**
 * The identity of a study's dataset exactly as the engine will report it,
 * and its test labels: generated sets are generated, shard sets read and
 * verified from their manifest. The organiser's publish-study sends it to
 * the coordinator, which checks every upload against it and compares
 * replicas image by image with the labels.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetIdentity, type Dataset } from '../data/dataset';
import { FASHION_MNIST_MANIFEST_PATH } from '../data/fashion-mnist';
import { sliceDataset, sliceOf } from '../data/slice';
import { generateSynthetic } from '../data/synthetic';
import { generateTeaching } from '../data/teaching';
import { assembleDataset, parseManifestText, shardUrl, verifyShard, type Manifest } from '../formats/shards';
import type { DatasetConfig } from '../study/config';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A problem the organiser can fix (a dataset that cannot be published as given). */
export class DatasetUnavailable extends Error {}

/** What the coordinator checks every upload against. */
export interface PublishedDataset {
  manifestUrl: string;
  contentHash: string;
  testCount: number;
  classNames: string[];
  classTestCounts: number[];
  /** The true class of every test image, in test order. */
  testLabels: number[];
}

/**
 * The dataset a spec trains on, as the engine will see it. Shard sets are
 * read from a URL (a relative one against `base`: the coordinator, which
 * serves the built app and its datasets, or a file: URL of a folder) or, for
 * the built-in set, from this checkout.
 */
export async function describeStudyDataset(config: DatasetConfig, base: string): Promise<PublishedDataset> {
  const { dataset: whole, manifestUrl } = await loadDataset(config, base);
  // Volunteers' engines cut the same slice from the same shards.
  const slice = sliceOf(config);
  const dataset = slice ? await sliceDataset(whole, slice) : whole;
  const identity = await datasetIdentity(dataset);
  const classTestCounts = dataset.classNames.map(() => 0);
  for (const label of dataset.test.labels) classTestCounts[label]!++;
  return {
    manifestUrl,
    contentHash: identity.contentHash,
    testCount: identity.testCount,
    classNames: identity.classNames,
    classTestCounts,
    testLabels: Array.from(dataset.test.labels),
  };
}

async function loadDataset(config: DatasetConfig, base: string): Promise<{ dataset: Dataset; manifestUrl: string }> {
  switch (config.kind) {
    case 'synthetic':
      return { dataset: generateSynthetic(config), manifestUrl: 'generated:synthetic' };
    case 'teaching':
      return {
        dataset: generateTeaching({ size: config.size, perClassTrain: config.trainPerClass, perClassTest: config.testPerClass, seed: config.seed }),
        manifestUrl: 'generated:teaching',
      };
    case 'builtin': {
      const path = resolve(ROOT, 'public', FASHION_MNIST_MANIFEST_PATH);
      const manifest = parseManifestText(await readFile(path, 'utf8').catch(() => missingBuiltin(path)), path);
      return { dataset: await assemble(manifest, new URL(`file://${path}`).href), manifestUrl: `/${FASHION_MNIST_MANIFEST_PATH}` };
    }
    case 'manifest': {
      if (config.url.startsWith('import:')) {
        throw new DatasetUnavailable(`${config.url} was imported into one browser; publish a dataset volunteers can fetch (npm run import writes shards and a manifest to serve)`);
      }
      // A site-absolute path is read from the site root, which a file: base names.
      const url = new URL(base.startsWith('file:') && config.url.startsWith('/') ? config.url.slice(1) : config.url, base).href;
      const manifest = parseManifestText(new TextDecoder().decode(await download(url)), url);
      return { dataset: await assemble(manifest, url), manifestUrl: config.url };
    }
  }
}

function missingBuiltin(path: string): never {
  throw new DatasetUnavailable(`the built-in Fashion-MNIST shards are not at ${path}: run npm run datasets first`);
}

async function assemble(manifest: Manifest, manifestUrl: string): Promise<Dataset> {
  const fetchSplit = (refs: Manifest['splits']['train']) =>
    Promise.all(
      refs.map(async (ref) => {
        const bytes = await download(shardUrl(manifestUrl, ref));
        await verifyShard(ref, bytes);
        return bytes;
      }),
    );
  return assembleDataset(manifest, { train: await fetchSplit(manifest.splits.train), test: await fetchSplit(manifest.splits.test) });
}

async function download(url: string): Promise<Uint8Array> {
  if (url.startsWith('file:')) return new Uint8Array(await readFile(fileURLToPath(url)));
  const response = await fetch(url).catch((error: unknown) => {
    throw new Error(`could not fetch ${url}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
