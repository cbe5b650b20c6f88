/**
 * Smoke test of the training bench page (`npm run bench` drives the same
 * page): a tiny model for one timed step on WebGPU, and a check that the
 * report has every part, with positive numbers and no leaked tensors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/bench/report';
import type { BenchPlan, BenchReport } from '../../src/bench/training';
import { openHarness, type HarnessSession } from './session';

let session: HarnessSession;
beforeAll(async () => {
  session = await openHarness({ page: 'src/bench/train.html', ready: 'classwiseBench' });
});
afterAll(async () => {
  await session?.close();
});

describe('npm run bench page', () => {
  it('measures a tiny ResNet-20 step and reports it', async () => {
    const tiny = { arch: 'resnet20' as const, size: 8, batch: 2, steps: 1 };
    const plan: BenchPlan = { backends: ['webgpu'], models: [tiny], compare: null, bareFor: 'first', profile: tiny, budgetSec: 120 };
    const browser = await session.page.evaluate(([p]) => window.classwiseBench!.run(p, ['Mean']), [plan] as const);
    const report: BenchReport = { ...browser, host: null, dawn: [], cases: [], load: null };

    expect(report.schema).toBe('classwise.bench/2');
    expect(report.adapter?.architecture).toBe('swiftshader');
    expect(report.training).toHaveLength(1);
    const row = report.training[0]!;
    expect(row).toMatchObject({ backend: 'webgpu', kernels: 'custom', arch: 'resnet20', size: 8, batch: 2 });
    if (row.engine.status !== 'ok' || row.bare.status !== 'ok' || row.pipeline.status !== 'ok') throw new Error(`not measured: ${JSON.stringify(row)}`);
    expect(row.engine.msPerStep).toBeGreaterThan(0);
    expect(row.engine.imagesPerSec).toBeCloseTo((1000 * 2) / row.engine.msPerStep, 6);
    expect(row.bare.msPerStep).toBeGreaterThan(0);
    expect(row.overhead).toBeCloseTo(row.engine.msPerStep / row.bare.msPerStep, 6);
    expect(row.pipeline.imagesPerSec).toBeGreaterThan(0);
    // The run frees everything it made; during it the model and optimiser are alive.
    expect(row.engine.liveTensors.after).toBe(row.engine.liveTensors.before);
    expect(row.engine.liveTensors.epochEnd).toBeGreaterThan(row.engine.liveTensors.before);
    expect(row.engine.gpuBytesAllocated).toBeGreaterThan(0);

    const b = report.breakdown!;
    expect(b.custom.timer).toBe('gpu-timestamp');
    for (const side of [b.stock, b.custom]) {
      expect(side.kernelMs).toBeGreaterThan(0);
      expect(side.kernels.map((k) => k.kernel)).toEqual(expect.arrayContaining(['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput']));
    }
    expect(report.kernels.map((k) => k.kernel)).toEqual(['Mean']);
    for (const k of report.kernels) expect(k.stockMs > 0 && k.customMs > 0 && Math.abs(k.speedup - k.stockMs / k.customMs) < 1e-9).toBe(true);

    const markdown = renderMarkdown(report);
    expect(markdown).toContain('| webgpu | custom | resnet20 | 8×8 | 2 |');
    expect(markdown).toContain('kernel by kernel');
  });
});
