/** A browser without WebGPU: the engine falls back and says why. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openHarness, type HarnessSession } from './session';

let session: HarnessSession;
beforeAll(async () => {
  session = await openHarness({ webgpu: false });
});
afterAll(async () => {
  await session?.close();
});

it('falls back from WebGPU and reports the reason', async () => {
  const report = await session.page.evaluate(() => window.harness!.selectBackend('webgpu'));
  expect(report.backend).not.toBe('webgpu');
  expect(report.fallbacks[0]?.backend).toBe('webgpu');
  expect(report.fallbacks[0]?.reason).toMatch(/WebGPU/);
});

it('trains a tiny run on the fallback backend', async () => {
  const report = await session.page.evaluate(() =>
    window.harness!.runInWorker({
      config: {
        model: { arch: 'resnet20', width: 0.125 },
        dataset: { kind: 'synthetic', size: 8, classes: 2, trainPerClass: 8, testPerClass: 4 },
        training: { epochs: 1, batchSize: 8, optimizer: { lr: 0.1 } },
      },
      seed: 0,
    }),
  );
  expect(report.error).toBeNull();
  expect(report.backend.backend).not.toBe('webgpu');
  expect(report.backend.fallbacks.map((f) => f.backend)).toContain('webgpu');
});
