import { describe, expect, it } from 'vitest';
import { comparisonZ, compareReplicas, decideUnit, tolerance, type Replica } from '../../src/coordinator/validate';
import { normalQuantile } from '../../src/stats';
import { Rng } from '../../src/util/rng';

const CLASSES = ['cat', 'dog', 'ship'];

/** A replica with `correct[k]` right out of `n` per class; start time and duration vary per id unless given. */
function replica(id: string, correct: number[], n = 100, startedAt = `2026-11-24T12:00:0${id.length % 10}.000Z`): Replica {
  const perClass = correct.map((c, k) => ({ class: CLASSES[k] ?? `class-${k}`, correct: c, total: n }));
  const total = n * correct.length;
  return { id, top1: correct.reduce((a, b) => a + b, 0) / total, perClass, startedAt, wallTimeSec: 10 + id.charCodeAt(0) };
}

describe('comparisonZ', () => {
  it('spreads the false-alarm rate over the per-class tests and top-1', () => {
    // 10 classes + top-1, 1e-3 two-sided: 1 − 1e-3 / 22.
    expect(comparisonZ(10)).toBeCloseTo(normalQuantile(1 - 1e-3 / 22), 9);
    expect(comparisonZ(100)).toBeGreaterThan(comparisonZ(10));
  });
});

describe('compareReplicas', () => {
  it('accepts differences within binomial noise and names the class that is not', () => {
    expect(compareReplicas(replica('a', [80, 60, 90]), replica('b', [84, 55, 92])).agree).toBe(true);
    const forged = compareReplicas(replica('a', [80, 60, 90]), replica('b', [80, 95, 90]));
    expect(forged.agree).toBe(false);
    expect(forged.reasons.join('\n')).toMatch(/class "dog": 60\/100 against 95\/100/);
  });

  it('has the tolerance the documented formula gives', () => {
    const z = comparisonZ(3);
    expect(tolerance(80, 84, 100, z)).toBeCloseTo(z * Math.sqrt(0.82 * 0.18 * 0.02) + 0.01, 12);
  });

  it('refuses different per-class totals and a copied run', () => {
    const a = replica('a', [80, 60, 90]);
    const b = { ...replica('b', [80, 60, 90]), perClass: a.perClass.map((c, k) => (k === 0 ? { ...c, total: 101 } : c)) };
    expect(compareReplicas(a, b).reasons.join('\n')).toMatch(/class 0: "cat" with 100 images against "cat" with 101/);
    const copy = { ...a, id: 'copy' };
    expect(compareReplicas(a, copy).reasons).toEqual(['same start time and wall time: a copy, not an independent run']);
  });

  it('holds honest pairs at about the documented false-alarm rate or less', () => {
    // Two independent binomial draws per class, as the tolerance assumes; 1e-3 is the design rate.
    const rng = Rng.fromSeed(7, 'false-alarms');
    const p = [0.55, 0.8, 0.95, 0.3, 0.7, 0.9, 0.6, 0.85, 0.5, 0.75];
    const n = 60;
    const draw = () => p.map((pk) => Array.from({ length: n }, () => (rng.float() < pk ? 1 : 0) as number).reduce((a, b) => a + b, 0));
    const trials = 4000;
    let alarms = 0;
    for (let t = 0; t < trials; t++) {
      const names = p.map((_, k) => `c${k}`);
      const make = (id: string, c: number[]): Replica => ({
        id,
        top1: c.reduce((a, b) => a + b, 0) / (n * p.length),
        perClass: c.map((ck, k) => ({ class: names[k]!, correct: ck, total: n })),
        startedAt: id,
        wallTimeSec: 1,
      });
      if (!compareReplicas(make('a', draw()), make('b', draw())).agree) alarms++;
    }
    expect(alarms / trials).toBeLessThan(3e-3);
  });
});

describe('decideUnit', () => {
  const rules = { quorum: 2, maxReplicas: 4 };

  it('waits for the quorum, then validates two agreeing replicas', () => {
    const a = replica('a', [80, 60, 90]);
    expect(decideUnit([a], rules)).toMatchObject({ state: 'open', canonicalId: null, targetReplicas: 2 });
    const decision = decideUnit([a, replica('b', [82, 58, 91])], rules);
    expect(decision.state).toBe('done');
    expect(decision.canonicalId).toBe('a');
    expect([...decision.results]).toEqual([
      ['a', 'valid'],
      ['b', 'valid'],
    ]);
  });

  it('holds a disagreeing pair, asks for a third replica, and lets the majority decide', () => {
    const a = replica('a', [80, 60, 90]);
    const b = replica('b', [20, 95, 40]);
    const held = decideUnit([a, b], rules);
    expect(held).toMatchObject({ state: 'held', targetReplicas: 3 });
    expect([...held.results.values()]).toEqual(['held', 'held']);
    const decided = decideUnit([a, b, replica('c', [79, 62, 88])], rules);
    expect(decided.state).toBe('done');
    expect(Object.fromEntries(decided.results)).toEqual({ a: 'valid', b: 'invalid', c: 'valid' });
  });

  it('gives up as inconclusive after maxReplicas without a quorum', () => {
    const rs = [replica('a', [80, 60, 90]), replica('b', [20, 95, 40]), replica('c', [50, 10, 10]), replica('d', [99, 0, 60])];
    expect(decideUnit(rs.slice(0, 3), rules)).toMatchObject({ state: 'held', targetReplicas: 4 });
    expect(decideUnit(rs, rules)).toMatchObject({ state: 'inconclusive', canonicalId: null });
  });

  it('judges a late replica against the canonical one alone', () => {
    const rs = [replica('a', [80, 60, 90]), replica('b', [81, 60, 90]), replica('late', [10, 10, 10])];
    const decision = decideUnit(rs, rules, 'a');
    expect(Object.fromEntries(decision.results)).toEqual({ a: 'valid', b: 'valid', late: 'invalid' });
    expect(decision.canonicalId).toBe('a');
  });
});
