/**
 * The autotuner: on an adapter it has not seen, each custom kernel is timed
 * against its stock kernel on every shape the model's training step runs,
 * and a custom kernel is registered only where it is faster over those
 * shapes together; the stock kernel stays otherwise. Timings are cached by
 * adapter identity, tfjs version and the kernels' own version (IndexedDB in
 * the browser, a file or memory in Node), so a later run with the same
 * shapes times nothing.
 *
 * Pure: the timer and the cache are given, so the decision is tested with a
 * timing source the test controls.
 */
import { caseName, type KernelCase } from './cases';
import { CUSTOM_KERNELS, KERNELS_VERSION, type CustomKernelName, type KernelPolicy } from './names';

export interface CaseTiming {
  stockMs: number;
  customMs: number;
}

/** Times one case both ways (alternating, so a change of load falls on both). */
export type KernelTimer = (c: KernelCase) => Promise<CaseTiming>;

export interface TuningCache {
  /** Timings stored under `key`, by case name. */
  load(key: string): Promise<Record<string, CaseTiming>>;
  save(key: string, timings: Record<string, CaseTiming>): Promise<void>;
}

/** What a run used; results files record it in `environment.kernels`. */
export interface KernelChoice {
  policy: KernelPolicy;
  /** The custom kernels registered; every other replaceable kernel is tfjs's own. */
  custom: CustomKernelName[];
  fusions: boolean;
  /** The adapter key the choice was tuned under (auto only). */
  tuningKey: string | null;
  /** Per kernel, the summed times over the model's shapes (auto only). */
  timings: { kernel: CustomKernelName; stockMs: number; customMs: number; cases: number }[];
}

export interface AdapterIdentity {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export function tuningKey(adapter: AdapterIdentity, tfjsVersion: string): string {
  return [adapter.vendor, adapter.architecture, adapter.device, adapter.description, `tfjs ${tfjsVersion}`, `kernels ${KERNELS_VERSION}`].join(' | ');
}

/** A fixed policy: everything custom, or everything stock. */
export function fixedChoice(policy: 'custom' | 'stock'): KernelChoice {
  return { policy, custom: policy === 'custom' ? [...CUSTOM_KERNELS] : [], fusions: policy === 'custom', tuningKey: null, timings: [] };
}

/**
 * Times the cases the cache lacks, stores them, and keeps each kernel's
 * custom version only where its summed time over `cases` is below the stock
 * one's. A kernel with no case here stays custom (nothing says it is slower).
 */
export async function autotune(cases: KernelCase[], timer: KernelTimer, cache: TuningCache, key: string): Promise<KernelChoice> {
  const timings = await cache.load(key);
  let timedAny = false;
  for (const c of cases) {
    const name = caseName(c);
    if (timings[name]) continue;
    timings[name] = await timer(c);
    timedAny = true;
  }
  if (timedAny) await cache.save(key, timings);
  const perKernel = new Map<CustomKernelName, { stockMs: number; customMs: number; cases: number }>();
  for (const c of cases) {
    const t = timings[caseName(c)]!;
    const sum = perKernel.get(c.kernel) ?? { stockMs: 0, customMs: 0, cases: 0 };
    perKernel.set(c.kernel, { stockMs: sum.stockMs + t.stockMs, customMs: sum.customMs + t.customMs, cases: sum.cases + 1 });
  }
  const custom = CUSTOM_KERNELS.filter((k) => {
    const t = perKernel.get(k);
    return t === undefined || t.customMs < t.stockMs;
  });
  return { policy: 'auto', custom, fusions: true, tuningKey: key, timings: [...perKernel].map(([kernel, t]) => ({ kernel, ...t })) };
}

/** A cache that lives as long as the process: Node's default, and the tests'. */
export function memoryCache(): TuningCache {
  const store = new Map<string, Record<string, CaseTiming>>();
  return {
    load: async (key) => ({ ...(store.get(key) ?? {}) }),
    save: async (key, timings) => void store.set(key, { ...timings }),
  };
}
