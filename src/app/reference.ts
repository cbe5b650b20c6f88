/**
 * The page `npm run reference` and the reference browser tests open: picks
 * the backend and kernel set, then runs the cases Node sends one at a time
 * through the engine's reference runner (src/engine/reference/run.ts).
 */
import { selectBackend, type BackendName } from '../engine/backend';
import { DEFAULT_KERNELS, installedKernels, installKernels, kernelCalls, type CustomKernelName } from '../engine/kernels';
import { parseCase } from '../engine/reference/fixture';
import { runReferenceCase, type CaseReport } from '../engine/reference/run';

/** `custom`: the engine's default custom WebGPU kernels; `stock`: tfjs's own kernels only. */
export type KernelSet = 'custom' | 'stock';

export interface ReferenceEnvironment {
  backend: string;
  adapter: string;
  kernels: string[];
}

export interface ReferencePage {
  /** Selects the backend (falling back as the app does) and, on WebGPU, the kernel set. */
  start(backend: BackendName, kernels: KernelSet): Promise<ReferenceEnvironment>;
  /** One case of a reference file, as JSON text (the case's index for messages). */
  runCase(caseJson: string, index: number): Promise<CaseReport>;
  /** How often each custom kernel ran its own code or handed the call to tfjs's, since the last reset. */
  kernelCalls(reset: boolean): Partial<Record<CustomKernelName, { custom: number; stock: number }>>;
}

declare global {
  interface Window {
    classwiseReference?: ReferencePage;
  }
}

window.classwiseReference = {
  async start(backend, kernels) {
    const report = await selectBackend(backend);
    if (report.backend === 'webgpu') installKernels(kernels === 'custom' ? DEFAULT_KERNELS : []);
    const { adapter } = report;
    return {
      backend: report.backend,
      adapter: adapter ? [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ') : '',
      kernels: installedKernels(),
    };
  },
  runCase: (caseJson, index) => runReferenceCase(parseCase(JSON.parse(caseJson), index)),
  kernelCalls: (reset) => kernelCalls(reset),
};
