/**
 * Calibration and power by simulation: studies drawn from the generative
 * model of stats-simulation.ts (per-image difficulty, per-seed class effects,
 * seed-paired arms, shared test images), analysed exactly as the workbench
 * analyses them (analyzeRuns; the planning aid off, since it is not being
 * measured).
 *
 * False alarms: with no effect, the share of studies in which any class is
 * flagged (hurt or helped at the study's 5% false-discovery rate; with no
 * true effect the FDR is the chance of any flag) must be at most 5% plus a
 * Monte-Carlo margin of 2.33 standard errors of a 5% rate over the studies
 * run (one-sided 99%). Power: the share of planted −10-point drops found
 * must clear a floor far above what the old analysis found (12% on this
 * model; 18% on the model of the issue that asked for this).
 *
 * The generator is seeded, so the counts are the same on every run; the
 * margins say what the counts can vouch for. docs/statistics.md has the
 * same cases with many more studies (test/unit/reference/simulate.ts).
 */
import { describe, expect, it } from 'vitest';
import { analyzeRuns } from '../../src/study/analysis';
import { Rng } from '../../src/util/rng';
import { BASELINE_HASH, simulateStudy, type SimulationModel } from './stats-simulation';

function flags(model: SimulationModel, rng: Rng): boolean[] {
  return analyzeRuns(simulateStudy(model, rng), BASELINE_HASH, { plan: false }).comparisons[0]!.classes.map((c) => c.verdict !== null);
}

const margin = (studies: number) => 2.33 * Math.sqrt((0.05 * 0.95) / studies);

describe('false alarms with no effect, any class flagged per study', () => {
  const cases = [
    { classes: 10, images: 200, studies: 300 },
    { classes: 100, images: 100, studies: 80 },
  ];
  for (const { classes, images, studies } of cases) {
    for (const seeds of [2, 3, 5]) {
      it(`${classes} classes of ${images} images, ${seeds} seeds: at most 5% + ${(100 * margin(studies)).toFixed(1)} points over ${studies} studies`, () => {
        const rng = Rng.fromSeed(10, `false alarms ${classes} ${seeds}`);
        let alarms = 0;
        for (let i = 0; i < studies; i++) if (flags({ classes, images, seeds }, rng).some(Boolean)) alarms++;
        expect(alarms / studies).toBeLessThanOrEqual(0.05 + margin(studies));
      });
    }
  }
});

describe('power for planted drops', () => {
  it('finds a −10-point drop on 2 of 10 classes (200 images each) with 3 seeds at least 65% of the time (the old analysis: 12% on this model, 18% on the issue\'s)', () => {
    const rng = Rng.fromSeed(10, 'power 3');
    const studies = 150;
    let found = 0;
    let falseFlags = 0;
    for (let i = 0; i < studies; i++) {
      const f = flags({ classes: 10, images: 200, seeds: 3, planted: [0, 1], drop: 0.1 }, rng);
      found += Number(f[0]) + Number(f[1]);
      falseFlags += f.slice(2).filter(Boolean).length;
    }
    expect(found / (2 * studies)).toBeGreaterThanOrEqual(0.65);
    // The untouched classes stay quiet: BH's promise is about the flagged, so at most ~5% of all flags are false.
    expect(falseFlags / Math.max(1, found + falseFlags)).toBeLessThanOrEqual(0.05 + 2.33 * Math.sqrt((0.05 * 0.95) / Math.max(1, found + falseFlags)));
  });
});
