/**
 * The custom WebGPU kernels (src/engine/kernels) against the stock tfjs
 * kernels on the same random inputs, in one page on SwiftShader: every case
 * must agree to a relative error under 1e-4, run the custom code (or hand the
 * case back to the stock kernel where it is meant to), raise no WebGPU
 * validation error and leave no tensor behind. The convolutions' workgroup-
 * memory tiled variants are held to the same on every convolution case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseName, CONV_TEST_CASES, isFallback, TEST_CASES } from '../../src/bench/kernel-cases';
import { FUSED_BATCH_NORM_CASES, fusedCaseName, SGD_CASES, type FusionAgreement } from '../../src/bench/fusions';
import type { Agreement } from '../../src/bench/kernels';
import { openHarness, type HarnessSession } from './session';

let session: HarnessSession;
let results: Agreement[];
let tiled: Agreement[];
let fused: FusionAgreement[];
beforeAll(async () => {
  session = await openHarness({ page: 'src/bench/kernels.html', ready: 'classwiseKernels' });
  results = await session.page.evaluate((cases) => window.classwiseKernels!.compareAll(cases), TEST_CASES);
  tiled = await session.page.evaluate((cases) => window.classwiseKernels!.compareAll(cases, 'tiled'), CONV_TEST_CASES);
  fused = await session.page.evaluate(() => window.classwiseKernels!.compareFusedOps());
});
afterAll(async () => {
  await session?.close();
});

describe('custom WebGPU kernels against the stock ones', () => {
  it.each(TEST_CASES.map((c, i) => [caseName(c), c, i] as const))('%s', (_name, kase, i) => {
    const got = results[i]!;
    expect(got.name).toBe(caseName(kase));
    expect(got.variant).toBe('register');
    expect(got.gpuError).toBeNull();
    expect(got.customRan).toBe(!isFallback(kase));
    expect(got.sameShape).toBe(true);
    // The stock output is not all zeros, so agreement is not vacuous.
    expect(got.maxAbsStock).toBeGreaterThan(0.01);
    expect(got.relativeError).toBeLessThan(1e-4);
    expect(got.leaked).toBe(0);
  });
});

describe('the convolutions’ workgroup-memory tiled variants against the stock ones', () => {
  it.each(CONV_TEST_CASES.map((c, i) => [caseName(c), c, i] as const))('%s', (_name, kase, i) => {
    const got = tiled[i]!;
    expect(got.name).toBe(caseName(kase));
    expect(got.variant).toBe('tiled');
    expect(got.gpuError).toBeNull();
    expect(got.customRan).toBe(true);
    expect(got.sameShape).toBe(true);
    expect(got.maxAbsStock).toBeGreaterThan(0.01);
    expect(got.relativeError).toBeLessThan(1e-4);
    expect(got.leaked).toBe(0);
  });
});

/**
 * The fused BatchNorm (forward with its running statistics, residual and
 * ReLU, and every gradient) and the in-place SGD against the composite ops
 * they replace, from the same inputs.
 */
describe('fused BatchNorm and SGD against the composite ops', () => {
  const names = [...FUSED_BATCH_NORM_CASES.map(fusedCaseName), ...SGD_CASES.map((c) => `SGD ${c.name}`)];
  it.each(names.map((name, i) => [name, i] as const))('%s', (name, i) => {
    const got = fused[i]!;
    expect(got.name).toBe(name);
    expect(got.gpuError).toBeNull();
    expect(got.fusedRan).toBe(true);
    expect(got.relativeError, `worst: ${got.worst}`).toBeLessThan(1e-5);
    expect(got.leaked).toBe(0);
  });
});
