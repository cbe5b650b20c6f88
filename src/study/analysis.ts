/**
 * From runs to what the workbench, the public page and `npm run analyze`
 * show: runs grouped by config, every regularized config compared with the
 * baseline class by class, under one false-discovery control for the whole
 * study. Pure logic (no tfjs, no DOM); the per-comparison statistics are in
 * comparison-stats.ts, the numbers in src/stats, the method and its
 * simulations in docs/statistics.md.
 *
 * The rules, in one place:
 * - Runs are grouped by configHash. The same config and seed twice keeps one
 *   run: a finished one over a provisional one, else the later in the list
 *   (a provisional run's latest evaluation arrives last); every such
 *   collision is reported in `duplicates`, never dropped silently.
 * - Every run must be on one dataset (content hash, class names, per-class
 *   test counts, and the test labels where runs carry them), else
 *   DatasetMismatchError: runs on different data are never pooled.
 * - A group is compared with the baseline when it differs from it only by
 *   regularization (crop, per-class crops, flip, weight decay, decayNormAndBias).
 * - The seed is the unit of replication. With ≥ 2 seeds in common the
 *   comparison pairs them ('moderated-paired'; seeds the other side lacks are
 *   left out of the whole comparison, accuracies included, so that after −
 *   before = delta); with ≥ 2 seeds a side otherwise, 'moderated-unpaired';
 *   with one seed on a side, 'model-vs-model', which compares two trained
 *   models and gives no verdict on the regularizer.
 * - Verdicts: Benjamini–Hochberg over every (treatment, class) test of the
 *   study's moderated comparisons at FDR; model-vs-model tests form their own
 *   family, flagged as model differences, never as verdicts.
 */
import { benjaminiHochberg } from '../stats';
import { canonicalJson } from '../util/hash';
import { type ImageEvidence, classImages } from './class-evidence';
import {
  comparisonStatistics,
  modelPair,
  type ClassAccuracy,
  type ComparisonMethod,
  type Evidence,
  type Interval,
  type Sides,
} from './comparison-stats';
import { datasetSide, type RunConfig } from './config';
import { FDR_LEVEL, planClass, planningAlpha, type ClassPlan } from './planning';
import { strengthAxes, type StrengthAxis } from './strength-axes';
import { describeAugmentationCrop } from './study';

export { CONFIDENCE, type ClassAccuracy, type ComparisonMethod, type Evidence, type Interval } from './comparison-stats';
export type { StrengthAxis } from './strength-axes';
export { cropStrength } from './strength-axes';

/** The false-discovery rate of the study's verdicts. */
export const FDR = FDR_LEVEL;

/**
 * What the analysis needs of a run: a finished RunResult fits as it is, and a
 * run still training fits with its latest evaluation (provisional, no
 * confusion matrix or predictions yet), which is what lets the views update
 * live.
 */
export interface RunOutcome {
  config: RunConfig;
  configHash: string;
  seed: number;
  dataset: { name: string; classNames: string[]; testCount: number; contentHash: string };
  perClass: { class: string; correct: number; total: number }[];
  confusion: number[][] | null;
  /** The predicted class of each test image, in test order. */
  predictions?: number[] | undefined;
  /** The true class of each test image, in test order (the same for every run on the dataset). */
  labels?: number[] | undefined;
  provisional?: boolean;
}

export interface ClassDelta {
  classIndex: number;
  className: string;
  /** Test images of the class. */
  testImages: number;
  baseline: ClassAccuracy;
  treatment: ClassAccuracy;
  /** treatment − baseline accuracy, with its 95% interval. */
  delta: Interval;
  /** Two-sided; NaN for a class without test images. */
  p: number;
  /** Benjamini–Hochberg over the study's family of such tests (see the module's rules); NaN untested. */
  q: number;
  /** The call on the regularizer's effect at q < FDR, by the delta's sign; always null model vs model. */
  verdict: 'hurt' | 'helped' | null;
  /** Model vs model only: at q < FDR the treatment's model is lower or higher on this class than the baseline's; null otherwise. */
  modelDifference: 'lower' | 'higher' | null;
  /** The delta's standard error and the test's degrees of freedom. */
  se: number;
  df: number;
  /** The moderated seed-to-seed standard deviation of one seed's value (a paired delta; unpaired: one side's accuracy); null model vs model. */
  seedSd: number | null;
  /** Model vs model with per-image predictions: images the two models classify differently. */
  discordant: number | null;
  /** The planning aid for this class; null without test images. */
  plan: ClassPlan | null;
}

export interface ComparisonSummary {
  /** The mean over classes of the accuracy delta, with its 95% interval from the same design. */
  meanDelta: Interval;
  baselineMeanAccuracy: number;
  treatmentMeanAccuracy: number;
  /** Verdicts (moderated comparisons only). */
  hurt: number;
  helped: number;
  /** Model differences (model vs model only). */
  lower: number;
  higher: number;
  worstClass: { baseline: { className: string; accuracy: number }; treatment: { className: string; accuracy: number } };
  /** The class whose accuracy fell most ("barn spider: 68% → 46%"); null when none fell. */
  mostHurt: { className: string; before: number; after: number } | null;
  /** The median over classes of the smallest drop detectable with these seeds (80% power); null model vs model. */
  detectable: number | null;
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
  method: ComparisonMethod;
  /** 'images' when every run behind it carries per-image predictions (and the labels are known); else 'counts'. */
  evidence: Evidence;
  /** The seeds behind each side's numbers: the paired seeds when paired, the one model's seed model vs model. */
  baselineSeeds: number[];
  treatmentSeeds: number[];
  /** Seeds present on both sides. */
  pairedSeeds: number[];
  /** The moderation across this comparison's classes: the prior's df d₀ (Infinity: fully pooled) and the seed part's df; null model vs model. */
  moderation: { priorDf: number; priorScale: number; seedDf: number } | null;
  /** Per class, in class order. */
  classes: ClassDelta[];
  summary: ComparisonSummary;
  /** Mean treatment confusion − mean baseline confusion (counts averaged over the seeds behind the comparison); null when a side has none yet. */
  confusionDelta: number[][] | null;
}

/** Runs of one config and seed beyond the first: one was kept (a finished one, else the latest), the others set aside. */
export interface Duplicate {
  configHash: string;
  label: string;
  seed: number;
  /** How many runs of this config and seed were given. */
  runs: number;
}

/** The study's multiplicity: how many tests each false-discovery family holds and how many it flagged. */
export interface Multiplicity {
  fdr: number;
  /** (treatment, class) tests of the regularizer's effect. */
  tests: number;
  flagged: number;
  /** Model-vs-model tests (one seed a side), their own family. */
  modelTests: number;
  modelFlagged: number;
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
  multiplicity: Multiplicity;
  duplicates: Duplicate[];
}

/** Runs from different datasets (by content hash, class names, test counts or labels) must never be pooled or compared. */
export class DatasetMismatchError extends Error {
  override name = 'DatasetMismatchError';
}

export interface AnalysisOptions {
  /** Plan every class (the planning aid); the simulations that measure the tests turn it off. Default true. */
  plan?: boolean;
}

/** A group with its runs by seed, for the computations below. */
interface GroupRuns {
  group: ConfigGroup;
  bySeed: Map<number, RunOutcome>;
}

/**
 * Groups the runs by config and compares every group that differs from the
 * baseline only by regularization against it, class by class. `baseline` is
 * the baseline's config or its configHash. Throws DatasetMismatchError when
 * the runs are not all on one test set, and an Error when there are no runs.
 */
export function analyzeRuns(runs: RunOutcome[], baseline: RunConfig | string, options: AnalysisOptions = {}): StudyAnalysis {
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
  const evidence = imageEvidence(runs, classTestCounts);
  const { groups, duplicates } = groupRuns(runs);
  const base =
    typeof baseline === 'string'
      ? groups.find((g) => g.group.configHash === baseline)
      : groups.find((g) => canonicalJson(g.group.config) === canonicalJson(baseline));
  const multiplicity: Multiplicity = { fdr: FDR, tests: 0, flagged: 0, modelTests: 0, modelFlagged: 0 };
  const all = groups.map((g) => g.group);
  if (!base) return { dataset, classTestCounts, baseline: null, groups: all, comparisons: [], notComparable: [], axes: [], multiplicity, duplicates };
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
  const comparisons = compareAll(base, comparable, dataset.classNames, classTestCounts, evidence, multiplicity, options.plan ?? true);
  return {
    dataset,
    classTestCounts,
    baseline: base.group,
    groups: all,
    comparisons,
    notComparable,
    axes: strengthAxes(
      [base, ...comparable].map((g) => g.group),
      datasetSide(base.group.config.dataset),
    ),
    multiplicity,
    duplicates,
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

/**
 * The test labels the runs carry, checked to be one test set's: the same in
 * every run that has them, and counting each class's test images. Null when
 * no run carries labels (results from before they were kept).
 */
function imageEvidence(runs: RunOutcome[], classTestCounts: number[]): ImageEvidence | null {
  const labelled = runs.find((r) => r.labels);
  if (!labelled) return null;
  const labels = labelled.labels!;
  for (const run of runs) {
    if (run.labels && run.labels !== labels && canonicalJson(run.labels) !== canonicalJson(labels)) {
      throw new DatasetMismatchError(`runs of ${runLabelOf(labelled)} and ${runLabelOf(run)} label the test images differently: not one test set`);
    }
    if (run.predictions && run.predictions.length !== labels.length) {
      throw new DatasetMismatchError(`run of ${runLabelOf(run)} has ${run.predictions.length} predictions for ${labels.length} test images`);
    }
  }
  const images = classImages(labels, classTestCounts.length);
  const miscounted = images.findIndex((list, k) => list.length !== classTestCounts[k]);
  if (miscounted >= 0 || labels.length !== runs[0]!.dataset.testCount) {
    throw new DatasetMismatchError(`the test labels of ${runLabelOf(labelled)} do not match its per-class test counts: not one test set`);
  }
  return { labels, images };
}

function runLabelOf(run: RunOutcome): string {
  return `${regularizationLabel(run.config)}, seed ${run.seed}`;
}

/** "resized crop s=0.25 + flip, wd 0.0005": what distinguishes the groups of one study. */
export function regularizationLabel(config: RunConfig): string {
  const flip = config.augmentation.flip ? ' + flip' : '';
  const norm = config.training.optimizer.decayNormAndBias ? '' : ' (norm/bias not decayed)';
  return `${describeAugmentationCrop(config.augmentation)}${flip}, wd ${config.training.optimizer.weightDecay}${norm}`;
}

function groupRuns(runs: RunOutcome[]): { groups: GroupRuns[]; duplicates: Duplicate[] } {
  const groups = new Map<string, Map<number, RunOutcome>>();
  const given = new Map<string, number>();
  for (const run of runs) {
    let bySeed = groups.get(run.configHash);
    if (!bySeed) groups.set(run.configHash, (bySeed = new Map()));
    const key = `${run.configHash} ${run.seed}`;
    given.set(key, (given.get(key) ?? 0) + 1);
    const kept = bySeed.get(run.seed);
    // A finished run is never replaced by a provisional one; otherwise the later wins.
    if (kept && !kept.provisional && run.provisional) continue;
    bySeed.set(run.seed, run);
  }
  const duplicates: Duplicate[] = [];
  const out = [...groups].map(([configHash, unsorted]) => {
    const seeds = [...unsorted.keys()].sort((a, b) => a - b);
    const bySeed = new Map(seeds.map((s) => [s, unsorted.get(s)!]));
    const outcomes = [...bySeed.values()];
    const classes = outcomes[0]!.perClass.length;
    const perClassMean = Array.from({ length: classes }, (_, k) => mean(outcomes.map((r) => accuracy(r, k))));
    const config = outcomes[0]!.config;
    const label = regularizationLabel(config);
    for (const seed of seeds) {
      const count = given.get(`${configHash} ${seed}`)!;
      if (count > 1) duplicates.push({ configHash, label, seed, runs: count });
    }
    return {
      bySeed,
      group: { configHash, config, label, seeds, perClassMean, meanAccuracy: mean(perClassMean), provisional: outcomes.some((r) => r.provisional === true) },
    };
  });
  return { groups: out, duplicates };
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function accuracy(run: RunOutcome, k: number): number {
  const c = run.perClass[k]!;
  return c.correct / c.total;
}

/**
 * The config with its regularization removed: two configs are comparable when
 * these are equal. How often the run evaluates or reads its losses back
 * changes what it reports along the way, not the model it ends with, so those
 * go too.
 */
function withoutRegularization(config: RunConfig): unknown {
  const { crop: _crop, flip: _flip, perClass: _perClass, ...augmentation } = config.augmentation;
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

/** The runs a comparison uses, by its method. */
function sidesOf(base: GroupRuns, treat: GroupRuns): { method: ComparisonMethod; pairedSeeds: number[]; baseline: RunOutcome[]; treatment: RunOutcome[] } {
  const baseSeeds = base.group.seeds;
  const treatSeeds = treat.group.seeds;
  const pairedSeeds = baseSeeds.filter((s) => treat.bySeed.has(s));
  if (baseSeeds.length < 2 || treatSeeds.length < 2) {
    const pair = modelPair(baseSeeds, treatSeeds);
    return { method: 'model-vs-model', pairedSeeds, baseline: [base.bySeed.get(pair.baseline)!], treatment: [treat.bySeed.get(pair.treatment)!] };
  }
  if (pairedSeeds.length >= 2) {
    return { method: 'moderated-paired', pairedSeeds, baseline: pairedSeeds.map((s) => base.bySeed.get(s)!), treatment: pairedSeeds.map((s) => treat.bySeed.get(s)!) };
  }
  return { method: 'moderated-unpaired', pairedSeeds, baseline: [...base.bySeed.values()], treatment: [...treat.bySeed.values()] };
}

/** Every comparison, then the study-wide q-values, verdicts, summaries and plans. */
function compareAll(
  base: GroupRuns,
  comparable: GroupRuns[],
  classNames: string[],
  classTestCounts: number[],
  evidence: ImageEvidence | null,
  multiplicity: Multiplicity,
  plan: boolean,
): Comparison[] {
  const computed = comparable.map((treat) => {
    const { method, pairedSeeds, ...sides } = sidesOf(base, treat);
    const images = evidence && [...sides.baseline, ...sides.treatment].every((r) => r.predictions) ? evidence : null;
    return { treat, method, pairedSeeds, sides, evidence: (images ? 'images' : 'counts') as Evidence, statistics: comparisonStatistics(method, sides as Sides, classTestCounts, images) };
  });
  // One BH per family over the whole study, so that every q (and the summary's count) is on the same footing.
  const family = (model: boolean) => computed.flatMap((c, i) => ((c.method === 'model-vs-model') === model ? c.statistics.classes.flatMap((x, k) => (Number.isNaN(x.p) ? [] : [{ i, k, p: x.p }])) : []));
  const q = new Map<string, number>();
  for (const model of [false, true]) {
    const tests = family(model);
    benjaminiHochberg(tests.map((t) => t.p)).forEach((v, j) => q.set(`${tests[j]!.i} ${tests[j]!.k}`, v));
    if (model) multiplicity.modelTests = tests.length;
    else multiplicity.tests = tests.length;
  }
  const planned = Math.max(1, computed.reduce((n, c) => n + c.statistics.classes.filter((x) => !Number.isNaN(x.p)).length, 0));
  const alpha = planningAlpha(FDR, planned);
  return computed.map((c, i): Comparison => {
    const model = c.method === 'model-vs-model';
    const seeds = model ? 1 : c.sides.baseline.length;
    const classes = c.statistics.classes.map((x, k): ClassDelta => {
      const qk = q.get(`${i} ${k}`) ?? NaN;
      const sign = qk < FDR ? (x.delta.estimate < 0 ? -1 : x.delta.estimate > 0 ? 1 : 0) : 0;
      return {
        classIndex: k,
        className: classNames[k]!,
        testImages: classTestCounts[k]!,
        baseline: x.baseline,
        treatment: x.treatment,
        delta: x.delta,
        p: x.p,
        q: qk,
        verdict: model || sign === 0 ? null : sign < 0 ? 'hurt' : 'helped',
        modelDifference: !model || sign === 0 ? null : sign < 0 ? 'lower' : 'higher',
        se: x.se,
        df: x.df,
        seedSd: x.seedVariance === null ? null : Math.sqrt(x.seedVariance),
        discordant: x.discordant,
        plan: plan && x.noise ? planClass(x.noise, seeds, alpha) : null,
      };
    });
    const flagged = classes.filter((d) => d.verdict || d.modelDifference).length;
    if (model) multiplicity.modelFlagged += flagged;
    else multiplicity.flagged += flagged;
    const moderation = c.statistics.moderation;
    return {
      baseline: base.group,
      treatment: c.treat.group,
      method: c.method,
      evidence: c.evidence,
      baselineSeeds: c.sides.baseline.map((r) => r.seed),
      treatmentSeeds: c.sides.treatment.map((r) => r.seed),
      pairedSeeds: c.pairedSeeds,
      moderation: moderation && { priorDf: moderation.prior.df, priorScale: moderation.prior.scale, seedDf: moderation.seedDf },
      classes,
      summary: summarize(classes, c.statistics.meanDelta, model),
      confusionDelta: confusionDelta(c.sides.baseline, c.sides.treatment),
    };
  });
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summarize(classes: ClassDelta[], meanDelta: Interval, model: boolean): ComparisonSummary {
  const tested = classes.filter((c) => c.testImages > 0);
  const lowest = (side: 'baseline' | 'treatment') => tested.reduce((worst, c) => (c[side].estimate < worst[side].estimate ? c : worst), tested[0]!);
  const mostNegative = tested.reduce((m, c) => (c.delta.estimate < m.delta.estimate ? c : m), tested[0]!);
  const worstBaseline = lowest('baseline');
  const worstTreatment = lowest('treatment');
  const count = (pick: (c: ClassDelta) => boolean) => classes.filter(pick).length;
  return {
    meanDelta,
    baselineMeanAccuracy: mean(tested.map((c) => c.baseline.estimate)),
    treatmentMeanAccuracy: mean(tested.map((c) => c.treatment.estimate)),
    hurt: count((c) => c.verdict === 'hurt'),
    helped: count((c) => c.verdict === 'helped'),
    lower: count((c) => c.modelDifference === 'lower'),
    higher: count((c) => c.modelDifference === 'higher'),
    worstClass: {
      baseline: { className: worstBaseline.className, accuracy: worstBaseline.baseline.estimate },
      treatment: { className: worstTreatment.className, accuracy: worstTreatment.treatment.estimate },
    },
    mostHurt:
      mostNegative.delta.estimate < 0
        ? { className: mostNegative.className, before: mostNegative.baseline.estimate, after: mostNegative.treatment.estimate }
        : null,
    detectable: model ? null : median(classes.flatMap((c) => (c.plan?.detectable != null ? [c.plan.detectable] : []))),
  };
}

function meanConfusion(runs: RunOutcome[]): number[][] | null {
  const matrices = runs.flatMap((r) => (r.confusion ? [r.confusion] : []));
  if (matrices.length === 0) return null;
  return matrices[0]!.map((row, i) => row.map((_, j) => mean(matrices.map((m) => m[i]![j]!))));
}

function confusionDelta(baseline: RunOutcome[], treatment: RunOutcome[]): number[][] | null {
  const b = meanConfusion(baseline);
  const t = meanConfusion(treatment);
  if (!b || !t) return null;
  return t.map((row, i) => row.map((v, j) => v - b[i]![j]!));
}
