import { describe, expect, it } from 'vitest';
import {
  cropResampling,
  drawImageResampling,
  identityResampling,
  resizedCropResampling,
  resizeTaps,
  sampleResizedCrop,
  sampleTranslation,
  shiftTaps,
  translationResampling,
  type AxisTaps,
  type CropWindow,
} from '../../src/augment/crop';
import type { AugmentationConfig } from '../../src/study/config';
import { Rng } from '../../src/util/rng';

const SIDE = 224;
const SCALE: [number, number] = [0.08, 1];
const RATIO: [number, number] = [3 / 4, 4 / 3];
const LOG_RATIO = Math.log(4 / 3);
const SAMPLES = 20_000;

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The law of an accepted crop, by deterministic quadrature instead of
 * sampling: a midpoint grid over (area fraction, log aspect), each point
 * rounded as torchvision does and kept if it fits. Tries are independent, so
 * the first accepted one follows this law (the fallback's chance, about
 * 0.14^10, is nil).
 */
function acceptedCropsByQuadrature(grid: number): Array<{ width: number; height: number }> {
  const crops: Array<{ width: number; height: number }> = [];
  for (let i = 0; i < grid; i++) {
    const fraction = SCALE[0] + ((i + 0.5) * (SCALE[1] - SCALE[0])) / grid;
    for (let j = 0; j < grid; j++) {
      const aspect = Math.exp(-LOG_RATIO + ((j + 0.5) * 2 * LOG_RATIO) / grid);
      const width = roundHalfEven(Math.sqrt(SIDE * SIDE * fraction * aspect));
      const height = roundHalfEven(Math.sqrt((SIDE * SIDE * fraction) / aspect));
      if (width >= 1 && width <= SIDE && height >= 1 && height <= SIDE) crops.push({ width, height });
    }
  }
  return crops;
}

/** Two-sample Kolmogorov–Smirnov distance; exact for discrete values too. */
function ksDistance(a: number[], b: number[]): number {
  a.sort((x, y) => x - y);
  b.sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let distance = 0;
  while (i < a.length && j < b.length) {
    const value = Math.min(a[i]!, b[j]!);
    while (i < a.length && a[i] === value) i++;
    while (j < b.length && b[j] === value) j++;
    distance = Math.max(distance, Math.abs(i / a.length - j / b.length));
  }
  return distance;
}

/** KS critical value at p = 0.01. */
function ksBound(n: number, m: number): number {
  return 1.63 * Math.sqrt(1 / n + 1 / m);
}

function sampleMany(seed: number, height: number, width: number): CropWindow[] {
  const rng = Rng.fromSeed(seed, 'augment');
  return Array.from({ length: SAMPLES }, () => sampleResizedCrop(rng, height, width, SCALE, RATIO));
}

describe('sampleResizedCrop', () => {
  const crops = sampleMany(1, SIDE, SIDE);
  const reference = acceptedCropsByQuadrature(1000);

  it('keeps every crop inside the image', () => {
    const outside = crops.filter(
      (c) =>
        ![c.top, c.left, c.height, c.width].every(Number.isInteger) ||
        c.height < 1 ||
        c.width < 1 ||
        c.top < 0 ||
        c.left < 0 ||
        c.top + c.height > SIDE ||
        c.left + c.width > SIDE,
    );
    expect(outside).toEqual([]);
  });

  it('draws the area fraction from the accepted part of U[scale]', () => {
    const fractions = crops.map((c) => (c.width * c.height) / (SIDE * SIDE));
    // Independently, in closed form: a try with fraction s and log aspect u ~ U[±L] fits when
    // s <= exp(-|u|), so the accepted s has density ∝ min(1, -ln(s) / L) on [0.08, 1].
    const flat = 0.75 - 0.08;
    const mass = flat + (0.25 + 0.75 * Math.log(0.75)) / LOG_RATIO;
    const firstMoment = (0.75 ** 2 - 0.08 ** 2) / 2 + (0.25 - (0.75 ** 2 / 4 - (0.75 ** 2 * Math.log(0.75)) / 2)) / LOG_RATIO;
    const mean = fractions.reduce((s, x) => s + x, 0) / SAMPLES;
    expect(Math.abs(mean - firstMoment / mass)).toBeLessThan(0.006); // standard error 0.0018
    // A plain U[0.08, 1] would put 14 % of crops above 3/4; the rejected tries leave about 4 %.
    const above = fractions.filter((x) => x > 0.75).length / SAMPLES;
    expect(Math.abs(above - (mass - flat) / mass)).toBeLessThan(0.006);

    const expected = reference.map((c) => (c.width * c.height) / (SIDE * SIDE));
    expect(ksDistance(fractions, expected)).toBeLessThan(ksBound(SAMPLES, expected.length));
  });

  it('draws the aspect ratio log-uniformly, within the accepted region', () => {
    const logAspects = crops.map((c) => Math.log(c.width / c.height));
    // Closed form: |u| has density ∝ exp(-|u|) - 0.08 on [0, L].
    const norm = 1 - 0.75 - 0.08 * LOG_RATIO;
    const meanAbs = (1 - 0.75 * (1 + LOG_RATIO) - (0.08 * LOG_RATIO ** 2) / 2) / norm;
    const mean = logAspects.reduce((s, x) => s + x, 0) / SAMPLES;
    const observedMeanAbs = logAspects.reduce((s, x) => s + Math.abs(x), 0) / SAMPLES;
    expect(Math.abs(mean)).toBeLessThan(0.005); // standard error 0.0011
    expect(Math.abs(observedMeanAbs - meanAbs)).toBeLessThan(0.003); // standard error 0.0006

    const expected = reference.map((c) => Math.log(c.width / c.height));
    expect(ksDistance(logAspects, expected)).toBeLessThan(ksBound(SAMPLES, expected.length));
  });

  it('places crops uniformly', () => {
    // The offset as a fraction of its range is uniform on [0, 1]: mean 1/2.
    const free = crops.filter((c) => c.height < SIDE && c.width < SIDE);
    const meanTop = free.reduce((s, c) => s + c.top / (SIDE - c.height), 0) / free.length;
    const meanLeft = free.reduce((s, c) => s + c.left / (SIDE - c.width), 0) / free.length;
    expect(Math.abs(meanTop - 0.5)).toBeLessThan(0.01); // standard error 0.002
    expect(Math.abs(meanLeft - 0.5)).toBeLessThan(0.01);
    expect(crops.some((c) => c.top === 0) && crops.some((c) => c.top + c.height === SIDE)).toBe(true);
  });

  it('gives the whole image for scale 1 and ratio 1', () => {
    const rng = Rng.fromSeed(2);
    for (const side of [224, 32, 5]) {
      expect(sampleResizedCrop(rng, side, side, [1, 1], [1, 1])).toEqual({ top: 0, left: 0, height: side, width: side });
    }
  });

  it('falls back to the whole image when no try fits', () => {
    // Target areas of 0.016 px round to empty crops every time.
    const rng = Rng.fromSeed(3);
    for (let i = 0; i < 100; i++) {
      expect(sampleResizedCrop(rng, 4, 4, [0.001, 0.001], RATIO)).toEqual({ top: 0, left: 0, height: 4, width: 4 });
    }
  });

  it('falls back to a central crop clamped to the ratio range', () => {
    const rng = Rng.fromSeed(4);
    // Too wide a ratio for a square: full width, height = round(8 / 4) = 2, centred.
    expect(sampleResizedCrop(rng, 8, 8, [1, 1], [4, 5])).toEqual({ top: 3, left: 0, height: 2, width: 8 });
    // Too tall: full height, width = round(8 · 0.25) = 2.
    expect(sampleResizedCrop(rng, 8, 8, [1, 1], [0.2, 0.25])).toEqual({ top: 0, left: 3, height: 8, width: 2 });
    // Centring floors: (9 - 2) // 2 = 3.
    expect(sampleResizedCrop(rng, 9, 8, [1, 1], [4, 4])).toEqual({ top: 3, left: 0, height: 2, width: 8 });
  });

  it('rounds halves to even, as Python does', () => {
    const rng = Rng.fromSeed(5);
    // width 5, ratio 2: a 10-px-wide try never fits; fallback height = round(2.5) = 2, not 3.
    expect(sampleResizedCrop(rng, 10, 5, [1, 1], [2, 2])).toEqual({ top: 4, left: 0, height: 2, width: 5 });
    // round(3.5) = 4 and round(1.5) = 2 go up.
    expect(sampleResizedCrop(rng, 10, 7, [1, 1], [2, 2])).toEqual({ top: 3, left: 0, height: 4, width: 7 });
    expect(sampleResizedCrop(rng, 10, 3, [1, 1], [2, 2])).toEqual({ top: 4, left: 0, height: 2, width: 3 });
    // Width: round(5 · 0.5) = round(2.5) = 2.
    expect(sampleResizedCrop(rng, 5, 10, [1, 1], [0.5, 0.5])).toEqual({ top: 0, left: 4, height: 5, width: 2 });
  });

  it('is reproducible from the seed', () => {
    expect(sampleMany(9, 32, 48).slice(0, 200)).toEqual(sampleMany(9, 32, 48).slice(0, 200));
  });
});

describe('sampleTranslation', () => {
  it('draws each offset uniformly over [-p, p]', () => {
    const rng = Rng.fromSeed(6);
    const padding = 4;
    const dyCounts = new Array<number>(2 * padding + 1).fill(0);
    const dxCounts = new Array<number>(2 * padding + 1).fill(0);
    const trials = 18_000;
    let same = 0;
    for (let i = 0; i < trials; i++) {
      const { dy, dx } = sampleTranslation(rng, padding);
      dyCounts[dy + padding]!++;
      dxCounts[dx + padding]!++;
      if (dy === dx) same++;
    }
    const expected = trials / (2 * padding + 1);
    for (const counts of [dyCounts, dxCounts]) {
      expect(counts.reduce((s, c) => s + c, 0)).toBe(trials); // nothing outside [-p, p]
      const chiSquare = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
      expect(chiSquare).toBeLessThan(26.1); // 8 degrees of freedom, p = 0.001
    }
    // dy and dx are independent: they agree one time in nine.
    expect(Math.abs(same / trials - 1 / 9)).toBeLessThan(0.012);
  });

  it('draws zero offsets without padding', () => {
    expect(sampleTranslation(Rng.fromSeed(7), 0)).toEqual({ dy: 0, dx: 0 });
  });
});

/** Output i's source pixels and weights, zero weights dropped and equal indices merged, as [index, weight] pairs. */
function sparse(taps: AxisTaps): [number, number][][] {
  return Array.from(taps.index0, (_, i) => {
    const weights = new Map<number, number>();
    const add = (k: number, w: number) => w !== 0 && weights.set(k, (weights.get(k) ?? 0) + w);
    add(taps.index0[i]!, taps.weight0[i]!);
    add(taps.index1[i]!, taps.weight1[i]!);
    return [...weights].sort((a, b) => a[0] - b[0]);
  });
}

function expectTaps(actual: AxisTaps, expected: [number, number][][]): void {
  const got = sparse(actual);
  expect(got.map((row) => row.map(([k]) => k))).toEqual(expected.map((row) => row.map(([k]) => k)));
  got.forEach((row, i) => row.forEach(([, w], j) => expect(Math.abs(w - expected[i]![j]![1])).toBeLessThan(1e-7)));
}

/**
 * torchvision 0.14's own weights, written here from PyTorch: each column k of
 * the resize matrix is `resized_crop` (bilinear, antialias off) of a one-hot
 * image with a 1 at pixel k, the window [start, start + length) of a side of
 * `size` resized back to `size`. (Printed by a few lines of Python around
 * torchvision.transforms.functional.resized_crop; float64 images.)
 */
const TORCHVISION_TAPS: Record<string, [number, number][][]> = {
  // size 8, window [2, 5): a 3-pixel window stretched by 8/3, not by 7/2 as with aligned corners.
  '8,2,3': [[[2, 1]], [[2, 0.9375], [3, 0.0625]], [[2, 0.5625], [3, 0.4375]], [[2, 0.1875], [3, 0.8125]], [[3, 0.8125], [4, 0.1875]], [[3, 0.4375], [4, 0.5625]], [[3, 0.0625], [4, 0.9375]], [[4, 1]]],
  '8,0,8': [[[0, 1]], [[1, 1]], [[2, 1]], [[3, 1]], [[4, 1]], [[5, 1]], [[6, 1]], [[7, 1]]],
  '5,1,2': [[[1, 1]], [[1, 0.9], [2, 0.1]], [[1, 0.5], [2, 0.5]], [[1, 0.1], [2, 0.9]], [[2, 1]]],
  // The fixture's first 28-px window: rows [7, 28).
  '28,7,21': [
    [[7, 1]], [[7, 0.375], [8, 0.625]], [[8, 0.625], [9, 0.375]], [[9, 0.875], [10, 0.125]], [[9, 0.125], [10, 0.875]], [[10, 0.375], [11, 0.625]],
    [[11, 0.625], [12, 0.375]], [[12, 0.875], [13, 0.125]], [[12, 0.125], [13, 0.875]], [[13, 0.375], [14, 0.625]], [[14, 0.625], [15, 0.375]],
    [[15, 0.875], [16, 0.125]], [[15, 0.125], [16, 0.875]], [[16, 0.375], [17, 0.625]], [[17, 0.625], [18, 0.375]], [[18, 0.875], [19, 0.125]],
    [[18, 0.125], [19, 0.875]], [[19, 0.375], [20, 0.625]], [[20, 0.625], [21, 0.375]], [[21, 0.875], [22, 0.125]], [[21, 0.125], [22, 0.875]],
    [[22, 0.375], [23, 0.625]], [[23, 0.625], [24, 0.375]], [[24, 0.875], [25, 0.125]], [[24, 0.125], [25, 0.875]], [[25, 0.375], [26, 0.625]],
    [[26, 0.625], [27, 0.375]], [[27, 1]],
  ],
  // A 3-pixel window at the far edge of 32: the first and last five outputs are clamped to the window's edge pixels.
  '32,29,3': [
    [[29, 1]], [[29, 1]], [[29, 1]], [[29, 1]], [[29, 1]], [[29, 0.984375], [30, 0.015625]], [[29, 0.890625], [30, 0.109375]], [[29, 0.796875], [30, 0.203125]],
    [[29, 0.703125], [30, 0.296875]], [[29, 0.609375], [30, 0.390625]], [[29, 0.515625], [30, 0.484375]], [[29, 0.421875], [30, 0.578125]],
    [[29, 0.328125], [30, 0.671875]], [[29, 0.234375], [30, 0.765625]], [[29, 0.140625], [30, 0.859375]], [[29, 0.046875], [30, 0.953125]],
    [[30, 0.953125], [31, 0.046875]], [[30, 0.859375], [31, 0.140625]], [[30, 0.765625], [31, 0.234375]], [[30, 0.671875], [31, 0.328125]],
    [[30, 0.578125], [31, 0.421875]], [[30, 0.484375], [31, 0.515625]], [[30, 0.390625], [31, 0.609375]], [[30, 0.296875], [31, 0.703125]],
    [[30, 0.203125], [31, 0.796875]], [[30, 0.109375], [31, 0.890625]], [[30, 0.015625], [31, 0.984375]], [[31, 1]], [[31, 1]], [[31, 1]], [[31, 1]], [[31, 1]],
  ],
};

describe('resizeTaps', () => {
  it.each(Object.keys(TORCHVISION_TAPS))("equals torchvision's resized_crop weights for size, start, length = %s", (key) => {
    const [size, start, length] = key.split(',').map(Number) as [number, number, number];
    expectTaps(resizeTaps(start, length, size), TORCHVISION_TAPS[key]!);
  });

  it("samples at torchvision's half-pixel positions: start + max((i + 1/2) · length / size - 1/2, 0), clamped to the window", () => {
    const rng = Rng.fromSeed(11);
    const wrong: string[] = [];
    for (let trial = 0; trial < 200; trial++) {
      const size = rng.int(1, 300);
      const length = rng.int(1, size + 1);
      const start = rng.int(0, size - length + 1);
      const taps = resizeTaps(start, length, size);
      for (let i = 0; i < size; i++) {
        const position = Math.min(start + Math.max(((i + 0.5) * length) / size - 0.5, 0), start + length - 1);
        // The blend of the two taps sits at that position; both taps are neighbours inside the window.
        const [k0, k1, w0, w1] = [taps.index0[i]!, taps.index1[i]!, taps.weight0[i]!, taps.weight1[i]!];
        const ok =
          Math.abs(k0 * w0 + k1 * w1 - position) < 1e-4 * Math.max(1, position) &&
          Math.abs(w0 + w1 - 1) < 1e-7 &&
          k0 >= start &&
          k1 < start + length &&
          (k1 - k0 === 0 || k1 - k0 === 1);
        if (!ok) wrong.push(`size ${size}, window [${start}, ${start + length}), output ${i}: ${k0}·${w0} + ${k1}·${w1}, expected at ${position}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('no longer stretches a window as aligned corners did: output i of a window of h is not at (i · (h - 1) / (H - 1))', () => {
    // With aligned corners, the 3-px window [2, 5) resized to 8 would sample output 1 at 2 + 2/7 (weights 5/7, 2/7).
    const taps = resizeTaps(2, 3, 8);
    expect(Math.abs(taps.weight1[1]! - 2 / 7)).toBeGreaterThan(0.2);
    // torchvision's stretch is H / h: neighbouring outputs sit 3/8 px apart inside the window.
    expect(taps.index0[3]! + taps.weight1[3]! - (taps.index0[2]! + taps.weight1[2]!)).toBeCloseTo(3 / 8, 6);
  });
});

describe('shiftTaps', () => {
  it('reads whole pixels shifted by the offset, and zero outside the image', () => {
    expectTaps(shiftTaps(2, 5), [[[2, 1]], [[3, 1]], [[4, 1]], [], []]);
    expectTaps(shiftTaps(-1, 4), [[], [[0, 1]], [[1, 1]], [[2, 1]]]);
    expectTaps(shiftTaps(0, 3), [[[0, 1]], [[1, 1]], [[2, 1]]]);
  });
});

describe('resampling plans', () => {
  const RATIO_DEFAULT: [number, number] = [3 / 4, 4 / 3];
  const resized: AugmentationConfig = { crop: { kind: 'resized', scale: 0.08, ratio: RATIO_DEFAULT }, flip: false };

  it('flips by reversing the column taps, after the resize', () => {
    const window = { top: 7, left: 3, height: 21, width: 22 };
    const plain = resizedCropResampling(window, 28, 28, false);
    const flipped = resizedCropResampling(window, 28, 28, true);
    expect(sparse(flipped.rows)).toEqual(sparse(plain.rows));
    expect(sparse(flipped.cols)).toEqual(sparse(plain.cols).reverse());
    expect(sparse(identityResampling(4, 3, true).cols)).toEqual([[[2, 1]], [[1, 1]], [[0, 1]]]);
  });

  it('draws each image as documented: the crop, then the flip', () => {
    const [height, width, batch] = [32, 48, 64];
    const rng = Rng.fromSeed(2, 'augment');
    const plan = cropResampling(rng, { ...resized, flip: true }, batch, height, width);
    expect([plan.batchSize, plan.height, plan.width, plan.rows.index0.length, plan.cols.index0.length]).toEqual([batch, height, width, batch * height, batch * width]);
    const replay = Rng.fromSeed(2, 'augment');
    let flips = 0;
    for (let n = 0; n < batch; n++) {
      const window = sampleResizedCrop(replay, height, width, [0.08, 1], RATIO_DEFAULT);
      const flip = replay.float() < 0.5;
      if (flip) flips++;
      const expected = resizedCropResampling(window, height, width, flip);
      expect(Array.from(plan.rows.index0.subarray(n * height, (n + 1) * height))).toEqual(Array.from(expected.rows.index0));
      expect(Array.from(plan.cols.weight1.subarray(n * width, (n + 1) * width))).toEqual(Array.from(expected.cols.weight1));
      expect(Array.from(plan.cols.index1.subarray(n * width, (n + 1) * width))).toEqual(Array.from(expected.cols.index1));
    }
    expect(flips).toBeGreaterThan(0);
    expect(flips).toBeLessThan(batch);
    expect(rng.state()).toEqual(replay.state());
  });

  it('shifts by the drawn translation for pad-and-crop, reading the zero padding', () => {
    const rng = Rng.fromSeed(3);
    const replay = Rng.fromSeed(3);
    const seen = new Set<number>();
    for (let n = 0; n < 100; n++) {
      const image = drawImageResampling(rng, { crop: { kind: 'translate', padding: 4 }, flip: false }, 8, 8);
      const offset = sampleTranslation(replay, 4);
      expect(sparse(image.rows).concat(sparse(image.cols))).toEqual(sparse(translationResampling(offset, 8, 8, false).rows).concat(sparse(shiftTaps(offset.dx, 8))));
      seen.add(offset.dy);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-4, -3, -2, -1, 0, 1, 2, 3, 4]);
  });

  it('flips half the images without a crop, and draws nothing else', () => {
    const rng = Rng.fromSeed(4);
    const plan = cropResampling(rng, { crop: { kind: 'none' }, flip: true }, 10_000, 1, 2);
    let flipped = 0;
    for (let n = 0; n < 10_000; n++) if (plan.cols.index0[2 * n] === 1) flipped++;
    expect(Math.abs(flipped / 10_000 - 0.5)).toBeLessThan(0.02); // standard error 0.005
    const replay = Rng.fromSeed(4);
    for (let n = 0; n < 10_000; n++) replay.float();
    expect(rng.state()).toEqual(replay.state());
    expect(sparse(cropResampling(Rng.fromSeed(5), { crop: { kind: 'none' }, flip: false }, 1, 3, 3).rows)).toEqual([[[0, 1]], [[1, 1]], [[2, 1]]]);
  });

  it('handles 1-pixel sides', () => {
    for (const augmentation of [{ ...resized, flip: true }, { crop: { kind: 'translate', padding: 2 }, flip: true } satisfies AugmentationConfig]) {
      const plan = cropResampling(Rng.fromSeed(5), augmentation, 50, 1, 8);
      expect(plan.rows.index0.every((k) => k === 0) && plan.rows.index1.every((k) => k === 0)).toBe(true);
      expect([...plan.rows.weight0, ...plan.rows.weight1, ...plan.cols.weight0, ...plan.cols.weight1].every(Number.isFinite)).toBe(true);
    }
  });
});
