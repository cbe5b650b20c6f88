/**
 * The autotuner's decision with a timing source the test controls: a custom
 * kernel is kept only where it is faster over the model's shapes, the stock
 * one otherwise; timings are cached under the adapter's key and not taken
 * again; the choice is what a results file records.
 */
import { describe, expect, it } from 'vitest';
import { autotune, fixedChoice, memoryCache, tuningKey, type KernelTimer } from '../../src/engine/kernels/autotune';
import { caseName, modelCases, type KernelCase } from '../../src/engine/kernels/cases';
import { CUSTOM_KERNELS, parseKernelPolicy } from '../../src/engine/kernels/names';
import { buildArchitecture } from '../../src/model/architecture';
import { environmentSchema } from '../../src/study/results';

const adapter = { vendor: 'nvidia', architecture: 'hopper', device: '0x2335', description: 'NVIDIA H200' };
const spec = buildArchitecture({ arch: 'resnet20', width: 1, stem: 'auto' }, [32, 32, 3], 10);
const cases = modelCases(spec, [32, 32, 3], 32);

/** Stock twice as fast for the forward convolution, custom twice as fast everywhere else; counts its calls. */
function timer(): KernelTimer & { calls: KernelCase[] } {
  const calls: KernelCase[] = [];
  const time = async (c: KernelCase) => {
    calls.push(c);
    return c.kernel === 'Conv2D' ? { stockMs: 1, customMs: 2 } : { stockMs: 2, customMs: 1 };
  };
  return Object.assign(time, { calls });
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
    expect(choice).toMatchObject({ policy: 'auto', fusions: true, tuningKey: key });
    const conv = choice.timings.find((t) => t.kernel === 'Conv2D')!;
    expect(conv).toEqual({ kernel: 'Conv2D', stockMs: 6, customMs: 12, cases: 6 });
    // What a results file records is the choice itself.
    const environment = { backend: 'webgpu', adapter: { ...adapter, shaderF16: true }, fallbacks: [], browser: 'Node.js', tfjsVersion: '4.22.0', kernels: choice };
    expect(environmentSchema.parse(environment).kernels).toEqual(choice);
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
    expect(fixedChoice('stock')).toMatchObject({ custom: [], fusions: false });
    expect(fixedChoice('custom').custom).toEqual([...CUSTOM_KERNELS]);
    expect(() => parseKernelPolicy('fast')).toThrow('unknown --kernels "fast"; use one of auto, custom, stock');
  });
});
