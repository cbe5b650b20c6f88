import { describe, expect, it } from 'vitest';
import { compareReplicas, decideUnit, disagreement, type Replica } from '../../src/coordinator/validate';

/** 3 classes × 100 test images, interleaved. */
const LABELS = Array.from({ length: 300 }, (_, i) => i % 3);
const TEST = { labels: LABELS, classes: 3 };
const RULES = { ...TEST, quorum: 2, maxReplicas: 4 };
const TRUTH = LABELS.map((l, i) => (i % 10 === 0 ? (l + 1) % 3 : l));

/** `flip` images (by index) predicted as the next class, from its own host and credential unless given. */
function replica(id: string, flip: number[] = [], more: Partial<Replica> = {}): Replica {
  const predictions = TRUTH.map((p, i) => (flip.includes(i) ? (p + 1) % 3 : p));
  return { id, credential: `cred-${id}`, hosts: [`net-${id}`], backend: 'webgpu', predictions, startedAt: `2026-11-24T12:00:00.${id.charCodeAt(0)}Z`, wallTimeSec: 10, ...more };
}

describe('disagreement', () => {
  it('counts images predicted differently, overall and by true class, and the accuracy they move', () => {
    const a = TRUTH;
    const b = TRUTH.map((p, i) => (i === 1 || i === 4 || i === 2 ? (p + 1) % 3 : p));
    const d = disagreement(a, b, LABELS, 3);
    expect(d).toMatchObject({ images: 300, differing: 3, fraction: 0.01 });
    expect(d.perClass.map((c) => c.differing)).toEqual([0, 2, 1]);
    // Images 1 and 4 are class 1, right in a and wrong in b: class 1's accuracy moves by 2 of 100.
    expect(d.perClass[1]!.accuracyDelta).toBeCloseTo(0.02, 12);
    expect(d.worstClass).toMatchObject({ index: 1, differing: 2, fraction: 0.02 });
    expect(() => disagreement(a, b.slice(1), LABELS, 3)).toThrow(/predictions for 300 and 299 images/);
  });
});

describe('compareReplicas', () => {
  it('holds replicas on one backend to the tight bound and across backends to the looser one', () => {
    // One image of 300 (0.33 %): tight. Nine (3 %): only across backends. Twenty (6.7 %): neither.
    expect(compareReplicas(replica('a'), replica('b', [5]), TEST)).toMatchObject({ agree: true, tight: true, distance: 1 });
    const nine = Array.from({ length: 9 }, (_, k) => k * 30);
    expect(compareReplicas(replica('a'), replica('b', nine), TEST)).toMatchObject({ agree: false });
    expect(compareReplicas(replica('a'), replica('b', nine, { backend: 'cpu' }), TEST)).toMatchObject({ agree: true, tight: false, distance: 9 });
    const twenty = Array.from({ length: 20 }, (_, k) => k * 15);
    const far = compareReplicas(replica('a'), replica('b', twenty, { backend: 'cpu' }), TEST);
    expect(far.agree).toBe(false);
    expect(far.reasons.join('\n')).toMatch(/20 of 300 test images predicted differently \(6\.67 % > 4\.00 %\)/);
  });

  it('sees a shift concentrated on one class that the overall fraction would hide', () => {
    // Twelve images of class 0 (12 % of its 100), 4 % of the test set: within the overall cross-backend bound, not within the class's.
    const twelve = Array.from({ length: 12 }, (_, k) => k * 3);
    const r = compareReplicas(replica('a'), replica('b', twelve, { backend: 'cpu' }), TEST);
    expect(r.agree).toBe(false);
    expect(r.reasons).toEqual(['class 0: 12 of its 100 images predicted differently (more than 11.0)']);
  });

  it('refuses a copied run', () => {
    const a = replica('a');
    expect(compareReplicas(a, { ...a, id: 'copy', credential: 'other' }, TEST).reasons).toEqual(['same start time and wall time: a copy, not an independent run']);
  });
});

describe('decideUnit', () => {
  it('waits for the quorum, then validates two tightly agreeing replicas from distinct hosts', () => {
    const a = replica('a');
    expect(decideUnit([a], RULES)).toMatchObject({ state: 'open', canonicalId: null, targetReplicas: 2 });
    const decision = decideUnit([a, replica('b', [7])], RULES);
    expect(decision).toMatchObject({ state: 'done', quorum: ['a', 'b'] });
    expect([...decision.results.values()]).toEqual(['valid', 'valid']);
  });

  it('never counts two replicas from one credential or one network toward the quorum', () => {
    const sameNet = decideUnit([replica('a'), replica('b', [], { hosts: ['net-a', 'net-x'] })], RULES);
    expect(sameNet).toMatchObject({ state: 'held', canonicalId: null });
    const sameCred = decideUnit([replica('a'), replica('b', [], { credential: 'cred-a' })], RULES);
    expect(sameCred.state).toBe('held');
    expect(decideUnit([replica('a'), replica('b', [], { hosts: ['net-a'] }), replica('c')], RULES)).toMatchObject({ state: 'done' });
  });

  it('chooses the canonical result by agreement, never by arrival: the medoid', () => {
    // A first, 20 images away from two that agree exactly: B or C is canonical, A invalid.
    const twenty = Array.from({ length: 20 }, (_, k) => k * 15);
    const d = decideUnit([replica('a', twenty), replica('b'), replica('c')], RULES);
    expect(d.state).toBe('done');
    expect(['b', 'c']).toContain(d.canonicalId);
    expect(Object.fromEntries(d.results)).toEqual({ a: 'invalid', b: 'valid', c: 'valid' });
    // Three within the loose bound: the one in the middle.
    const loose = decideUnit([replica('x', [3, 6, 9, 12, 15], { backend: 'cpu' }), replica('y', [3, 6], { backend: 'webgl' }), replica('z')], RULES);
    expect(loose).toMatchObject({ state: 'done', canonicalId: 'y' });
    // The same replicas in any order give the same canonical result.
    for (const order of [['a', 'b', 'c'], ['c', 'a', 'b'], ['b', 'c', 'a']]) {
      const rs = order.map((id) => (id === 'a' ? replica('a', twenty) : replica(id)));
      expect(decideUnit(rs, RULES).canonicalId).toBe(d.canonicalId);
    }
  });

  it('asks for a third replica when two agree only loosely, and one more after a disagreement', () => {
    const nine = Array.from({ length: 9 }, (_, k) => k * 30);
    const loose = decideUnit([replica('a'), replica('b', nine, { backend: 'cpu' })], RULES);
    expect(loose).toMatchObject({ state: 'held', targetReplicas: 3 });
    expect([...loose.results.values()]).toEqual(['pending', 'pending']);
    const twenty = Array.from({ length: 20 }, (_, k) => k * 15);
    const apart = decideUnit([replica('a'), replica('b', twenty)], RULES);
    expect(apart).toMatchObject({ state: 'held', targetReplicas: 3 });
    expect([...apart.results.values()]).toEqual(['held', 'held']);
  });

  it('gives up as inconclusive after maxReplicas without a decision', () => {
    const spread = (k: number) => Array.from({ length: 30 }, (_, j) => j * 9 + k);
    const rs = ['a', 'b', 'c', 'd'].map((id, k) => replica(id, spread(k)));
    expect(decideUnit(rs.slice(0, 3), RULES)).toMatchObject({ state: 'held', targetReplicas: 4 });
    expect(decideUnit(rs, RULES)).toMatchObject({ state: 'inconclusive', canonicalId: null });
  });

  it('judges a late replica against the canonical one alone', () => {
    const twenty = Array.from({ length: 20 }, (_, k) => k * 15);
    const decision = decideUnit([replica('a'), replica('b'), replica('late', twenty)], RULES, 'a');
    expect(Object.fromEntries(decision.results)).toEqual({ a: 'valid', b: 'valid', late: 'invalid' });
    expect(decision).toMatchObject({ canonicalId: 'a', quorum: [] });
  });
});
