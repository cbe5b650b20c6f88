/** What a reference run ran on: the backend, the adapter, and on WebGPU the kernels and whether the fusions were on. */
import type { BackendReport } from '../backend';
import { fusionsOn, installedKernels, installedTiled, type TiledKernelName } from '../kernels';

/**
 * `custom`: the engine's custom WebGPU kernels and fused BatchNorm and SGD; `tiled`: the same with the
 * convolutions' workgroup-memory tiled variants; `stock`: tfjs's own kernels only.
 */
export type KernelSet = 'custom' | 'tiled' | 'stock';

export interface ReferenceEnvironment {
  backend: string;
  adapter: string;
  kernels: string[];
  /** Of `kernels`, those running their tiled variant. */
  tiled: TiledKernelName[];
  fusions: boolean;
}

export function referenceEnvironment(report: BackendReport): ReferenceEnvironment {
  const { adapter } = report;
  return {
    backend: report.backend,
    adapter: adapter ? [adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter(Boolean).join(' ') : '',
    kernels: installedKernels(),
    tiled: installedTiled(),
    fusions: fusionsOn(),
  };
}
