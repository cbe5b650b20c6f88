/** Class-conditional augmentation (augmentation.perClass): each image of a batch gets its class's crop. */
import { describe, expect, it } from 'vitest';
import { augments, classAugmentation, cropResampling, drawImageResampling, identityResampling } from '../../src/augment/crop';
import { parseWith, augmentationSchema, type AugmentationConfig } from '../../src/study/config';
import { Rng } from '../../src/util/rng';

const names = ['cat', 'dog', 'emu'];
const augmentation = (value: unknown): AugmentationConfig => parseWith(augmentationSchema, value, 'augmentation');
const strong = augmentation({ crop: { kind: 'resized', scale: 0.25 }, flip: true, perClass: { dog: { kind: 'none' }, emu: { kind: 'translate', padding: 2 } } });

/** Image n's row and column taps out of a batch plan. */
function imageOf(plan: ReturnType<typeof cropResampling>, n: number, size: number) {
  const part = (taps: typeof plan.rows) => ({
    index0: Array.from(taps.index0.subarray(n * size, (n + 1) * size)),
    index1: Array.from(taps.index1.subarray(n * size, (n + 1) * size)),
    weight0: Array.from(taps.weight0.subarray(n * size, (n + 1) * size)),
    weight1: Array.from(taps.weight1.subarray(n * size, (n + 1) * size)),
  });
  return { rows: part(plan.rows), cols: part(plan.cols) };
}

function plain(image: ReturnType<typeof drawImageResampling>) {
  const part = (taps: typeof image.rows) => ({
    index0: Array.from(taps.index0),
    index1: Array.from(taps.index1),
    weight0: Array.from(taps.weight0),
    weight1: Array.from(taps.weight1),
  });
  return { rows: part(image.rows), cols: part(image.cols) };
}

describe('per-class crops', () => {
  it('give each image its class’s crop, drawing image by image from the one generator', () => {
    const labels = [0, 1, 2, 1, 0, 2];
    const plan = cropResampling(Rng.fromSeed(3, 'augment'), strong, labels.length, 12, 12, { labels, names });
    // The same draws, replayed image by image with each class's augmentation.
    const replay = Rng.fromSeed(3, 'augment');
    labels.forEach((label, n) => {
      expect(imageOf(plan, n, 12)).toEqual(plain(drawImageResampling(replay, classAugmentation(strong, names[label]!), 12, 12)));
    });
    // The dog's crop is none: its image is itself or its mirror image, never cropped.
    const dog = imageOf(plan, 1, 12);
    const identity = plain(identityResampling(12, 12, false));
    const mirrored = plain(identityResampling(12, 12, true));
    expect(dog.rows).toEqual(identity.rows);
    expect([identity.cols, mirrored.cols]).toContainEqual(dog.cols);
    // The cat's is the resized crop: its rows read a window, not the image.
    expect(imageOf(plan, 0, 12).rows).not.toEqual(identity.rows);
  });

  it('leave a batch without per-class crops drawn as before, labels or not', () => {
    const uniform = augmentation({ crop: { kind: 'resized', scale: 0.5 }, flip: true });
    const withClasses = cropResampling(Rng.fromSeed(1), uniform, 4, 8, 8, { labels: [0, 1, 2, 0], names });
    const without = cropResampling(Rng.fromSeed(1), uniform, 4, 8, 8);
    expect(withClasses).toEqual(without);
  });

  it('count as augmenting when only a class is cropped, and need the labels', () => {
    expect(augments(augmentation({}))).toBe(false);
    expect(augments(augmentation({ perClass: { dog: { kind: 'none' } } }))).toBe(false);
    expect(augments(augmentation({ perClass: { dog: { kind: 'resized', scale: 0.3 } } }))).toBe(true);
    expect(() => cropResampling(Rng.fromSeed(0), strong, 2, 8, 8)).toThrow(/per-class crops need the batch’s labels/);
    expect(() => cropResampling(Rng.fromSeed(0), strong, 1, 8, 8, { labels: [5], names })).toThrow(/label 5, beyond the 3 classes/);
  });
});
