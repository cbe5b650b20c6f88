/** The Fashion-MNIST split and order, and (when `npm run datasets` has run) the built shards. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classInterleavedOrder, FASHION_MNIST_CLASS_NAMES, FASHION_MNIST_ORDER_SEED } from '../../src/data/fashion-mnist';
import { decodeShard, parseManifest, verifyShard } from '../../src/formats/shards';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUILT = join(ROOT, 'public/datasets/fashion-mnist');

describe('classInterleavedOrder', () => {
  it('visits image r of every class in round r, in a seeded class order, so every prefix is balanced', () => {
    const order = classInterleavedOrder(10, 600, 0, 'fashion-mnist-train');
    expect(order).toHaveLength(6000);
    expect(new Set(order.map(([k, r]) => `${k}:${r}`)).size).toBe(6000);
    const counts = new Array<number>(10).fill(0);
    order.forEach(([k, r], i) => {
      expect(r).toBe(Math.floor(i / 10));
      counts[k]!++;
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    });
    expect(order.slice(0, 10).map(([k]) => k)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(classInterleavedOrder(10, 600, 0, 'fashion-mnist-train')).toEqual(order);
    expect(classInterleavedOrder(10, 600, 0, 'fashion-mnist-test')).not.toEqual(order);
  });
});

describe.skipIf(!existsSync(join(BUILT, 'manifest.json')))('the built Fashion-MNIST (npm run datasets)', { timeout: 30_000 }, () => {
  it('has 60,000 training and 10,000 test images in the documented order', async () => {
    const manifest = parseManifest(JSON.parse(await readFile(join(BUILT, 'manifest.json'), 'utf8')));
    expect(manifest.name).toBe('fashion-mnist');
    expect(manifest.classNames).toEqual(FASHION_MNIST_CLASS_NAMES);
    expect(manifest.shape).toEqual([28, 28, 1]);
    expect(manifest.splits.train.reduce((n, r) => n + r.count, 0)).toBe(60_000);
    expect(manifest.splits.test.reduce((n, r) => n + r.count, 0)).toBe(10_000);

    const ref = manifest.splits.test[0]!;
    const bytes = new Uint8Array(await readFile(join(BUILT, ref.url)));
    await verifyShard(ref, bytes);
    const shard = decodeShard(bytes, manifest.shape, { classes: 10, file: ref.url });
    const order = classInterleavedOrder(10, 1000, FASHION_MNIST_ORDER_SEED, 'fashion-mnist-test');
    expect(Array.from(shard.labels.subarray(0, 30))).toEqual(order.slice(0, 30).map(([k]) => k));

    // Test image 0 is image 6000 + r of its class in the package (empty entries dropped).
    const [k, r] = order[0]!;
    const file = join(dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json')), 'src/clothes', `${k}.json`);
    const images = (JSON.parse(await readFile(file, 'utf8')) as { data: number[][] }).data.filter((image) => image.length > 0);
    expect(Array.from(shard.images.subarray(0, 784))).toEqual(images[6000 + r]);
  });
});
