/**
 * The autotuner: on an adapter it has not seen, each custom kernel (and,
 * for the convolutions, its workgroup-memory tiled variant) is timed against
 * its stock kernel on every shape the model's training step runs, and per
 * kernel the fastest of the three over those shapes together is registered:
 * a custom variant only where it beats the stock kernel. Timings are cached by
 * adapter identity, tfjs version and the kernels' own version (IndexedDB in
 * the browser, a file or memory in Node), so a later run with the same
 * shapes times nothing.
 *
 * Pure: the timer and the cache are given, so the decision is tested with a
 * timing source the test controls.
 */
import { caseName, type KernelCase } from './cases';
import { CUSTOM_KERNELS, hasTiledVariant, KERNELS_VERSION, TILED_KERNELS, type CustomKernelName, type KernelPolicy, type TiledKernelName } from './names';

export interface CaseTiming {
  stockMs: number;
  /** The register-tiled custom kernel. */
  customMs: number;
  /** The workgroup-memory tiled variant; null for a kernel that has none. */
  tiledMs: number | null;
}

/** Times one case every way (alternating, so a change of load falls on all). */
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
  /** Those of `custom` that run their workgroup-memory tiled variant; the others run register-tiled. */
  tiled: TiledKernelName[];
  fusions: boolean;
  /** The adapter key the choice was tuned under (auto only). */
  tuningKey: string | null;
  /** Per kernel, the summed times over the model's shapes (auto only); tiledMs null where the kernel has no tiled variant. */
  timings: { kernel: CustomKernelName; stockMs: number; customMs: number; tiledMs: number | null; cases: number }[];
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

/** A fixed policy: everything custom (register-tiled, or with the tiled convolutions), or everything stock. */
export function fixedChoice(policy: 'custom' | 'tiled' | 'stock'): KernelChoice {
  const custom = policy === 'stock' ? [] : [...CUSTOM_KERNELS];
  const tiled = policy === 'tiled' ? [...TILED_KERNELS] : [];
  return { policy, custom, tiled, fusions: policy !== 'stock', tuningKey: null, timings: [] };
}

/**
 * Times the cases the cache lacks, stores them, and per kernel keeps the
 * fastest over `cases` summed: the stock kernel, unless the register-tiled
 * or the tiled custom variant is strictly faster. A kernel with no case here
 * stays custom, register-tiled (nothing says it is slower).
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
  const perKernel = new Map<CustomKernelName, { stockMs: number; customMs: number; tiledMs: number | null; cases: number }>();
  for (const c of cases) {
    const t = timings[caseName(c)]!;
    const sum = perKernel.get(c.kernel) ?? { stockMs: 0, customMs: 0, tiledMs: hasTiledVariant(c.kernel) ? 0 : null, cases: 0 };
    // A case timed without its tiled variant leaves the kernel's tiled sum unknown, so that variant is not chosen.
    const tiledMs = sum.tiledMs === null || typeof t.tiledMs !== 'number' ? null : sum.tiledMs + t.tiledMs;
    perKernel.set(c.kernel, { stockMs: sum.stockMs + t.stockMs, customMs: sum.customMs + t.customMs, tiledMs, cases: sum.cases + 1 });
  }
  const custom: CustomKernelName[] = [];
  const tiled: TiledKernelName[] = [];
  for (const k of CUSTOM_KERNELS) {
    const t = perKernel.get(k);
    if (t === undefined) {
      custom.push(k);
      continue;
    }
    const best = Math.min(t.stockMs, t.customMs, t.tiledMs ?? Infinity);
    if (best === t.stockMs) continue;
    custom.push(k);
    if (best !== t.customMs && hasTiledVariant(k)) tiled.push(k);
  }
  return { policy: 'auto', custom, tiled, fusions: true, tuningKey: key, timings: [...perKernel].map(([kernel, t]) => ({ kernel, ...t })) };
}

/** A cache that lives as long as the process: Node's default, and the tests'. */
export function memoryCache(): TuningCache {
  const store = new Map<string, Record<string, CaseTiming>>();
  return {
    load: async (key) => ({ ...(store.get(key) ?? {}) }),
    save: async (key, timings) => void store.set(key, { ...timings }),
  };
}
