/**
 * A custom kernel against the stock one on the same inputs, timed in the
 * active WebGPU backend: what the autotuner and the bench measure. Each call
 * is the GPU's own time (timestamp queries) where the adapter has them, else
 * wall time to a read-back.
 */
import * as tf from '@tensorflow/tfjs';
import { caseName, type KernelCase } from './cases';
import { installedKernels, installKernels } from './index';
import type { CustomKernelName } from './names';

export function inputsOf(c: KernelCase, seed: number): { inputs: Record<string, tf.Tensor>; attrs: Record<string, unknown> } {
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

export function runCase(c: KernelCase, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  return tf.engine().runKernel(c.kernel, inputs as never, attrs as never) as tf.Tensor;
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
      const out = runCase(c, inputs, attrs);
      await out.data();
      out.dispose();
    });
    return info.kernels.filter((k) => k.name === c.kernel).reduce((ms, k) => ms + (k.kernelTimeMs as number), 0);
  }
  const t0 = performance.now();
  const out = runCase(c, inputs, attrs);
  await out.data();
  out.dispose();
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function timeKernel(c: KernelCase, reps = 3): Promise<KernelTiming> {
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

