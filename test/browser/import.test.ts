/**
 * Importing the user's own files in the engine worker: CIFAR-10/100 binary
 * archives (a picked file, or a URL served here by playwright's router) and
 * image folders (PNG and JPEG made here with pngjs and jpeg-js, decoded in the
 * worker). Each import goes into IndexedDB and then loads, by its
 * `import:` id, through the same cache path as any manifest dataset, with no
 * network request. Bad input is refused naming the file, and leaves nothing
 * behind. The tests share one profile and run in order.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { CDPSession } from 'playwright-core';
import type { CachedDataset, ImageFolderOptions } from '../../workers/api';
import type { ImportReport, TestFile } from './harness';
import { datasetIdentity } from '../../src/data/dataset';
import { parseCifarArchive } from '../../src/formats/cifar';
import { planImageFolder } from '../../src/formats/image-folder';
import { parseRunConfig } from '../../src/study/config';
import { CIFAR100_COARSE, CIFAR10_NAMES, fixturePixel, gzip, makeCifar10, makeCifar100, makeTar, pngClaiming } from '../unit/formats-fixtures';
import { openHarness, type HarnessSession } from './session';

/**
 * The origin's quota (set through CDP before the page first opens IndexedDB):
 * room for the small imports and the first 4 MiB shard of `big`, not for its second.
 */
const QUOTA = 5_000_000;

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

const cifar10 = makeCifar10(); // 15 train + 4 test
const cifar100 = makeCifar100({ trainCount: 6, testCount: 3 });
const served10 = makeCifar10({ perBatch: 2, testCount: 3 }); // another archive, imported by URL
/**
 * A CIFAR-10 archive of random pixels: Chromium compresses what IndexedDB
 * stores, so only incompressible shards take their full size of the quota.
 */
function randomCifar10(perBatch: number, testCount: number): Uint8Array {
  const batch = (n: number) => {
    const bytes = randomBytes(n * 3073);
    for (let r = 0; r < n; r++) bytes[r * 3073] = r % 10;
    return new Uint8Array(bytes);
  };
  return gzip(
    makeTar([
      ...[1, 2, 3, 4, 5].map((b) => ({ name: `cifar-10-batches-bin/data_batch_${b}.bin`, data: batch(perBatch) })),
      { name: 'cifar-10-batches-bin/test_batch.bin', data: batch(testCount) },
      { name: 'cifar-10-batches-bin/batches.meta.txt', data: CIFAR10_NAMES.join('\n') + '\n' },
    ]),
  );
}
const big = randomCifar10(400, 10); // 2000 train images: shards of 4.0 MiB and 1.86 MiB, then the test shard

/** What the router serves under archives/, and the requests it saw there. */
const served = new Map<string, Uint8Array>([
  ['cifar-10-binary.tar.gz', served10.bytes],
  ['same.tar.gz', cifar10.bytes],
]);
const routed = new Map<string, number>();
/** Every request the browser made (page and workers), with its resource type. */
const requests: { url: string; type: string }[] = [];
const archiveUrl = (name: string) => new URL(`archives/${name}`, inject('baseUrl')).href;
/** Requests that fetch data: anything but the app's own modules, which a fresh worker loads (from Vite or the HTTP cache). */
const dataRequests = () => requests.filter((r) => r.type === 'fetch' || r.type === 'xhr' || r.url.includes('/archives/') || r.url.startsWith('import:'));

let session: HarnessSession;
let cdp: CDPSession;
let origin: string;
beforeAll(async () => {
  session = await openHarness();
  origin = new URL(inject('baseUrl')).origin;
  cdp = await session.page.context().newCDPSession(session.page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: QUOTA });
  session.chromium.context.on('request', (request) => requests.push({ url: request.url(), type: request.resourceType() }));
  await session.page.route('**/archives/**', async (route) => {
    const name = new URL(route.request().url()).pathname.replace(/^.*\/archives\//, '');
    routed.set(name, (routed.get(name) ?? 0) + 1);
    const body = served.get(name);
    if (!body) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, body: Buffer.from(body), contentType: 'application/gzip' });
  });
});
afterAll(async () => {
  await cdp?.send('Storage.overrideQuotaForOrigin', { origin }).catch(() => undefined);
  await session?.close();
});

const importArchive = (source: { base64: string; name: string } | { url: string }, options: { labels?: 'fine' | 'coarse' } = {}) =>
  session.page.evaluate(([s, o]) => window.harness!.importArchiveInWorker(s, o), [source, options] as const);
const importFolder = (files: TestFile[], options: ImageFolderOptions) =>
  session.page.evaluate(([f, o]) => window.harness!.importFolderInWorker(f, o), [files, options] as const);
const list = () => session.page.evaluate(() => window.harness!.listDatasetsInWorker());
const describe = (url: string) => session.page.evaluate((u) => window.harness!.describeInWorker({ kind: 'manifest', url: u }), url);
const pixels = (url: string) => session.page.evaluate((u) => window.harness!.datasetPixels({ kind: 'manifest', url: u }), url);

function ok(report: ImportReport) {
  if (!report.ok) throw new Error(`${report.name}: ${report.message}`);
  return report.value;
}
function refused(report: ImportReport): string {
  if (report.ok) throw new Error(`imported ${report.value.config.url}, expected a refusal`);
  return `${report.name}: ${report.message}`;
}
const shardBytes = (count: number, pixels: number) => 24 + count * (2 + pixels);

/** The imports that must survive everything after them. */
const imported: Record<string, string> = {};

it('imports a CIFAR-10 archive from a picked file, lists it, and loads it by its id with no network request', async () => {
  const expected = await datasetIdentity(await parseCifarArchive(cifar10.bytes, 'cifar-10-binary.tar.gz'));
  const report = await importArchive({ base64: base64(cifar10.bytes), name: 'cifar-10-binary.tar.gz' });
  const { config, summary } = ok(report);
  const id = `import:cifar-10/${expected.contentHash.slice(0, 12)}`;
  expect(config).toEqual({ kind: 'manifest', url: id });
  expect(summary).toEqual({ ...expected, shape: [32, 32, 3], trainCount: 15 });
  expect(summary.classNames).toEqual(CIFAR10_NAMES);
  expect(summary.testCount).toBe(4);
  // The id is a URL the loader keeps as it is, and a run config takes it.
  expect(new URL(id, 'http://127.0.0.1:5173/workers/engine.worker.ts').href).toBe(id);
  expect(parseRunConfig({ model: { arch: 'resnet20' }, dataset: config, training: { epochs: 1, batchSize: 4, optimizer: { lr: 0.1 } } }).dataset).toEqual(config);
  const stages = report.progress.map((p) => p.stage);
  expect(stages[0]).toBe('reading');
  expect(report.progress.filter((p) => p.stage === 'reading').at(-1)).toEqual({ stage: 'reading', done: cifar10.bytes.length, total: cifar10.bytes.length });
  expect(new Set(stages)).toEqual(new Set(['reading', 'decoding', 'sharding', 'storing']));
  expect(report.progress.at(-1)).toEqual({ stage: 'storing', done: 2, total: 2 });

  const bytes = shardBytes(15, 3072) + shardBytes(4, 3072);
  expect(await list()).toEqual([expect.objectContaining({ id, name: 'cifar-10', bytes, complete: true })]);

  requests.length = 0;
  const described = await describe(id);
  expect(described.summary).toEqual(summary);
  expect(described.progress.every((p) => p.fromCache)).toBe(true);
  expect(dataRequests()).toEqual([]);

  // The pixels and labels, as the page's own loader reads them back: HWC from the planar records.
  const data = await pixels(id);
  expect(data.train.labels).toEqual(cifar10.trainLabels);
  expect(data.test.labels).toEqual(cifar10.testLabels);
  for (const p of [0, 1, 33, 1023]) for (let c = 0; c < 3; c++) expect(data.train.images[7]![3 * p + c]).toBe(fixturePixel(7, p, c));
  imported.cifar10 = id;
  console.log(
    `CIFAR-10 fixture: ${cifar10.bytes.length} bytes gzipped → ${bytes} bytes in 2 shards; import ${report.ms.toFixed(0)} ms, ` +
      `describe from the cache with ${requests.length} requests (${dataRequests().length} for data)`,
  );
});

it('imports a CIFAR-100 archive with coarse labels', async () => {
  const expected = await datasetIdentity(await parseCifarArchive(cifar100.bytes, 'cifar-100-binary.tar.gz', { labels: 'coarse' }));
  const { config, summary } = ok(await importArchive({ base64: base64(cifar100.bytes), name: 'cifar-100-binary.tar.gz' }, { labels: 'coarse' }));
  expect(config.url).toBe(`import:cifar-100-coarse/${expected.contentHash.slice(0, 12)}`);
  expect(summary).toEqual({ ...expected, shape: [32, 32, 3], trainCount: 6 });
  expect(summary.classNames).toEqual(CIFAR100_COARSE);
  const data = await pixels(config.url);
  expect(data.train.labels).toEqual(cifar100.trainCoarse);
  expect(data.test.labels).toEqual(cifar100.testCoarse);
  expect((await describe(config.url)).summary).toEqual(summary);
  imported.cifar100 = config.url;
});

it('imports an archive by URL with one request and byte progress; loading it again makes none', async () => {
  const expected = await datasetIdentity(await parseCifarArchive(served10.bytes, 'served'));
  routed.clear();
  const report = await importArchive({ url: archiveUrl('cifar-10-binary.tar.gz') });
  const { config, summary } = ok(report);
  expect(routed.get('cifar-10-binary.tar.gz')).toBe(1);
  expect(config.url).toBe(`import:cifar-10/${expected.contentHash.slice(0, 12)}`);
  expect(config.url).not.toBe(imported.cifar10);
  expect(summary).toEqual({ ...expected, shape: [32, 32, 3], trainCount: 10 });
  const reading = report.progress.filter((p) => p.stage === 'reading');
  expect(reading[0]).toEqual({ stage: 'reading', done: 0, total: served10.bytes.length }); // Content-Length known
  expect(reading.at(-1)).toEqual({ stage: 'reading', done: served10.bytes.length, total: served10.bytes.length });

  routed.clear();
  requests.length = 0;
  expect((await describe(config.url)).summary).toEqual(summary);
  expect(routed.size).toBe(0);
  expect(dataRequests()).toEqual([]);
  imported.served = config.url;

  // The archive imported from a file before, now by URL: the same content, the same id, still listed once.
  const listed = await list();
  const again = ok(await importArchive({ url: archiveUrl('same.tar.gz') }));
  expect(routed.get('same.tar.gz')).toBe(1);
  expect(again.config.url).toBe(imported.cifar10);
  expect(await list()).toEqual([...listed]);
  console.log(`CIFAR-10 by URL: ${served10.bytes.length} bytes, 1 request to import, 0 to load it again`);
});

/** An image of one colour, as PNG (exact) or JPEG (quality 95). */
function solid(width: number, height: number, rgb: [number, number, number], format: 'png' | 'jpeg' = 'png'): Uint8Array {
  const rgba = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) rgba.set([...rgb, 255], 4 * p);
  return format === 'png' ? encodePng(width, height, rgba) : new Uint8Array(jpeg.encode({ width, height, data: rgba }, 95).data);
}
function encodePng(width: number, height: number, rgba: Buffer): Uint8Array {
  const png = new PNG({ width, height });
  rgba.copy(png.data);
  return new Uint8Array(PNG.sync.write(png));
}
const file = (path: string, bytes: Uint8Array, type?: string): TestFile => ({ path, base64: base64(bytes), ...(type && { type }) });
/** An 8×8 PNG whose signature and header are intact and whose pixel data (everything after IHDR) is noise. */
const brokenPng = (): Uint8Array => {
  const png = encodePng(8, 8, Buffer.alloc(8 * 8 * 4, 200));
  const ihdrEnd = 8 + 8 + 13 + 4;
  return new Uint8Array([...png.subarray(0, ihdrEnd), ...randomBytes(200)]);
};

/** train/ and test/ folders, mixed sizes, a JPEG among the PNGs, and a hidden file the plan ignores. */
const colours: Record<string, { rgb: [number, number, number]; bytes: Uint8Array; exact: boolean }> = {
  'pets/train/blue/b1.png': { rgb: [10, 40, 230], bytes: solid(8, 8, [10, 40, 230]), exact: true },
  'pets/train/blue/b2.jpg': { rgb: [20, 60, 200], bytes: solid(16, 16, [20, 60, 200], 'jpeg'), exact: false },
  'pets/train/red/r1.png': { rgb: [220, 30, 40], bytes: solid(16, 16, [220, 30, 40]), exact: true },
  'pets/train/red/r2.png': { rgb: [200, 20, 10], bytes: solid(12, 10, [200, 20, 10]), exact: true },
  'pets/test/blue/b3.png': { rgb: [0, 0, 255], bytes: solid(8, 8, [0, 0, 255]), exact: true },
  'pets/test/red/r3.png': { rgb: [255, 0, 0], bytes: solid(9, 9, [255, 0, 0]), exact: true },
};
const petFiles = [...Object.entries(colours).map(([path, { bytes }]) => file(path, bytes, path.endsWith('.jpg') ? 'image/jpeg' : 'image/png')), file('pets/.DS_Store', randomBytes(64))];

it('imports an image folder with train/ and test/, resized to 8×8: solid colours come out right', async () => {
  const report = await importFolder(petFiles, { name: 'pets', size: 8 });
  const { config, summary } = ok(report);
  expect(config.url).toMatch(/^import:pets\/[0-9a-f]{12}$/);
  expect(summary).toMatchObject({ name: 'pets', classNames: ['blue', 'red'], shape: [8, 8, 3], trainCount: 4, testCount: 2 });
  const decoding = report.progress.filter((p) => p.stage === 'decoding');
  expect(decoding.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(decoding.every((p) => p.total === 6)).toBe(true);

  const data = await pixels(config.url);
  // Classes sorted, images interleaved by class: blue, red, blue, red.
  const order = { train: ['pets/train/blue/b1.png', 'pets/train/red/r1.png', 'pets/train/blue/b2.jpg', 'pets/train/red/r2.png'], test: ['pets/test/blue/b3.png', 'pets/test/red/r3.png'] };
  let worst = 0;
  for (const split of ['train', 'test'] as const) {
    expect(data[split].labels).toEqual(order[split].map((p) => (p.includes('/blue/') ? 0 : 1)));
    order[split].forEach((path, i) => {
      const { rgb, exact } = colours[path]!;
      const image = data[split].images[i]!;
      expect(image).toHaveLength(8 * 8 * 3);
      for (let p = 0; p < 64; p++) {
        for (let c = 0; c < 3; c++) {
          const error = Math.abs(image[3 * p + c]! - rgb[c]!);
          if (exact) expect(image[3 * p + c], `${path} pixel ${p} channel ${c}`).toBe(rgb[c]);
          else worst = Math.max(worst, error);
        }
      }
    });
  }
  expect(worst).toBeLessThanOrEqual(4); // the JPEG
  expect((await describe(config.url)).summary).toEqual(summary);
  imported.pets = config.url;
  console.log(`image folder: 6 images (5 PNG, 1 JPEG; 8×8 to 16×16) decoded and resized to 8×8 in ${report.ms.toFixed(0)} ms; JPEG off by ≤ ${worst}`);
});

it('imports class folders with a seeded test fraction, pixels exact without resizing', async () => {
  // 4×3 images whose every byte says which image, pixel and channel it is.
  const images = new Map<string, Uint8Array>();
  const rgbOf = new Map<string, number[]>();
  ['cat', 'dog'].forEach((cls, k) => {
    for (let i = 0; i < 5; i++) {
      const path = `${cls}/${i}.png`;
      const rgb: number[] = [];
      const rgba = Buffer.alloc(4 * 3 * 4);
      for (let p = 0; p < 12; p++) {
        for (let c = 0; c < 3; c++) rgb.push((k * 100 + i * 17 + p * 5 + c * 60) & 255);
        rgba.set([...rgb.slice(3 * p), 255], 4 * p);
      }
      images.set(path, encodePng(4, 3, rgba));
      rgbOf.set(path, rgb);
    }
  });
  const files = [...images].map(([path, bytes]) => file(path, bytes));
  const { config, summary } = ok(await importFolder(files, { name: 'animals', testFraction: 0.4, seed: 1 }));
  expect(summary).toMatchObject({ name: 'animals', classNames: ['cat', 'dog'], shape: [3, 4, 3], trainCount: 6, testCount: 4 });
  const plan = planImageFolder([...images.keys()], { testFraction: 0.4, seed: 1 });
  const data = await pixels(config.url);
  for (const split of ['train', 'test'] as const) {
    expect(data[split].labels).toEqual(plan[split].map((image) => image.label));
    expect(data[split].images).toEqual(plan[split].map((image) => rgbOf.get(image.path)));
  }
  imported.animals = config.url;
});

it('refuses bad input naming the file, and keeps every complete import and nothing else', async () => {
  const before = await list();
  expect(before.map((d) => d.id).sort()).toEqual(Object.values(imported).sort());
  const started = performance.now();
  const cifar = cifar10.bytes;
  const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...randomBytes(600)]);
  const messages = {
    truncated: refused(await importArchive({ base64: base64(cifar.subarray(0, cifar.length >> 1)), name: 'truncated.tar.gz' })),
    random: refused(await importArchive({ base64: base64(randomBytes(4096)), name: 'random.tar.gz' })),
    zip: refused(await importArchive({ base64: base64(zip), name: 'cifar-10-binary.zip' })),
    missing: refused(await importArchive({ url: archiveUrl('missing.tar.gz') })),
    mixed: refused(await importFolder(petFiles, { name: 'pets-unsized' })),
    emptyClass: refused(await importFolder([...petFiles, file('pets/train/green/', new Uint8Array(0))], { name: 'pets', size: 8 })),
    notImage: refused(await importFolder([...petFiles, file('pets/train/red/notes.txt', new TextEncoder().encode('a note'))], { name: 'pets', size: 8 })),
    disguised: refused(await importFolder([...petFiles, file('pets/test/red/bad.png', randomBytes(300), 'image/png')], { name: 'pets', size: 8 })),
    corrupt: refused(await importFolder([...petFiles, file('pets/test/red/bad.png', brokenPng(), 'image/png')], { name: 'pets', size: 8 })),
    // What would exhaust memory, refused before it does: a 68-byte PNG claiming 32,000² pixels, and 210 kB of gzip
    // inflating to 210 MB (one member: the browser's DecompressionStream refuses the members after the first as junk).
    hugeImage: refused(await importFolder([...petFiles, file('pets/train/red/huge.png', pngClaiming(32000, 32000), 'image/png')], { name: 'pets', size: 8 })),
    gzipBomb: refused(await importArchive({ base64: base64(gzipSync(Buffer.alloc(210e6))), name: 'cifar-10-binary.tar.gz' })),
  };
  expect(messages.truncated).toMatch(/^FormatError: truncated\.tar\.gz: truncated (gzip data|tar archive)/);
  expect(messages.random).toBe('FormatError: random.tar.gz: not a gzip-compressed tar archive (expected cifar-10-binary.tar.gz or cifar-100-binary.tar.gz)');
  expect(messages.zip).toBe('FormatError: cifar-10-binary.zip: not a gzip-compressed tar archive (expected cifar-10-binary.tar.gz or cifar-100-binary.tar.gz)');
  expect(messages.missing).toBe(`Error: could not download ${archiveUrl('missing.tar.gz')}: the server answered HTTP 404 Not Found`);
  // Images are decoded in plan order (classes interleaved): pets/train/blue/b1.png (8×8), then pets/train/red/r1.png (16×16).
  expect(messages.mixed).toBe('FormatError: pets/train/red/r1.png: is 16×16 pixels, but pets/train/blue/b1.png is 8×8; images of mixed sizes need a resolution to resize to');
  expect(messages.emptyClass).toBe('FormatError: pets/train/green/: class "green" has no images');
  expect(messages.notImage).toBe('FormatError: pets/train/red/notes.txt: is not an image (by its extension; images are .jpg, .jpeg, .png, .webp)');
  // Random bytes named .png are refused by their first bytes; a real PNG header over broken pixel data fails in the decoder.
  expect(messages.disguised).toBe('FormatError: pets/test/red/bad.png: is not a PNG, JPEG or WebP image (by its first bytes), whatever its extension says');
  expect(messages.corrupt).toMatch(/^FormatError: pets\/test\/red\/bad\.png: cannot be decoded as an image \(.+\)$/);
  expect(messages.hugeImage).toBe(
    'FormatError: pets/train/red/huge.png: declares 32000×32000 pixels (3.81 GiB decoded), more than the 8192×8192 an import decodes; it is refused before decoding',
  );
  expect(messages.gzipBomb).toBe(
    'FormatError: cifar-10-binary.tar.gz: inflates to more than the 200 MB allowed (a CIFAR-10 or CIFAR-100 binary archive is 184 MB as tar); refused before it fills memory',
  );

  const after = await list();
  expect(after).toEqual(before);
  expect(after.every((d) => d.complete)).toBe(true);
  console.log(`${Object.keys(messages).length} refusals in ${(performance.now() - started).toFixed(0)} ms:\n  ${Object.values(messages).join('\n  ')}`);
});

it('turns a full quota into StorageFullError naming the archive, leaving nothing of the import behind', async () => {
  const before = await list();
  const report = await importArchive({ base64: base64(big), name: 'big-cifar-10.tar.gz' });
  const message = refused(report);
  expect(message).toMatch(/^StorageFullError: Not enough browser storage to save shard train-001\.bin of the import of big-cifar-10\.tar\.gz: it needs 1\.96 MB/);
  // The first shard was stored before the quota ran out.
  expect(report.progress.filter((p) => p.stage === 'storing').at(-1)).toEqual({ stage: 'storing', done: 1, total: 3 });
  expect(await list()).toEqual(before);

  // The 4.0 MiB the failed import had stored are free again: 1.5 MiB more fits now, and would not have beside them.
  const medium = randomCifar10(100, 10);
  const { summary } = ok(await importArchive({ base64: base64(medium), name: 'medium.tar.gz' }));
  expect(summary.trainCount).toBe(500);
  imported.medium = (await list()).find((d) => !Object.values(imported).includes(d.id))!.id;
  console.log(`quota ${QUOTA} bytes: ${big.length} bytes gzipped (${shardBytes(1364, 3072)} + ${shardBytes(636, 3072)} + ${shardBytes(10, 3072)} bytes of shards): ${message.slice(0, 160)}…`);
});

it('says to import again when a shard of an import is lost from storage, instead of trying to download it', async () => {
  const id = imported.medium!;
  // Another dataset first, so the worker holds none of this one in memory.
  await session.page.evaluate(() => window.harness!.describeInWorker({ kind: 'synthetic', size: 4, classes: 2, trainPerClass: 2, testPerClass: 2 }));
  const lost = await session.page.evaluate(
    (datasetId) =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('classwise');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('shards', 'readwrite');
          const cursor = tx.objectStore('shards').index('byDataset').openCursor(IDBKeyRange.only(datasetId));
          cursor.onsuccess = () => {
            const sha = (cursor.result!.value as { sha256: string }).sha256;
            cursor.result!.delete();
            tx.oncomplete = () => {
              open.result.close();
              resolve(sha);
            };
          };
        };
      }),
    id,
  );
  expect(lost).toMatch(/^[0-9a-f]{64}$/);
  const error = await session.page.evaluate((u) => window.harness!.describeInWorker({ kind: 'manifest', url: u }).then(() => 'loaded', (e: Error) => e.message), id);
  expect(error).toMatch(new RegExp(`^shard \\S+ of the imported dataset ${id} is no longer in this browser's storage \\(damaged or evicted\\): import it again$`));
});

it('deletes an import: gone from the list, and loading it says to import it again', async () => {
  const id = imported.cifar100!;
  await session.page.evaluate((i) => window.harness!.deleteDatasetInWorker(i), id);
  const after: CachedDataset[] = await list();
  expect(after.map((d) => d.id)).not.toContain(id);
  expect(after.map((d) => d.id).sort()).toEqual(Object.values(imported).filter((i) => i !== id).sort());
  const error = await session.page.evaluate((u) => window.harness!.describeInWorker({ kind: 'manifest', url: u }).then(() => 'loaded', (e: Error) => e.message), id);
  expect(error).toBe(`the imported dataset ${id} is not in this browser's storage; import it again`);
});
