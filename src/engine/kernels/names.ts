/** The kernels src/engine/kernels can replace (tfjs kernel names). Pure, so Node code can name them without loading tfjs. */
export const CUSTOM_KERNELS = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Multiply', 'Sub', 'Add', 'RealDiv', 'Sum', 'Mean'] as const;
export type CustomKernelName = (typeof CUSTOM_KERNELS)[number];

/**
 * Which kernels a run uses: `custom` (every custom kernel and the fusions),
 * `stock` (tfjs's own kernels, no fusions) or `auto` (each custom kernel
 * timed against its stock one on the model's shapes on this adapter, the
 * faster kept; fusions on).
 */
export const KERNEL_POLICIES = ['auto', 'custom', 'stock'] as const;
export type KernelPolicy = (typeof KERNEL_POLICIES)[number];

/**
 * The kernels' own version, part of the autotuner's cache key: bump it when
 * a kernel's code changes, so timings of the old code are not reused.
 */
export const KERNELS_VERSION = '2';

export function parseKernelPolicy(value: string, option = '--kernels'): KernelPolicy {
  if ((KERNEL_POLICIES as readonly string[]).includes(value)) return value as KernelPolicy;
  throw new Error(`unknown ${option} "${value}"; use one of ${KERNEL_POLICIES.join(', ')}`);
}
