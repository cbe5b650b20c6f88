/**
 * The planning aid: its power against the two-sided t-test power of
 * statsmodels' ttest_power (the noncentral t at the df and standard error the
 * aid documents), evaluated at 50 digits with mpmath by
 * test/unit/reference/paired_reference.py, and its two questions, the
 * smallest detectable drop and the seeds a drop needs, answered consistently
 * with that power.
 */
import { describe, expect, it } from 'vitest';
import { assumedNoise, designPlan, MAX_SEEDS, planClass, planningAlpha, powerOf, seedsNeeded, smallestDetectable, TARGET_POWER, type ClassNoise } from '../../src/study/planning';

const noise = (seedVariance: number, imageVariance: number, images: number, classes: number, priorDf: number): ClassNoise => ({ seedVariance, imageVariance, images, classes, priorDf, measured: true });

describe('powerOf', () => {
  // [seedVariance, imageVariance, images, classes, priorDf, seeds, drop, alpha, power] (statsmodels itself agrees to 3e-9: scipy 1.10's t.isf).
  const cases: [number, number, number, number, number, number, number, number, number][] = [
    [0.0015, 0.00005, 200, 10, Infinity, 3, 0.1, 0.005, 0.8652381091657955],
    [0.0015, 0.0, 200, 10, 2.5, 2, 0.1, 0.005, 0.19140934388092745],
    [0.0006, 0.00002, 100, 100, 8.0, 5, 0.05, 0.0005, 0.49088124095358715],
    [0.0004, 0.0, 1000, 10, Infinity, 4, 0.03, 0.005, 0.49868720666670613],
  ];
  it.each(cases)('seed variance %s, image variance %s, %s images, %s classes, d₀ %s, %s seeds, drop %s at α %s', (sv, iv, n, k, d0, seeds, drop, alpha, power) => {
    const value = powerOf(noise(sv, iv, n, k, d0), drop, seeds, alpha);
    expect(Math.abs(value - power) / power).toBeLessThan(1e-10);
    // A rise is as detectable as a drop.
    expect(powerOf(noise(sv, iv, n, k, d0), -drop, seeds, alpha)).toBe(value);
  });
});

describe('smallestDetectable and seedsNeeded', () => {
  const plan = noise(0.0015, 0.00005, 200, 10, Infinity);
  const alpha = planningAlpha(0.05, 10);

  it('finds the drop at which power reaches 80%', () => {
    const drop = smallestDetectable(plan, 3, { alpha })!;
    expect(Math.abs(powerOf(plan, drop, 3, alpha) - TARGET_POWER)).toBeLessThan(1e-6);
    // More seeds, a smaller detectable drop; never below what the images alone allow.
    const more = smallestDetectable(plan, 8, { alpha })!;
    expect(more).toBeLessThan(drop);
    expect(smallestDetectable(plan, MAX_SEEDS, { alpha })!).toBeGreaterThan(2.5 * Math.sqrt(plan.imageVariance));
  });

  it('finds the fewest seeds that reach 80% power', () => {
    for (const drop of [0.05, 0.1, 0.2]) {
      const seeds = seedsNeeded(plan, drop, { alpha })!;
      expect(powerOf(plan, drop, seeds, alpha)).toBeGreaterThanOrEqual(TARGET_POWER);
      if (seeds > 2) expect(powerOf(plan, drop, seeds - 1, alpha)).toBeLessThan(TARGET_POWER);
    }
    // What no number of seeds can show (the test images' own sampling is too wide): null.
    expect(seedsNeeded(noise(0.0015, 0.01, 200, 10, Infinity), 0.05, { alpha })).toBeNull();
    expect(smallestDetectable(noise(2, 0, 20, 2, 0), 2, { alpha })).toBeNull();
  });

  it('plans a class, and plans before anything has run from an assumed accuracy', () => {
    expect(planClass(plan, 3, alpha)).toEqual({ detectable: smallestDetectable(plan, 3, { alpha }), seedsForPlannedDrop: seedsNeeded(plan, 0.1, { alpha }), measured: true });
    expect(planClass(plan, 1, alpha).detectable).toBeNull();
    const assumed = assumedNoise(200, 10, 0.8);
    expect(assumed).toMatchObject({ images: 200, imageVariance: 0, priorDf: Infinity, classes: 10, measured: false });
    expect(assumed.seedVariance).toBeCloseTo((2 * 0.8 * 0.2) / 200, 15);
    // Two models at 80% that err independently, 200 images, 10 classes, 3 seeds: a drop of about 11 points.
    expect(smallestDetectable(assumed, 3, { alpha })).toBeGreaterThan(0.08);
    expect(smallestDetectable(assumed, 3, { alpha })).toBeLessThan(0.14);
  });

  it("plans a design before it runs: an average class, the study's tests, the assumed noise", () => {
    const plan = designPlan(10, 10_000, 13, 3)!;
    const alpha = planningAlpha(0.05, 130);
    expect(plan).toMatchObject({ classes: 10, imagesPerClass: 1000, seeds: 3, tests: 130, assumedAccuracy: 0.8 });
    expect(plan.detectable).toBe(smallestDetectable(assumedNoise(1000, 10), 3, { alpha }));
    expect(plan.seedsForPlannedDrop).toBe(seedsNeeded(assumedNoise(1000, 10), 0.1, { alpha }));
    // Two models at 80% that err independently on 1,000 images a class, 3 seeds, 130 tests: about 5.4 points.
    expect(plan.detectable!).toBeGreaterThan(0.045);
    expect(plan.detectable!).toBeLessThan(0.065);
    expect(designPlan(10, 10_000, 13, 1)!.detectable).toBeNull();
    expect(designPlan(1, 100, 1, 3)).toBeNull();
    expect(designPlan(10, 10_000, 0, 3)).toBeNull();
  });

  it('refuses what cannot be planned', () => {
    expect(() => powerOf(plan, 0.1, 1, alpha)).toThrow(/seeds >= 2/);
    expect(() => powerOf({ ...plan, seedVariance: 0 }, 0.1, 3, alpha)).toThrow(/seedVariance > 0/);
    expect(() => powerOf(plan, 0.1, 3, 0)).toThrow(/alpha/);
    expect(() => planningAlpha(0.05, 0)).toThrow(/tests >= 1/);
  });
});
