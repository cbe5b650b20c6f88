/**
 * From runs to what the workbench shows: runs grouped by config, every
 * regularized config compared with the baseline class by class, with the
 * uncertainty across seeds. Pure logic (no tfjs, no DOM); the numbers come
 * from src/stats.
 */
import type { CropConfig, RunConfig } from './config';

/**
 * What the analysis needs of a run: a finished RunResult fits as it is, and a
 * run still training fits with its latest evaluation (provisional, no
 * confusion matrix yet), which is what lets the views update live.
 */
export interface RunOutcome {
  config: RunConfig;
  configHash: string;
  seed: number;
  dataset: { name: string; classNames: string[]; testCount: number; contentHash: string };
  perClass: { class: string; correct: number; total: number }[];
  confusion: number[][] | null;
  provisional?: boolean;
}

/** How a delta's interval and p-value were computed. */
export type IntervalMethod =
  /** Seeds match on both sides (n ≥ 2): a t interval on the per-seed differences. */
  | 'paired-t'
  /** n ≥ 2 on both sides, seeds not matched: Welch's t. */
  | 'welch-t'
  /** Fewer than 2 seeds on a side: each test image a Bernoulli trial, pooled over seeds. */
  | 'binomial';

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface ClassAccuracy extends Interval {
  /** Seeds behind the estimate. */
  seeds: number;
}

export interface ClassDelta {
  classIndex: number;
  className: string;
  baseline: ClassAccuracy;
  treatment: ClassAccuracy;
  /** treatment − baseline accuracy, with its 95% interval. */
  delta: Interval;
  p: number;
  /** Benjamini–Hochberg q-value across the classes of this comparison. */
  q: number;
  /** q < 0.05, by sign of the delta; null when not significant. */
  significant: 'hurt' | 'helped' | null;
}

export interface ComparisonSummary {
  /** The mean over classes of the accuracy delta, with its 95% interval. */
  meanDelta: Interval;
  baselineMeanAccuracy: number;
  treatmentMeanAccuracy: number;
  hurt: number;
  helped: number;
  /** Classes an uncorrected p < 0.05 would flag with no real effect at all (0.05 × classes). */
  expectedByChanceUncorrected: number;
  /** BH at q < 0.05 keeps this many of the flagged classes as expected false discoveries (0.05 × flagged). */
  expectedFalseDiscoveries: number;
  worstClass: { baseline: { className: string; accuracy: number }; treatment: { className: string; accuracy: number } };
  /** The class whose accuracy fell most ("barn spider: 68% → 46%"); null when none fell. */
  mostHurt: { className: string; before: number; after: number } | null;
}

/** The runs of one config, over seeds. */
export interface ConfigGroup {
  configHash: string;
  config: RunConfig;
  /** e.g. "resized crop s=0.25, wd 0.0005". */
  label: string;
  seeds: number[];
  /** Mean accuracy per class over the group's seeds. */
  perClassMean: number[];
  meanAccuracy: number;
  provisional: boolean;
}

export interface Comparison {
  baseline: ConfigGroup;
  treatment: ConfigGroup;
  method: IntervalMethod;
  /** Seeds present on both sides (the pairs, when paired). */
  pairedSeeds: number[];
  /** Per class, in class order. */
  classes: ClassDelta[];
  summary: ComparisonSummary;
  /** Mean treatment confusion − mean baseline confusion (counts averaged over seeds); null when a side has none yet. */
  confusionDelta: number[][] | null;
}

/** One regularizer swept at a fixed value of the other, baseline first: for accuracy-against-strength curves. */
export interface StrengthAxis {
  regularizer: 'crop' | 'weightDecay';
  /** The other regularizer's value along this axis, e.g. "wd 0" or "no crop". */
  fixed: string;
  points: { label: string; strength: number; configHash: string }[];
  /** perClass[class][point]: mean accuracy over seeds. */
  perClass: number[][];
  /** Mean accuracy over classes, per point. */
  mean: number[];
}

export interface StudyAnalysis {
  dataset: RunOutcome['dataset'];
  baseline: ConfigGroup | null;
  groups: ConfigGroup[];
  /** Every group that differs from the baseline only by its regularization, against the baseline. */
  comparisons: Comparison[];
  /** Groups that differ from the baseline by more than regularization (another model, schedule…), with why. */
  notComparable: { group: ConfigGroup; reason: string }[];
  axes: StrengthAxis[];
}

/** Runs from different datasets (by content hash or class names) must never be pooled or compared. */
export class DatasetMismatchError extends Error {
  override name = 'DatasetMismatchError';
}

export type { CropConfig };
