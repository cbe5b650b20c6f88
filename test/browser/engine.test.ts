/**
 * The engine on WebGPU (SwiftShader): PyTorch's SGD/BatchNorm trajectories
 * reproduced, and a full-depth ResNet-50 taking a training step.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHarness, type HarnessSession } from './session';

interface Fixture {
  cases: {
    name: string;
    lossPerStep: number[];
    final: Record<string, unknown>;
    evalLogitsOnBatch0AfterTraining: number[][];
  }[];
}

const fixture = JSON.parse(readFileSync(new URL('../../../shared/fixtures/torch-sgd-reference.json', import.meta.url), 'utf8')) as Fixture;

function expectClose(actual: number[], expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    const error = Math.abs(a - e) / Math.max(Math.abs(e), 1e-3);
    expect(error, `${what}[${i}]: ${a} vs torch ${e}`).toBeLessThan(1e-4);
  });
}

let session: HarnessSession;
beforeAll(async () => {
  session = await openHarness();
});
afterAll(async () => {
  await session?.close();
});

describe('PyTorch SGD reference on WebGPU', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: losses, parameters, running statistics and eval logits', async (_name, kase) => {
    const got = await session.page.evaluate((k) => window.harness!.torchReference(k as never), kase);
    expectClose(got.losses, kase.lossPerStep, 'loss per step');
    for (const [name, value] of Object.entries(kase.final)) {
      expectClose(got.final[name]!, (value as unknown[]).flat(4) as number[], name);
    }
    expectClose(got.evalLogits, kase.evalLogitsOnBatch0AfterTraining.flat(), 'eval logits');
    expect(got.leaked).toBe(0);
  });
});

describe('full-depth ResNet-50', () => {
  it('takes a training step on WebGPU at width 1/16 and 16 px', async () => {
    const got = await session.page.evaluate(() =>
      window.harness!.resnetStep(
        {
          model: { arch: 'resnet50', width: 1 / 16 },
          dataset: { kind: 'synthetic', size: 16, classes: 10, trainPerClass: 1, testPerClass: 1 },
          training: { epochs: 1, batchSize: 2, optimizer: { lr: 0.1 } },
        },
        2,
      ),
    );
    expect(got.backend).toBe('webgpu');
    expect(got.layers).toBe(16); // 3 + 4 + 6 + 3 bottleneck blocks
    expect(Number.isFinite(got.lossBefore)).toBe(true);
    expect(Number.isFinite(got.lossAfter)).toBe(true);
    expect(got.changed).toBeGreaterThan(0);
    expect(got.leaked).toBe(0);
    console.log(`ResNet-50 w=1/16 16px batch 2: ${got.params} params, first step ${got.ms.toFixed(0)} ms, loss ${got.lossBefore.toFixed(4)} → ${got.lossAfter.toFixed(4)}`);
  });
});

/**
 * The crop boxes drawn on the CPU, applied by WebGPU's cropAndResize, must
 * give the pixels a reference bilinear sampler gives (align-corners mapping,
 * zeros outside the image, mirrored when x1 > x2), then the normalisation.
 */
describe('GPU augmentation', () => {
  const dataset = { kind: 'synthetic', size: 8, channels: 3, classes: 2, trainPerClass: 4, testPerClass: 1 } as const;

  function reference(got: Awaited<ReturnType<NonNullable<Window['harness']>['augmentedBatch']>>): number[] {
    const [h, w, c] = got.shape;
    const pixel = (n: number, y: number, x: number, ch: number) =>
      y < 0 || y > h - 1 || x < 0 || x > w - 1 ? 0 : got.input[((n * h + y) * w + x) * c + ch]!;
    const out: number[] = [];
    for (let n = 0; n < 8; n++) {
      const [y1, x1, y2, x2] = got.boxes.slice(4 * n, 4 * n + 4) as [number, number, number, number];
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          const y = y1 * (h - 1) + (i * (y2 - y1) * (h - 1)) / (h - 1);
          const x = x1 * (w - 1) + (j * (x2 - x1) * (w - 1)) / (w - 1);
          for (let ch = 0; ch < c; ch++) {
            let v: number;
            if (y < 0 || y > h - 1 || x < 0 || x > w - 1) v = 0;
            else {
              const [y0, x0] = [Math.floor(y), Math.floor(x)];
              const [dy, dx] = [y - y0, x - x0];
              const top = pixel(n, y0, x0, ch) * (1 - dx) + pixel(n, y0, Math.min(x0 + 1, w - 1), ch) * dx;
              const bottom = pixel(n, Math.min(y0 + 1, h - 1), x0, ch) * (1 - dx) + pixel(n, Math.min(y0 + 1, h - 1), Math.min(x0 + 1, w - 1), ch) * dx;
              v = top * (1 - dy) + bottom * dy;
            }
            out.push((v - 255 * got.mean[ch]!) / (255 * got.std[ch]!));
          }
        }
      }
    }
    return out;
  }

  it.each([
    ['pad-and-crop with flips', { crop: { kind: 'translate', padding: 2 }, flip: true }],
    ['pad-and-crop', { crop: { kind: 'translate', padding: 2 }, flip: false }],
    ['flip', { crop: { kind: 'none' }, flip: true }],
    ['random-resized crop', { crop: { kind: 'resized', scale: 0.3 }, flip: false }],
  ] as const)('%s gives the reference pixels', async (_name, augmentation) => {
    const got = await session.page.evaluate(([d, a]) => window.harness!.augmentedBatch(d, a, 5), [dataset, augmentation] as const);
    const expected = reference(got);
    const worst = Math.max(...got.output.map((v, i) => Math.abs(v - expected[i]!)));
    expect(worst).toBeLessThan(1e-3);
    if (augmentation.flip) expect(got.boxes.some((_, i) => i % 4 === 1 && got.boxes[i]! > got.boxes[i + 2]!)).toBe(true);
    if (augmentation.crop.kind === 'translate') {
      // A translation moves whole pixels: the result is the shifted image with zeros around it.
      const side = got.shape[0] - 1;
      const shifted = reference({ ...got, boxes: got.boxes.map((v) => Math.round(v * side) / side) });
      expect(Math.max(...got.output.map((v, i) => Math.abs(v - shifted[i]!)))).toBeLessThan(1e-2);
    }
  });
});
