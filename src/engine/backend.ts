/**
 * Backend choice: WebGPU first, then WebGL, then the CPU, and a record of why
 * each better one was passed over, so the UI and the results file can say it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { fixedChoice } from './kernels/autotune';
import { installKernels, setFusions } from './kernels';
import type { KernelPolicy } from './kernels/names';
import { kernelPolicy, setKernelPolicy, setTuningAdapter } from './kernels/policy';

export const BACKENDS = ['webgpu', 'webgl', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  shaderF16: boolean;
}

export interface BackendReport {
  backend: BackendName;
  requested: BackendName;
  /** WebGPU adapter, when WebGPU runs. */
  adapter: AdapterInfo | null;
  /** Why each backend before `backend` in the fallback order was not used. */
  fallbacks: { backend: BackendName; reason: string }[];
  tfjsVersion: string;
  userAgent: string;
  /** Which kernels runs on WebGPU use (src/engine/kernels/names.ts); each run's results record the set chosen. */
  kernelPolicy: KernelPolicy;
}

export async function selectBackend(requested: BackendName = 'webgpu', policy?: KernelPolicy): Promise<BackendReport> {
  if (policy) setKernelPolicy(policy);
  const fallbacks: BackendReport['fallbacks'] = [];
  for (const backend of BACKENDS.slice(BACKENDS.indexOf(requested))) {
    const reason = await tryBackend(backend);
    if (reason === null) {
      // The faster custom kernels (src/engine/kernels) replace stock ones in tfjs's registry.
      const adapter = backend === 'webgpu' ? await adapterInfo() : null;
      if (backend === 'webgpu') {
        // Until a run tunes (auto), the custom kernels: measured faster on every adapter tried so far.
        const policy = kernelPolicy();
        const choice = fixedChoice(policy === 'auto' ? 'custom' : policy);
        installKernels(choice.custom, choice.tiled);
        setFusions(choice.fusions);
        setTuningAdapter(adapter);
      }
      // tfjs-webgl's packed binary ops leave the parameters after an SGD update in textures that the next step's
      // BatchNorm backward reads wrongly (γ/β gradients 31% off from the second step; `npm run reference` on WebGL).
      if (backend === 'webgl') tf.env().set('WEBGL_PACK_BINARY_OPERATIONS', false);
      return { backend, requested, adapter, fallbacks, tfjsVersion: tf.version.tfjs, userAgent: navigator.userAgent, kernelPolicy: kernelPolicy() };
    }
    fallbacks.push({ backend, reason });
  }
  throw new Error(`no TensorFlow.js backend could start: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}

/** null when the backend is now active, else the reason it is not. */
async function tryBackend(backend: BackendName): Promise<string | null> {
  if (backend === 'webgpu') {
    if (!('gpu' in navigator) || !navigator.gpu) return 'this browser has no WebGPU (navigator.gpu is missing)';
    const adapter = await navigator.gpu.requestAdapter().catch(() => null);
    if (!adapter) return 'WebGPU is present but no GPU adapter was granted (blocklisted or disabled GPU)';
  }
  try {
    if (!(await tf.setBackend(backend))) return `TensorFlow.js could not initialise ${backend}`;
    await tf.ready();
    return null;
  } catch (error) {
    return `TensorFlow.js could not initialise ${backend}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

async function adapterInfo(): Promise<AdapterInfo | null> {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    shaderF16: adapter.features.has('shader-f16'),
  };
}
