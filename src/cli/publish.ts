/**
 * npm run publish-study -- (--config FILE.json | --preset NAME) --coordinator URL [--quorum N]
 *
 * The organiser's side of a shared study: works out the identity of the
 * study's dataset exactly as the engine will report it (generated sets are
 * generated, shard sets read and verified from their manifest), then
 * publishes the spec and that identity to the coordinator with the admin
 * token (CLASSWISE_ADMIN_TOKEN). Volunteers' results must then carry the same
 * content hash, class names and per-class test counts.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { datasetIdentity, type Dataset } from '../data/dataset';
import { FASHION_MNIST_MANIFEST_PATH } from '../data/fashion-mnist';
import { sliceDataset, sliceOf } from '../data/slice';
import { generateSynthetic } from '../data/synthetic';
import { generateTeaching } from '../data/teaching';
import { assembleDataset, parseManifestText, shardUrl, verifyShard, type Manifest } from '../formats/shards';
import { ConfigError, type DatasetConfig } from '../study/config';
import { isPresetName, PRESETS } from '../study/presets';
import { parseStudySpec, planRuns, type StudySpec } from '../study/study';

const USAGE = `usage: npm run publish-study -- (--config FILE.json | --preset NAME) --coordinator URL [--quorum N]
  --config       a study spec (schema classwise.study/1)
  --preset       one of: ${Object.keys(PRESETS).join(', ')}
  --coordinator  the coordinator's origin, e.g. http://127.0.0.1:8787
  --quorum       agreeing replicas each unit needs (default 2)
  The admin token is read from CLASSWISE_ADMIN_TOKEN.`;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

class UsageError extends Error {}

/** What the coordinator checks every upload against. */
export interface PublishedDataset {
  manifestUrl: string;
  contentHash: string;
  testCount: number;
  classNames: string[];
  classTestCounts: number[];
}

/**
 * The dataset a spec trains on, as the engine will see it. Shard sets are
 * read from a URL (a relative one against the coordinator, which serves the
 * built app and its datasets) or, for the built-in set, from this checkout.
 */
export async function describeStudyDataset(config: DatasetConfig, coordinator: string): Promise<PublishedDataset> {
  const { dataset: whole, manifestUrl } = await loadDataset(config, coordinator);
  // Volunteers' engines cut the same slice from the same shards.
  const slice = sliceOf(config);
  const dataset = slice ? await sliceDataset(whole, slice) : whole;
  const identity = await datasetIdentity(dataset);
  const classTestCounts = dataset.classNames.map(() => 0);
  for (const label of dataset.test.labels) classTestCounts[label]!++;
  return { manifestUrl, contentHash: identity.contentHash, testCount: identity.testCount, classNames: identity.classNames, classTestCounts };
}

async function loadDataset(config: DatasetConfig, coordinator: string): Promise<{ dataset: Dataset; manifestUrl: string }> {
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
      const read = (url: string) => readFile(fileURLToPath(url));
      return { dataset: await assemble(manifest, new URL(`file://${path}`).href, read), manifestUrl: `/${FASHION_MNIST_MANIFEST_PATH}` };
    }
    case 'manifest': {
      if (config.url.startsWith('import:')) {
        throw new UsageError(`${config.url} was imported into one browser; publish a dataset volunteers can fetch (npm run import writes shards and a manifest to serve)`);
      }
      const url = new URL(config.url, coordinator).href;
      const manifest = parseManifestText(new TextDecoder().decode(await download(url)), url);
      return { dataset: await assemble(manifest, url, download), manifestUrl: config.url };
    }
  }
}

function missingBuiltin(path: string): never {
  throw new UsageError(`the built-in Fashion-MNIST shards are not at ${path}: run npm run datasets first`);
}

async function assemble(manifest: Manifest, manifestUrl: string, read: (url: string) => Promise<Uint8Array>): Promise<Dataset> {
  const fetchSplit = (refs: Manifest['splits']['train']) =>
    Promise.all(
      refs.map(async (ref) => {
        const bytes = new Uint8Array(await read(shardUrl(manifestUrl, ref)));
        await verifyShard(ref, bytes);
        return bytes;
      }),
    );
  return assembleDataset(manifest, { train: await fetchSplit(manifest.splits.train), test: await fetchSplit(manifest.splits.test) });
}

async function download(url: string): Promise<Uint8Array> {
  const response = await fetch(url).catch((error: unknown) => {
    throw new Error(`could not fetch ${url}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function loadSpec(configPath: string | undefined, preset: string | undefined): Promise<StudySpec> {
  if ((configPath === undefined) === (preset === undefined)) throw new UsageError('give exactly one of --config FILE.json or --preset NAME');
  if (preset !== undefined) {
    if (!isPresetName(preset)) throw new UsageError(`unknown preset "${preset}"; presets: ${Object.keys(PRESETS).join(', ')}`);
    return parseStudySpec(PRESETS[preset]);
  }
  const text = await readFile(configPath!, 'utf8').catch(() => {
    throw new UsageError(`cannot read ${configPath}`);
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${configPath} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseStudySpec(value);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      preset: { type: 'string' },
      coordinator: { type: 'string' },
      quorum: { type: 'string', default: '2' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const spec = await loadSpec(values.config, values.preset);
  if (!values.coordinator) throw new UsageError('--coordinator URL is required');
  const coordinator = new URL(values.coordinator).origin;
  const quorum = Number(values.quorum);
  if (!Number.isInteger(quorum) || quorum < 1) throw new UsageError(`--quorum must be a positive integer, got "${values.quorum}"`);
  const token = process.env.CLASSWISE_ADMIN_TOKEN;
  if (!token) throw new UsageError('set CLASSWISE_ADMIN_TOKEN to the organiser token the coordinator printed (or was started with)');

  const dataset = await describeStudyDataset(spec.baseline.dataset, coordinator);
  console.log(`dataset: ${dataset.classNames.length} classes, ${dataset.testCount} test images, content ${dataset.contentHash.slice(0, 12)}…`);
  const response = await fetch(`${coordinator}/api/v1/studies`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ spec, dataset, quorum }),
  });
  const answer = (await response.json().catch(() => ({}))) as { id?: string; units?: number; error?: string; issues?: string[] };
  if (!response.ok) throw new Error(`the coordinator refused the study (${response.status}): ${answer.error ?? ''}${answer.issues?.length ? `: ${answer.issues.join('; ')}` : ''}`);
  console.log(`published "${spec.name}": ${answer.units} units (${planRuns(spec).length} runs, quorum ${quorum}), id ${answer.id}`);
  console.log(`public page: ${coordinator}/study.html?id=${answer.id}`);
  console.log(`volunteers:  ${coordinator}/#contribute`);
}

main().catch((error: unknown) => {
  const usage = error instanceof UsageError || error instanceof ConfigError;
  console.error(error instanceof Error ? error.message : String(error));
  if (error instanceof UsageError) console.error(USAGE);
  process.exit(usage ? 2 : 1);
});
