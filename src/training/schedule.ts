/**
 * The learning rate at each optimizer step. Computed per step from the step
 * number alone, so a resumed run lands on exactly the rate it left off at.
 *
 * Pure logic: no tfjs, no DOM.
 */
import type { ScheduleConfig } from '../study/config';

/**
 * `step` is the 0-based global step. A linear warm-up reaches `baseLr` on its
 * last step; the schedule proper then counts from the end of the warm-up
 * (cosine) or by epoch (step milestones).
 */
export function learningRate(
  schedule: ScheduleConfig,
  baseLr: number,
  step: number,
  stepsPerEpoch: number,
  epochs: number,
): number {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`step must be a non-negative integer, got ${step}`);
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch < 1) {
    throw new RangeError(`stepsPerEpoch must be a positive integer, got ${stepsPerEpoch}`);
  }
  const warmupSteps = Math.round(schedule.warmupEpochs * stepsPerEpoch);
  if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;

  switch (schedule.kind) {
    case 'constant':
      return baseLr;
    case 'step': {
      const epoch = Math.floor(step / stepsPerEpoch);
      const passed = schedule.milestones.filter((milestone) => milestone <= epoch).length;
      return baseLr * schedule.gamma ** passed;
    }
    case 'cosine': {
      const decaySteps = epochs * stepsPerEpoch - warmupSteps;
      // Steps past the planned end (or a warm-up that fills the run) stay at the floor.
      const progress = decaySteps > 0 ? Math.min((step - warmupSteps) / decaySteps, 1) : 1;
      return schedule.minLr + ((baseLr - schedule.minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
  }
}
