/**
 * A custom kernel (and its tiled variant, where it has one) against the
 * stock one on the same inputs, timed in the active WebGPU backend: what the
 * autotuner and the bench measure. Each call
 * is the GPU's own time (timestamp queries) where the adapter has them, else
 * wall time to a read-back.
 */
import * as tf from '@tensorflow/tfjs';
import { caseName, type KernelCase } from './cases';
import { installedKernels, installedTiled, installKernels } from './index';
import { hasTiledVariant, type CustomKernelName } from './names';

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
  /** Median ms per call, stock, custom (register-tiled) and tiled, timed alternately in the same page. */
  stockMs: number;
  customMs: number;
  /** Null for a kernel with no tiled variant. */
  tiledMs: number | null;
  /** Stock over custom (register-tiled). */
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
  const previous = { custom: installedKernels(), tiled: installedTiled() };
  const gpuTimer = (tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery === true;
  const { inputs, attrs } = inputsOf(c, 1);
  const variants: { custom: CustomKernelName[]; tiled: CustomKernelName[] }[] = [
    { custom: [], tiled: [] },
    { custom: [c.kernel], tiled: [] },
    ...(hasTiledVariant(c.kernel) ? [{ custom: [c.kernel], tiled: [c.kernel] }] : []),
  ];
  try {
    const ms: number[][] = variants.map(() => []);
    // A first call of each compiles its pipeline; then they alternate, so a
    // change in the machine's load falls on all.
    for (let r = -1; r < reps; r++) {
      for (const [i, v] of variants.entries()) {
        installKernels(v.custom, v.tiled);
        const t = await timeOnce(c, inputs, attrs, gpuTimer);
        if (r >= 0) ms[i]!.push(t);
      }
    }
    const [stock, custom, tiled] = ms.map(median) as [number, number, number | undefined];
    return { name: caseName(c), kernel: c.kernel, stockMs: stock, customMs: custom, tiledMs: tiled ?? null, speedup: stock / custom, reps, timer: gpuTimer ? 'gpu-timestamp' : 'wall' };
  } finally {
    tf.dispose(Object.values(inputs));
    installKernels(previous.custom, previous.tiled);
  }
}

