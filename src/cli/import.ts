/**
 * npm run import -- <archive.tar.gz | folder> --out DIR [--labels fine|coarse] [--shard-mb 4]
 *                   [--test-fraction 0.2] [--seed 0] [--name NAME]
 *
 * Converts a dataset into the shard format (docs/datasets.md) in DIR, which
 * the workbench loads by the URL of DIR/manifest.json:
 *
 *   - a CIFAR-10 or CIFAR-100 binary archive (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz);
 *   - a folder of PNG and JPEG images, train|test/<class>/<image> or <class>/<image>
 *     (then split here, a seeded --test-fraction of each class to test). WebP
 *     images are imported in the workbench, where the browser decodes them.
 *
 * Every problem prints `error: <file>: <problem>` and exits 2. Nothing is
 * written to DIR until the whole input has been read; then an old manifest is
 * removed first and the new one written last, after every shard, so a DIR
 * left by an interrupted import never looks complete.
 */
import { readdir, readFile, realpath, rm, mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { Dataset, Split } from '../data/dataset';
import { checkCifarArchiveSize, CIFAR_SOURCE, describeCifar, parseCifarArchive, type CifarLabels } from '../formats/cifar';
import { FormatError } from '../formats/errors';
import { checkImportSize, checkSameSize, DEFAULT_TEST_FRACTION, firstChannel, isGreyRgb, planImageFolder, type ImageFolderPlan, type PlannedImage } from '../formats/image-folder';
import { checkDecodable, readImageHeader, type ImageHeader } from '../formats/image-header';
import { DEFAULT_SHARD_BYTES, shardDataset, type ShardedDataset } from '../formats/shards';
import { runCommand, UsageError } from './command';

const USAGE = `usage: npm run import -- <archive.tar.gz | folder> --out DIR [--labels fine|coarse] [--shard-mb 4]
                          [--test-fraction ${DEFAULT_TEST_FRACTION}] [--seed 0] [--name NAME]
  archive          cifar-10-binary.tar.gz or cifar-100-binary.tar.gz (the "binary version")
  folder           PNG/JPEG images as train|test/<class>/<image>, or <class>/<image> (split here)
  --out DIR        where to write manifest.json and the shards (created; an earlier import there is replaced)
  --labels         CIFAR-100: fine (100 classes, default) or coarse (20 superclasses)
  --shard-mb       the most MiB one shard may take (default ${DEFAULT_SHARD_BYTES / 2 ** 20})
  --test-fraction  <class>/<image> folders: the share of each class held out for test
  --seed           <class>/<image> folders: seeds which images are held out (default 0)
  --name           the dataset's name (default: cifar-10, cifar-100, cifar-100-coarse, or the folder's name)`;

const SHARD_FILE = /^(train|test)-\d+\.bin$/;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      labels: { type: 'string' },
      'shard-mb': { type: 'string' },
      'test-fraction': { type: 'string' },
      seed: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `give one input, not ${positionals.length}` : 'give an archive or a folder to import');
  const input = positionals[0]!;
  if (values.out === undefined) throw new UsageError('give --out DIR, the folder to write the dataset to');
  const out = resolve(values.out);
  const labels = values.labels;
  if (labels !== undefined && labels !== 'fine' && labels !== 'coarse') throw new UsageError(`--labels must be fine or coarse, not "${labels}"`);
  const shardMb = numberOption(values['shard-mb'], '--shard-mb', DEFAULT_SHARD_BYTES / 2 ** 20, (x) => x > 0 && x <= 1024, 'a size in MiB in (0, 1024]');
  const testFraction = numberOption(values['test-fraction'], '--test-fraction', DEFAULT_TEST_FRACTION, (x) => x > 0 && x < 1, 'a fraction in (0, 1)');
  const seed = numberOption(values.seed, '--seed', 0, (x) => Number.isSafeInteger(x) && x >= 0, 'a non-negative integer');

  const info = await stat(input).catch(() => {
    throw new FormatError(input, 'no such file or folder');
  });
  if (info.isDirectory()) {
    if (labels !== undefined) throw new UsageError('--labels is for CIFAR-100 archives, not folders');
    if (out === resolve(input) || out.startsWith(resolve(input) + sep)) throw new UsageError('--out must not be inside the folder being imported');
  } else if (values['test-fraction'] !== undefined || values.seed !== undefined) {
    throw new UsageError('--test-fraction and --seed are for <class>/<image> folders; archives bring their own split');
  }
  await checkOutDir(out);

  const started = performance.now();
  let dataset: Dataset;
  let description: string;
  let source: string;
  if (info.isDirectory()) {
    dataset = await importFolder(input, { testFraction, seed });
    description = `Imported from an image folder: ${dataset.train.count} training and ${dataset.test.count} test images, ${dataset.shape.join('×')}${dataset.shape[2] === 1 ? ' (every pixel grey, so one channel)' : ''}.`;
    source = `image folder ${basename(resolve(input))}`;
  } else {
    checkCifarArchiveSize(info.size, input);
    dataset = await parseCifarArchive(new Uint8Array(await readFile(input)), input, labels === undefined ? {} : { labels: labels as CifarLabels });
    description = describeCifar(dataset);
    source = CIFAR_SOURCE;
  }
  if (values.name !== undefined) dataset = { ...dataset, name: values.name };

  const sharded = await shardDataset(dataset, { targetBytes: Math.round(shardMb * 2 ** 20), description, source });
  await writeOut(out, sharded);
  const bytes = sharded.files.reduce((n, f) => n + f.bytes.length, 0);
  console.log(
    `imported ${dataset.name}: ${dataset.classNames.length} classes, ${dataset.train.count} train + ${dataset.test.count} test images of ${dataset.shape.join('×')}`,
  );
  console.log(`wrote ${sharded.files.length} shards (${(bytes / 2 ** 20).toFixed(1)} MiB) and manifest.json to ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(
    `load it in the workbench by the URL of ${join(out, 'manifest.json')} served over HTTP ` +
      `(copied to public/datasets/${dataset.name}/, Vite serves it at /datasets/${dataset.name}/manifest.json)`,
  );
}

function numberOption(text: string | undefined, flag: string, fallback: number, ok: (x: number) => boolean, what: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !ok(value)) throw new UsageError(`${flag} must be ${what}, not "${text}"`);
  return value;
}

/** DIR may be missing, empty, or hold an earlier import (manifest.json and shards) and nothing else. */
async function checkOutDir(out: string): Promise<void> {
  let names: string[];
  try {
    const info = await stat(out);
    if (!info.isDirectory()) throw new UsageError(`--out ${out} is a file, not a folder`);
    names = await readdir(out);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    return; // does not exist yet
  }
  const foreign = names.filter((n) => n !== 'manifest.json' && !SHARD_FILE.test(n));
  if (foreign.length) {
    throw new UsageError(`--out ${out} holds files that are not an earlier import (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}); choose an empty folder`);
  }
}

async function writeOut(out: string, { manifest, files }: ShardedDataset): Promise<void> {
  await mkdir(out, { recursive: true });
  await rm(join(out, 'manifest.json'), { force: true });
  for (const name of await readdir(out)) if (SHARD_FILE.test(name)) await rm(join(out, name));
  for (const file of files) await writeFile(join(out, file.path), file.bytes);
  await writeFile(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}

/** What a failed file-system call says, without the stack: "ELOOP: too many symbolic links". */
function systemProblem(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code}${e.syscall ? ` (${e.syscall})` : ''}` : error instanceof Error ? error.message : String(error);
}

/**
 * Relative paths under `root`, folders with a trailing '/', so that an empty
 * class folder can be reported. Symbolic links are followed, but one that
 * leads back into a folder being walked (a loop), that loops on itself, or
 * that leads nowhere is a FormatError naming it.
 */
async function listFolder(root: string): Promise<string[]> {
  const paths: string[] = [];
  const walk = async (dir: string, ancestors: string[]): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw new FormatError(dir, `cannot be read (${systemProblem(error)})`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const rel = relative(root, full).split(sep).join('/');
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        const target = await stat(full).catch((error: unknown) => {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ELOOP') throw new FormatError(full, 'is a symbolic link that loops back on itself (ELOOP)');
          if (code === 'ENOENT') throw new FormatError(full, 'is a symbolic link to something that does not exist');
          throw new FormatError(full, `is a symbolic link that cannot be followed (${systemProblem(error)})`);
        });
        isDir = target.isDirectory();
      }
      if (isDir) {
        const real = await realpath(full).catch((error: unknown) => {
          throw new FormatError(full, `cannot be resolved (${systemProblem(error)})`);
        });
        const looped = ancestors.indexOf(real);
        if (looped >= 0) {
          const where = relative(root, ancestors[looped]!) || '.';
          throw new FormatError(full, `is a symbolic link to ${where === '.' ? 'the folder being imported' : `the folder ${where}`}, which contains it: a loop`);
        }
        paths.push(`${rel}/`);
        await walk(full, [...ancestors, real]);
      } else {
        paths.push(rel);
      }
    }
  };
  await walk(root, [await realpath(root)]);
  return paths;
}

/** Largest side an image may have: the shard format's (the CLI does not resize). */
const MAX_SIDE = 4096;

async function importFolder(folder: string, options: { testFraction: number; seed: number }): Promise<Dataset> {
  const paths = await listFolder(folder);
  let plan: ImageFolderPlan;
  try {
    plan = planImageFolder(paths, { ...options, root: folder });
  } catch (error) {
    // Plan errors name paths relative to the folder; print them under it.
    if (error instanceof FormatError && error.file !== folder) throw new FormatError(join(folder, error.file), error.problem);
    throw error;
  }
  const webp = [...plan.train, ...plan.test].find((image) => extname(image.path).toLowerCase() === '.webp');
  if (webp) {
    throw new FormatError(join(folder, webp.path), 'WebP images are not decoded by the import CLI; import this folder in the workbench, which decodes with the browser');
  }

  const total = plan.train.length + plan.test.length;
  let first: { path: string; width: number; height: number } | undefined;
  const readSplit = async (images: PlannedImage[]): Promise<Split> => {
    let pixels: Uint8Array | undefined;
    const labels = new Uint16Array(images.length);
    for (const [i, image] of images.entries()) {
      const path = join(folder, image.path);
      const bytes = await readFile(path).catch((error: unknown) => {
        throw new FormatError(path, `cannot be read (${systemProblem(error)})`);
      });
      // The size the header declares, checked before the decoder allocates anything.
      const header = readImageHeader(bytes, path);
      checkDecodable(header, path, { maxSide: MAX_SIDE, hint: 'the import CLI does not resize: resize the images, or import the folder in the workbench with a resolution' });
      if (!first) {
        first = { path, width: header.width, height: header.height };
        checkImportSize(total, header.width, header.height, folder);
      }
      checkSameSize([first, { path, width: header.width, height: header.height }]);
      const decoded = decodeImage(bytes, header, path);
      const size = first.width * first.height * 3;
      pixels ??= new Uint8Array(images.length * size);
      const rgba = decoded.data;
      for (let p = 0, o = i * size; p < rgba.length; p += 4, o += 3) {
        pixels[o] = rgba[p]!;
        pixels[o + 1] = rgba[p + 1]!;
        pixels[o + 2] = rgba[p + 2]!;
      }
      labels[i] = image.label;
    }
    return { images: pixels!, labels, count: images.length };
  };
  let train = await readSplit(plan.train);
  let test = await readSplit(plan.test);
  // MNIST-style folders: grey images (R = G = B everywhere) are one channel, not three copies of it.
  const grey = isGreyRgb(train.images) && isGreyRgb(test.images);
  if (grey) {
    train = { ...train, images: firstChannel(train.images) };
    test = { ...test, images: firstChannel(test.images) };
  }
  return {
    name: basename(resolve(folder)),
    classNames: plan.classNames,
    shape: [first!.height, first!.width, grey ? 1 : 3],
    train,
    test,
  };
}

/** PNG or JPEG (by content, its header already read) → RGBA; alpha is dropped by the caller. */
function decodeImage(bytes: Buffer, header: ImageHeader, path: string): { width: number; height: number; data: Uint8Array } {
  try {
    if (header.kind === 'png') {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: png.data };
    }
    if (header.kind === 'jpeg') return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  } catch (error) {
    throw new FormatError(path, `cannot decode this ${header.kind === 'png' ? 'PNG' : 'JPEG'} (${error instanceof Error ? error.message : String(error)})`);
  }
  throw new FormatError(path, 'is neither a PNG nor a JPEG (by its first bytes), whatever its extension says');
}

runCommand(main, { usage: USAGE, refusals: [(error) => error instanceof FormatError] });
