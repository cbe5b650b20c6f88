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
