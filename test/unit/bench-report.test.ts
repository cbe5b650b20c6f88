import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/bench/report';
import type { DawnBench } from '../../src/bench/dawn';
import { caseFigures, classesFor, nullWidth, type BenchReport, type ModelCase, type TrainingRow } from '../../src/bench/training';

describe('classesFor', () => {
  const imagesPerEpoch = (c: ModelCase) => classesFor(c) * ((2 * c.steps * c.batch) / classesFor(c));

  it('gives an epoch of exactly the warm-up group and the timed group', () => {
    const cases: ModelCase[] = [
      { arch: 'resnet50', size: 224, batch: 1, steps: 1 },
      { arch: 'resnet18', size: 64, batch: 8, steps: 1 },
      { arch: 'resnet20', size: 32, batch: 32, steps: 2 },
      { arch: 'resnet20', size: 32, batch: 16, steps: 1 },
      { arch: 'resnet20', size: 8, batch: 7, steps: 3 },
    ];
    for (const c of cases) {
      expect(Number.isInteger((2 * c.steps * c.batch) / classesFor(c))).toBe(true);
      expect(imagesPerEpoch(c) / c.batch).toBe(2 * c.steps);
    }
  });

  it('keeps as many classes as it can, up to 10', () => {
    expect(classesFor({ arch: 'resnet50', size: 224, batch: 1, steps: 1 })).toBe(2);
    expect(classesFor({ arch: 'resnet18', size: 64, batch: 8, steps: 1 })).toBe(8);
    expect(classesFor({ arch: 'resnet20', size: 32, batch: 5, steps: 1 })).toBe(10);
    expect(classesFor({ arch: 'resnet20', size: 8, batch: 7, steps: 3 })).toBe(7);
    expect(classesFor({ arch: 'resnet20', size: 8, batch: 3, steps: 1 })).toBe(6);
  });
});

describe('the bench report', () => {
  const row = (arch: TrainingRow['arch'], size: number, msPerStep: number, batch: number): TrainingRow => ({
    backend: 'webgpu',
    requested: 'webgpu',
    arch,
    size,
    batch,
    kernels: 'custom',
    engine: {
      status: 'ok',
      msPerStep,
      imagesPerSec: (1000 * batch) / msPerStep,
      steps: 1,
      warmupMsPerStep: 2 * msPerStep,
      liveTensors: { before: 0, epochEnd: 431, after: 0 },
      liveBytes: 179.7 * 2 ** 20,
      gpuBytesAllocated: null,
    },
    bare: { status: 'skipped', reason: 'not asked for (--bare-all)' },
    overhead: null,
    pipeline: { status: 'ok', imagesPerSec: 233.4, msPerBatch: 4.3, batches: 8 },
  });
  const r20: ModelCase = { arch: 'resnet20', size: 32, batch: 32, steps: 2 };
  const r50: ModelCase = { arch: 'resnet50', size: 224, batch: 1, steps: 1 };
  const step = (dispatches: number, ms: number, byKernel: { kernel: string; dispatches: number }[]) =>
    ({ status: 'ok', kernels: 'custom', dispatchesPerStep: dispatches, writesPerStep: dispatches, submitsPerStep: 20, byKernel, msPerStep: ms, cpuMsPerStep: ms / 2, steps: 5 }) as const;
  const host: DawnBench = {
    backend: 'null',
    adapter: { vendor: '', architecture: '', device: 'null-backend', description: '' },
    userAgent: 'Node.js v20.20.2 (Dawn for Node, null backend)',
    timestamps: false,
    cases: [
      {
        model: r20,
        custom: step(258, 27.5, [{ kernel: 'Conv2DBackpropFilter', dispatches: 38 }, { kernel: 'SgdUpdate', dispatches: 59 }]),
        stock: { ...step(1455, 110, [{ kernel: 'Multiply', dispatches: 581 }, { kernel: 'Conv2DBackpropFilter', dispatches: 19 }]), kernels: 'stock' },
        customKernelMs: null,
        stockKernelMs: null,
      },
      { model: { ...r50, width: 0.25 }, custom: { status: 'failed', reason: 'out of memory' }, stock: { status: 'skipped', reason: 'over budget' }, customKernelMs: null, stockKernelMs: null },
    ],
  };
  const report: BenchReport = {
    schema: 'classwise.bench/2',
    runtime: 'browser',
    date: '2026-11-24T22:39:00.000Z',
    userAgent: 'HeadlessChrome',
    tfjsVersion: '4.22.0',
    cores: 2,
    adapter: { vendor: 'google', architecture: 'swiftshader', description: '', shaderF16: false },
    plan: { backends: ['webgpu'], models: [], compare: null, bareFor: 'first', profile: null, budgetSec: 60 },
    training: [row('resnet50', 224, 27_588, 1), row('resnet20', 32, 8_932, 32), row('resnet20', 8, 50, 32)],
    breakdown: null,
    kernels: [],
    host,
    dawn: [{ backend: 'vulkan', unavailable: "Couldn't load Vulkan: libvulkan.so.1" }],
    cases: caseFigures([r20, r50], host),
    load: { before: [1.5, 1.2, 1], after: [2, 1.5, 1.1] },
    wallSec: 555,
  };
  const markdown = renderMarkdown(report);

  it('shows slow rates with two significant figures, not as 0.0', () => {
    expect(markdown).toContain('| webgpu | custom | resnet50 | 224×224 | 1 | 0.036 | 27,588 |');
    expect(markdown).toContain('| webgpu | custom | resnet20 | 32×32 | 32 | 3.6 | 8,932 |');
    expect(markdown).toContain('| webgpu | custom | resnet20 | 8×8 | 32 | 640.0 | 50 |');
  });

  it('names the adapter and the run', () => {
    expect(markdown).toMatch(/^# Classwise bench, 2026-11-24 22:39 UTC\n/);
    expect(markdown).toContain('Adapter: google swiftshader (shader-f16: no); tfjs 4.22.0; 2 cores');
    expect(markdown).toContain('| 0 → 431 → 0 | 179.7 |');
  });

  it('gives each model the four host figures, and each next to stock as a ratio', () => {
    expect(report.cases[0]).toMatchObject({ dispatchesPerStep: 258, stockDispatchesPerStep: 1455, hostMsPerStep: 27.5, stockHostMsPerStep: 110 });
    expect(report.cases[1]).toMatchObject({ dispatchesPerStep: null, stockDispatchesPerStep: null, hostMsPerStep: null, stockHostMsPerStep: null });
    expect(markdown).toContain('| resnet20 | 32×32 | 32 | 258 | 1,455 | ×0.18 | 27.5 | 110.0 | ×0.25 | 13.8 | 55.0 | ×0.25 |');
    expect(markdown).toContain('| resnet50 (width 0.25 on null) | 224×224 | 1 |  |  |  |  |  |  |  |  |  |');
    expect(nullWidth(() => 270_000)).toBe(1);
    expect(nullWidth((w) => 23_500_000 * w * w)).toBe(0.25);
    expect(markdown).toContain('| SgdUpdate | 59 | 0 |');
    expect(markdown).toContain('| Multiply | 0 | 581 |');
    expect(markdown).toContain("| vulkan | unavailable: Couldn't load Vulkan: libvulkan.so.1 |");
    expect(markdown).toContain('Load average (1, 5, 15 min) before: 1.50, 1.20, 1.00; after: 2.00, 1.50, 1.10.');
  });
});
