/**
 * Custom kernels against the stock ones on the same inputs in one page:
 * agreement (for the tests) and time (for the bench). Runs on the page's own
 * WebGPU device.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../engine/backend';
import { installedKernels, installKernels, kernelCalls, type CustomKernelName } from '../engine/kernels';
import { caseName, type KernelCase } from './kernel-cases';

function inputsOf(c: KernelCase, seed: number): { inputs: Record<string, tf.Tensor>; attrs: Record<string, unknown> } {
  const random = (shape: number[], s: number) => tf.randomUniform(shape, -1, 1, 'float32', seed * 7919 + s);
  switch (c.kernel) {
    case 'Conv2D':
      return { inputs: { x: random(c.x, 1), filter: random(c.filter, 2) }, attrs: { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dilations: 1 } };
    case 'Conv2DBackpropFilter': {
      const x = random(c.x, 1);
      const outShape = tf.backend_util.computeConv2DInfo(c.x as never, c.filter as never, c.stride, 1, c.pad as never).outShape;
      return { inputs: { x, dy: random(outShape, 3) }, attrs: { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter } };
    }
    case 'Conv2DBackpropInput': {
      const outShape = tf.backend_util.computeConv2DInfo(c.x as never, c.filter as never, c.stride, 1, c.pad as never).outShape;
      return { inputs: { dy: random(outShape, 3), filter: random(c.filter, 2) }, attrs: { inputShape: c.x, strides: c.stride, pad: c.pad, dataFormat: 'NHWC' } };
    }
    case 'Multiply':
    case 'Sub':
    case 'Add':
    case 'RealDiv': {
      // Divisors kept away from zero, so the comparison measures the kernels and not 1/ε.
      const b = c.kernel === 'RealDiv' ? tf.tidy(() => tf.add(tf.abs(random(c.b, 5)), 0.5)) : random(c.b, 5);
      return { inputs: { a: random(c.a, 4), b }, attrs: {} };
    }
    case 'Sum':
    case 'Mean':
      return { inputs: { x: random(c.x, 6) }, attrs: { axis: c.axis, keepDims: c.keepDims } };
  }
}

function run(c: KernelCase, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  return tf.engine().runKernel(c.kernel, inputs as never, attrs as never) as tf.Tensor;
}

export interface Agreement {
  name: string;
  kernel: CustomKernelName;
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

async function compare(c: KernelCase, seed = 0): Promise<Agreement> {
  await selectBackend('webgpu');
  const previous = installedKernels();
  const { inputs, attrs } = inputsOf(c, seed);
  try {
    installKernels([]);
    const stock = run(c, inputs, attrs);
    installKernels([c.kernel]);
    kernelCalls(true);
    // A shader that fails to compile leaves its output buffer as it was, which
    // can hold anything, so validation errors are caught, not just values.
    const device = (tf.backend() as unknown as { device: GPUDevice }).device;
    device.pushErrorScope('validation');
    const custom = run(c, inputs, attrs);
    const [s, k] = await Promise.all([stock.data(), custom.data()]);
    const gpuError = await device.popErrorScope();
    const ran = kernelCalls(true)[c.kernel]?.custom ?? 0;
    let maxAbs = 0;
    let maxDiff = 0;
    for (let i = 0; i < s.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(s[i]!));
      maxDiff = Math.max(maxDiff, Math.abs(s[i]! - (k[i] ?? NaN)));
    }
    const result = {
      name: caseName(c),
      kernel: c.kernel,
      shape: stock.shape,
      relativeError: s.length === k.length ? maxDiff / Math.max(maxAbs, 1e-30) : Infinity,
      maxAbsStock: maxAbs,
      sameShape: stock.shape.join() === custom.shape.join(),
      customRan: ran > 0,
      gpuError: gpuError ? gpuError.message : null,
      leaked: 0,
    };
    tf.dispose([stock, custom]);
    return result;
  } finally {
    tf.dispose(Object.values(inputs));
    installKernels(previous);
  }
}

export interface KernelTiming {
  name: string;
  kernel: CustomKernelName;
  /** Median ms per call, stock and custom, timed alternately in the same page. */
  stockMs: number;
  customMs: number;
  speedup: number;
  reps: number;
  timer: 'gpu-timestamp' | 'wall';
}

/** One call's time: the GPU's timestamps when the adapter has them, else wall time to a read-back. */
async function timeOnce(c: KernelCase, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>, gpuTimer: boolean): Promise<number> {
  if (gpuTimer) {
    const info = await tf.profile(async () => {
      const out = run(c, inputs, attrs);
      await out.data();
      out.dispose();
    });
    return info.kernels.filter((k) => k.name === c.kernel).reduce((ms, k) => ms + (k.kernelTimeMs as number), 0);
  }
  const t0 = performance.now();
  const out = run(c, inputs, attrs);
  await out.data();
  out.dispose();
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(c: KernelCase, reps = 3): Promise<KernelTiming> {
  await selectBackend('webgpu');
  const previous = installedKernels();
  const gpuTimer = (tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery === true;
  const { inputs, attrs } = inputsOf(c, 1);
  try {
    const stockMs: number[] = [];
    const customMs: number[] = [];
    // A first call of each compiles its pipeline; then the two alternate, so
    // a change in the machine's load falls on both.
    for (let r = -1; r < reps; r++) {
      installKernels([]);
      const s = await timeOnce(c, inputs, attrs, gpuTimer);
      installKernels([c.kernel]);
      const k = await timeOnce(c, inputs, attrs, gpuTimer);
      if (r >= 0) {
        stockMs.push(s);
        customMs.push(k);
      }
    }
    const stock = median(stockMs);
    const custom = median(customMs);
    return { name: caseName(c), kernel: c.kernel, stockMs: stock, customMs: custom, speedup: stock / custom, reps, timer: gpuTimer ? 'gpu-timestamp' : 'wall' };
  } finally {
    tf.dispose(Object.values(inputs));
    installKernels(previous);
  }
}

/** Leak check: a comparison must leave the live tensor count where it was. */
async function compareAll(cases: KernelCase[]): Promise<Agreement[]> {
  await selectBackend('webgpu');
  const results: Agreement[] = [];
  for (const c of cases) {
    const before = tf.memory().numTensors;
    const r = await compare(c);
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
    for (const c of cases) results.push(await time(c, reps));
    return results;
  } finally {
    for (const [k, v] of Object.entries(previous)) tf.env().set(k, v);
  }
}

export const kernelBench = { compareAll, timeAll };

declare global {
  interface Window {
    classwiseKernels?: typeof kernelBench;
  }
}

window.classwiseKernels = kernelBench;
