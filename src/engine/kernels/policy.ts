/**
 * Which kernels the next run registers: the policy (custom, stock or auto),
 * applied when a run knows its model's shapes. Auto tunes on the active
 * WebGPU adapter (see autotune.ts) and caches its timings in IndexedDB where
 * there is one (the browser), in memory or the cache given otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureSpec } from '../../model/architecture';
import { autotune, fixedChoice, memoryCache, tuningKey, type AdapterIdentity, type KernelChoice, type TuningCache } from './autotune';
import { modelCases } from './cases';
import { installKernels, setFusions } from './index';
import type { KernelPolicy } from './names';
import { timeKernel } from './timing';
import { indexedDbCache } from './tuning-cache';

let policy: KernelPolicy = 'custom';
let cache: TuningCache | null = null;
let adapter: AdapterIdentity | null = null;

/** Set by the backend choice (the adapter) and by whoever starts the engine (the policy, a cache). */
export function setKernelPolicy(next: KernelPolicy, tuningCache?: TuningCache): void {
  policy = next;
  if (tuningCache) cache = tuningCache;
}

export function kernelPolicy(): KernelPolicy {
  return policy;
}

export function setTuningAdapter(identity: AdapterIdentity | null): void {
  adapter = identity;
}

/**
 * Registers the kernels the policy gives for a step of `spec` at `batch` and
 * says which; null off WebGPU, where there is nothing to choose.
 */
export async function prepareKernels(spec: ArchitectureSpec, inputShape: [number, number, number], batch: number): Promise<KernelChoice | null> {
  if (tf.getBackend() !== 'webgpu') return null;
  let choice: KernelChoice;
  if (policy === 'auto') {
    cache ??= typeof indexedDB === 'undefined' ? memoryCache() : indexedDbCache();
    const key = tuningKey(adapter ?? { vendor: '', architecture: '', device: 'unknown adapter', description: '' }, tf.version.tfjs);
    choice = await autotune(modelCases(spec, inputShape, batch), async (c) => timeKernel(c, 3), cache, key);
  } else {
    choice = fixedChoice(policy);
  }
  installKernels(choice.custom, choice.tiled);
  setFusions(choice.fusions);
  return choice;
}
