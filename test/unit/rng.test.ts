import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng';

const DRAWS = 100_000;

function draws(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.uint32());
}

function moments(xs: readonly number[]): { mean: number; variance: number; skew: number; kurtosis: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const x of xs) {
    const d = x - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= xs.length;
  m3 /= xs.length;
  m4 /= xs.length;
  return { mean, variance: m2, skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

describe('Rng', () => {
  it('is deterministic for a seed and stream', () => {
    expect(draws(Rng.fromSeed(42, 'init'), 1000)).toEqual(draws(Rng.fromSeed(42, 'init'), 1000));
  });

  it('gives unrelated streams for different seeds and stream names', () => {
    const heads = [
      Rng.fromSeed(1),
      Rng.fromSeed(1, 'init'),
      Rng.fromSeed(1, 'shuffle'),
      Rng.fromSeed(1, 'augment'),
      Rng.fromSeed(2, 'init'),
      Rng.fromSeed(2 ** 32 + 1, 'init'),
    ].map((rng) => draws(rng, 4).join(','));
    expect(new Set(heads).size).toBe(heads.length);
    // Unrelated means no shared words, not merely a shifted copy of one stream.
    const a = new Set(draws(Rng.fromSeed(1, 'init'), 1000));
    const shared = draws(Rng.fromSeed(1, 'shuffle'), 1000).filter((x) => a.has(x));
    expect(shared.length).toBeLessThanOrEqual(1);
  });

  it('resumes the exact stream from a saved state, through JSON', () => {
    const rng = Rng.fromSeed(7, 'shuffle');
    for (let i = 0; i < 1234; i++) rng.normal();
    const saved = JSON.parse(JSON.stringify(rng.state())) as number[];
    expect(saved).toHaveLength(4);
    const resumed = Rng.fromState(saved);
    const sequence = (r: Rng) => [r.uint32(), r.float(), r.int(-5, 5), r.normal(), ...r.permutation(10)];
    for (let i = 0; i < 100; i++) expect(sequence(resumed)).toEqual(sequence(rng));
    expect(resumed.state()).toEqual(rng.state());
  });

  it('refuses states that are not four uint32 words', () => {
    expect(() => Rng.fromState([1, 2, 3])).toThrow(RangeError);
    expect(() => Rng.fromState([1, 2, 3, -1])).toThrow(RangeError);
    expect(() => Rng.fromState([1, 2, 3, 2 ** 32])).toThrow(RangeError);
    expect(() => Rng.fromState([1, 2, 3, 0.5])).toThrow(RangeError);
    expect(() => Rng.fromSeed(1.5)).toThrow(RangeError);
  });

  it('draws floats in [0, 1) with more than 32 bits', () => {
    const rng = Rng.fromSeed(3);
    let finerThan32Bits = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = rng.float();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      if (!Number.isInteger(x * 2 ** 32)) finerThan32Bits++;
    }
    expect(finerThan32Bits).toBeGreaterThan(9_900);
  });

  it('draws every integer of [lo, hi) and nothing else', () => {
    const rng = Rng.fromSeed(4);
    const counts = new Map<number, number>();
    for (let i = 0; i < 7_000; i++) {
      const k = rng.int(-3, 4);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(150);
    expect(rng.int(5, 6)).toBe(5);
    expect(() => rng.int(3, 3)).toThrow(RangeError);
    expect(() => rng.int(0, 2 ** 32 + 1)).toThrow(RangeError);
    expect(() => rng.int(0, 2.5)).toThrow(RangeError);
  });

  it('has no modulo bias', () => {
    // For a range of 3·2^30, `uint32 % range` would land below 2^30 half the time instead of a third.
    const rng = Rng.fromSeed(5);
    let low = 0;
    for (let i = 0; i < DRAWS; i++) if (rng.int(0, 3 * 2 ** 30) < 2 ** 30) low++;
    expect(low / DRAWS).toBeCloseTo(1 / 3, 2);
  });

  it('draws uniform values with the right mean and variance', () => {
    const rng = Rng.fromSeed(6);
    const xs = Array.from({ length: DRAWS }, () => rng.uniform(-2, 6));
    expect(xs.filter((x) => x < -2 || x >= 6)).toEqual([]);
    const { mean, variance } = moments(xs);
    // Standard errors: 0.0073 for the mean, 0.015 for the variance (64/12).
    expect(Math.abs(mean - 2)).toBeLessThan(0.03);
    expect(Math.abs(variance - 64 / 12)).toBeLessThan(0.06);
  });

  it('draws standard normals', () => {
    const rng = Rng.fromSeed(8);
    const xs = Array.from({ length: DRAWS }, () => rng.normal());
    const { mean, variance, skew, kurtosis } = moments(xs);
    // Standard errors: 0.0032, 0.0045, 0.0077, 0.015; bounds at about five of them.
    expect(Math.abs(mean)).toBeLessThan(0.016);
    expect(Math.abs(variance - 1)).toBeLessThan(0.023);
    expect(Math.abs(skew)).toBeLessThan(0.04);
    expect(Math.abs(kurtosis - 3)).toBeLessThan(0.08);
    // P(|z| > 1.96) = 0.05, standard error 0.0007.
    const tails = xs.filter((x) => Math.abs(x) > 1.96).length / DRAWS;
    expect(Math.abs(tails - 0.05)).toBeLessThan(0.0035);
  });

  it('draws permutations', () => {
    const rng = Rng.fromSeed(9);
    const order = rng.permutation(1000);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...order]).not.toEqual([...order].sort((a, b) => a - b));
    expect(rng.permutation(0)).toHaveLength(0);
    expect([...rng.permutation(1)]).toEqual([0]);
  });

  it('draws every ordering equally often', () => {
    const rng = Rng.fromSeed(10);
    const counts = new Map<string, number>();
    const trials = 60_000;
    for (let i = 0; i < trials; i++) {
      const key = rng.permutation(3).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    const expected = trials / 6;
    const chiSquare = [...counts.values()].reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(20.5); // 5 degrees of freedom, p = 0.001
  });
});
