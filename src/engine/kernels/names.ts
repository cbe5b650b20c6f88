/** The kernels src/engine/kernels can replace (tfjs kernel names). Pure, so Node code can name them without loading tfjs. */
export const CUSTOM_KERNELS = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Multiply', 'Sub', 'Add', 'RealDiv', 'Sum', 'Mean'] as const;
export type CustomKernelName = (typeof CUSTOM_KERNELS)[number];

/**
 * The custom kernels that also come as a workgroup-memory tiled variant
 * (tiled-gemm.ts, conv-tiled.ts), for GPUs whose shared memory beats
 * register tiles; the default variant is the register-tiled one.
 */
export const TILED_KERNELS = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'] as const satisfies readonly CustomKernelName[];
export type TiledKernelName = (typeof TILED_KERNELS)[number];

export function hasTiledVariant(name: CustomKernelName): name is TiledKernelName {
  return (TILED_KERNELS as readonly string[]).includes(name);
}

/**
 * Which kernels a run uses: `custom` (every custom kernel, register-tiled,
 * and the fusions), `tiled` (the same with the convolutions' workgroup-memory
 * tiled variants), `stock` (tfjs's own kernels, no fusions) or `auto` (per
 * kernel, the fastest of stock and each custom variant on the model's shapes
 * on this adapter; fusions on).
 */
export const KERNEL_POLICIES = ['auto', 'custom', 'tiled', 'stock'] as const;
export type KernelPolicy = (typeof KERNEL_POLICIES)[number];

/**
 * The kernels' own version, part of the autotuner's cache key: bump it when
 * a kernel's code changes, so timings of the old code are not reused.
 */
export const KERNELS_VERSION = '3';

export function parseKernelPolicy(value: string, option = '--kernels'): KernelPolicy {
  if ((KERNEL_POLICIES as readonly string[]).includes(value)) return value as KernelPolicy;
  throw new Error(`unknown ${option} "${value}"; use one of ${KERNEL_POLICIES.join(', ')}`);
}
