/**
 * WebGPU in Node through Dawn (the npm package `webgpu`): the engine's tfjs
 * WebGPU backend and custom kernels run unchanged on it, with no browser.
 *
 * Dawn backends: `vulkan` (a GPU's driver, or Mesa's lavapipe on the CPU,
 * which Dawn accepts from Mesa 25: Debian 12 needs bookworm-backports),
 * `opengles` (Mesa's llvmpipe works with Debian 12's own Mesa, headless with
 * EGL_PLATFORM=surfaceless, in WebGPU's compatibility mode), and `null`,
 * which validates and records every command but executes none: what it
 * measures is the host's own cost of a training step, exactly.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

import { DAWN_AUTO, DawnUnavailable, type DawnBackend } from './options';

export { DAWN_AUTO, DAWN_BACKENDS, DawnUnavailable, parseDawnBackend, type DawnBackend } from './options';

export interface DawnRuntime {
  backend: DawnBackend;
  /** Lets Node exit: Dawn keeps the process alive while its instance is referenced. */
  close(): void;
}

type Gpu = GPU & object;

function dawnOptions(backend: DawnBackend): { flags: string[]; adapter: GPURequestAdapterOptions } {
  // GL ES offers only WebGPU's compatibility feature level.
  const adapter = (backend === 'opengles' ? { featureLevel: 'compatibility' } : {}) as GPURequestAdapterOptions;
  return { flags: [`backend=${backend}`], adapter };
}

/**
 * Why Dawn gave no adapter: it says so on stderr, from native code, so the
 * same request is repeated in a child process whose output can be read.
 */
function diagnose(backend: DawnBackend): string {
  const { flags, adapter } = dawnOptions(backend);
  const script = `
    import { create } from 'webgpu';
    const gpu = create(${JSON.stringify(flags)});
    const adapter = await gpu.requestAdapter(${JSON.stringify(adapter)});
    console.log(adapter ? 'ADAPTER' : 'NO ADAPTER');
    process.exit(0);`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, env: process.env, cwd: process.cwd() });
  const text = `${child.stdout ?? ''}\n${child.stderr ?? ''}`
    .split('\n')
    .map((l) => l.trim().replace(/^Warning: /, ''))
    .filter((l) => l && !l.startsWith('at ') && !l.includes('NO ADAPTER') && !l.startsWith('- While'));
  return text.length ? text.slice(0, 3).join(' / ') : 'Dawn returned no adapter and gave no reason';
}

async function tryDawn(backend: DawnBackend): Promise<{ gpu: Gpu; adapter: GPUAdapter } | string> {
  if (backend === 'opengles') process.env.EGL_PLATFORM ??= 'surfaceless';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const { flags, adapter: options } = dawnOptions(backend);
  let gpu: Gpu;
  try {
    gpu = create(flags) as Gpu;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const adapter = await gpu.requestAdapter(options).catch(() => null);
  if (!adapter) return diagnose(backend);
  return { gpu, adapter };
}

/** Makes `gpu` the navigator's, for tfjs and for the engine's backend report. */
function installNavigator(gpu: Gpu, backend: DawnBackend, adapterOptions: GPURequestAdapterOptions): void {
  // Every adapter request (tfjs's, the backend report's) gets the options this Dawn backend needs.
  const shim = { requestAdapter: (o?: GPURequestAdapterOptions) => gpu.requestAdapter({ ...o, ...adapterOptions }), getPreferredCanvasFormat: () => 'rgba8unorm', wgslLanguageFeatures: gpu.wgslLanguageFeatures } as unknown as GPU;
  const userAgent = `Node.js ${process.version} (Dawn for Node, ${backend} backend)`;
  const existing = (globalThis as { navigator?: object }).navigator;
  if (existing) {
    Object.defineProperty(existing, 'gpu', { value: shim, configurable: true });
    if (!('userAgent' in existing)) Object.defineProperty(existing, 'userAgent', { value: userAgent, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: shim, userAgent, hardwareConcurrency: cpus().length }, configurable: true });
  }
}

/**
 * tfjs-backend-webgpu registers its backend only where navigator.gpu exists
 * when it loads, which in Node it does not; this registers the same factory
 * (the same limits and features) over Dawn's adapter.
 */
function registerWebGPU(adapter: GPUAdapter): void {
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => {
    const limits = adapter.limits;
    const requiredFeatures = (['timestamp-query'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
    const device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
    return new WebGPUBackend(device, adapter.info);
  }, 3);
}

/**
 * Starts Dawn on `choice` (or the first of DAWN_AUTO that gives an adapter)
 * and registers tfjs's webgpu backend on it; then selectBackend('webgpu')
 * runs exactly as in the browser. Throws DawnUnavailable, naming each
 * backend tried and why it failed.
 */
export async function startDawn(choice: DawnBackend | 'auto'): Promise<DawnRuntime> {
  const attempts: { backend: DawnBackend; reason: string }[] = [];
  for (const backend of choice === 'auto' ? DAWN_AUTO : [choice]) {
    const got = await tryDawn(backend);
    if (typeof got === 'string') {
      attempts.push({ backend, reason: got });
      continue;
    }
    installNavigator(got.gpu, backend, dawnOptions(backend).adapter);
    registerWebGPU(got.adapter);
    return {
      backend,
      close: () => {
        tf.engine().reset();
        // Dropping the last reference to Dawn's instance lets the process exit.
        Object.defineProperty((globalThis as { navigator: object }).navigator, 'gpu', { value: undefined, configurable: true });
      },
    };
  }
  throw new DawnUnavailable(attempts);
}
