/** Datasets in the engine worker: the built-in Fashion-MNIST from its shards, then from IndexedDB with no network. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openHarness, type HarnessSession } from './session';

let session: HarnessSession;
const requests: string[] = [];
beforeAll(async () => {
  session = await openHarness();
  session.chromium.context.on('request', (request) => requests.push(request.url()));
});
afterAll(async () => {
  await session?.close();
});

it('loads the built-in Fashion-MNIST once for three callers at the same time, then serves it from the cache without a network request', async () => {
  requests.length = 0;
  const first = await session.page.evaluate(() => window.harness!.describeInWorker({ kind: 'builtin', name: 'fashion-mnist' }, 3));
  // One download however many ask: the manifest once, each shard once, and every caller told how it went.
  const fetched = requests.filter((url) => url.includes('/datasets/fashion-mnist/'));
  expect(fetched.filter((url) => url.endsWith('manifest.json'))).toHaveLength(1);
  expect(new Set(fetched).size).toBe(fetched.length);
  expect(first.summaries.every((s) => JSON.stringify(s) === JSON.stringify(first.summary))).toBe(true);
  expect(first.progressByCaller.map((p) => p.length > 0)).toEqual([true, true, true]);
  expect(first.summary.name).toBe('fashion-mnist');
  expect(first.summary.classNames).toHaveLength(10);
  expect(first.summary.classNames[3]).toBe('Dress');
  expect(first.summary.trainCount).toBe(60_000);
  expect(first.summary.testCount).toBe(10_000);
  expect(first.summary.shape).toEqual([28, 28, 1]);
  const downloaded = requests.filter((url) => url.includes('/datasets/fashion-mnist/'));
  expect(downloaded.some((url) => url.endsWith('manifest.json'))).toBe(true);
  expect(downloaded.filter((url) => url.endsWith('.bin')).length).toBe(first.progress.at(-1)!.shards);
  expect(first.progress.some((p) => !p.fromCache)).toBe(true);

  // A reload: fresh page, fresh worker, same browser profile.
  await session.page.reload();
  await session.page.waitForFunction(() => typeof window.harness === 'object');
  requests.length = 0;
  const second = await session.page.evaluate(() => window.harness!.describeInWorker({ kind: 'builtin', name: 'fashion-mnist' }));
  expect(second.summary).toEqual(first.summary);
  expect(requests.filter((url) => url.includes('/datasets/'))).toEqual([]);
  expect(second.progress.every((p) => p.fromCache)).toBe(true);
  console.log(`Fashion-MNIST: ${first.progress.at(-1)!.totalBytes} bytes in ${first.progress.at(-1)!.shards} shards, content ${first.summary.contentHash.slice(0, 12)}`);
  // The same prefix that npm run publish-study computes in Node from these shards (test/unit/publish-cli.test.ts):
  // volunteers' results are checked against it.
  expect(first.summary.contentHash.startsWith('85b8ce9ddab9')).toBe(true);
});

it('refuses a manifest URL that does not exist, saying which', async () => {
  const result = await session.page.evaluate(() =>
    window.harness!.describeInWorker({ kind: 'manifest', url: '/datasets/nowhere/manifest.json' }).then(
      () => 'loaded',
      (error: Error) => error.message,
    ),
  );
  // Vite's dev server answers unknown paths with its HTML page, a static host with 404: both are named.
  expect(result).toMatch(/\/datasets\/nowhere\/manifest\.json: (HTTP 404|not JSON)/);
});

it('trains on a slice of Fashion-MNIST: three classes, 32 training and 16 test images each, resized to 14 px, recorded in the identity', async () => {
  const report = await session.page.evaluate(() =>
    window.harness!.runInWorker({
      config: {
        model: { arch: 'resnet8', width: 0.25 },
        dataset: { kind: 'builtin', name: 'fashion-mnist', classes: ['Trouser', 'Bag', 'Sandal'], trainPerClass: 32, testPerClass: 16, resize: 14, seed: 3 },
        training: { epochs: 2, batchSize: 32, optimizer: { lr: 0.05, momentum: 0.9 }, bnMomentum: 0.5, lossReadEvery: 3 },
      },
      seed: 0,
    }),
  );
  expect(report.error).toBeNull();
  const result = report.result as { dataset: { classNames: string[]; testCount: number; slice: unknown }; perClass: { class: string; total: number }[]; history: unknown[] };
  // Labels follow the dataset's own class order, not the subset's.
  expect(result.dataset.classNames).toEqual(['Trouser', 'Sandal', 'Bag']);
  expect(result.dataset.testCount).toBe(48);
  expect(result.perClass.map((c) => [c.class, c.total])).toEqual([
    ['Trouser', 16],
    ['Sandal', 16],
    ['Bag', 16],
  ]);
  // Three steps an epoch (96 images, batch 32), two epochs.
  expect(result.history).toHaveLength(6);
  // The identity names the classes in the dataset's order: the same subset written in another order is the same slice.
  expect(result.dataset.slice).toMatchObject({ of: { name: 'fashion-mnist' }, classes: ['Trouser', 'Sandal', 'Bag'], trainPerClass: 32, testPerClass: 16, resize: 14, seed: 3 });
});
