/**
 * The engine's input pipeline on WebGPU (SwiftShader): a batch's crops and
 * flips, drawn from the run's generator and applied on the GPU, give
 * torchvision's pixels, and the class inspector's previews are those crops.
 * (The engine against PyTorch's training runs and torchvision's own crops:
 * reference.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleResizedCrop, sampleTranslation, type CropWindow } from '../../src/augment/crop';
import type { AugmentationConfig } from '../../src/study/config';
import { Rng } from '../../src/util/rng';
import { openHarness, type HarnessSession } from './session';

let session: HarnessSession;
beforeAll(async () => {
  session = await openHarness();
});
afterAll(async () => {
  await session?.close();
});

type Shape = [number, number, number];

/**
 * torchvision from its definitions, pixel by pixel: `resized_crop` is
 * interpolate(bilinear, align_corners=False) of the window, each output at
 * source (i + ½)·h/H − ½ clamped to the window; `hflip` mirrors the result;
 * RandomCrop with padding reads zeros outside the image.
 */
function torchvisionCrop(image: ArrayLike<number>, [h, w, c]: Shape, crop: { window: CropWindow } | { dy: number; dx: number } | null, flip: boolean): number[] {
  const at = (y: number, x: number, ch: number) => image[(y * w + x) * c + ch]!;
  const out: number[] = [];
  const source = (i: number, start: number, length: number, size: number): [number, number, number] => {
    const position = Math.max(((i + 0.5) * length) / size - 0.5, 0);
    const below = Math.floor(position);
    return [start + below, start + Math.min(below + 1, length - 1), position - below];
  };
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const jj = flip ? w - 1 - j : j;
      for (let ch = 0; ch < c; ch++) {
        if (crop === null || 'dy' in crop) {
          const [y, x] = crop === null ? [i, jj] : [i + crop.dy, jj + crop.dx];
          out.push(y >= 0 && y < h && x >= 0 && x < w ? at(y, x, ch) : 0);
          continue;
        }
        const { top, left, height, width } = crop.window;
        const [y0, y1, dy] = source(i, top, height, h);
        const [x0, x1, dx] = source(jj, left, width, w);
        out.push((1 - dy) * ((1 - dx) * at(y0, x0, ch) + dx * at(y0, x1, ch)) + dy * ((1 - dx) * at(y1, x0, ch) + dx * at(y1, x1, ch)));
      }
    }
  }
  return out;
}

/** Replays the engine's draws for one image (crop, then flip) and gives torchvision's pixels for it. */
function expectedImage(rng: Rng, augmentation: AugmentationConfig, image: ArrayLike<number>, shape: Shape): { pixels: number[]; flip: boolean } {
  const { crop } = augmentation;
  const drawn =
    crop.kind === 'resized'
      ? { window: sampleResizedCrop(rng, shape[0], shape[1], [crop.scale, 1], crop.ratio) }
      : crop.kind === 'translate'
        ? sampleTranslation(rng, crop.padding)
        : null;
  const flip = augmentation.flip && rng.float() < 0.5;
  return { pixels: torchvisionCrop(image, shape, drawn, flip), flip };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

describe('GPU augmentation', () => {
  const dataset = { kind: 'synthetic', size: 8, channels: 3, classes: 2, trainPerClass: 4, testPerClass: 1 } as const;
  const cases: [string, AugmentationConfig][] = [
    ['pad-and-crop with flips', { crop: { kind: 'translate', padding: 2 }, flip: true }],
    ['flip', { crop: { kind: 'none' }, flip: true }],
    ['random-resized crop', { crop: { kind: 'resized', scale: 0.3, ratio: [3 / 4, 4 / 3] }, flip: false }],
    ['random-resized crop with flips', { crop: { kind: 'resized', scale: 0.08, ratio: [3 / 4, 4 / 3] }, flip: true }],
  ];

  it.each(cases)("%s gives torchvision's pixels, normalised", async (_name, augmentation) => {
    const got = await session.page.evaluate(([d, a]) => window.harness!.augmentedBatch(d, a, 5), [dataset, augmentation] as const);
    const shape = got.shape;
    const size = shape[0] * shape[1] * shape[2];
    const rng = Rng.fromSeed(5, 'augment');
    let worst = 0;
    let flips = 0;
    for (let n = 0; n < 8; n++) {
      const { pixels, flip } = expectedImage(rng, augmentation, got.input.slice(n * size, (n + 1) * size), shape);
      if (flip) flips++;
      pixels.forEach((v, k) => {
        const ch = k % shape[2];
        const expected = (v - 255 * got.mean[ch]!) / (255 * got.std[ch]!);
        worst = Math.max(worst, Math.abs(got.output[n * size + k]! - expected));
      });
    }
    // Normalised values: 1e-4 is about 0.005 of a 0–255 pixel here.
    expect(worst).toBeLessThan(1e-4);
    if (augmentation.flip) expect(flips).toBeGreaterThan(0);
  });

  it("gives the class inspector the same crops, rounded to 0–255", async () => {
    const augmentation: AugmentationConfig = { crop: { kind: 'resized', scale: 0.2, ratio: [3 / 4, 4 / 3] }, flip: true };
    const got = await session.page.evaluate(([d, a]) => window.harness!.previewCrops(d, a, 1, 4, 3), [dataset, augmentation] as const);
    expect(got.previews.length).toBe(4);
    expect(got.leaked).toBe(0);
    const rng = Rng.fromSeed(3, 'preview');
    got.previews.forEach((preview, n) => {
      const { pixels } = expectedImage(rng, augmentation, got.inputs[n]!, got.shape);
      // tf.round rounds halves to even (bilinear weights in 1/16ths make many exact halves); a value within
      // float32 error of a half may still round the other way: at most 1 apart, and rarely.
      const off = preview.map((v, k) => Math.abs(v - Math.min(255, Math.max(0, roundHalfEven(pixels[k]!)))));
      expect(Math.max(...off)).toBeLessThanOrEqual(1);
      expect(off.filter((d) => d > 0).length).toBeLessThan(preview.length / 100 + 1);
    });
  });
});
