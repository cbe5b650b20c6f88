import { describe, expect, it } from 'vitest';
import { compareReplicas, decideUnit, disagreement, platformOf, type Replica } from '../../src/coordinator/validate';

/** 3 classes × 100 test images, interleaved. */
const LABELS = Array.from({ length: 300 }, (_, i) => i % 3);
const TEST = { labels: LABELS, classes: 3 };
const RULES = { ...TEST, quorum: 2, maxReplicas: 4 };
const TRUTH = LABELS.map((l, i) => (i % 10 === 0 ? (l + 1) % 3 : l));

/** `flip` images (by index) predicted as the next class, from its own host and credential unless given. */
function replica(id: string, flip: number[] = [], more: Partial<Replica> = {}): Replica {
  const predictions = TRUTH.map((p, i) => (flip.includes(i) ? (p + 1) % 3 : p));
  return { id, credential: `cred-${id}`, hosts: [`net-${id}`], platform: 'webgpu', predictions, startedAt: `2026-11-24T12:00:00.${id.charCodeAt(0)}Z`, wallTimeSec: 10, ...more };
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

describe('platformOf', () => {
  it('names backend, adapter and TensorFlow.js version', () => {
    expect(platformOf({ backend: 'webgpu', adapter: { vendor: 'google', architecture: 'swiftshader' }, tfjsVersion: '4.22.0' })).toBe('webgpu google/swiftshader tfjs 4.22.0');
    expect(platformOf({ backend: 'cpu', adapter: null, tfjsVersion: '4.22.0' })).toBe('cpu tfjs 4.22.0');
  });
});

describe('compareReplicas', () => {
  it('holds replicas of one platform to the tight bound', () => {
    // One image of 300 (0.33 %): within 0.5 %. Two (0.67 %): not.
    expect(compareReplicas(replica('a'), replica('b', [5]), TEST)).toMatchObject({ comparable: true, agree: true, distance: 1 });
    const two = compareReplicas(replica('a'), replica('b', [5, 6]), TEST);
    expect(two).toMatchObject({ comparable: true, agree: false, distance: 2 });
    expect(two.reasons).toEqual(['2 of 300 test images predicted differently (0.67 % > 0.50 %)']);
  });

  it('compares nothing across platforms: honest runs there differ as two seeds do', () => {
    const c = compareReplicas(replica('a'), replica('b', [], { platform: 'cpu' }), TEST);
    expect(c).toMatchObject({ comparable: false, agree: false });
    expect(c.reasons).toEqual(['not comparable: run on webgpu and on cpu']);
  });

  it('sees a shift concentrated on one class', () => {
    // Three images of class 0 with a looser overall bound: 3 of its 100 is more than 1 % + 1 image.
    const three = [0, 3, 6];
    const r = compareReplicas(replica('a'), replica('b', three), TEST, { images: 0.05, perClass: 0.01, slackImages: 1 });
    expect(r.reasons).toEqual(['class 0: 3 of its 100 images predicted differently (more than 2.0)']);
  });

  it('refuses a copied run', () => {
    const a = replica('a');
    expect(compareReplicas(a, { ...a, id: 'copy', credential: 'other' }, TEST).reasons).toEqual(['same start time and wall time: a copy, not an independent run']);
  });
});

describe('decideUnit', () => {
  it('waits for the quorum, then validates two identical replicas from distinct hosts', () => {
    const a = replica('a');
    expect(decideUnit([a], RULES)).toMatchObject({ state: 'open', canonicalId: null, targetReplicas: 2 });
    const decision = decideUnit([a, replica('b')], RULES);
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
    // Three that agree with one another under a looser bound, a few images apart: the one closest to the others.
    const loose = { ...RULES, tolerance: { images: 0.02, perClass: 0.05, slackImages: 1 } };
    const middle = decideUnit([replica('x', [3, 6]), replica('y'), replica('z', [9])], loose);
    expect(middle).toMatchObject({ state: 'done', canonicalId: 'y' });
    // The same replicas in any order give the same canonical result.
    for (const order of [['a', 'b', 'c'], ['c', 'a', 'b'], ['b', 'c', 'a']]) {
      const rs = order.map((id) => (id === 'a' ? replica('a', twenty) : replica(id)));
      expect(decideUnit(rs, RULES).canonicalId).toBe(d.canonicalId);
    }
  });

  it('asks for a third replica when two differ on a few images within the bound, and keeps the one the third matches', () => {
    const pair = decideUnit([replica('a', [5]), replica('b')], RULES);
    expect(pair).toMatchObject({ state: 'held', targetReplicas: 3 });
    expect([...pair.results.values()]).toEqual(['pending', 'pending']);
    const three = decideUnit([replica('a', [5]), replica('b'), replica('c')], RULES);
    expect(three).toMatchObject({ state: 'done' });
    expect(['b', 'c']).toContain(three.canonicalId);
    expect([...three.results.values()]).toEqual(['valid', 'valid', 'valid']);
  });

  it('asks for one more replica after a disagreement, or when the two are on different platforms', () => {
    const twenty = Array.from({ length: 20 }, (_, k) => k * 15);
    const apart = decideUnit([replica('a'), replica('b', twenty)], RULES);
    expect(apart).toMatchObject({ state: 'held', targetReplicas: 3 });
    expect([...apart.results.values()]).toEqual(['held', 'held']);
    const platforms = decideUnit([replica('a'), replica('b', [], { platform: 'cpu' })], RULES);
    expect(platforms).toMatchObject({ state: 'held', targetReplicas: 3 });
    expect([...platforms.results.values()]).toEqual(['pending', 'pending']);
    // A third on the first one's platform decides; the other platform's replica is neither valid nor invalid.
    const third = decideUnit([replica('a'), replica('b', [], { platform: 'cpu' }), replica('c')], RULES);
    expect(Object.fromEntries(third.results)).toEqual({ a: 'valid', b: 'pending', c: 'valid' });
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
