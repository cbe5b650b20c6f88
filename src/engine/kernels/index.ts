/**
 * Custom WebGPU kernels, swapped in through tfjs's kernel registry so that
 * every op (and every gradient, which tfjs builds from the same kernels) uses
 * them without the engine calling them by name. The stock kernels are kept:
 * each custom kernel hands the cases it does not cover back to its stock
 * kernel, and `installKernels` can put any set back, so tests and the bench
 * compare both in one page.
 */
import * as tf from '@tensorflow/tfjs';
import { channelBinary, channelOperand, channelReduce, reducesAllButChannels, type ChannelOp } from './channel-ops';
import { conv2d } from './conv2d';
import { conv2dBackpropFilter } from './conv2d-backprop-filter';
import { conv2dBackpropInput } from './conv2d-backprop-input';
import { conv2dBackpropFilterTiled, conv2dBackpropInputTiled, conv2dTiled } from './conv-tiled';
import { CUSTOM_KERNELS, hasTiledVariant, TILED_KERNELS, type CustomKernelName, type TiledKernelName } from './names';
import type { KernelArgs } from './program';

export { CUSTOM_KERNELS, TILED_KERNELS, type CustomKernelName, type TiledKernelName };

interface CustomKernel {
  /** Whether the custom kernel covers these inputs and attributes; otherwise the stock one runs. */
  covers(args: KernelArgs): boolean;
  run(args: KernelArgs): tf.TensorInfo;
  /** The workgroup-memory tiled variant, covering the same cases (conv-tiled.ts). */
  tiled?: (args: KernelArgs) => tf.TensorInfo;
}

const attr = <T>(args: KernelArgs, name: string) => (args.attrs ?? {})[name] as T;
const nhwc = (args: KernelArgs) => attr<string>(args, 'dataFormat') !== 'NCHW';
const undilated = (args: KernelArgs) => {
  const d = attr<number | [number, number] | undefined>(args, 'dilations');
  return d === undefined || (Array.isArray(d) ? d.every((v) => v === 1) : d === 1);
};
const float32 = (args: KernelArgs) => Object.values(args.inputs).every((t) => t.dtype === 'float32');

const channelKernel = (op: ChannelOp): CustomKernel => ({
  covers: (args) => channelOperand(args.inputs.a!, args.inputs.b!) !== null,
  run: (args) => channelBinary(op, args),
});
const reduceKernel = (kind: 'Sum' | 'Mean'): CustomKernel => ({
  covers: (args) => reducesAllButChannels(args.inputs.x!, attr<number | number[]>(args, 'axis')),
  run: (args) => channelReduce(kind, args),
});

const KERNELS: Record<CustomKernelName, CustomKernel> = {
  Conv2D: { covers: (a) => nhwc(a) && undilated(a) && float32(a), run: conv2d, tiled: conv2dTiled },
  Conv2DBackpropFilter: { covers: (a) => nhwc(a) && float32(a), run: conv2dBackpropFilter, tiled: conv2dBackpropFilterTiled },
  Conv2DBackpropInput: { covers: (a) => nhwc(a) && float32(a), run: conv2dBackpropInput, tiled: conv2dBackpropInputTiled },
  Multiply: channelKernel('Multiply'),
  Sub: channelKernel('Sub'),
  Add: channelKernel('Add'),
  RealDiv: channelKernel('RealDiv'),
  Sum: reduceKernel('Sum'),
  Mean: reduceKernel('Mean'),
};

/**
 * The kernels the engine uses by default: those measured faster than the
 * stock ones side by side (`npm run bench`, the kernel table in the README).
 */
export const DEFAULT_KERNELS: readonly CustomKernelName[] = CUSTOM_KERNELS;

const stock = new Map<CustomKernelName, tf.KernelConfig>();
let enabled = new Set<CustomKernelName>();
let tiledEnabled = new Set<TiledKernelName>();
/** Calls per kernel that the custom code ran and that it handed back to the stock kernel. */
const calls = new Map<CustomKernelName, { custom: number; stock: number }>();

function stockConfig(name: CustomKernelName): tf.KernelConfig {
  let config = stock.get(name);
  if (!config) {
    config = tf.getKernel(name, 'webgpu');
    if (!config) throw new Error(`the webgpu backend has no ${name} kernel to replace`);
    stock.set(name, config);
  }
  return config;
}

function customConfig(name: CustomKernelName, tiled: boolean): tf.KernelConfig {
  const fallback = stockConfig(name);
  const kernel = KERNELS[name];
  const run = tiled && kernel.tiled ? kernel.tiled : kernel.run;
  return {
    ...fallback,
    kernelFunc: (args) => {
      const given = args as unknown as KernelArgs;
      const count = calls.get(name) ?? { custom: 0, stock: 0 };
      calls.set(name, count);
      if (kernel.covers(given)) {
        count.custom++;
        return run(given);
      }
      count.stock++;
      return fallback.kernelFunc(args) as tf.TensorInfo;
    },
  };
}

/**
 * Registers the custom kernels in `names` for the webgpu backend, those also
 * in `tiled` in their workgroup-memory tiled variant, and the stock kernel
 * for every other replaceable one. Takes effect for the next op: tfjs looks
 * kernels up on every call.
 */
export function installKernels(names: Iterable<CustomKernelName> = DEFAULT_KERNELS, tiled: Iterable<CustomKernelName> = []): void {
  const wanted = new Set(names);
  const wantedTiled = new Set([...tiled].filter((n): n is TiledKernelName => hasTiledVariant(n) && wanted.has(n)));
  for (const name of CUSTOM_KERNELS) {
    const config = wanted.has(name) ? customConfig(name, wantedTiled.has(name as TiledKernelName)) : stockConfig(name);
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel(config);
  }
  enabled = wanted;
  tiledEnabled = wantedTiled;
}

/**
 * The fused BatchNorm and SGD (batch-norm.ts, sgd.ts): on with the custom
 * kernels by default, off for stock tfjs. They are new ops rather than
 * replacements, so they are switched here and read by the layers and the
 * optimizer, and only ever run on WebGPU.
 */
let fusions = false;

export function setFusions(on: boolean): void {
  fusions = on;
}

export function fusionsOn(): boolean {
  return fusions && tf.getBackend() === 'webgpu';
}

/** The custom kernels now registered. */
export function installedKernels(): CustomKernelName[] {
  return CUSTOM_KERNELS.filter((n) => enabled.has(n));
}

/** Those of them registered in their tiled variant. */
export function installedTiled(): TiledKernelName[] {
  return TILED_KERNELS.filter((n) => tiledEnabled.has(n));
}

/** How often each installed custom kernel ran its own code or handed the call to the stock kernel, since the last reset. */
export function kernelCalls(reset = false): Partial<Record<CustomKernelName, { custom: number; stock: number }>> {
  const snapshot = Object.fromEntries([...calls].map(([name, c]) => [name, { ...c }]));
  if (reset) calls.clear();
  return snapshot;
}
