/** `npm run import` as a subprocess: CIFAR archives and image folders in, shards and a manifest out. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, symlink, truncate, writeFile } from 'node:fs/promises';
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
import { concat as concatBytes, gzipBomb, makeCifar10, makeCifar100, pngClaiming } from './formats-fixtures';

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

  it('imports a folder of grey images (grey PNGs, or RGB ones with R = G = B) as one channel', async () => {
    const dir = await tempDir();
    const folder = join(dir, 'digits');
    /** A grey 5×4 image whose pixel p is (p * 13 + seed * 41) mod 256. */
    const grey = (seed: number) => Uint8Array.from({ length: 20 }, (_, p) => (p * 13 + seed * 41) & 255);
    const greyPng = (seed: number, colorType: 0 | 2) => {
      const image = new PNG({ width: 5, height: 4, colorType, inputColorType: 6 });
      grey(seed).forEach((v, p) => image.data.set([v, v, v, 255], 4 * p));
      return PNG.sync.write(image, { colorType, inputColorType: 6 });
    };
    for (const [split, seeds] of [['train', [1, 2]], ['test', [3]]] as const) {
      for (const cls of ['zero', 'one']) {
        await mkdir(join(folder, split, cls), { recursive: true });
        // Grey PNGs (colour type 0) and RGB PNGs whose channels are equal: both are grey images.
        for (const seed of seeds) await writeFile(join(folder, split, cls, `${seed}.png`), greyPng(seed + (cls === 'one' ? 10 : 0), seed === 2 ? 2 : 0));
      }
    }
    const out = join(dir, 'out');
    const { code, stdout, stderr } = await importCli(folder, '--out', out);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/imported digits: 2 classes, 4 train \+ 2 test images of 4×5×1/);
    const loaded = await loadDir(out);
    expect(loaded.shape).toEqual([4, 5, 1]);
    // Classes sorted (one, zero), images interleaved by class: one/1, zero/1, one/2, zero/2.
    expect(loaded.classNames).toEqual(['one', 'zero']);
    expect(Buffer.from(loaded.train.images).equals(Buffer.from(concatBytes([grey(11), grey(1), grey(12), grey(2)])))).toBe(true);
    expect(Buffer.from(loaded.test.images).equals(Buffer.from(concatBytes([grey(13), grey(3)])))).toBe(true);
  });

  it('refuses, naming the file, imports that would exhaust memory, and symbolic-link loops', async () => {
    const dir = await tempDir();
    const classFolders = async (name: string, extra: Record<string, Uint8Array>) => {
      const root = join(dir, name);
      for (const cls of ['a', 'b']) await mkdir(join(root, cls), { recursive: true });
      for (const cls of ['a', 'b']) for (let i = 0; i < 3; i++) await writeFile(join(root, cls, `${i}.png`), png(4, 4, i));
      for (const [path, bytes] of Object.entries(extra)) await writeFile(join(root, path), bytes);
      return root;
    };
    // A 68-byte PNG whose header claims 32,000 × 32,000 pixels (a decoder would allocate 3.8 GiB).
    const bomb = await classFolders('bomb', { 'a/0.png': pngClaiming(32000, 32000) });
    // 22 images of 4096 × 4096 (headers only: refused before any is decoded) would be 1.1 GiB of pixels.
    const huge = join(dir, 'huge');
    for (const cls of ['a', 'b']) {
      await mkdir(join(huge, cls), { recursive: true });
      for (let i = 0; i < 11; i++) await writeFile(join(huge, cls, `${i}.png`), pngClaiming(4096, 4096));
    }
    // A symbolic link to itself (ELOOP), and one back to the folder being imported.
    const selfLoop = await classFolders('self-loop', {});
    await symlink('self', join(selfLoop, 'b', 'self'));
    const parentLoop = await classFolders('parent-loop', {});
    await symlink('..', join(parentLoop, 'a', 'back'));
    // 1 MB of gzip that inflates to 1 GiB, and a 300 MB file (sparse: it takes no disk).
    const gzBomb = join(dir, 'cifar-10-binary.tar.gz');
    await writeFile(gzBomb, gzipBomb(64));
    const big = join(dir, 'big.tar');
    await writeFile(big, '');
    await truncate(big, 300e6);

    const started = performance.now();
    const [r1, r2, r3, r4, r5, r6] = await Promise.all([bomb, huge, selfLoop, parentLoop, gzBomb, big].map((input, i) => importCli(input, '--out', join(dir, `out${i}`))));
    const seconds = (performance.now() - started) / 1000;
    for (const r of [r1, r2, r3, r4, r5, r6]) {
      expect(r!.code).toBe(2);
      expect(r!.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
    expect(r1!.stderr.trim()).toBe(
      `error: ${join(bomb, 'a/0.png')}: declares 32000×32000 pixels (3.81 GiB decoded), more than the 8192×8192 an import decodes; it is refused before decoding`,
    );
    expect(r2!.stderr.trim()).toBe(
      `error: ${huge}: 22 images of 4096×4096 RGB would take 1.03 GiB in memory, more than the 1 GiB an import may hold; resize to a smaller resolution or import fewer images`,
    );
    expect(r3!.stderr.trim()).toBe(`error: ${join(selfLoop, 'b', 'self')}: is a symbolic link that loops back on itself (ELOOP)`);
    expect(r4!.stderr.trim()).toBe(`error: ${join(parentLoop, 'a', 'back')}: is a symbolic link to the folder being imported, which contains it: a loop`);
    expect(r5!.stderr.trim()).toBe(
      `error: ${gzBomb}: inflates to more than the 200 MB allowed (a CIFAR-10 or CIFAR-100 binary archive is 184 MB as tar); refused before it fills memory`,
    );
    expect(r6!.stderr.trim()).toBe(`error: ${big}: is 300 MB, more than the 200 MB allowed (a CIFAR-10 or CIFAR-100 binary archive is 184 MB as tar); refused before reading it`);
    for (let i = 0; i < 6; i++) expect(existsSync(join(dir, `out${i}`))).toBe(false);
    // Refused before the work, not after it: six CLI starts in parallel, each well under the 36 s a 20,000² PNG used to hold 4 GiB for.
    expect(seconds).toBeLessThan(60);
  });
});
