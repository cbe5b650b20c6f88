/**
 * Slices of shard datasets (src/data/slice.ts): stratified, seeded, nested,
 * refused naming the field, and recorded in the dataset identity; and the
 * resize, byte for byte against Pillow (test/unit/reference/resize_reference.py).
 */
import { describe, expect, it } from 'vitest';
import { datasetIdentity, type Dataset } from '../../src/data/dataset';
import { resizeImages } from '../../src/data/resize';
import { describeSlice, sliceDataset, sliceOf } from '../../src/data/slice';
import { ConfigError, parseWith, datasetSchema } from '../../src/study/config';
import { datasetIdentitySchema } from '../../src/study/results';

interface PilCase {
  shape: [number, number, number];
  out: [number, number];
  seed: number;
  expected: number[];
}

/** The reference script's image formula. */
function formulaImage([h, w, c]: [number, number, number], seed: number): Uint8Array {
  const a = new Uint8Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) a[(y * w + x) * c + k] = (x * 37 + y * 91 + k * 53 + seed * 17 + ((x * y) % 7) * 29) % 256;
  return a;
}

/**
 * A shard-like dataset: 4 classes of 2×2×1 images whose first pixel is the
 * image's index in its split (so a test can see which images were chosen) and
 * whose second is its class. Class sizes differ (train 10, 8, 12, 6) and the
 * labels are not interleaved, as an imported folder's need not be.
 */
function sourceDataset(): Dataset {
  const classNames = ['ant', 'bee', 'cat', 'dog'];
  const split = (sizes: number[]) => {
    const labels = sizes.flatMap((n, k) => new Array<number>(n).fill(k));
    const images = new Uint8Array(labels.length * 4);
    labels.forEach((k, i) => images.set([i, k, 7, 9], i * 4));
    return { images, labels: Uint16Array.from(labels), count: labels.length };
  };
  return { name: 'animals', classNames, shape: [2, 2, 1], train: split([10, 8, 12, 6]), test: split([5, 4, 6, 3]) };
}

/** [source index, label] of every image of a split, in order. */
function chosen(dataset: Dataset, split: 'train' | 'test'): [number, number][] {
  const s = dataset[split];
  return Array.from({ length: s.count }, (_, i) => [s.images[i * 4]!, s.labels[i]!]);
}

describe('sliceDataset', () => {
  it('takes exactly trainPerClass and testPerClass images of each class, interleaved, in split order within a class', async () => {
    const source = sourceDataset();
    const slice = await sliceDataset(source, { trainPerClass: 5, testPerClass: 2 });
    expect(slice.classNames).toEqual(source.classNames);
    expect(slice.train.count).toBe(20);
    expect(slice.test.count).toBe(8);
    const train = chosen(slice, 'train');
    // Round robin: labels 0 1 2 3 0 1 2 3 ...
    expect(train.map(([, k]) => k)).toEqual(Array.from({ length: 20 }, (_, i) => i % 4));
    for (let k = 0; k < 4; k++) {
      const own = train.filter(([, label]) => label === k).map(([i]) => i);
      // Each image is of its class in the source, distinct, and in the source's order.
      expect(own.every((i) => source.train.labels[i] === k)).toBe(true);
      expect(new Set(own).size).toBe(5);
      expect(own).toEqual([...own].sort((a, b) => a - b));
    }
    // The pixels came along: the second pixel is the class the source gave.
    expect(Array.from({ length: 20 }, (_, i) => slice.train.images[i * 4 + 1])).toEqual(train.map(([, k]) => k));
  });

  it('is seeded: the same seed gives the same images, another seed others', async () => {
    const source = sourceDataset();
    const a = await sliceDataset(source, { trainPerClass: 4, seed: 3 });
    const b = await sliceDataset(source, { trainPerClass: 4, seed: 3 });
    const c = await sliceDataset(source, { trainPerClass: 4, seed: 4 });
    expect(chosen(a, 'train')).toEqual(chosen(b, 'train'));
    expect(chosen(a, 'train')).not.toEqual(chosen(c, 'train'));
    // No seed is seed 0.
    expect(chosen(await sliceDataset(source, { trainPerClass: 4 }), 'train')).toEqual(chosen(await sliceDataset(source, { trainPerClass: 4, seed: 0 }), 'train'));
    // testPerClass absent: the whole test split, relabelled by nothing.
    expect(a.test.count).toBe(source.test.count);
  });

  it('is nested: a larger count keeps the smaller one’s images, and a class keeps its images whatever else is chosen', async () => {
    const source = sourceDataset();
    const small = chosen(await sliceDataset(source, { trainPerClass: 3, seed: 1 }), 'train').map(([i]) => i);
    const large = chosen(await sliceDataset(source, { trainPerClass: 6, seed: 1 }), 'train').map(([i]) => i);
    expect(small.every((i) => large.includes(i))).toBe(true);
    const full = chosen(await sliceDataset(source, { trainPerClass: 3, seed: 1 }), 'train').filter(([i]) => source.train.labels[i] === 2);
    const subset = await sliceDataset(source, { trainPerClass: 3, seed: 1, classes: ['cat', 'ant'] });
    // A subset keeps the dataset's class order, whatever order it is written in, and relabels 0..k-1.
    expect(subset.classNames).toEqual(['ant', 'cat']);
    expect(chosen(subset, 'train').filter(([, k]) => k === 1).map(([i]) => i)).toEqual(full.map(([i]) => i));
  });

  it('refuses more images than a class has, and unknown classes, naming the field', async () => {
    const source = sourceDataset();
    const refusal = async (slice: Parameters<typeof sliceDataset>[1]) => {
      const error = await sliceDataset(source, slice).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues;
    };
    expect(await refusal({ trainPerClass: 7 })).toEqual(['dataset.trainPerClass: 7 is more than the 6 training images of class "dog" in animals']);
    expect(await refusal({ testPerClass: 5 })).toEqual(['dataset.testPerClass: 5 is more than the 3 test images of class "dog" in animals (2 classes have fewer than 5)']);
    expect(await refusal({ classes: ['ant', 'emu'] })).toEqual(['dataset.classes.1: no class "emu" in animals (its classes: "ant", "bee", "cat", "dog")']);
    // The same count is fine once the short class is left out, and a class's whole split is allowed.
    expect((await sliceDataset(source, { trainPerClass: 8, classes: ['ant', 'bee', 'cat'] })).train.count).toBe(24);
  });

  it('records the slice in the identity, so only equal slices share a content hash', async () => {
    const source = sourceDataset();
    const whole = await datasetIdentity(source);
    expect(whole.slice).toBeUndefined();
    const a = await datasetIdentity(await sliceDataset(source, { trainPerClass: 4, testPerClass: 2, classes: ['dog', 'ant'], resize: 3 }));
    expect(a.slice).toEqual({ of: { name: 'animals', contentHash: whole.contentHash }, trainPerClass: 4, testPerClass: 2, classes: ['ant', 'dog'], resize: 3, seed: 0 });
    expect(a.name).toBe('animals (4 train + 2 test per class, 2 of 4 classes, 3×3, slice seed 0)');
    expect(a.testCount).toBe(4);
    expect(datasetIdentitySchema.parse(a)).toEqual(a);
    const again = await datasetIdentity(await sliceDataset(source, { trainPerClass: 4, testPerClass: 2, classes: ['ant', 'dog'], resize: 3 }));
    expect(again.contentHash).toBe(a.contentHash);
    for (const other of [
      { trainPerClass: 4, testPerClass: 2, classes: ['ant', 'dog'], resize: 3, seed: 1 },
      { trainPerClass: 5, testPerClass: 2, classes: ['ant', 'dog'], resize: 3 },
      { trainPerClass: 4, testPerClass: 2, classes: ['ant', 'dog'] },
      { trainPerClass: 4, testPerClass: 2, classes: ['ant', 'bee'], resize: 3 },
    ]) {
      expect((await datasetIdentity(await sliceDataset(source, other))).contentHash).not.toBe(a.contentHash);
    }
  });

  it('reads the slice fields of shard dataset configs only', () => {
    expect(sliceOf(parseWith(datasetSchema, { kind: 'builtin', name: 'fashion-mnist' }, 'dataset'))).toBeNull();
    expect(sliceOf(parseWith(datasetSchema, { kind: 'teaching', trainPerClass: 3, testPerClass: 3 }, 'dataset'))).toBeNull();
    expect(sliceOf(parseWith(datasetSchema, { kind: 'manifest', url: 'm.json', testPerClass: 3, resize: 8 }, 'dataset'))).toEqual({ testPerClass: 3, resize: 8 });
    expect(describeSlice({ name: 'fashion-mnist', classNames: new Array(10).fill('c') }, { resize: 16 })).toBe('fashion-mnist (16×16)');
  });
});

describe('resizeImages', () => {
  it('equals Pillow’s bilinear resize byte for byte: shrinking, growing, one side only, RGB and grey', () => {
    for (const c of PIL_CASES) {
      const out = resizeImages(formulaImage(c.shape, c.seed), 1, c.shape, c.out[0], c.out[1]);
      expect(Array.from(out), `${c.shape.join('×')} → ${c.out.join('×')}`).toEqual(c.expected);
    }
  });

  it('resizes each image of a batch on its own', () => {
    const c = PIL_CASES[2]!;
    const one = formulaImage(c.shape, c.seed);
    const two = new Uint8Array(one.length * 2);
    two.set(one, 0);
    two.set(one, one.length);
    const out = resizeImages(two, 2, c.shape, c.out[0], c.out[1]);
    expect(Array.from(out)).toEqual([...c.expected, ...c.expected]);
  });
});

const PIL_CASES: PilCase[] = [
  { shape: [28, 28, 1], out: [7, 7], seed: 1, expected: [125, 148, 138, 145, 148, 141, 139, 109, 111, 103, 115, 104, 118, 100, 130, 136, 132, 125, 129, 123, 137, 130, 147, 143, 137, 146, 134, 159, 111, 133, 118, 126, 124, 125, 131, 124, 120, 125, 118, 119, 116, 108, 142, 139, 149, 137, 150, 138, 153] },
  { shape: [28, 28, 1], out: [16, 16], seed: 2, expected: [98, 90, 157, 99, 89, 93, 160, 102, 92, 96, 163, 105, 95, 99, 166, 111, 133, 127, 153, 121, 129, 130, 156, 124, 132, 133, 159, 127, 135, 136, 162, 124, 122, 152, 114, 135, 127, 155, 117, 138, 130, 158, 120, 141, 133, 161, 123, 143, 122, 93, 55, 65, 116, 96, 58, 68, 119, 99, 61, 71, 122, 102, 64, 63, 154, 132, 56, 110, 153, 135, 59, 101, 111, 138, 62, 104, 114, 141, 65, 108, 130, 101, 88, 119, 132, 104, 91, 116, 111, 107, 94, 119, 114, 110, 97, 124, 89, 99, 155, 93, 88, 102, 158, 96, 91, 105, 161, 99, 94, 108, 164, 104, 113, 118, 175, 164, 122, 121, 178, 167, 125, 124, 181, 155, 124, 127, 184, 161, 107, 143, 154, 159, 113, 146, 157, 162, 113, 99, 160, 111, 101, 102, 163, 116, 130, 148, 147, 115, 125, 151, 150, 118, 126, 127, 153, 121, 129, 130, 156, 118, 116, 146, 108, 152, 127, 149, 111, 155, 130, 152, 114, 135, 127, 155, 117, 137, 116, 87, 49, 103, 122, 90, 52, 106, 125, 93, 55, 65, 116, 96, 58, 57, 148, 126, 100, 107, 147, 129, 103, 110, 150, 132, 56, 110, 153, 135, 59, 102, 124, 95, 108, 148, 135, 98, 111, 151, 138, 101, 88, 119, 132, 104, 91, 118, 83, 93, 149, 120, 91, 96, 152, 123, 94, 99, 155, 93, 88, 102, 158, 98, 116, 114, 169, 152, 123, 117, 172, 155, 126, 120, 175, 158, 129, 123, 178, 163] },
  { shape: [9, 5, 3], out: [4, 3], seed: 3, expected: [131, 108, 161, 101, 129, 133, 138, 191, 57, 137, 139, 112, 103, 129, 103, 131, 139, 118, 150, 135, 97, 106, 143, 99, 91, 141, 170, 110, 116, 106, 145, 92, 145, 72, 84, 137] },
  { shape: [6, 6, 1], out: [10, 10], seed: 4, expected: [68, 83, 105, 127, 149, 172, 194, 216, 238, 253, 104, 124, 153, 121, 109, 138, 167, 196, 226, 245, 159, 185, 225, 111, 48, 88, 127, 167, 207, 233, 214, 186, 143, 132, 110, 68, 100, 169, 127, 99, 217, 176, 113, 143, 144, 88, 106, 161, 74, 17, 118, 145, 185, 133, 120, 186, 177, 132, 75, 36, 121, 135, 155, 95, 89, 189, 183, 124, 71, 35, 176, 135, 73, 43, 54, 145, 156, 126, 64, 23, 77, 104, 145, 125, 122, 151, 135, 97, 64, 43, 11, 84, 193, 180, 168, 155, 121, 77, 64, 56] },
  { shape: [12, 8, 3], out: [12, 5], seed: 5, expected: [100, 153, 206, 156, 209, 73, 204, 140, 65, 64, 70, 123, 73, 126, 179, 203, 151, 53, 113, 100, 153, 151, 193, 129, 189, 99, 105, 130, 183, 85, 50, 103, 156, 147, 200, 110, 114, 167, 92, 81, 134, 140, 58, 111, 164, 153, 101, 154, 114, 100, 153, 77, 130, 183, 107, 160, 146, 137, 190, 139, 151, 204, 106, 81, 134, 140, 157, 210, 146, 112, 99, 152, 216, 165, 66, 102, 51, 104, 191, 177, 41, 131, 184, 109, 71, 124, 177, 40, 93, 146, 101, 154, 207, 81, 134, 187, 94, 147, 200, 107, 160, 213, 119, 172, 225, 225, 22, 75, 92, 78, 131, 84, 137, 190, 142, 195, 181, 198, 100, 48, 72, 125, 178, 172, 178, 88, 148, 84, 126, 124, 177, 164, 104, 157, 105, 175, 123, 176, 129, 116, 122, 111, 164, 89, 159, 146, 56, 183, 131, 184, 173, 75, 128, 172, 83, 136, 85, 127, 169, 118, 171, 82, 158, 59, 112, 125, 73, 126, 159, 146, 56, 48, 101, 132, 124, 177, 87, 85, 138, 191] },
];
