import { describe, expect, it } from 'vitest';
import { generateTeaching, TEACHING_CLASSES, TEACHING_DISC_RADII, teachingMarkSide } from '../../src/data/teaching';

const SIZE = 16;
const dataset = generateTeaching({ size: SIZE, perClassTrain: 60, perClassTest: 20, seed: 7 });
const label = (name: string) => TEACHING_CLASSES.findIndex((c) => c.name === name);

/** Byte equality, fast (vitest's deep equality is slow on large typed arrays). */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function pixel(images: Uint8Array, i: number, x: number, y: number): [number, number, number] {
  const o = i * SIZE * SIZE * 3 + (y * SIZE + x) * 3;
  return [images[o]!, images[o + 1]!, images[o + 2]!];
}

/** Train images of a class. */
function imagesOf(name: string): number[] {
  const k = label(name);
  return Array.from({ length: dataset.train.count }, (_, i) => i).filter((i) => dataset.train.labels[i] === k);
}

const isYellow = ([r, g, b]: [number, number, number]) => r > 200 && g > 170 && b < 110;
const isLight = ([r, g, b]: [number, number, number]) => (r + g + b) / 3 > 170;

/** Which edges of image i hold yellow pixels: top, bottom, left, right (a pixel on two edges counts for both). */
function markedEdges(i: number): string[] {
  const band = teachingMarkSide(SIZE);
  const edges = new Set<string>();
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      if (!isYellow(pixel(dataset.train.images, i, x, y))) continue;
      if (y < band) edges.add('top');
      if (y >= SIZE - band) edges.add('bottom');
      if (x < band) edges.add('left');
      if (x >= SIZE - band) edges.add('right');
      if (y >= band && y < SIZE - band && x >= band && x < SIZE - band) edges.add('interior');
    }
  }
  return [...edges].sort();
}

/** Mean of f over the central window (the middle half of each side): what a strong crop may keep. */
function centralMean(i: number, f: (rgb: [number, number, number]) => number): number {
  let sum = 0;
  let n = 0;
  for (let y = SIZE / 4; y < (3 * SIZE) / 4; y++) for (let x = SIZE / 4; x < (3 * SIZE) / 4; x++, n++) sum += f(pixel(dataset.train.images, i, x, y));
  return sum / n;
}

describe('generateTeaching', { timeout: 30_000 }, () => {
  it('is deterministic, interleaved, and says what a crop should do to each class', () => {
    const again = generateTeaching({ size: SIZE, perClassTrain: 60, perClassTest: 20, seed: 7 });
    expect(sameBytes(again.train.images, dataset.train.images) && sameBytes(again.test.images, dataset.test.images)).toBe(true);
    expect(dataset.name).toBe('teaching-16px-seed7');
    expect(dataset.shape).toEqual([16, 16, 3]);
    expect(dataset.classNames).toEqual(['one-edge-mark', 'two-edge-marks', 'small-disc', 'medium-disc', 'large-disc', 'stripes', 'reddish', 'bluish']);
    expect(dataset.train.count).toBe(480);
    expect(Array.from(dataset.train.labels.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0, 1]);
    expect(TEACHING_CLASSES.filter((c) => c.survivesCrop).map((c) => c.name)).toEqual(['stripes', 'reddish', 'bluish']);
    for (const c of TEACHING_CLASSES) expect(c.underCrop).toMatch(/^(hurt|often hurt|unchanged): /);
    // The test split does not depend on the size of the training split; another seed is other data.
    const smaller = generateTeaching({ size: SIZE, perClassTrain: 5, perClassTest: 20, seed: 7 });
    const other = generateTeaching({ size: SIZE, perClassTrain: 5, perClassTest: 1, seed: 8 });
    expect(sameBytes(smaller.test.images, dataset.test.images) && sameBytes(smaller.test.labels, dataset.test.labels)).toBe(true);
    expect(sameBytes(other.train.images, smaller.train.images)).toBe(false);
    expect(generateTeaching({ size: 12, perClassTrain: 1, perClassTest: 1 }).shape).toEqual([12, 12, 3]);
    expect(() => generateTeaching({ size: 11, perClassTrain: 1, perClassTest: 1 })).toThrow(RangeError);
  });

  it('edge marks: one mark on one edge, or two on opposite edges, and nothing in the interior', () => {
    const one = imagesOf('one-edge-mark').map(markedEdges);
    const two = imagesOf('two-edge-marks').map(markedEdges);
    for (const edges of one) expect(edges).toHaveLength(1);
    for (const edges of two) expect([['bottom', 'top'], ['left', 'right']]).toContainEqual(edges);
    // Every edge gets marks, and both pairs of opposite edges.
    expect(new Set(one.flat())).toEqual(new Set(['top', 'bottom', 'left', 'right']));
    expect(new Set(two.map((e) => e.join()))).toEqual(new Set(['bottom,top', 'left,right']));
    // A mark is a square of a quarter of the side: 16 yellow pixels at 16 px.
    const yellow = (i: number) => {
      let n = 0;
      for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) if (isYellow(pixel(dataset.train.images, i, x, y))) n++;
      return n;
    };
    expect(imagesOf('one-edge-mark').every((i) => yellow(i) === 16)).toBe(true);
    expect(imagesOf('two-edge-marks').every((i) => yellow(i) === 32)).toBe(true);
  });

  it('discs differ only by size, in the documented ratios', () => {
    const area = (i: number) => {
      let n = 0;
      for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) if (isLight(pixel(dataset.train.images, i, x, y))) n++;
      return n;
    };
    const mean = (name: string) => imagesOf(name).reduce((s, i) => s + area(i), 0) / imagesOf(name).length;
    for (const name of ['small-disc', 'medium-disc', 'large-disc']) {
      // π r² of the documented radius, within the pixel grid's and the ±5% jitter's error.
      const expected = Math.PI * (SIZE * TEACHING_DISC_RADII[name]!) ** 2;
      expect(mean(name) / expected).toBeGreaterThan(0.85);
      expect(mean(name) / expected).toBeLessThan(1.15);
    }
    // Zooming in by up to 2× (a crop of s = 0.25) takes a small disc past the medium radius and a medium one past the large.
    expect(2 * TEACHING_DISC_RADII['small-disc']!).toBeGreaterThan(TEACHING_DISC_RADII['medium-disc']!);
    expect(2 * TEACHING_DISC_RADII['medium-disc']!).toBeGreaterThan(TEACHING_DISC_RADII['large-disc']!);
  });

  it('texture and colour are in every window; border marks are not', () => {
    const redness = ([r, g, b]: [number, number, number]) => r - (g + b) / 2;
    const blueness = ([r, g, b]: [number, number, number]) => b - (r + g) / 2;
    const contrast = (i: number) => {
      const values: number[] = [];
      for (let y = SIZE / 4; y < (3 * SIZE) / 4; y++) for (let x = SIZE / 4; x < (3 * SIZE) / 4; x++) values.push(pixel(dataset.train.images, i, x, y)[0]);
      return Math.max(...values) - Math.min(...values);
    };
    // The central window of every stripes image shows the grating's swing; of every tinted image, its tint.
    expect(imagesOf('stripes').every((i) => contrast(i) > 60)).toBe(true);
    expect(imagesOf('reddish').every((i) => centralMean(i, redness) > 80)).toBe(true);
    expect(imagesOf('bluish').every((i) => centralMean(i, blueness) > 80)).toBe(true);
    // The central window of a mark image is plain dark grey: the crop cut the cue away.
    for (const name of ['one-edge-mark', 'two-edge-marks']) {
      expect(imagesOf(name).every((i) => centralMean(i, (rgb) => (isYellow(rgb) ? 1 : 0)) === 0)).toBe(true);
      expect(imagesOf(name).every((i) => centralMean(i, ([r, g, b]) => (r + g + b) / 3) < 90)).toBe(true);
    }
  });
});
