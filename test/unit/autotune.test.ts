/**
 * The autotuner's decision with a timing source the test controls: per
 * kernel the fastest of stock, the register-tiled custom kernel and the
 * convolutions' workgroup-memory tiled variant over the model's shapes, the
 * stock one unless a custom variant is strictly faster; timings are cached
 * under the adapter's key and not taken again; the choice, variant included,
 * is what a results file records.
 */
import { describe, expect, it } from 'vitest';
import { autotune, fixedChoice, memoryCache, tuningKey, type KernelTimer } from '../../src/engine/kernels/autotune';
import { caseName, modelCases, type KernelCase } from '../../src/engine/kernels/cases';
import { CUSTOM_KERNELS, hasTiledVariant, KERNELS_VERSION, parseKernelPolicy, TILED_KERNELS } from '../../src/engine/kernels/names';
import { buildArchitecture } from '../../src/model/architecture';
import { environmentSchema } from '../../src/study/results';

const adapter = { vendor: 'nvidia', architecture: 'hopper', device: '0x2335', description: 'NVIDIA H200' };
const spec = buildArchitecture({ arch: 'resnet20', width: 1, stem: 'auto' }, [32, 32, 3], 10);
const cases = modelCases(spec, [32, 32, 3], 32);

/**
 * Stock twice as fast as either custom variant for the forward convolution, the register-tiled custom kernel twice as
 * fast as stock everywhere else (the tiled variant in between); counts its calls.
 */
function timer(): KernelTimer & { calls: KernelCase[] } {
  return timerOf((c) => (c.kernel === 'Conv2D' ? { stockMs: 1, customMs: 2, tiledMs: 2 } : { stockMs: 2, customMs: 1, tiledMs: 1.5 }));
}

function timerOf(times: (c: KernelCase) => { stockMs: number; customMs: number; tiledMs: number }): KernelTimer & { calls: KernelCase[] } {
  const calls: KernelCase[] = [];
  const time = async (c: KernelCase) => {
    calls.push(c);
    const t = times(c);
    // Like timeKernel: a kernel with no tiled variant has no tiled time.
    return hasTiledVariant(c.kernel) ? t : { ...t, tiledMs: null };
  };
  return Object.assign(time, { calls });
}

/** What a results file records is the choice itself, through the schema every boundary validates with. */
function recorded(choice: Awaited<ReturnType<typeof autotune>>) {
  const environment = { backend: 'webgpu', adapter: { ...adapter, shaderF16: true }, fallbacks: [], browser: 'Node.js', tfjsVersion: '4.22.0', kernels: choice };
  return environmentSchema.parse(environment).kernels;
}

describe('the shapes a model runs', () => {
  it('lists every convolution of ResNet-20 at 32 px batch 32 once per kernel, and the per-channel ops', () => {
    const names = cases.map(caseName);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('Conv2D x32×32×32×3 w3×3×3×16 s1 1');
    expect(names).toContain('Conv2DBackpropFilter x32×32×32×3 w3×3×3×16 s1 1');
    // The stem's input is the batch: no gradient flows to it.
    expect(names).not.toContain('Conv2DBackpropInput x32×32×32×3 w3×3×3×16 s1 1');
    expect(names).toContain('Conv2D x32×32×32×16 w3×3×16×32 s2 1');
    expect(names).toContain('Conv2D x32×8×8×64 w3×3×64×64 s1 1');
    expect(names).toContain('Multiply 32×32×32×16 ∘ 16');
    expect(names).toContain('Mean 32×32×32×16 axis 0,1,2 keepDims');
    // 3×3 stride 1 at 16, 32 and 64 channels, the two stride-2 entries to stages 2 and 3, and the stem.
    expect(cases.filter((c) => c.kernel === 'Conv2D')).toHaveLength(6);
  });

  it('follows ResNet-50’s projections and max-pool at 224 px', () => {
    const r50 = modelCases(buildArchitecture({ arch: 'resnet50', width: 1, stem: 'auto' }, [224, 224, 3], 1000), [224, 224, 3], 8);
    const names = r50.map(caseName);
    expect(names).toContain('Conv2D x8×224×224×3 w7×7×3×64 s2 3');
    expect(names).toContain('Conv2D x8×56×56×64 w1×1×64×256 s1 0');
    expect(names).toContain('Conv2D x8×7×7×512 w1×1×512×2048 s1 0');
  });
});

describe('autotune', () => {
  it('keeps the stock kernel where it is faster and records the choice', async () => {
    const cache = memoryCache();
    const key = tuningKey(adapter, '4.22.0');
    const time = timer();
    const choice = await autotune(cases, time, cache, key);
    expect(time.calls).toHaveLength(cases.length);
    expect(choice.custom).not.toContain('Conv2D');
    expect(choice.custom).toEqual(CUSTOM_KERNELS.filter((k) => k !== 'Conv2D'));
    // The register-tiled gradients beat their tiled variants here, so none runs tiled.
    expect(choice.tiled).toEqual([]);
    expect(choice).toMatchObject({ policy: 'auto', fusions: true, tuningKey: key });
    const conv = choice.timings.find((t) => t.kernel === 'Conv2D')!;
    expect(conv).toEqual({ kernel: 'Conv2D', stockMs: 6, customMs: 12, tiledMs: 12, cases: 6 });
    expect(choice.timings.find((t) => t.kernel === 'Multiply')).toEqual({ kernel: 'Multiply', stockMs: 2, customMs: 1, tiledMs: null, cases: 1 });
    expect(recorded(choice)).toEqual(choice);
  });

  it('takes the tiled variant where it is the fastest of the three, and records it', async () => {
    // Tiled fastest for the forward and filter-gradient convolutions; register-tiled fastest for the input gradient.
    const time = timerOf((c) =>
      c.kernel === 'Conv2D' || c.kernel === 'Conv2DBackpropFilter'
        ? { stockMs: 3, customMs: 2, tiledMs: 1 }
        : c.kernel === 'Conv2DBackpropInput'
          ? { stockMs: 3, customMs: 1, tiledMs: 2 }
          : { stockMs: 2, customMs: 1, tiledMs: 0 },
    );
    const choice = await autotune(cases, time, memoryCache(), tuningKey(adapter, '4.22.0'));
    expect(choice.custom).toEqual([...CUSTOM_KERNELS]);
    expect(choice.tiled).toEqual(['Conv2D', 'Conv2DBackpropFilter']);
    expect(choice.timings.find((t) => t.kernel === 'Conv2DBackpropFilter')).toEqual({ kernel: 'Conv2DBackpropFilter', stockMs: 18, customMs: 12, tiledMs: 6, cases: 6 });
    expect(recorded(choice)).toEqual(choice);
    expect(recorded(choice)!.tiled).toEqual(['Conv2D', 'Conv2DBackpropFilter']);
  });

  it('keeps stock when it beats both custom variants, and stock on a tie', async () => {
    const stockWins = await autotune(cases, timerOf(() => ({ stockMs: 1, customMs: 2, tiledMs: 1.5 })), memoryCache(), 'k');
    expect(stockWins.custom).toEqual([]);
    expect(stockWins.tiled).toEqual([]);
    expect(recorded(stockWins)).toMatchObject({ custom: [], tiled: [] });
    const tie = await autotune(cases, timerOf(() => ({ stockMs: 1, customMs: 1, tiledMs: 1 })), memoryCache(), 'k');
    expect(tie.custom).toEqual([]);
    // Register-tiled and tiled tied below stock: the register-tiled kernel, measured on every adapter so far.
    const variantsTie = await autotune(cases, timerOf(() => ({ stockMs: 2, customMs: 1, tiledMs: 1 })), memoryCache(), 'k');
    expect(variantsTie.custom).toEqual([...CUSTOM_KERNELS]);
    expect(variantsTie.tiled).toEqual([]);
  });

  it('does not choose a tiled variant from cached timings that lack it', async () => {
    const cache = memoryCache();
    const key = tuningKey(adapter, '4.22.0');
    // As an older kernels version cached them: no tiledMs at all.
    await cache.save(key, Object.fromEntries(cases.map((c) => [caseName(c), { stockMs: 3, customMs: 2 } as never])));
    const choice = await autotune(cases, timer(), cache, key);
    expect(choice.tiled).toEqual([]);
    expect(choice.custom).toEqual([...CUSTOM_KERNELS]);
    expect(choice.timings.find((t) => t.kernel === 'Conv2D')!.tiledMs).toBeNull();
    // And the kernels' version, part of the key, is the one whose timings include the tiled variants.
    expect(key).toContain(`kernels ${KERNELS_VERSION}`);
    expect(KERNELS_VERSION).toBe('3');
  });

  it('times nothing again for the same adapter and shapes, and everything for another adapter', async () => {
    const cache = memoryCache();
    const first = timer();
    await autotune(cases, first, cache, tuningKey(adapter, '4.22.0'));
    const again = timer();
    const choice = await autotune(cases, again, cache, tuningKey(adapter, '4.22.0'));
    expect(again.calls).toHaveLength(0);
    expect(choice.custom).not.toContain('Conv2D');
    const other = timer();
    await autotune(cases, other, cache, tuningKey({ ...adapter, device: '0x2330', description: 'NVIDIA H100' }, '4.22.0'));
    expect(other.calls).toHaveLength(cases.length);
    expect(tuningKey(adapter, '4.22.0')).not.toBe(tuningKey(adapter, '4.23.0'));
  });

  it('keeps a custom kernel that no case of the model exercises, and names the fixed policies', async () => {
    const convsOnly = cases.filter((c) => c.kernel === 'Conv2D');
    const choice = await autotune(convsOnly, timer(), memoryCache(), 'k');
    expect(choice.custom).toEqual(CUSTOM_KERNELS.filter((k) => k !== 'Conv2D'));
    expect(fixedChoice('stock')).toMatchObject({ custom: [], tiled: [], fusions: false });
    expect(fixedChoice('custom')).toMatchObject({ custom: [...CUSTOM_KERNELS], tiled: [], fusions: true });
    expect(fixedChoice('tiled')).toMatchObject({ custom: [...CUSTOM_KERNELS], tiled: [...TILED_KERNELS], fusions: true });
    expect(parseKernelPolicy('tiled')).toBe('tiled');
    expect(() => parseKernelPolicy('fast')).toThrow('unknown --kernels "fast"; use one of auto, custom, tiled, stock');
  });
});
