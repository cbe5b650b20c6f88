/**
 * The custom WebGPU kernels (src/engine/kernels) against the stock tfjs
 * kernels on the same random inputs, in one page on SwiftShader: every case
 * must agree to a relative error under 1e-4, run the custom code (or hand the
 * case back to the stock kernel where it is meant to), raise no WebGPU
 * validation error and leave no tensor behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseName, isFallback, TEST_CASES } from '../../src/bench/kernel-cases';
import type { Agreement } from '../../src/bench/kernels';
import { openHarness, type HarnessSession } from './session';

let session: HarnessSession;
let results: Agreement[];
beforeAll(async () => {
  session = await openHarness({ page: 'src/bench/kernels.html', ready: 'classwiseKernels' });
  results = await session.page.evaluate((cases) => window.classwiseKernels!.compareAll(cases), TEST_CASES);
});
afterAll(async () => {
  await session?.close();
});

describe('custom WebGPU kernels against the stock ones', () => {
  it.each(TEST_CASES.map((c, i) => [caseName(c), c, i] as const))('%s', (_name, kase, i) => {
    const got = results[i]!;
    expect(got.name).toBe(caseName(kase));
    expect(got.gpuError).toBeNull();
    expect(got.customRan).toBe(!isFallback(kase));
    expect(got.sameShape).toBe(true);
    // The stock output is not all zeros, so agreement is not vacuous.
    expect(got.maxAbsStock).toBeGreaterThan(0.01);
    expect(got.relativeError).toBeLessThan(1e-4);
    expect(got.leaked).toBe(0);
  });
});
