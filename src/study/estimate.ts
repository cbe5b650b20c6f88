/**
 * How long a study will take, from one measured training step.
 *
 * The controller times a warm-up step of the designed baseline in the worker
 * (StepEstimate); this module turns it into a study-wide figure. A step's cost
 * depends on the model, the batch size and the input, not on the crop or the
 * weight decay (the crop is one resampling program per batch, which the pipeline
 * benchmark shows is thousands of images a second against tens for a step), so
 * one step of the baseline stands for every run of the grid.
 *
 * Pure: no tfjs, no DOM.
 */
import { FASHION_MNIST_SIDE, FASHION_MNIST_TEST_PER_CLASS, FASHION_MNIST_TRAIN_PER_CLASS, FASHION_MNIST_CLASS_NAMES } from '../data/fashion-mnist';
import { TEACHING_CLASSES } from '../data/teaching';
import { canonicalJson } from '../util/hash';
import type { DatasetConfig, RunConfig, TrainingConfig } from './config';
import { planRuns, type StudySpec } from './study';

/** One measured training step of a study's baseline. */
export interface StepEstimate {
  /** configHash of the baseline that was measured. */
  configHash: string;
  /** Wall-clock milliseconds of one training step (after warm-up), GPU work included. */
  msPerStep: number;
  /** The backend it ran on (webgpu, webgl, cpu). */
  backend: string;
  batchSize: number;
  /** stepKey(baseline) of the measured config: the estimate holds for any spec with the same key. */
  stepKey: string;
}

/** What the estimate needs to know about a dataset; the worker's DatasetSummary has these fields. */
export interface DatasetCounts {
  trainCount: number;
  testCount: number;
  /** [height, width, channels]. */
  shape: readonly [number, number, number];
}

/**
 * An evaluation batch is a forward pass only, at the training batch size. The
 * backward pass costs about twice the forward one, so a forward pass is taken
 * as a third of a training step (an assumption, not a measurement: inference
 * also skips the optimizer update, and BatchNorm uses its running statistics).
 */
export const EVAL_BATCH_COST = 1 / 3;

export interface StudyEstimate {
  /** Planned runs: configurations × seeds. */
  runs: number;
  configurations: number;
  seeds: number;
  /** Training steps of one run; null while the dataset's size is unknown. */
  stepsPerRun: number | null;
  /** Forward-only test batches of one run (every evaluation included); null while unknown. */
  evalBatchesPerRun: number | null;
  /** Estimated seconds for the whole study; null without counts or a matching measurement. */
  seconds: number | null;
  /** Whether a measured step applies: none given, given for another model/batch/input, or usable. */
  measurement: 'none' | 'stale' | 'current';
  /** One sentence on what the figure rests on, or what is missing for one. */
  note: string;
}

/**
 * The part of a run config that decides what one step costs: the model, the
 * batch size and the input. Generated datasets are keyed by their image shape
 * (their sample counts change the number of steps, not a step's cost); shard
 * datasets by name or URL, since their shape is only known once loaded.
 */
export function stepKey(config: RunConfig): string {
  return canonicalJson({ model: config.model, batchSize: config.training.batchSize, input: inputKey(config.dataset) });
}

function inputKey(dataset: DatasetConfig): unknown {
  switch (dataset.kind) {
    case 'synthetic':
      return [dataset.size, dataset.size, dataset.channels];
    case 'teaching':
      return [dataset.size, dataset.size, 3];
    case 'builtin':
      return { builtin: dataset.name };
    case 'manifest':
      return { manifest: dataset.url };
  }
}

/** Counts known from the config alone (generated sets, the built-in set); null for shards named by URL. */
export function knownDatasetCounts(dataset: DatasetConfig): DatasetCounts | null {
  switch (dataset.kind) {
    case 'synthetic':
      return {
        trainCount: dataset.classes * dataset.trainPerClass,
        testCount: dataset.classes * dataset.testPerClass,
        shape: [dataset.size, dataset.size, dataset.channels],
      };
    case 'teaching':
      return {
        trainCount: TEACHING_CLASSES.length * dataset.trainPerClass,
        testCount: TEACHING_CLASSES.length * dataset.testPerClass,
        shape: [dataset.size, dataset.size, 3],
      };
    case 'builtin': {
      const classes = FASHION_MNIST_CLASS_NAMES.length;
      return {
        trainCount: classes * FASHION_MNIST_TRAIN_PER_CLASS,
        testCount: classes * FASHION_MNIST_TEST_PER_CLASS,
        shape: [FASHION_MNIST_SIDE, FASHION_MNIST_SIDE, 1],
      };
    }
    case 'manifest':
      return null;
  }
}

/** Evaluations of one run: every evalEvery epochs, and always after the last (as src/engine/train.ts does). */
export function evaluationsPerRun(training: Pick<TrainingConfig, 'epochs' | 'evalEvery'>): number {
  const { epochs, evalEvery } = training;
  return Math.floor(epochs / evalEvery) + (epochs % evalEvery === 0 ? 0 : 1);
}

/**
 * The study's size and, given the dataset's counts and a step measured for the
 * same model, batch size and input, its duration:
 *
 *   runs × (steps × ms/step + evaluations × ⌈test / batch⌉ × ms/step × EVAL_BATCH_COST)
 *
 * with steps = ⌊train / batch⌋ × epochs (the engine drops the last partial
 * batch of an epoch and pads the last test batch). Dataset loading, model
 * building and the first steps' shader compilation are left out: they are paid
 * once per run or once per page, and the measurement is taken after warm-up.
 *
 * `summary` is used only for shard datasets; generated and built-in sets are
 * counted from the config, which cannot be out of date.
 */
export function estimateStudy(spec: StudySpec, summary: DatasetCounts | null, estimate: StepEstimate | null): StudyEstimate {
  const runs = planRuns(spec).length;
  const seeds = spec.seeds.length;
  const configurations = runs / seeds;
  const { training } = spec.baseline;
  const counts = knownDatasetCounts(spec.baseline.dataset) ?? summary;
  const base = { runs, configurations, seeds };
  const measurement: StudyEstimate['measurement'] = estimate === null ? 'none' : estimate.stepKey === stepKey(spec.baseline) ? 'current' : 'stale';

  if (!counts) {
    return {
      ...base,
      stepsPerRun: null,
      evalBatchesPerRun: null,
      seconds: null,
      measurement,
      note: 'The number of steps is known once the dataset has been loaded: measure a warm-up step.',
    };
  }
  const stepsPerEpoch = Math.floor(counts.trainCount / training.batchSize);
  const stepsPerRun = stepsPerEpoch * training.epochs;
  const evalBatchesPerRun = evaluationsPerRun(training) * Math.ceil(counts.testCount / training.batchSize);
  const counted = { ...base, stepsPerRun, evalBatchesPerRun, measurement };
  if (stepsPerEpoch === 0) {
    return { ...counted, seconds: null, note: `The batch size ${training.batchSize} is larger than the ${counts.trainCount} training images: no step would run.` };
  }
  if (estimate === null) {
    return { ...counted, seconds: null, note: 'Measure a warm-up step for a time estimate.' };
  }
  if (measurement === 'stale') {
    return {
      ...counted,
      seconds: null,
      note: `The measured step (batch ${estimate.batchSize}) was for another model, batch size or input: re-measure.`,
    };
  }
  const msPerRun = estimate.msPerStep * (stepsPerRun + evalBatchesPerRun * EVAL_BATCH_COST);
  return {
    ...counted,
    seconds: (runs * msPerRun) / 1000,
    note:
      `${runs} runs × (${stepsPerRun} steps + ${evalBatchesPerRun} test batches at a third of a step each) × ` +
      `${round3(estimate.msPerStep)} ms a step, measured on ${estimate.backend} at batch ${estimate.batchSize}; ` +
      'loading and compilation are not counted.',
  };
}

function round3(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/** Above this, a study asks to be confirmed before it runs. */
export const CONFIRM_ABOVE_SECONDS = 3600;

/** What an hour of this device buys, from the measured step: for the warning on a study past an hour. */
export function hourOnThisDevice(study: StudyEstimate, estimate: StepEstimate): { stepsPerHour: number; runsPerHour: number | null; secondsPerRun: number | null } {
  const stepsPerHour = 3_600_000 / estimate.msPerStep;
  const secondsPerRun = study.seconds !== null ? study.seconds / study.runs : null;
  return { stepsPerHour, runsPerHour: secondsPerRun ? 3600 / secondsPerRun : null, secondsPerRun };
}
