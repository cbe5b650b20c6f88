/**
 * The engine in Node: the engine worker's own EngineApi, called in-process on
 * Dawn's WebGPU instead of across comlink in a browser, so a study, a bench
 * or a volunteer's units run the same code (batch loader, GPU augmentation,
 * training loop, kernels) on a machine without a display or a browser.
 */
import type { Remote } from 'comlink';
import type { BackendReport, EngineApi } from '../../workers/api';
import type { KernelPolicy } from '../engine/kernels/names';
import { startDawn, type DawnBackend } from './dawn';

export interface NodeEngine {
  /** Typed as the comlink handle the browser route holds, so the study runner and contributor take either. */
  engine: Remote<EngineApi>;
  report: BackendReport;
  close(): void;
}

/**
 * `datasets`: the origin that serves the app's datasets (`/datasets/…`) and
 * resolves relative manifest URLs, as the page's own origin does in the
 * browser. The dataset cache and checkpoints, IndexedDB in the browser, are
 * fake-indexeddb's in memory here: they last as long as the process.
 */
export async function startNodeEngine(dawnBackend: DawnBackend | 'auto', kernels: KernelPolicy, datasets?: string): Promise<NodeEngine> {
  const runtime = await startDawn(dawnBackend);
  try {
    // @ts-expect-error fake-indexeddb's typings for its /auto entry are not in its package exports
    await import('fake-indexeddb/auto');
    const { setDatasetBase } = await import('../data/load');
    if (datasets) setDatasetBase(datasets);
    // Imported only now: Dawn's WebGPU globals must exist before tfjs's backend looks for them.
    const { engine } = await import('../../workers/engine.worker');
    const report = await engine.init('webgpu', kernels);
    if (report.backend !== 'webgpu') throw new Error(`Dawn gave a ${runtime.backend} adapter but TensorFlow.js could not start WebGPU on it: ${report.fallbacks.map((f) => f.reason).join('; ')}`);
    return { engine: engine as unknown as Remote<EngineApi>, report, close: () => runtime.close() };
  } catch (error) {
    runtime.close();
    throw error;
  }
}
