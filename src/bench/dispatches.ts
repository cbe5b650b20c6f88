/**
 * Counts what a piece of tfjs work asks of the GPU: compute dispatches,
 * attributed to the tfjs kernel that recorded them (a kernel called from
 * inside another, as a gradient's ops are, counts as itself), buffer writes
 * (uniforms and uploads) and queue submits. Works wherever WebGPU's classes
 * are globals: a browser page or worker, and Node after Dawn's are installed.
 */
import * as tf from '@tensorflow/tfjs';
import { rawProgramName } from '../engine/kernels/raw';

export interface DispatchCount {
  dispatches: number;
  /** queue.writeBuffer calls: uniform blocks and small uploads. */
  writes: number;
  submits: number;
  /** Dispatches by tfjs kernel name, most first; a raw program's name (SgdUpdate) for a dispatch outside any kernel. */
  byKernel: { kernel: string; dispatches: number }[];
}

const OUTSIDE = '(outside a kernel)';

/** Runs `work` with the counters on and returns what it recorded. */
export async function countDispatches<T>(work: () => Promise<T> | T): Promise<{ result: T; count: DispatchCount }> {
  const engine = tf.engine() as unknown as { runKernelFunc(params: { kernelName?: string }): unknown };
  const pass = GPUComputePassEncoder.prototype;
  const queue = GPUQueue.prototype;
  const original = { runKernelFunc: engine.runKernelFunc, dispatch: pass.dispatchWorkgroups, write: queue.writeBuffer, submit: queue.submit };
  const stack: string[] = [];
  const byKernel = new Map<string, number>();
  let dispatches = 0;
  let writes = 0;
  let submits = 0;
  engine.runKernelFunc = function (this: unknown, params) {
    stack.push(params.kernelName ?? OUTSIDE);
    try {
      return original.runKernelFunc.call(this, params);
    } finally {
      stack.pop();
    }
  };
  pass.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...args: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
    dispatches++;
    const kernel = stack[stack.length - 1] ?? rawProgramName() ?? OUTSIDE;
    byKernel.set(kernel, (byKernel.get(kernel) ?? 0) + 1);
    return original.dispatch.apply(this, args);
  };
  queue.writeBuffer = function (this: GPUQueue, ...args: Parameters<GPUQueue['writeBuffer']>) {
    writes++;
    return original.write.apply(this, args);
  } as GPUQueue['writeBuffer'];
  queue.submit = function (this: GPUQueue, ...args: Parameters<GPUQueue['submit']>) {
    submits++;
    return original.submit.apply(this, args);
  };
  try {
    const result = await work();
    const sorted = [...byKernel].map(([kernel, n]) => ({ kernel, dispatches: n })).sort((a, b) => b.dispatches - a.dispatches || a.kernel.localeCompare(b.kernel));
    return { result, count: { dispatches, writes, submits, byKernel: sorted } };
  } finally {
    engine.runKernelFunc = original.runKernelFunc;
    pass.dispatchWorkgroups = original.dispatch;
    queue.writeBuffer = original.write;
    queue.submit = original.submit;
  }
}
