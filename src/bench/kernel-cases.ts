/**
 * Kernel cases for the kernel tests and the bench (the type and the model's
 * own cases are src/engine/kernels/cases.ts).
 */
import type { KernelCase, Pad } from '../engine/kernels/cases';

export { caseName, type KernelCase, type Pad } from '../engine/kernels/cases';

/** Whether the custom kernel is meant to hand this case back to the stock one. */
export function isFallback(c: KernelCase): boolean {
  return 'fallback' in c && c.fallback === true;
}

/**
 * Small shapes for the tests: stride 1 and 2; same, valid and explicit
 * padding; 1×1, 3×3 and 7×7 filters; batch above 1; channel counts that are
 * and are not multiples of 4 (including 3, an RGB stem). The last two span
 * several of the tiled variants' 32 × 32 output tiles with partial ones at
 * the edges (37 and 40 channels), a depth that is no multiple of its step of
 * 16, and depths long enough that every tiled kernel splits them (split-K),
 * with partial sums of 1 and of 4 channels.
 */
export const TEST_CASES: KernelCase[] = [];
const convs: { x: number[]; filter: number[]; stride: number; pad: Pad }[] = [
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 8], stride: 1, pad: 1 },
  { x: [3, 8, 8, 8], filter: [3, 3, 8, 12], stride: 2, pad: 'same' },
  { x: [2, 7, 6, 5], filter: [3, 3, 5, 6], stride: 1, pad: 'valid' },
  { x: [2, 8, 8, 16], filter: [1, 1, 16, 8], stride: 2, pad: 'valid' },
  { x: [2, 6, 6, 4], filter: [1, 1, 4, 7], stride: 1, pad: 'same' },
  { x: [2, 11, 10, 3], filter: [7, 7, 3, 4], stride: 2, pad: 3 },
  { x: [2, 9, 9, 6], filter: [3, 2, 6, 4], stride: 2, pad: [[0, 0], [1, 0], [0, 1], [0, 0]] },
  { x: [4, 12, 12, 5], filter: [3, 3, 5, 37], stride: 1, pad: 'same' },
  { x: [4, 12, 12, 36], filter: [3, 3, 36, 40], stride: 1, pad: 1 },
];

for (const kernel of ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'] as const) {
  for (const c of convs) TEST_CASES.push({ kernel, ...c });
}
/** The convolution cases, which the tiled variants run too. */
export const CONV_TEST_CASES: KernelCase[] = [...TEST_CASES];
for (const kernel of ['Multiply', 'Sub', 'Add', 'RealDiv'] as const) {
  TEST_CASES.push({ kernel, a: [2, 5, 5, 8], b: [8] });
  TEST_CASES.push({ kernel, a: [3], b: [2, 4, 3, 3] });
}
TEST_CASES.push({ kernel: 'Multiply', a: [4, 6, 12], b: [1, 1, 12] });
// Not per-channel: these go to the stock kernels.
TEST_CASES.push({ kernel: 'Sub', a: [2, 3], b: [2, 3], fallback: true });
TEST_CASES.push({ kernel: 'Sum', x: [2, 5, 5, 8], axis: [0, 1, 2], keepDims: false });
TEST_CASES.push({ kernel: 'Sum', x: [3, 4, 4, 6], axis: [2, 0, 1], keepDims: true });
TEST_CASES.push({ kernel: 'Mean', x: [4, 7, 7, 12], axis: [0, 1, 2], keepDims: true });
TEST_CASES.push({ kernel: 'Mean', x: [2, 3, 3, 4], axis: [1, 2], keepDims: false, fallback: true });

/**
 * The bench's kernel comparison: the layers of the models it trains, at the
 * sizes it trains them (ResNet-20 at 32 px batch 32, a ResNet-18 stage at
 * 64 px batch 8), one representative of each shape family.
 */
export const BENCH_CASES: KernelCase[] = [];
const benchConvs: { x: number[]; filter: number[]; stride: number; pad: Pad }[] = [
  { x: [32, 32, 32, 3], filter: [3, 3, 3, 16], stride: 1, pad: 1 },
  { x: [32, 32, 32, 16], filter: [3, 3, 16, 16], stride: 1, pad: 1 },
  { x: [32, 32, 32, 16], filter: [3, 3, 16, 32], stride: 2, pad: 1 },
  { x: [32, 8, 8, 64], filter: [3, 3, 64, 64], stride: 1, pad: 1 },
  { x: [8, 16, 16, 64], filter: [3, 3, 64, 64], stride: 1, pad: 1 },
  { x: [8, 16, 16, 64], filter: [1, 1, 64, 128], stride: 2, pad: 0 },
];
for (const kernel of ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'] as const) {
  for (const c of benchConvs) BENCH_CASES.push({ kernel, ...c });
}
for (const kernel of ['Multiply', 'Sub', 'Add', 'RealDiv'] as const) BENCH_CASES.push({ kernel, a: [32, 32, 32, 16], b: [16] });
BENCH_CASES.push({ kernel: 'Sum', x: [32, 32, 32, 16], axis: [0, 1, 2], keepDims: false });
BENCH_CASES.push({ kernel: 'Mean', x: [32, 16, 16, 32], axis: [0, 1, 2], keepDims: true });
