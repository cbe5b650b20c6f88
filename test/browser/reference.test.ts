/**
 * Both PyTorch reference files reproduced by the engine's own code on WebGPU
 * (SwiftShader), with the custom kernels, with their convolutions in the
 * workgroup-memory tiled variant, and with tfjs's stock kernels, in one page: the code `npm run reference` runs
 * (src/engine/reference/run.ts through src/app/reference.html).
 * - torch-resnet-reference.json: every loss, first-step gradient, parameter,
 *   running statistic and the eval logits within 10× PyTorch float32's own
 *   error (or under 1e-5); every crop pixel within 0.01 of torchvision's;
 * - torch-sgd-reference.json (the micro-net): every value within 1e-4.
 * Then the micro-net on WebGL, whose packed binary ops once broke BatchNorm's
 * gradients from the second step on (src/engine/backend.ts).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelSet } from '../../src/app/reference';
import { formatCaseReport } from '../../src/engine/reference/report';
import { openHarness, type HarnessSession } from './session';

const FIXTURES = ['torch-resnet-reference.json', 'torch-sgd-reference.json'];
const cases = FIXTURES.flatMap((file) => {
  const { cases } = JSON.parse(readFileSync(new URL(`../../../shared/fixtures/${file}`, import.meta.url), 'utf8')) as { cases: { name: string }[] };
  return cases.map((c, i) => ({ label: `${file}: ${c.name}`, json: JSON.stringify(c), index: i }));
});

let session: HarnessSession;
beforeAll(async () => {
  session = await openHarness({ page: 'src/app/reference.html', ready: 'classwiseReference' });
});
afterAll(async () => {
  await session?.close();
});

describe.each<KernelSet>(['custom', 'tiled', 'stock'])('with the %s kernels', (kernels) => {
  beforeAll(async () => {
    const environment = await session.page.evaluate((k) => window.classwiseReference!.start('webgpu', k), kernels);
    expect(environment.backend).toBe('webgpu');
    expect(environment.kernels.length > 0).toBe(kernels !== 'stock');
    // `tiled`: the convolutions run their workgroup-memory tiled variants (src/engine/kernels/conv-tiled.ts).
    expect(environment.tiled).toEqual(kernels === 'tiled' ? ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'] : []);
    // The custom sets include the fused BatchNorm and SGD (src/engine/kernels/batch-norm.ts, sgd.ts).
    expect(environment.fusions).toBe(kernels !== 'stock');
    await session.page.evaluate(() => window.classwiseReference!.kernelCalls(true));
  });

  // The tiled arm runs ResNet-20 and ResNet-50, whose convolutions span every shape family (3×3 at strides 1 and 2,
  // the 7×7 stem, 1×1 projections); ResNet-18 and the micro-net add none, and CI time is short.
  const TILED_ARM = ['torch-resnet-reference.json: resnet20-w0.25', 'torch-resnet-reference.json: resnet50-w0.0625-imagenet-stem'];
  const armCases = kernels === 'tiled' ? cases.filter((c) => TILED_ARM.includes(c.label)) : cases;
  it.each(armCases.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const report = await session.page.evaluate(([json, index]) => window.classwiseReference!.runCase(json, index), [c.json, c.index] as const);
    const lines = formatCaseReport(report).join('\n');
    console.log(`[${kernels} kernels] ${lines}`);
    expect(report.ok, lines).toBe(true);
    expect(report.leakedTensors).toBe(0);
  });

  it('ran the kernels it says', async () => {
    const calls = await session.page.evaluate(() => window.classwiseReference!.kernelCalls(true));
    if (kernels === 'stock') {
      expect(calls).toEqual({});
      return;
    }
    // Multi-channel, strided and 1×1 convolutions of the ResNets and their gradients went through the custom code
    // (BatchNorm's per-channel Multiply and Sum no longer run at all: the fused BatchNorm replaces them).
    for (const name of ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'] as const) {
      expect(calls[name]?.custom ?? 0, name).toBeGreaterThan(0);
    }
  });
});

describe('on WebGL', () => {
  it.each(cases.filter((c) => c.label.startsWith('torch-sgd')).map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const environment = await session.page.evaluate(() => window.classwiseReference!.start('webgl', 'stock'));
    expect(environment.backend).toBe('webgl');
    const report = await session.page.evaluate(([json, index]) => window.classwiseReference!.runCase(json, index), [c.json, c.index] as const);
    const lines = formatCaseReport(report).join('\n');
    console.log(`[webgl] ${lines}`);
    expect(report.ok, lines).toBe(true);
  });
});
