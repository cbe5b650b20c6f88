/** A run killed mid-epoch resumes from its IndexedDB checkpoint and ends as an uninterrupted run does. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/study/config';
import { parseRunResult } from '../../src/study/results';
import { openHarness, type HarnessSession } from './session';

const config: RunConfigInput = {
  model: { arch: 'resnet20', width: 0.25 },
  dataset: { kind: 'synthetic', size: 8, classes: 4, trainPerClass: 16, testPerClass: 8 },
  augmentation: { crop: { kind: 'resized', scale: 0.5 }, flip: true },
  training: { epochs: 2, batchSize: 16, optimizer: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }, bnMomentum: 0.5, lossReadEvery: 1 },
};

let session: HarnessSession;
beforeAll(async () => {
  session = await openHarness();
});
afterAll(async () => {
  await session?.close();
});

it('resumes a run killed mid-epoch to the same per-class result', async () => {
  const uninterrupted = await session.page.evaluate((c) => window.harness!.runInWorker({ config: c, seed: 11 }), config);
  const reference = await parseRunResult(uninterrupted.result);

  // 4 steps per epoch; checkpoints after steps 2 and 4; killed after step 3 (0-based 2), mid-epoch 1.
  const { killedAt, second } = await session.page.evaluate(
    (c) => window.harness!.runKilledThenResumed({ config: c, seed: 11, checkpointEverySteps: 2 }, 2),
    config,
  );
  expect(killedAt).toBe(2);
  expect(second.error).toBeNull();
  const resumed = second.events.find((e) => e.kind === 'resumed');
  expect(resumed).toMatchObject({ step: 2, epoch: 0 });
  const result = await parseRunResult(second.result);
  expect(result.perClass).toEqual(reference.perClass);
  expect(result.confusion).toEqual(reference.confusion);
  expect(result.history.map((h) => h.step)).toEqual(reference.history.map((h) => h.step));
  result.history.forEach((h, i) => expect(Math.abs(h.loss - reference.history[i]!.loss)).toBeLessThan(1e-5));
  // Asked again, the finished run is answered from IndexedDB without training.
  const again = await session.page.evaluate((c) => window.harness!.runInWorker({ config: c, seed: 11, checkpointEverySteps: 2 }), config);
  expect(again.events.map((e) => e.kind)).toEqual(['dataset', 'restored']);
  expect((await parseRunResult(again.result)).confusion).toEqual(result.confusion);
  console.log(`killed after step ${killedAt + 1}, resumed at step ${resumed && 'step' in resumed ? resumed.step : '?'}; top-1 ${result.top1} vs ${reference.top1}`);
});
