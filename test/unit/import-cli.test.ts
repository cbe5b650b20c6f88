/** `npm run import` as a subprocess: CIFAR archives and image folders in, shards and a manifest out. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset';
import { parseCifarArchive } from '../../src/formats/cifar';
import { assembleDataset, parseManifestText, verifyShard } from '../../src/formats/shards';
import { makeCifar10, makeCifar100 } from './formats-fixtures';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const run = promisify(execFile);

type Result = { code: number; stdout: string; stderr: string };

async function importCli(...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(TSX, ['src/cli/import.ts', ...args], { cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Reads DIR back the way the workbench would: manifest, every shard hashed, assembled. */
async function loadDir(dir: string): Promise<Dataset> {
  const manifest = parseManifestText(await readFile(join(dir, 'manifest.json'), 'utf8'), 'manifest.json');
  const load = async (split: 'train' | 'test') =>
    Promise.all(
      manifest.splits[split].map(async (ref) => {
        const bytes = new Uint8Array(await readFile(join(dir, ref.url)));
        await verifyShard(ref, bytes);
        return bytes;
      }),
    );
  return assembleDataset(manifest, { train: await load('train'), test: await load('test') });
}

function expectSameData(a: Dataset, b: Dataset): void {
  expect(a.classNames).toEqual(b.classNames);
  expect(a.shape).toEqual(b.shape);
  for (const split of ['train', 'test'] as const) {
    expect(a[split].count).toBe(b[split].count);
    expect(Buffer.from(a[split].labels.buffer).equals(Buffer.from(b[split].labels.buffer))).toBe(true);
    expect(Buffer.from(a[split].images).equals(Buffer.from(b[split].images))).toBe(true);
  }
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'classwise-import-'));
}

// Each case starts tsx subprocesses (about 1 s each, more on a loaded machine).
describe('npm run import, CIFAR archives', { timeout: 60_000 }, () => {
  it('converts a CIFAR-10 archive into shards and a manifest that load back to the same data', async () => {
    const dir = await tempDir();
    const archive = join(dir, 'cifar-10-binary.tar.gz');
    const { bytes } = makeCifar10({ perBatch: 4, testCount: 5 });
    await writeFile(archive, bytes);
    const out = join(dir, 'out');
    const { code, stdout, stderr } = await importCli(archive, '--out', out, '--shard-mb', '0.01');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/imported cifar-10: 10 classes, 20 train \+ 5 test images of 32×32×3/);
    // 0.01 MiB holds 3 images of 3,074 bytes: 7 training shards and 2 test shards.
    expect((await readdir(out)).sort()).toEqual([
      'manifest.json',
      ...['000', '001'].map((n) => `test-${n}.bin`),
      ...['000', '001', '002', '003', '004', '005', '006'].map((n) => `train-${n}.bin`),
    ]);
    expectSameData(await loadDir(out), await parseCifarArchive(bytes, 'x'));
  });

  it('takes CIFAR-100 coarse labels with --labels coarse, replacing an earlier import in the same folder', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out');
    await mkdir(out);
    await writeFile(join(out, 'manifest.json'), '{}');
    await writeFile(join(out, 'train-017.bin'), 'stale');
    const archive = join(dir, 'cifar-100-binary.tar.gz');
    const fixture = makeCifar100({ trainCount: 5, testCount: 2 });
    await writeFile(archive, fixture.bytes);
    const { code, stdout } = await importCli(archive, '--out', out, '--labels', 'coarse');
    expect(code).toBe(0);
    expect(stdout).toMatch(/imported cifar-100-coarse: 20 classes/);
    expect((await readdir(out)).sort()).toEqual(['manifest.json', 'test-000.bin', 'train-000.bin']);
    const loaded = await loadDir(out);
    expect(Array.from(loaded.train.labels)).toEqual(fixture.trainCoarse);
  });

  it('refuses a truncated archive, a zip and bad arguments with exit 2, naming the file, writing no manifest', async () => {
    const dir = await tempDir();
    const { bytes } = makeCifar10();
    const truncated = join(dir, 'cut.tar.gz');
    await writeFile(truncated, bytes.subarray(0, bytes.length >> 1));
    const zip = join(dir, 'cifar.zip');
    await writeFile(zip, Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...new Uint8Array(1000)]));
    const foreign = join(dir, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'mine');
    const good = join(dir, 'good.tar.gz');
    await writeFile(good, bytes);

    const [cut, notGzip, noOut, badLabels, notEmpty, missing] = await Promise.all([
      importCli(truncated, '--out', join(dir, 'out1')),
      importCli(zip, '--out', join(dir, 'out2')),
      importCli(good),
      importCli(good, '--out', join(dir, 'out3'), '--labels', 'medium'),
      importCli(good, '--out', foreign),
      importCli(join(dir, 'nope.tar.gz'), '--out', join(dir, 'out4')),
    ]);
    expect(cut.code).toBe(2);
    expect(cut.stderr.trim()).toBe(`error: ${truncated}: truncated gzip data`);
    expect(existsSync(join(dir, 'out1', 'manifest.json'))).toBe(false);
    expect(notGzip.code).toBe(2);
    expect(notGzip.stderr).toMatch(new RegExp(`^error: ${zip.replace(/[.]/g, '\\.')}: not a gzip-compressed tar archive`));
    expect(existsSync(join(dir, 'out2', 'manifest.json'))).toBe(false);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/^error: give --out DIR[^]*usage: npm run import/);
    expect(badLabels.code).toBe(2);
    expect(badLabels.stderr).toMatch(/--labels must be fine or coarse, not "medium"/);
    expect(notEmpty.code).toBe(2);
    expect(notEmpty.stderr).toMatch(/holds files that are not an earlier import \(notes\.txt\)/);
    expect(await readdir(foreign)).toEqual(['notes.txt']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.tar\.gz: no such file or folder/);
  });
});

describe('npm run import, image folders', { timeout: 60_000 }, () => {
  /** A w×h RGB image whose pixel (x, y) is a function of the seed. */
  function rgb(w: number, h: number, seed: number): Uint8Array {
    return Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 29 + seed * 53) & 255);
  }
  function png(w: number, h: number, seed: number): Buffer {
    const image = new PNG({ width: w, height: h });
    const pixels = rgb(w, h, seed);
    for (let p = 0; p < w * h; p++) image.data.set([pixels[3 * p]!, pixels[3 * p + 1]!, pixels[3 * p + 2]!, 255], 4 * p);
    return PNG.sync.write(image);
  }
  function jpg(w: number, h: number): Buffer {
    return jpeg.encode({ width: w, height: h, data: new Uint8Array(w * h * 4).fill(200) }, 95).data;
  }

  it('decodes PNG and JPEG class folders, splits them, and writes a loadable dataset', async () => {
    const dir = await tempDir();
    const folder = join(dir, 'shapes');
    for (const [cls, n] of [['circle', 4], ['square', 3]] as const) {
      await mkdir(join(folder, cls), { recursive: true });
      for (let i = 0; i < n; i++) await writeFile(join(folder, cls, `${i}.png`), png(6, 5, i));
    }
    await writeFile(join(folder, 'square', 'photo.jpg'), jpg(6, 5));
    await writeFile(join(folder, '.DS_Store'), 'ignored');
    const out = join(dir, 'out');
    const { code, stdout, stderr } = await importCli(folder, '--out', out, '--test-fraction', '0.25', '--seed', '1');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/imported shapes: 2 classes, 6 train \+ 2 test images of 5×6×3/);
    const loaded = await loadDir(out);
    expect(loaded.classNames).toEqual(['circle', 'square']);
    expect(loaded.shape).toEqual([5, 6, 3]);
    // Every PNG's pixels arrive exactly, in whichever split it landed; the JPEG is near its flat grey.
    const all = [loaded.train, loaded.test].flatMap((s) => Array.from({ length: s.count }, (_, i) => s.images.subarray(i * 90, (i + 1) * 90)));
    const pngs = [0, 1, 2, 3].map((i) => Buffer.from(rgb(6, 5, i)));
    for (const expected of pngs) expect(all.some((image) => Buffer.from(image).equals(expected))).toBe(true);
    expect(all.some((image) => image.every((v) => Math.abs(v - 200) <= 3))).toBe(true);
  });

  it('refuses a non-image file, an empty class and mixed sizes, naming the file, with exit 2', async () => {
    const dir = await tempDir();
    const make = async (name: string, files: Record<string, Buffer | string>, dirs: string[] = []) => {
      const root = join(dir, name);
      for (const d of dirs) await mkdir(join(root, d), { recursive: true });
      for (const [path, data] of Object.entries(files)) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        await writeFile(join(root, path), data);
      }
      return root;
    };
    const base = { 'train/a/1.png': png(4, 4, 1), 'train/b/1.png': png(4, 4, 2), 'test/a/2.png': png(4, 4, 3), 'test/b/2.png': png(4, 4, 4) };
    const nonImage = await make('non-image', { ...base, 'train/b/labels.csv': 'x' });
    const empty = await make('empty', base, ['train/c', 'test/c']);
    const mixed = await make('mixed', { ...base, 'test/b/2.png': png(8, 4, 4) });
    const webp = await make('webp', { ...base, 'test/b/2.webp': 'RIFF' });
    const [r1, r2, r3, r4] = (await Promise.all(
      [nonImage, empty, mixed, webp].map((folder, i) => importCli(folder, '--out', join(dir, `out${i}`))),
    )) as [Result, Result, Result, Result];
    expect(r1.code).toBe(2);
    expect(r1.stderr.trim()).toBe(`error: ${join(nonImage, 'train/b/labels.csv')}: is not an image (by its extension; images are .jpg, .jpeg, .png, .webp)`);
    expect(r2.code).toBe(2);
    expect(r2.stderr.trim()).toBe(`error: ${join(empty, 'test/c/')}: class "c" has no images`);
    expect(r3.code).toBe(2);
    expect(r3.stderr.trim()).toMatch(`error: ${join(mixed, 'test/b/2.png')}: is 8×4 pixels, but ${join(mixed, 'train/a/1.png')} is 4×4`);
    expect(r4.code).toBe(2);
    expect(r4.stderr).toMatch(/2\.webp: WebP images are not decoded by the import CLI; import this folder in the workbench/);
    for (let i = 0; i < 4; i++) expect(existsSync(join(dir, `out${i}`))).toBe(false);
  });
});
