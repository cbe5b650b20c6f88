/**
 * From runs to what the workbench shows: runs grouped by config, every
 * regularized config compared with the baseline class by class, with the
 * uncertainty across seeds. Pure logic (no tfjs, no DOM); the numbers come
 * from src/stats.
 *
 * The rules, in one place:
 * - Runs are grouped by configHash. The same config and seed twice keeps one
 *   run: a finished one over a provisional one, else the later in the list
 *   (a provisional run's latest evaluation arrives last).
 * - Every run must be on one dataset (content hash and class names), else
 *   DatasetMismatchError: runs on different data are never pooled.
 * - A group is compared with the baseline when it differs from it only by
 *   regularization (crop, flip, weight decay, decayNormAndBias).
 * - Method per comparison: with ≥ 2 seeds on both sides and ≥ 2 seeds in
 *   common, a paired t on the common seeds ('paired-t'; with seed sets that
 *   only partly overlap, the seeds the other side lacks are left out of the
 *   whole comparison, accuracies included, so that after − before = delta);
 *   with ≥ 2 seeds on both sides otherwise, Welch's t ('welch-t'); with
 *   fewer than 2 seeds on a side, binomial intervals on the correct/total
 *   counts pooled over seeds ('binomial'), accuracies by Wilson.
 * - Zero seed-to-seed spread: when a class's paired differences are all equal
 *   (Welch: when both sides' accuracies are all equal), the t test would
 *   claim certainty (p = 0 for any non-zero delta, a zero-width interval)
 *   that two or three seeds cannot give. That class falls back to the
 *   binomial comparison of its pooled counts (the test images are then the
 *   only measured noise) and its ClassDelta says so in `method`. Likewise an
 *   accuracy equal on every seed gets the Wilson interval of its pooled
 *   counts rather than [m, m].
 * - t intervals are cut to where the quantity can lie: accuracies to [0, 1],
 *   deltas to [−1, 1] (with two seeds a t interval easily reaches past 100%).
 */
import { canonicalJson } from '../util/hash';
import {
  benjaminiHochberg,
  meanInterval,
  pairedDifference,
  proportionDifference,
  welchDifference,
  wilsonInterval,
  type BinomialCount,
  type IntervalEstimate,
} from '../stats';
import type { CropConfig, DatasetConfig, RunConfig } from './config';
import { describeCrop } from './study';

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
  /**
   * Present only when this class's delta came from another method than its
   * comparison's: 'binomial' when the seeds showed no spread at all (see the
   * module's rules).
   */
  method?: IntervalMethod;
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

/**
 * One regularizer swept at a fixed value of the other, points ordered by
 * strength (the baseline, usually the weakest, first): for
 * accuracy-against-strength curves. Crop strength is the share of the image
 * a crop may remove: 0 for no crop, 1 − s for a resized crop of scale s
 * (Angelakis & Rass's α), padding / image side for pad-and-crop (the padding
 * in pixels when the config does not tell the side: a manifest dataset). A
 * crop axis holds one crop kind (with no crop), so that its strengths share
 * a unit. Weight decay's strength is its value.
 */
export interface StrengthAxis {
  regularizer: 'crop' | 'weightDecay';
  /** A crop axis's crop kind, which says what its strength measures. */
  cropKind?: 'resized' | 'translate';
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
  /** Test images of each class (the same in every run, or the runs are not on one test set). */
  classTestCounts: number[];
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

/** The level of every interval, and the q below which a class counts as hurt or helped. */
export const CONFIDENCE = 0.95;
export const FDR = 0.05;

/** A group with its runs by seed, for the computations below. */
interface GroupRuns {
  group: ConfigGroup;
  bySeed: Map<number, RunOutcome>;
}

/**
 * Groups the runs by config and compares every group that differs from the
 * baseline only by regularization against it, class by class. `baseline` is
 * the baseline's config or its configHash. Throws DatasetMismatchError when
 * the runs are not all on one dataset, and an Error when there are no runs.
 */
export function analyzeRuns(runs: RunOutcome[], baseline: RunConfig | string): StudyAnalysis {
  const first = runs[0];
  if (!first) throw new Error('no runs to analyze');
  const dataset = first.dataset;
  const classTestCounts = first.perClass.map((c) => c.total);
  for (const run of runs) {
    checkSameDataset(dataset, run.dataset);
    if (run.perClass.length !== dataset.classNames.length) {
      throw new Error(`run of ${runLabelOf(run)} has ${run.perClass.length} per-class entries for ${dataset.classNames.length} classes`);
    }
    const other = run.perClass.findIndex((c, k) => c.total !== classTestCounts[k]);
    if (other >= 0) {
      throw new DatasetMismatchError(
        `run of ${runLabelOf(run)} counts ${run.perClass[other]!.total} test images of ${dataset.classNames[other]}, another run ${classTestCounts[other]}: not one test set`,
      );
    }
  }
  const groups = groupRuns(runs);
  const base =
    typeof baseline === 'string'
      ? groups.find((g) => g.group.configHash === baseline)
      : groups.find((g) => canonicalJson(g.group.config) === canonicalJson(baseline));
  if (!base) {
    return { dataset, classTestCounts, baseline: null, groups: groups.map((g) => g.group), comparisons: [], notComparable: [], axes: [] };
  }
  const comparable: GroupRuns[] = [];
  const notComparable: StudyAnalysis['notComparable'] = [];
  for (const other of groups) {
    if (other === base) continue;
    const differences = nonRegularizationDifferences(base.group.config, other.group.config);
    if (differences.length === 0) comparable.push(other);
    else {
      other.group.label = `${other.group.label} (${differences.map((d) => `${d.path} ${d.other}`).join(', ')})`;
      notComparable.push({ group: other.group, reason: describeDifferences(differences) });
    }
  }
  const classNames = dataset.classNames;
  return {
    dataset,
    classTestCounts,
    baseline: base.group,
    groups: groups.map((g) => g.group),
    comparisons: comparable.map((treatment) => compareGroups(base, treatment, classNames)),
    notComparable,
    axes: strengthAxes([base, ...comparable], datasetSide(base.group.config.dataset)),
  };
}

function shortHash(hash: string): string {
  return hash.slice(0, 8);
}

function checkSameDataset(a: RunOutcome['dataset'], b: RunOutcome['dataset']): void {
  if (a.contentHash === b.contentHash && canonicalJson(a.classNames) === canonicalJson(b.classNames)) return;
  const why = a.contentHash === b.contentHash ? ' (same pixels, different class names)' : '';
  throw new DatasetMismatchError(
    `runs on two datasets: "${a.name}" (${shortHash(a.contentHash)}) and "${b.name}" (${shortHash(b.contentHash)})${why}; ` +
      'runs on different datasets are never pooled or compared',
  );
}

function runLabelOf(run: RunOutcome): string {
  return `${regularizationLabel(run.config)}, seed ${run.seed}`;
}

/** "resized crop s=0.25 + flip, wd 0.0005": what distinguishes the groups of one study. */
export function regularizationLabel(config: RunConfig): string {
  const flip = config.augmentation.flip ? ' + flip' : '';
  const norm = config.training.optimizer.decayNormAndBias ? '' : ' (norm/bias not decayed)';
  return `${describeCrop(config.augmentation.crop)}${flip}, wd ${config.training.optimizer.weightDecay}${norm}`;
}

function groupRuns(runs: RunOutcome[]): GroupRuns[] {
  const groups = new Map<string, Map<number, RunOutcome>>();
  for (const run of runs) {
    let bySeed = groups.get(run.configHash);
    if (!bySeed) groups.set(run.configHash, (bySeed = new Map()));
    const kept = bySeed.get(run.seed);
    // A finished run is never replaced by a provisional one; otherwise the later wins.
    if (kept && !kept.provisional && run.provisional) continue;
    bySeed.set(run.seed, run);
  }
  return [...groups].map(([configHash, unsorted]) => {
    const seeds = [...unsorted.keys()].sort((a, b) => a - b);
    const bySeed = new Map(seeds.map((s) => [s, unsorted.get(s)!]));
    const outcomes = [...bySeed.values()];
    const classes = outcomes[0]!.perClass.length;
    const perClassMean = Array.from({ length: classes }, (_, k) => mean(outcomes.map((r) => accuracy(r, k))));
    const config = outcomes[0]!.config;
    return {
      bySeed,
      group: {
        configHash,
        config,
        label: regularizationLabel(config),
        seeds,
        perClassMean,
        meanAccuracy: mean(perClassMean),
        provisional: outcomes.some((r) => r.provisional === true),
      },
    };
  });
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function accuracy(run: RunOutcome, k: number): number {
  const c = run.perClass[k]!;
  return c.correct / c.total;
}

function allEqual(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}

/**
 * The config with its regularization removed: two configs are comparable when
 * these are equal. How often the run evaluates or reads its losses back
 * changes what it reports along the way, not the model it ends with, so those
 * go too.
 */
function withoutRegularization(config: RunConfig): unknown {
  const { crop: _crop, flip: _flip, ...augmentation } = config.augmentation;
  const { weightDecay: _wd, decayNormAndBias: _norm, ...optimizer } = config.training.optimizer;
  const { evalEvery: _eval, lossReadEvery: _read, ...training } = config.training;
  return { ...config, augmentation, training: { ...training, optimizer } };
}

interface Difference {
  path: string;
  baseline: string;
  other: string;
}

function nonRegularizationDifferences(baseline: RunConfig, other: RunConfig): Difference[] {
  const out: Difference[] = [];
  diffValues(withoutRegularization(baseline), withoutRegularization(other), '', out);
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function diffValues(a: unknown, b: unknown, path: string, out: Difference[]): void {
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) diffValues(a[key], b[key], path ? `${path}.${key}` : key, out);
    return;
  }
  if (canonicalJson(a) === canonicalJson(b)) return;
  const show = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '(none)' : canonicalJson(v));
  out.push({ path, baseline: show(a), other: show(b) });
}

const SECTION_WORDS: Record<string, string> = { model: 'another model', dataset: 'another dataset config', training: 'another training setup' };

/** "another model: model.arch resnet18 vs resnet20" (this group's value first, the baseline's second). */
function describeDifferences(differences: Difference[]): string {
  const sections = [...new Set(differences.map((d) => d.path.split('.')[0]!))];
  const words = sections.map((s) => SECTION_WORDS[s] ?? `another ${s}`).join(' and ');
  const shown = differences.slice(0, 4).map((d) => `${d.path} ${d.other} vs ${d.baseline}`);
  const more = differences.length > 4 ? `; and ${differences.length - 4} more` : '';
  return `${words}: ${shown.join('; ')}${more}`;
}

/** One side of a comparison: its seeds and runs. */
interface Side {
  runs: RunOutcome[];
}

function pooled(side: Side, k: number): BinomialCount {
  let correct = 0;
  let total = 0;
  for (const run of side.runs) {
    correct += run.perClass[k]!.correct;
    total += run.perClass[k]!.total;
  }
  return { correct, total };
}

function hasEmptyClass(side: Side, k: number): boolean {
  return side.runs.some((r) => r.perClass[k]!.total === 0);
}

/** A class's accuracy on one side: t over seeds, or Wilson on pooled counts (binomial method, one seed, or no spread). */
function classAccuracy(side: Side, k: number, binomial: boolean): ClassAccuracy {
  const values = side.runs.map((r) => accuracy(r, k));
  if (binomial || values.length < 2 || hasEmptyClass(side, k) || allEqual(values)) {
    const { correct, total } = pooled(side, k);
    return { ...wilsonInterval(correct, total, CONFIDENCE), seeds: side.runs.length };
  }
  const m = meanInterval(values, CONFIDENCE);
  // An accuracy lies in [0, 1]: cutting the t interval there loses no coverage and spares the views a 121% bound.
  return { estimate: m.estimate, low: Math.max(0, m.low), high: Math.min(1, m.high), seeds: side.runs.length };
}

/** Per-seed differences treatment − baseline, exact (equal counts give bit-equal values) when the totals match. */
function seedDifferences(baseline: Side, treatment: Side, k: number): number[] {
  return baseline.runs.map((b, i) => {
    const bc = b.perClass[k]!;
    const tc = treatment.runs[i]!.perClass[k]!;
    return bc.total === tc.total ? (tc.correct - bc.correct) / bc.total : tc.correct / tc.total - bc.correct / bc.total;
  });
}

type DeltaTest = IntervalEstimate & { p: number; fellBack: boolean };

/** A difference of accuracies lies in [−1, 1]; the t interval is cut there, as the accuracies' are. */
function clipDelta(d: IntervalEstimate & { p: number }): DeltaTest {
  return { estimate: d.estimate, low: Math.max(-1, d.low), high: Math.min(1, d.high), p: d.p, fellBack: false };
}

function classDeltaTest(method: IntervalMethod, baseline: Side, treatment: Side, k: number): DeltaTest {
  const binomial = (): DeltaTest => {
    const d = proportionDifference(pooled(baseline, k), pooled(treatment, k), CONFIDENCE);
    return { ...d, fellBack: method !== 'binomial' };
  };
  if (method === 'binomial' || hasEmptyClass(baseline, k) || hasEmptyClass(treatment, k)) return binomial();
  const b = baseline.runs.map((r) => accuracy(r, k));
  const t = treatment.runs.map((r) => accuracy(r, k));
  if (method === 'paired-t') {
    if (allEqual(seedDifferences(baseline, treatment, k))) return binomial();
    return clipDelta(pairedDifference(b, t, CONFIDENCE));
  }
  if (allEqual(b) && allEqual(t)) return binomial();
  return clipDelta(welchDifference(b, t, CONFIDENCE));
}

function compareGroups(base: GroupRuns, treat: GroupRuns, classNames: string[]): Comparison {
  const baseSeeds = base.group.seeds;
  const treatSeeds = treat.group.seeds;
  const pairedSeeds = baseSeeds.filter((s) => treat.bySeed.has(s));
  let method: IntervalMethod;
  let baselineSide: Side;
  let treatmentSide: Side;
  if (baseSeeds.length < 2 || treatSeeds.length < 2) method = 'binomial';
  else if (pairedSeeds.length >= 2) method = 'paired-t';
  else method = 'welch-t';
  if (method === 'paired-t') {
    baselineSide = { runs: pairedSeeds.map((s) => base.bySeed.get(s)!) };
    treatmentSide = { runs: pairedSeeds.map((s) => treat.bySeed.get(s)!) };
  } else {
    baselineSide = { runs: [...base.bySeed.values()] };
    treatmentSide = { runs: [...treat.bySeed.values()] };
  }
  const binomial = method === 'binomial';
  const tests = classNames.map((_, k) => classDeltaTest(method, baselineSide, treatmentSide, k));
  const q = benjaminiHochberg(tests.map((t) => t.p));
  const classes = classNames.map((className, k): ClassDelta => {
    const test = tests[k]!;
    const significant = q[k]! < FDR ? (test.estimate < 0 ? 'hurt' : test.estimate > 0 ? 'helped' : null) : null;
    const delta: ClassDelta = {
      classIndex: k,
      className,
      baseline: classAccuracy(baselineSide, k, binomial),
      treatment: classAccuracy(treatmentSide, k, binomial),
      delta: { estimate: test.estimate, low: test.low, high: test.high },
      p: test.p,
      q: q[k]!,
      significant,
    };
    if (test.fellBack) delta.method = 'binomial';
    return delta;
  });
  return {
    baseline: base.group,
    treatment: treat.group,
    method,
    pairedSeeds,
    classes,
    summary: summarize(method, classes, baselineSide, treatmentSide),
    confusionDelta: confusionDelta(baselineSide, treatmentSide),
  };
}

/** A run's accuracy averaged over classes (each class weighs the same, as in the per-class means). */
function classAveraged(run: RunOutcome): number {
  return mean(run.perClass.map((_, k) => accuracy(run, k)));
}

function summarize(method: IntervalMethod, classes: ClassDelta[], baseline: Side, treatment: Side): ComparisonSummary {
  const meanDelta = mean(classes.map((c) => c.delta.estimate));
  const interval = meanDeltaInterval(method, baseline, treatment);
  const lowest = (side: 'baseline' | 'treatment') =>
    classes.reduce((worst, c) => (c[side].estimate < worst[side].estimate ? c : worst), classes[0]!);
  const mostNegative = classes.reduce((m, c) => (c.delta.estimate < m.delta.estimate ? c : m), classes[0]!);
  const hurt = classes.filter((c) => c.significant === 'hurt').length;
  const helped = classes.filter((c) => c.significant === 'helped').length;
  const worstBaseline = lowest('baseline');
  const worstTreatment = lowest('treatment');
  return {
    meanDelta: { estimate: meanDelta, low: interval.low, high: interval.high },
    baselineMeanAccuracy: mean(classes.map((c) => c.baseline.estimate)),
    treatmentMeanAccuracy: mean(classes.map((c) => c.treatment.estimate)),
    hurt,
    helped,
    expectedByChanceUncorrected: FDR * classes.length,
    expectedFalseDiscoveries: FDR * (hurt + helped),
    worstClass: {
      baseline: { className: worstBaseline.className, accuracy: worstBaseline.baseline.estimate },
      treatment: { className: worstTreatment.className, accuracy: worstTreatment.treatment.estimate },
    },
    mostHurt:
      mostNegative.delta.estimate < 0
        ? { className: mostNegative.className, before: mostNegative.baseline.estimate, after: mostNegative.treatment.estimate }
        : null,
  };
}

/**
 * The mean delta's interval: the comparison's method applied to each seed's
 * class-averaged accuracy; in the binomial case (and when the seeds show no
 * spread) the pooled counts over every test image. Those pooled counts weigh
 * classes by their test counts, so with unequal classes the interval is
 * centred on the image-weighted delta rather than the class mean.
 */
function meanDeltaInterval(method: IntervalMethod, baseline: Side, treatment: Side): IntervalEstimate {
  const b = baseline.runs.map(classAveraged);
  const t = treatment.runs.map(classAveraged);
  const usable = [...baseline.runs, ...treatment.runs].every((r) => r.perClass.every((c) => c.total > 0));
  if (usable && method === 'paired-t' && !allEqual(t.map((v, i) => v - b[i]!))) return pairedDifference(b, t, CONFIDENCE);
  if (usable && method === 'welch-t' && !(allEqual(b) && allEqual(t))) return welchDifference(b, t, CONFIDENCE);
  const total = (side: Side): BinomialCount =>
    side.runs.reduce(
      (acc, r) => ({ correct: acc.correct + r.perClass.reduce((n, c) => n + c.correct, 0), total: acc.total + r.perClass.reduce((n, c) => n + c.total, 0) }),
      { correct: 0, total: 0 },
    );
  return proportionDifference(total(baseline), total(treatment), CONFIDENCE);
}

function meanConfusion(side: Side): number[][] | null {
  const matrices = side.runs.flatMap((r) => (r.confusion ? [r.confusion] : []));
  if (matrices.length === 0) return null;
  return matrices[0]!.map((row, i) => row.map((_, j) => mean(matrices.map((m) => m[i]![j]!))));
}

function confusionDelta(baseline: Side, treatment: Side): number[][] | null {
  const b = meanConfusion(baseline);
  const t = meanConfusion(treatment);
  if (!b || !t) return null;
  return t.map((row, i) => row.map((v, j) => v - b[i]![j]!));
}

/** The image side a config's dataset has, when the config tells it. */
function datasetSide(dataset: DatasetConfig): number | null {
  switch (dataset.kind) {
    case 'synthetic':
    case 'teaching':
      return dataset.size;
    case 'builtin':
      return BUILTIN_SIDES[dataset.name];
    case 'manifest':
      return null;
  }
}

const BUILTIN_SIDES: Record<(DatasetConfig & { kind: 'builtin' })['name'], number> = { 'fashion-mnist': 28 };

/** The share of the image a crop may remove (see StrengthAxis). */
export function cropStrength(crop: CropConfig, side: number | null): number {
  switch (crop.kind) {
    case 'none':
      return 0;
    case 'resized':
      return 1 - crop.scale;
    case 'translate':
      return side ? crop.padding / side : crop.padding;
  }
}

function strengthAxes(groups: GroupRuns[], side: number | null): StrengthAxis[] {
  const axes: StrengthAxis[] = [];
  const configs = groups.map((g) => g.group);
  const cropKinds = [...new Set(configs.map((g) => g.config.augmentation.crop.kind).filter((k) => k !== 'none'))];
  for (const kind of cropKinds) {
    const members = configs.filter((g) => g.config.augmentation.crop.kind === 'none' || g.config.augmentation.crop.kind === kind);
    for (const [fixed, points] of byFixedValue(members, cropFixed)) {
      const crops = axis('crop', fixed, points, (g) => cropStrength(g.config.augmentation.crop, side), (g) => describeCrop(g.config.augmentation.crop));
      axes.push({ ...crops, cropKind: kind });
    }
  }
  for (const [fixed, points] of byFixedValue(configs, decayFixed)) {
    axes.push(axis('weightDecay', fixed, points, (g) => g.config.training.optimizer.weightDecay, (g) => `wd ${g.config.training.optimizer.weightDecay}`));
  }
  return axes;
}

/** What a crop axis holds fixed: weight decay and the other regularization. */
function cropFixed(config: RunConfig): string {
  const flip = config.augmentation.flip ? ', flip' : '';
  const norm = config.training.optimizer.decayNormAndBias ? '' : ' (norm/bias not decayed)';
  return `wd ${config.training.optimizer.weightDecay}${norm}${flip}`;
}

/** What a weight-decay axis holds fixed: the crop and the other regularization. */
function decayFixed(config: RunConfig): string {
  const flip = config.augmentation.flip ? ' + flip' : '';
  const norm = config.training.optimizer.decayNormAndBias ? '' : ' (norm/bias not decayed)';
  return `${describeCrop(config.augmentation.crop)}${flip}${norm}`;
}

/** Groups sharing a fixed value, in order of first appearance; only those with ≥ 2 points make an axis. */
function byFixedValue(groups: ConfigGroup[], fixed: (c: RunConfig) => string): [string, ConfigGroup[]][] {
  const by = new Map<string, ConfigGroup[]>();
  for (const g of groups) {
    const key = fixed(g.config);
    by.set(key, [...(by.get(key) ?? []), g]);
  }
  return [...by].filter(([, points]) => points.length >= 2);
}

function axis(
  regularizer: StrengthAxis['regularizer'],
  fixed: string,
  groups: ConfigGroup[],
  strength: (g: ConfigGroup) => number,
  label: (g: ConfigGroup) => string,
): StrengthAxis {
  // Stable sort: equal strengths (no crop and a resized crop of scale 1) keep the groups' order.
  const sorted = [...groups].sort((a, b) => strength(a) - strength(b));
  const classes = sorted[0]!.perClassMean.length;
  return {
    regularizer,
    fixed,
    points: sorted.map((g) => ({ label: label(g), strength: strength(g), configHash: g.configHash })),
    perClass: Array.from({ length: classes }, (_, k) => sorted.map((g) => g.perClassMean[k]!)),
    mean: sorted.map((g) => g.meanAccuracy),
  };
}

const CSV_COLUMNS = [
  'dataset',
  'baseline',
  'treatment',
  'method',
  'class index',
  'class',
  'baseline mean',
  'baseline low',
  'baseline high',
  'treatment mean',
  'treatment low',
  'treatment high',
  'delta',
  'delta low',
  'delta high',
  'p',
  'q',
  'significant',
  'baseline seeds',
  'treatment seeds',
] as const;

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
function csvField(value: string | number): string {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The per-class table as CSV (RFC 4180, CRLF line ends): one row per
 * comparison and class, numbers at full precision, `method` the class's own
 * (a zero-spread fallback shows as binomial), seeds space-separated (the
 * seeds behind each side's numbers).
 */
export function perClassCsv(analysis: StudyAnalysis): string {
  const rows: (string | number)[][] = [[...CSV_COLUMNS]];
  for (const c of analysis.comparisons) {
    const seedsOf = (all: number[]) => (c.method === 'paired-t' ? c.pairedSeeds : all).join(' ');
    for (const d of c.classes) {
      rows.push([
        analysis.dataset.name,
        c.baseline.label,
        c.treatment.label,
        d.method ?? c.method,
        d.classIndex,
        d.className,
        d.baseline.estimate,
        d.baseline.low,
        d.baseline.high,
        d.treatment.estimate,
        d.treatment.low,
        d.treatment.high,
        d.delta.estimate,
        d.delta.low,
        d.delta.high,
        d.p,
        d.q,
        d.significant ?? '',
        seedsOf(c.baseline.seeds),
        seedsOf(c.treatment.seeds),
      ]);
    }
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
