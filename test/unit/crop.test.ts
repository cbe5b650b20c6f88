import { describe, expect, it } from 'vitest';
import { cropBoxes, sampleResizedCrop, sampleTranslation, type CropWindow } from '../../src/augment/crop';
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

describe('cropBoxes', () => {
  const resized: AugmentationConfig = { crop: { kind: 'resized', scale: 0.08, ratio: RATIO }, flip: false };

  it('gives the full-image box without a crop', () => {
    const boxes = cropBoxes(Rng.fromSeed(1), { crop: { kind: 'none' }, flip: false }, 5, 32, 32);
    expect(Array.from(boxes)).toEqual(Array.from({ length: 5 }, () => [0, 0, 1, 1]).flat());
  });

  it('maps a crop window onto its first and last pixels, in the documented draw order', () => {
    const [height, width, batch] = [32, 48, 64];
    const rng = Rng.fromSeed(2, 'augment');
    const boxes = cropBoxes(rng, { ...resized, flip: true }, batch, height, width);
    // Replay the draws by hand: per image the crop, then the flip.
    const replay = Rng.fromSeed(2, 'augment');
    let flips = 0;
    for (let i = 0; i < batch; i++) {
      const c = sampleResizedCrop(replay, height, width, [0.08, 1], RATIO);
      const flip = replay.float() < 0.5;
      if (flip) flips++;
      // Each edge sits 2e-4 px inside the window (see EDGE_INSET).
      const x1 = (c.left + 2e-4) / (width - 1);
      const x2 = (c.left + c.width - 1 - 2e-4) / (width - 1);
      const expected = [(c.top + 2e-4) / (height - 1), flip ? x2 : x1, (c.top + c.height - 1 - 2e-4) / (height - 1), flip ? x1 : x2];
      expect(Array.from(boxes.subarray(4 * i, 4 * i + 4))).toEqual(expected.map(Math.fround));
    }
    expect(flips).toBeGreaterThan(0);
    expect(flips).toBeLessThan(batch);
    expect(rng.state()).toEqual(replay.state());
  });

  it('spans the image-sized window shifted by the translation, reaching into the padding', () => {
    const side = 32;
    const boxes = cropBoxes(Rng.fromSeed(3), { crop: { kind: 'translate', padding: 4 }, flip: false }, 2000, side, side);
    const offsets = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const [y1, x1, y2, x2] = Array.from(boxes.subarray(4 * i, 4 * i + 4)) as [number, number, number, number];
      // The window [dy, dy + 32) runs from pixel dy to pixel dy + 31: always 31 pixels
      // of span, less the 2e-4 px inset at each edge.
      expect((y2 - y1) * (side - 1)).toBeCloseTo(side - 1 - 4e-4, 4);
      expect((x2 - x1) * (side - 1)).toBeCloseTo(side - 1 - 4e-4, 4);
      const dy = y1 * (side - 1);
      expect(Math.abs(dy - Math.round(dy))).toBeLessThan(3e-4);
      expect(Math.abs(dy)).toBeLessThanOrEqual(4 + 3e-4);
      offsets.add(Math.round(dy));
    }
    expect([...offsets].sort((a, b) => a - b)).toEqual([-4, -3, -2, -1, 0, 1, 2, 3, 4]);
  });

  it('flips half the images by swapping x1 and x2', () => {
    const batch = 20_000;
    const boxes = cropBoxes(Rng.fromSeed(4), { crop: { kind: 'none' }, flip: true }, batch, 32, 32);
    let flipped = 0;
    let malformed = 0;
    for (let i = 0; i < batch; i++) {
      const box = Array.from(boxes.subarray(4 * i, 4 * i + 4)).join(',');
      if (box === '0,1,1,0') flipped++;
      else if (box !== '0,0,1,1') malformed++;
    }
    expect(malformed).toBe(0);
    expect(Math.abs(flipped / batch - 0.5)).toBeLessThan(0.015); // standard error 0.0035
  });

  it('guards 1-pixel sides', () => {
    for (const augmentation of [
      { ...resized, flip: true },
      { crop: { kind: 'translate', padding: 2 }, flip: true } satisfies AugmentationConfig,
    ]) {
      const boxes = cropBoxes(Rng.fromSeed(5), augmentation, 50, 1, 8);
      for (let i = 0; i < 50; i++) {
        expect(boxes[4 * i]).toBe(0);
        expect(boxes[4 * i + 2]).toBe(0);
      }
      expect(boxes.every(Number.isFinite)).toBe(true);
      expect(cropBoxes(Rng.fromSeed(5), augmentation, 10, 1, 1).every((v) => v === 0)).toBe(true);
    }
  });
});
