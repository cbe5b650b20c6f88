/**
 * Custom kernels (either variant) against the stock ones on the same inputs
 * in one page: agreement (for the tests) and time (for the bench). Runs on
 * the page's own WebGPU device.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../engine/backend';
import { installedKernels, installedTiled, installKernels, kernelCalls, type CustomKernelName } from '../engine/kernels';
import { hasTiledVariant } from '../engine/kernels/names';
import { caseName, type KernelCase } from './kernel-cases';
import { compareFusions, type FusionAgreement } from './fusions';
import { inputsOf, runCase, timeKernel, type KernelTiming } from '../engine/kernels/timing';

export type { KernelTiming };

/** Which custom variant a comparison runs: the register-tiled kernels, or the convolutions' workgroup-memory tiled ones. */
export type Variant = 'register' | 'tiled';

export interface Agreement {
  name: string;
  kernel: CustomKernelName;
  /** The variant that ran: `tiled` only for a kernel that has one. */
  variant: Variant;
  shape: number[];
  /** max |custom − stock| / max |stock|: the error relative to the output's scale. */
  relativeError: number;
  maxAbsStock: number;
  sameShape: boolean;
  /** The custom code ran (rather than handing the case back to the stock kernel). */
  customRan: boolean;
  /** A WebGPU validation error raised while the custom kernel ran (e.g. WGSL that does not compile). */
  gpuError: string | null;
  /** Tensors left behind by the comparison. */
  leaked: number;
}

async function compare(c: KernelCase, variant: Variant, seed = 0): Promise<Agreement> {
  await selectBackend('webgpu');
  const previous = { custom: installedKernels(), tiled: installedTiled() };
  const { inputs, attrs } = inputsOf(c, seed);
  const ran: Variant = variant === 'tiled' && hasTiledVariant(c.kernel) ? 'tiled' : 'register';
  try {
    installKernels([]);
    const stock = runCase(c, inputs, attrs);
    installKernels([c.kernel], ran === 'tiled' ? [c.kernel] : []);
    kernelCalls(true);
    // A shader that fails to compile leaves its output buffer as it was, which
    // can hold anything, so validation errors are caught, not just values.
    const device = (tf.backend() as unknown as { device: GPUDevice }).device;
    device.pushErrorScope('validation');
    const custom = runCase(c, inputs, attrs);
    const [s, k] = await Promise.all([stock.data(), custom.data()]);
    const gpuError = await device.popErrorScope();
    const calls = kernelCalls(true)[c.kernel]?.custom ?? 0;
    let maxAbs = 0;
    let maxDiff = 0;
    for (let i = 0; i < s.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(s[i]!));
      maxDiff = Math.max(maxDiff, Math.abs(s[i]! - (k[i] ?? NaN)));
    }
    const result = {
      name: caseName(c),
      kernel: c.kernel,
      variant: ran,
      shape: stock.shape,
      relativeError: s.length === k.length ? maxDiff / Math.max(maxAbs, 1e-30) : Infinity,
      maxAbsStock: maxAbs,
      sameShape: stock.shape.join() === custom.shape.join(),
      customRan: calls > 0,
      gpuError: gpuError ? gpuError.message : null,
      leaked: 0,
    };
    tf.dispose([stock, custom]);
    return result;
  } finally {
    tf.dispose(Object.values(inputs));
    installKernels(previous.custom, previous.tiled);
  }
}

/** Leak check: a comparison must leave the live tensor count where it was. */
async function compareAll(cases: KernelCase[], variant: Variant = 'register'): Promise<Agreement[]> {
  await selectBackend('webgpu');
  const results: Agreement[] = [];
  for (const c of cases) {
    const before = tf.memory().numTensors;
    const r = await compare(c, variant);
    results.push({ ...r, leaked: tf.memory().numTensors - before });
  }
  return results;
}

/**
 * `flags` are tfjs environment flags set for the timing and restored after,
 * e.g. WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE: false, which makes the stock
 * Conv2DBackpropInput its matmul variant.
 */
async function timeAll(cases: KernelCase[], reps = 3, flags: Record<string, boolean | number> = {}): Promise<KernelTiming[]> {
  await selectBackend('webgpu');
  const previous = Object.fromEntries(Object.keys(flags).map((k) => [k, tf.env().get(k)]));
  for (const [k, v] of Object.entries(flags)) tf.env().set(k, v);
  try {
    const results: KernelTiming[] = [];
    for (const c of cases) results.push(await timeKernel(c, reps));
    return results;
  } finally {
    for (const [k, v] of Object.entries(previous)) tf.env().set(k, v);
  }
}

/** The fused BatchNorm and SGD against the composite ops (src/bench/fusions.ts), on this page's device. */
async function compareFusedOps(): Promise<FusionAgreement[]> {
  await selectBackend('webgpu');
  return compareFusions();
}

export const kernelBench = { compareAll, timeAll, compareFusedOps };

declare global {
  interface Window {
    classwiseKernels?: typeof kernelBench;
  }
}

window.classwiseKernels = kernelBench;
