import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset';
import { generateTeaching, TEACHING_CLASSES, teachingBorderBand } from '../../src/data/teaching';
import { Rng } from '../../src/util/rng';

const SIZE = 32;
const BAND = teachingBorderBand(SIZE);
const dataset = generateTeaching({ size: SIZE, perClassTrain: 120, perClassTest: 60, seed: 7 });

/** Byte equality, fast (vitest's deep equality is slow on large typed arrays). */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function pixel(images: Uint8Array, i: number, x: number, y: number): [number, number, number] {
  const o = i * SIZE * SIZE * 3 + (y * SIZE + x) * 3;
  return [images[o]!, images[o + 1]!, images[o + 2]!];
}

type Region = 'interior' | 'top' | 'bottom' | 'left' | 'right';
/** Which region a pixel is in: the band along one edge (corners excluded), the interior, or a corner (undefined). */
function regionOf(x: number, y: number): Region | undefined {
  const nearX = x < BAND || x >= SIZE - BAND;
  const nearY = y < BAND || y >= SIZE - BAND;
  if (nearX && nearY) return undefined;
  if (y < BAND) return 'top';
  if (y >= SIZE - BAND) return 'bottom';
  if (x < BAND) return 'left';
  if (x >= SIZE - BAND) return 'right';
  return 'interior';
}

/** Mean of f(pixel) over every image of class `label` and every pixel of each region. */
function regionMeans(data: Dataset, label: number, f: (rgb: [number, number, number]) => number): Record<Region, number> {
  const sum: Record<Region, number> = { interior: 0, top: 0, bottom: 0, left: 0, right: 0 };
  const n: Record<Region, number> = { interior: 0, top: 0, bottom: 0, left: 0, right: 0 };
  for (let i = 0; i < data.train.count; i++) {
    if (data.train.labels[i] !== label) continue;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const r = regionOf(x, y);
        if (!r) continue;
        sum[r] += f(pixel(data.train.images, i, x, y));
        n[r]++;
      }
    }
  }
  return Object.fromEntries(Object.keys(sum).map((r) => [r, sum[r as Region] / n[r as Region]])) as Record<Region, number>;
}

/** Features of a window: colour offsets and neighbour correlations of the luminance at three lags. */
function windowFeatures(images: Uint8Array, i: number, x0: number, y0: number, side: number): number[] {
  const lum: number[][] = [];
  let dr = 0;
  let db = 0;
  for (let y = 0; y < side; y++) {
    lum.push([]);
    for (let x = 0; x < side; x++) {
      const [r, g, b] = pixel(images, i, x0 + x, y0 + y);
      lum[y]!.push((r + g + b) / 3);
      dr += r - (g + b) / 2;
      db += b - (r + g) / 2;
    }
  }
  const mean = lum.flat().reduce((a, b) => a + b, 0) / (side * side);
  const variance = lum.flat().reduce((a, b) => a + (b - mean) ** 2, 0) / (side * side);
  const corr = (dx: number, dy: number) => {
    let s = 0;
    let n = 0;
    for (let y = Math.max(0, -dy); y < side - Math.max(0, dy); y++) {
      for (let x = 0; x < side - dx; x++) {
        s += (lum[y]![x]! - mean) * (lum[y + dy]![x + dx]! - mean);
        n++;
      }
    }
    return s / n / variance;
  };
  return [dr / (side * side), db / (side * side), 50 * corr(1, 1), 50 * corr(1, -1), 50 * corr(2, 0)];
}

/** Nearest-centroid accuracy on random central windows: centroids from train, scored on test. */
function centralCropAccuracy(labels: number[], seed: number): number {
  const side = 12;
  const rng = Rng.fromSeed(seed, 'teaching-test-crops');
  const windows = (split: 'train' | 'test') => {
    const out: { label: number; features: number[] }[] = [];
    const { images, labels: ls, count } = dataset[split];
    for (let i = 0; i < count; i++) {
      if (!labels.includes(ls[i]!)) continue;
      // Any window inside the interior: the border band is cut away.
      const x0 = rng.int(BAND, SIZE - BAND - side + 1);
      const y0 = rng.int(BAND, SIZE - BAND - side + 1);
      out.push({ label: ls[i]!, features: windowFeatures(images, i, x0, y0, side) });
    }
    return out;
  };
  const train = windows('train');
  const centroids = labels.map((k) => {
    const own = train.filter((w) => w.label === k);
    return own[0]!.features.map((_, j) => own.reduce((a, w) => a + w.features[j]!, 0) / own.length);
  });
  const test = windows('test');
  const correct = test.filter((w) => {
    const distances = centroids.map((c) => c.reduce((a, v, j) => a + (v - w.features[j]!) ** 2, 0));
    return labels[distances.indexOf(Math.min(...distances))] === w.label;
  }).length;
  return correct / test.length;
}

describe('generateTeaching', { timeout: 30_000 }, () => {
  it('is deterministic, interleaved, and documents each class', () => {
    const again = generateTeaching({ size: SIZE, perClassTrain: 120, perClassTest: 60, seed: 7 });
    expect(sameBytes(again.train.images, dataset.train.images) && sameBytes(again.test.images, dataset.test.images)).toBe(true);
    expect(sameBytes(again.train.labels, dataset.train.labels)).toBe(true);
    expect(dataset.name).toBe('teaching-32px-seed7');
    expect(dataset.shape).toEqual([32, 32, 3]);
    expect(dataset.classNames).toEqual(TEACHING_CLASSES.map((c) => c.name));
    expect(dataset.classNames).toHaveLength(10);
    expect(dataset.train.count).toBe(1200);
    expect(Array.from(dataset.train.labels.subarray(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(TEACHING_CLASSES.filter((c) => c.survivesCrop).map((c) => c.name)).toEqual(['stripes', 'checks', 'reddish', 'bluish']);
    // The test split does not depend on the size of the training split.
    const smaller = generateTeaching({ size: SIZE, perClassTrain: 5, perClassTest: 60, seed: 7 });
    const other = generateTeaching({ size: SIZE, perClassTrain: 5, perClassTest: 1, seed: 8 });
    expect(sameBytes(other.train.images, smaller.train.images)).toBe(false);
    expect(sameBytes(smaller.test.images, dataset.test.images) && sameBytes(smaller.test.labels, dataset.test.labels)).toBe(true);
    expect(generateTeaching({ size: 16, perClassTrain: 1, perClassTest: 1 }).shape).toEqual([16, 16, 3]);
    expect(() => generateTeaching({ size: 8, perClassTrain: 1, perClassTest: 1 })).toThrow(RangeError);
  });

  it('edge-mark classes differ from each other only in the border band', () => {
    const yellowness = ([r, g, b]: [number, number, number]) => (r + g) / 2 - b;
    const edges = ['top', 'bottom', 'left', 'right'] as const;
    const brightness: number[] = [];
    edges.forEach((edge, k) => {
      const y = regionMeans(dataset, k, yellowness);
      // The mark raises yellowness in its own band only (9 of 96 band pixels are mark pixels).
      expect(y[edge]).toBeGreaterThan(10);
      for (const r of ['interior', ...edges.filter((e) => e !== edge)] as const) expect(Math.abs(y[r])).toBeLessThan(1);
      brightness.push(regionMeans(dataset, k, ([r, g, b]) => (r + g + b) / 3).interior);
    });
    // The interiors are the same grey noise.
    expect(Math.max(...brightness) - Math.min(...brightness)).toBeLessThan(2.5);
    // So a window inside the interior cannot tell them apart (chance is 25%) ...
    expect(centralCropAccuracy([0, 1, 2, 3], 1)).toBeLessThan(0.45);
  });

  it('texture and colour classes are told apart from any central window', () => {
    // ... while stripes, checks, reddish, bluish and the plain grey of a mark class are.
    expect(centralCropAccuracy([0, 6, 7, 8, 9], 2)).toBeGreaterThan(0.95);
  });

  it('the two disc classes differ by size', () => {
    const light = ([r, g, b]: [number, number, number]) => ((r + g + b) / 3 > 190 ? 1 : 0);
    const small = regionMeans(dataset, 4, light).interior;
    const large = regionMeans(dataset, 5, light).interior;
    // Disc area over the 24×24 interior: π(0.12·32)² ≈ 46 px vs π(0.3·32)² ≈ 290 px, less the bright-noise tail.
    expect(small).toBeGreaterThan(0.03);
    expect(small).toBeLessThan(0.12);
    expect(large).toBeGreaterThan(0.35);
  });
});
