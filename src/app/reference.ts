/**
 * The page `npm run reference` and the reference browser tests open: picks
 * the backend and kernel set, then runs the cases Node sends one at a time
 * through the engine's reference runner (src/engine/reference/run.ts).
 */
import { selectBackend, type BackendName } from '../engine/backend';
import { kernelCalls, type CustomKernelName } from '../engine/kernels';
import { referenceEnvironment, type KernelSet, type ReferenceEnvironment } from '../engine/reference/environment';
import { parseCase } from '../engine/reference/fixture';
import { runReferenceCase, type CaseReport } from '../engine/reference/run';

export type { KernelSet, ReferenceEnvironment } from '../engine/reference/environment';

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
    return referenceEnvironment(await selectBackend(backend, kernels));
  },
  runCase: (caseJson, index) => runReferenceCase(parseCase(JSON.parse(caseJson), index)),
  kernelCalls: (reset) => kernelCalls(reset),
};
