/** The kernels src/engine/kernels can replace (tfjs kernel names). Pure, so Node code can name them without loading tfjs. */
export const CUSTOM_KERNELS = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Multiply', 'Sub', 'Add', 'RealDiv', 'Sum', 'Mean'] as const;
export type CustomKernelName = (typeof CUSTOM_KERNELS)[number];
