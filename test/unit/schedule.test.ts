import { describe, expect, it } from 'vitest';
import type { ScheduleConfig } from '../../src/study/config';
import { learningRate } from '../../src/training/schedule';

const BASE = 0.1;

/** The rate at each listed step, for a run of `epochs` epochs of `stepsPerEpoch` steps. */
function rates(schedule: ScheduleConfig, steps: number[], stepsPerEpoch: number, epochs: number): number[] {
  return steps.map((step) => learningRate(schedule, BASE, step, stepsPerEpoch, epochs));
}

function expectRates(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((rate, i) => expect(rate, `rate #${i}`).toBeCloseTo(expected[i]!, 10));
}

describe('learningRate', () => {
  it('holds a constant rate', () => {
    expectRates(rates({ kind: 'constant', warmupEpochs: 0 }, [0, 1, 57, 999], 10, 100), [0.1, 0.1, 0.1, 0.1]);
  });

  it('warms up linearly, reaching the base rate on the last warm-up step', () => {
    // 1 epoch of 10 steps: 0.1 · (step + 1) / 10.
    expectRates(rates({ kind: 'constant', warmupEpochs: 1 }, [0, 4, 9, 10, 50], 10, 10), [0.01, 0.05, 0.1, 0.1, 0.1]);
    // 0.3 epochs of 10 steps = 3 warm-up steps: 0.1/3, 0.2/3, 0.1.
    expectRates(rates({ kind: 'constant', warmupEpochs: 0.3 }, [0, 1, 2, 3], 10, 10), [0.1 / 3, 0.2 / 3, 0.1, 0.1]);
  });

  it('steps down by gamma at each milestone epoch', () => {
    const schedule: ScheduleConfig = { kind: 'step', warmupEpochs: 0, milestones: [4, 2], gamma: 0.1 };
    // 5 steps per epoch: epoch 2 starts at step 10, epoch 4 at step 20.
    expectRates(rates(schedule, [0, 9, 10, 19, 20, 29], 5, 6), [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
    const halving: ScheduleConfig = { kind: 'step', warmupEpochs: 0, milestones: [1, 1], gamma: 0.5 };
    expectRates(rates(halving, [4, 5], 5, 6), [0.1, 0.025]);
  });

  it('warms up before stepping', () => {
    const schedule: ScheduleConfig = { kind: 'step', warmupEpochs: 1, milestones: [2], gamma: 0.2 };
    // 5 warm-up steps of 0.02, then 0.1 until epoch 2 (step 10), then 0.02.
    expectRates(rates(schedule, [0, 3, 4, 5, 9, 10], 5, 4), [0.02, 0.08, 0.1, 0.1, 0.1, 0.02]);
  });

  it('anneals along a cosine to zero', () => {
    // 10 epochs of 10 steps: T = 100.
    const schedule: ScheduleConfig = { kind: 'cosine', warmupEpochs: 0, minLr: 0 };
    expectRates(rates(schedule, [0, 25, 50, 75, 99, 100], 10, 10), [
      0.1,
      0.0853553390593, // 0.1 · (1 + cos(π/4)) / 2
      0.05,
      0.0146446609407, // 0.1 · (1 - cos(π/4)) / 2
      0.0000246719817, // 0.1 · (1 + cos(0.99π)) / 2
      0,
    ]);
  });

  it('warms up, then anneals to minLr over the remaining steps', () => {
    // 2 warm-up epochs of 10 steps, then T = 80 steps from 0.1 to 0.01.
    const schedule: ScheduleConfig = { kind: 'cosine', warmupEpochs: 2, minLr: 0.01 };
    expectRates(rates(schedule, [0, 19, 20, 40, 60, 100, 150], 10, 10), [
      0.005,
      0.1,
      0.1,
      0.0868198051534, // 0.01 + 0.09 · (1 + cos(π/4)) / 2
      0.055,
      0.01,
      0.01, // past the planned end: stays at the floor
    ]);
  });

  it('refuses impossible steps', () => {
    const schedule: ScheduleConfig = { kind: 'constant', warmupEpochs: 0 };
    expect(() => learningRate(schedule, BASE, -1, 10, 10)).toThrow(RangeError);
    expect(() => learningRate(schedule, BASE, 1.5, 10, 10)).toThrow(RangeError);
    expect(() => learningRate(schedule, BASE, 0, 0, 10)).toThrow(RangeError);
  });
});
