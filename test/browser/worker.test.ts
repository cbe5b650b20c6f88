/** The engine worker over comlink: a tiny ResNet learns, keeps its tensors, pauses, resumes, cancels, refuses bad configs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/study/config';
import { parseRunResult, type RunResult } from '../../src/study/results';
import type { WorkerRunReport } from './harness';
import { openHarness, type HarnessSession } from './session';

const tiny: RunConfigInput = {
  model: { arch: 'resnet20', width: 0.25 },
  dataset: { kind: 'synthetic', size: 8, classes: 4, trainPerClass: 32, testPerClass: 12 },
  augmentation: { crop: { kind: 'resized', scale: 0.5 }, flip: true },
  // BatchNorm momentum 0.5: with 16 steps, torch's 0.1 leaves the running statistics too stale for evaluation.
  training: { epochs: 4, batchSize: 32, optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }, bnMomentum: 0.5, lossReadEvery: 2 },
};

let session: HarnessSession;
beforeAll(async () => {
  session = await openHarness();
});
afterAll(async () => {
  await session?.close();
});

function run(config: RunConfigInput, seed: number, script: object = {}): Promise<WorkerRunReport> {
  return session.page.evaluate(([c, s, sc]) => window.harness!.runInWorker({ config: c, seed: s }, sc), [config, seed, script] as const);
}

function meanLoss(result: RunResult, epoch: number): number {
  const losses = result.history.filter((h) => h.epoch === epoch).map((h) => h.loss);
  return losses.reduce((a, b) => a + b, 0) / losses.length;
}

describe('training in the worker', () => {
  let report: WorkerRunReport;
  let result: RunResult;

  beforeAll(async () => {
    report = await run(tiny, 7);
    expect(report.error).toBeNull();
    result = await parseRunResult(report.result);
    console.log(`tiny ResNet-20: loss ${meanLoss(result, 0).toFixed(3)} → ${meanLoss(result, 3).toFixed(3)}, top-1 ${result.top1}, ${result.wallTimeSec.toFixed(1)} s`);
  });

  it('runs on WebGPU and says which adapter', () => {
    expect(report.backend.backend).toBe('webgpu');
    expect(result.environment.backend).toBe('webgpu');
    expect(result.environment.adapter?.architecture).toBe('swiftshader');
  });

  it('lowers the loss', () => {
    const first = meanLoss(result, 0);
    const last = meanLoss(result, 3);
    expect(result.history).toHaveLength(16);
    expect(last).toBeLessThan(first * 0.9);
  });

  it('reports per-class counts that add up to the test split', () => {
    expect(result.perClass.map((c) => c.total)).toEqual([12, 12, 12, 12]);
    expect(result.perClass.reduce((n, c) => n + c.total, 0)).toBe(result.dataset.testCount);
    expect(result.evaluations).toHaveLength(4);
    expect(result.top1).toBeGreaterThan(0.25);
  });

  it('holds the same number of live tensors after every epoch and frees them at the end', () => {
    const counts = report.events.flatMap((e) => (e.kind === 'epoch' ? [e.liveTensors] : []));
    expect(counts).toHaveLength(4);
    expect(new Set(counts).size).toBe(1);
    expect(report.memoryAfter).toBe(report.memoryBefore);
  });

  it('reports progress with a learning rate, images/s and an ETA', () => {
    const progress = report.events.filter((e) => e.kind === 'progress');
    expect(progress.length).toBe(8); // 16 steps, losses read two at a time
    for (const p of progress) {
      expect(p.imagesPerSec).toBeGreaterThan(0);
      expect(p.lr).toBe(0.05);
      expect(p.etaSec).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('run control', () => {
  const short: RunConfigInput = { ...tiny, training: { ...tiny.training, epochs: 2 } } as RunConfigInput;

  it('is reproducible: the same config and seed give the same run', async () => {
    const [a, b] = [await run(short, 3), await run(short, 3)];
    const [ra, rb] = [await parseRunResult(a.result), await parseRunResult(b.result)];
    expect(ra.history.map((h) => h.loss)).toEqual(rb.history.map((h) => h.loss));
    expect(ra.confusion).toEqual(rb.confusion);
    const other = await parseRunResult((await run(short, 4)).result);
    expect(other.history.map((h) => h.loss)).not.toEqual(ra.history.map((h) => h.loss));
  });

  it('pauses and resumes', async () => {
    const pauseMs = 2000;
    const report = await run(short, 1, { pauseForMs: pauseMs });
    expect(report.error).toBeNull();
    const paused = report.events.find((e) => e.kind === 'paused');
    if (paused?.kind !== 'paused') throw new Error('the worker never said it paused');
    const firstProgress = report.events.find((e) => e.kind === 'progress');
    if (firstProgress?.kind !== 'progress') throw new Error('no progress before the pause');
    // The pause, sent on the first group's progress, holds at a step boundary no later than the next group's end
    // (losses are read two at a time; how far the worker got before the message arrived depends on the page's load).
    expect(paused.step).toBeGreaterThan(firstProgress.step);
    expect(paused.step).toBeLessThanOrEqual(firstProgress.step + 1 + 2);
    const resumeSentAt = report.resumeSentAt!;
    expect(resumeSentAt - firstProgress.at).toBeGreaterThanOrEqual(pauseMs - 5);
    expect(paused.at).toBeLessThan(resumeSentAt);
    // Nothing trains while paused: the next group of losses comes after the resume.
    const next = report.events.find((e) => e.kind === 'progress' && e.at > paused.at);
    if (next?.kind !== 'progress') throw new Error('no progress after the pause');
    expect(next.at).toBeGreaterThanOrEqual(resumeSentAt);
    expect(next.step).toBeGreaterThanOrEqual(paused.step);
    const result = await parseRunResult(report.result);
    expect(result.history).toHaveLength(8);
  });

  it('cancels, leaving no tensors behind', async () => {
    const report = await run(short, 1, { cancel: true });
    expect(report.error).toMatch(/RunCancelled|cancelled/);
    expect(report.memoryAfter).toBe(report.memoryBefore);
  });

  it('refuses an impossible config, naming the field', async () => {
    const bad = { ...tiny, training: { ...tiny.training, optimizer: { lr: 0.1, weightDecay: -1 } } };
    const report = await run(bad as RunConfigInput, 0);
    expect(report.error).toMatch(/training\.optimizer\.weightDecay/);
    const big = { ...tiny, training: { ...tiny.training, batchSize: 1000 } };
    expect((await run(big as RunConfigInput, 0)).error).toMatch(/training\.batchSize/);
  });
});
