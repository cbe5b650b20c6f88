/**
 * The statistics of one comparison (a treatment config against the
 * baseline), class by class, before the study-wide false-discovery control:
 *
 * - moderated-paired (≥ 2 seeds in common): the mean over seeds of each
 *   seed's paired delta, tested by the moderated t of src/stats/moderated-t.ts,
 *   its variance from the seeds × images design (floor: the residual
 *   per-image spread; image part: what the test images' sampling adds);
 * - moderated-unpaired (≥ 2 seeds a side, fewer than 2 in common): the same
 *   with the difference of the two sides' means and their pooled seed spread;
 * - model-vs-model (one seed on a side): McNemar's exact test of one trained
 *   model against the other on the shared images. It says whether these two
 *   models differ, never whether the regularizer does.
 *
 * 'images' evidence needs every run's predictions and the test labels;
 * without them ('counts') the floor is the binomial spread of the two
 * accuracies, as if the two models erred independently (an upper bound when
 * they err on the same images more often, as they do), and the image part is
 * unknown and left out.
 */
import {
  mcnemarExact,
  meanSquares,
  moderatedTests,
  proportionDifference,
  satterthwaite,
  studentTQuantile,
  wilsonInterval,
  type CrossedTable,
  type ModeratedInput,
  type VariancePrior,
} from '../stats';
import { columnMeans, discordance, pairedTable, sideTable, type ImageEvidence, type RunCounts } from './class-evidence';
import type { ClassNoise } from './planning';

export const CONFIDENCE = 0.95;

export type ComparisonMethod = 'moderated-paired' | 'moderated-unpaired' | 'model-vs-model';
export type Evidence = 'images' | 'counts';

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface ClassAccuracy extends Interval {
  /** Seeds behind the estimate. */
  seeds: number;
}

/** One class of one comparison, before q-values. */
export interface ClassStatistics {
  baseline: ClassAccuracy;
  treatment: ClassAccuracy;
  /** treatment − baseline, with its 95% interval, cut to [−1, 1]. */
  delta: Interval;
  p: number;
  se: number;
  df: number;
  /** The moderated variance of one seed's value (a paired delta, or one side's accuracy when unpaired); null model vs model. */
  seedVariance: number | null;
  /** Model vs model with images: the images the two models classify differently (either way). */
  discordant: number | null;
  /** For the planning aid; null for a class without test images. */
  noise: ClassNoise | null;
}

export interface ComparisonStatistics {
  classes: ClassStatistics[];
  meanDelta: Interval;
  /** The moderation's prior and the seed part's df; null model vs model. */
  moderation: { prior: VariancePrior; seedDf: number } | null;
}

export interface Sides {
  baseline: RunCounts[];
  treatment: RunCounts[];
}

const upper = 1 - (1 - CONFIDENCE) / 2;

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function sampleVariance(values: readonly number[]): number {
  const m = mean(values);
  return values.reduce((a, v) => a + (v - m) * (v - m), 0) / (values.length - 1);
}

const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function tInterval(estimate: number, variance: number, df: number, lo: number, hi: number): Interval {
  const half = studentTQuantile(upper, df) * Math.sqrt(variance);
  return { estimate, low: clip(estimate - half, lo, hi), high: clip(estimate + half, lo, hi) };
}

const EMPTY_ACCURACY = (seeds: number): ClassAccuracy => ({ estimate: NaN, low: 0, high: 1, seeds });

/**
 * A side's accuracy on a class: its mean over seeds, the interval from the
 * seeds × images design (seed spread over S, never below the per-image
 * floor, plus the images' sampling); Wilson for one seed, and whenever the
 * design shows no spread at all (every image right on every seed), since n
 * images never prove 100%.
 */
export function classAccuracy(runs: readonly RunCounts[], k: number, evidence: ImageEvidence | null): ClassAccuracy {
  const S = runs.length;
  const n = runs[0]!.perClass[k]!.total;
  if (n === 0) return EMPTY_ACCURACY(S);
  const table = sideTable(runs, k, evidence);
  const correct = table.rowSums.reduce((a, b) => a + b, 0);
  const estimate = correct / (n * S);
  if (S === 1) return { ...wilsonInterval(correct, n, CONFIDENCE), seeds: 1 };
  const seedSpread = sampleVariance(table.rowSums.map((r) => r / n));
  let seedPart: number;
  let imagePart: number;
  const ms = evidence && n > 1 ? meanSquares(table) : null;
  if (ms) {
    seedPart = Math.max(seedSpread, ms.residual / n) / S;
    imagePart = Math.max(0, ms.image - ms.residual) / (n * S);
  } else {
    seedPart = seedSpread / S;
    imagePart = (estimate * (1 - estimate)) / n;
  }
  if (seedPart + imagePart === 0) return { ...wilsonInterval(Math.round(estimate * n), n, CONFIDENCE), estimate, seeds: S };
  const df = satterthwaite([
    { variance: seedPart, df: S - 1 },
    { variance: imagePart, df: Math.max(1, n - 1) },
  ]);
  return { ...tInterval(estimate, seedPart + imagePart, df, 0, 1), seeds: S };
}

/** The binomial bound of one seed's delta when only counts are known: the two sides' spreads added, as if independent. */
function countsFloor(pBaseline: number, pTreatment: number, n: number): number {
  return (pBaseline * (1 - pBaseline) + pTreatment * (1 - pTreatment)) / n;
}

interface ModeratedClass {
  input: ModeratedInput;
  /** One paired seed's delta variance, for planning, from the moderated one-seed variance. */
  pairedFactor: number;
}

/** The moderated inputs of a class, paired seed by seed. */
function pairedInput(sides: Sides, k: number, evidence: ImageEvidence | null): ModeratedClass {
  const S = sides.baseline.length;
  const table: CrossedTable = pairedTable(sides.baseline, sides.treatment, k, evidence);
  const n = table.images;
  const deltas = table.rowSums.map((r) => r / n);
  const estimate = mean(deltas);
  const seedVariance = sampleVariance(deltas);
  let floor: number;
  let imageVariance = 0;
  if (evidence && n > 1) {
    const ms = meanSquares(table);
    floor = ms.residual / n;
    imageVariance = Math.max(0, ms.image - ms.residual) / (n * S);
  } else {
    floor = countsFloor(mean(sides.baseline.map((r) => r.perClass[k]!.correct / n)), mean(sides.treatment.map((r) => r.perClass[k]!.correct / n)), n);
  }
  return {
    input: { estimate, seedVariance, floor, resolution: 1 / (S * n * n), seedFactor: 1 / S, imageVariance, imageDf: Math.max(1, n - 1) },
    pairedFactor: 1,
  };
}

/** The moderated inputs of a class, the two sides' seeds unmatched. */
function unpairedInput(sides: Sides, k: number, evidence: ImageEvidence | null): ModeratedClass {
  const St = sides.treatment.length;
  const Sb = sides.baseline.length;
  const n = sides.baseline[0]!.perClass[k]!.total;
  const accuracies = (runs: RunCounts[]) => runs.map((r) => r.perClass[k]!.correct / n);
  const at = accuracies(sides.treatment);
  const ab = accuracies(sides.baseline);
  const pooledDf = St + Sb - 2;
  const seedVariance = ((St - 1) * sampleVariance(at) + (Sb - 1) * sampleVariance(ab)) / pooledDf;
  let floor: number;
  let imageVariance = 0;
  if (evidence && n > 1) {
    const mt = meanSquares(sideTable(sides.treatment, k, evidence));
    const mb = meanSquares(sideTable(sides.baseline, k, evidence));
    floor = ((St - 1) * mt.residual + (Sb - 1) * mb.residual) / pooledDf / n;
    const ct = columnMeans(sides.treatment, k, evidence);
    const cb = columnMeans(sides.baseline, k, evidence);
    const differences = Array.from(ct, (v, i) => v - cb[i]!);
    imageVariance = Math.max(0, sampleVariance(differences) - mt.residual / St - mb.residual / Sb) / n;
  } else {
    floor = countsFloor(mean(ab), mean(at), n) / 2;
  }
  // The smallest non-zero pooled variance: one seed of the side with fewer seeds one image off.
  const fewest = Math.min(St, Sb);
  return {
    input: {
      estimate: mean(at) - mean(ab),
      seedVariance,
      floor,
      resolution: (fewest - 1) / fewest / (n * n * pooledDf),
      seedFactor: 1 / St + 1 / Sb,
      imageVariance,
      imageDf: Math.max(1, n - 1),
    },
    // A paired delta of two independent runs has twice one run's variance.
    pairedFactor: 2,
  };
}

function moderatedComparison(method: 'moderated-paired' | 'moderated-unpaired', sides: Sides, testCounts: readonly number[], evidence: ImageEvidence | null): ComparisonStatistics {
  const tested = testCounts.flatMap((n, k) => (n > 0 ? [k] : []));
  const classes = tested.map((k) => (method === 'moderated-paired' ? pairedInput(sides, k, evidence) : unpairedInput(sides, k, evidence)));
  const df = method === 'moderated-paired' ? sides.baseline.length - 1 : sides.baseline.length + sides.treatment.length - 2;
  const { prior, seedDf, tests } = moderatedTests(
    classes.map((c) => c.input),
    df,
    CONFIDENCE,
  );
  const out: ClassStatistics[] = testCounts.map((_, k) => ({
    baseline: classAccuracy(sides.baseline, k, evidence),
    treatment: classAccuracy(sides.treatment, k, evidence),
    delta: { estimate: NaN, low: -1, high: 1 },
    p: NaN,
    se: NaN,
    df: NaN,
    seedVariance: null,
    discordant: null,
    noise: null,
  }));
  tested.forEach((k, j) => {
    const test = tests[j]!;
    const c = classes[j]!;
    Object.assign(out[k]!, {
      delta: { estimate: test.estimate, low: clip(test.low, -1, 1), high: clip(test.high, -1, 1) },
      p: test.p,
      se: test.se,
      df: test.df,
      seedVariance: test.seedVariance,
      noise: {
        images: testCounts[k]!,
        seedVariance: c.pairedFactor * test.seedVariance,
        imageVariance: c.input.imageVariance,
        priorDf: prior.df,
        classes: tested.length,
        measured: true,
      },
    });
  });
  return { classes: out, meanDelta: moderatedMeanDelta(method, sides, tested, classes.map((c) => c.input)), moderation: { prior, seedDf } };
}

/** The class-averaged accuracy of each run over the tested classes. */
function classAveraged(runs: readonly RunCounts[], tested: readonly number[]): number[] {
  return runs.map((r) => mean(tested.map((k) => r.perClass[k]!.correct / r.perClass[k]!.total)));
}

/**
 * The mean delta over classes, from the same design: each seed's
 * class-averaged value carries the seed part (its spread over the seeds,
 * never below the classes' floors averaged), and the classes' image parts
 * add, since the classes' test images are disjoint.
 */
function moderatedMeanDelta(
  method: 'moderated-paired' | 'moderated-unpaired',
  sides: Sides,
  tested: readonly number[],
  inputs: readonly ModeratedInput[],
): Interval {
  const K = tested.length;
  const floor = inputs.reduce((a, x) => a + Math.max(x.floor, x.resolution), 0) / (K * K);
  const imageParts = inputs.map((x) => ({ variance: x.imageVariance / (K * K), df: x.imageDf }));
  const imageVariance = imageParts.reduce((a, x) => a + x.variance, 0);
  const b = classAveraged(sides.baseline, tested);
  const t = classAveraged(sides.treatment, tested);
  let estimate: number;
  let seedPart: number;
  let seedDf: number;
  if (method === 'moderated-paired') {
    const deltas = t.map((v, i) => v - b[i]!);
    estimate = mean(deltas);
    seedPart = Math.max(sampleVariance(deltas), floor) / deltas.length;
    seedDf = deltas.length - 1;
  } else {
    seedDf = t.length + b.length - 2;
    const pooled = ((t.length - 1) * sampleVariance(t) + (b.length - 1) * sampleVariance(b)) / seedDf;
    estimate = mean(t) - mean(b);
    seedPart = Math.max(pooled, floor) * (1 / t.length + 1 / b.length);
  }
  const df = satterthwaite([{ variance: seedPart, df: seedDf }, ...imageParts]);
  return tInterval(estimate, seedPart + imageVariance, df, -1, 1);
}

/** The pair a model-vs-model comparison uses: a seed both sides ran (the lowest), else each side's lowest seed. */
export function modelPair(baselineSeeds: readonly number[], treatmentSeeds: readonly number[]): { baseline: number; treatment: number } {
  const shared = baselineSeeds.filter((s) => treatmentSeeds.includes(s));
  if (shared.length) return { baseline: shared[0]!, treatment: shared[0]! };
  return { baseline: baselineSeeds[0]!, treatment: treatmentSeeds[0]! };
}

/** One run against one run: McNemar's exact test on the discordant images, or, from counts alone, Newcombe's interval and the two-proportion z test. */
function modelComparison(baseline: RunCounts, treatment: RunCounts, testCounts: readonly number[], evidence: ImageEvidence | null): ComparisonStatistics {
  const K = testCounts.filter((n) => n > 0).length;
  let meanEstimate = 0;
  const meanParts: { variance: number; df: number }[] = [];
  const classes = testCounts.map((n, k): ClassStatistics => {
    const accuracy = (r: RunCounts) => classAccuracy([r], k, evidence);
    const out: ClassStatistics = {
      baseline: accuracy(baseline),
      treatment: accuracy(treatment),
      delta: { estimate: NaN, low: -1, high: 1 },
      p: NaN,
      se: NaN,
      df: Infinity,
      seedVariance: null,
      discordant: null,
      noise: null,
    };
    if (n === 0) return out;
    const pb = baseline.perClass[k]!.correct / n;
    const pt = treatment.perClass[k]!.correct / n;
    // One seed's delta varies at least this much: the per-image spread, here with the image sampling folded in.
    let perSeed: number;
    if (evidence) {
      const { b, c } = discordance(baseline, treatment, k, evidence);
      const test = mcnemarExact(b, c, n, CONFIDENCE);
      perSeed = ((b + c) / n - ((b - c) / n) ** 2) / n;
      Object.assign(out, { delta: { estimate: test.estimate, low: test.low, high: test.high }, p: test.p, se: Math.sqrt(perSeed), discordant: test.discordant });
    } else {
      const test = proportionDifference({ correct: baseline.perClass[k]!.correct, total: n }, { correct: treatment.perClass[k]!.correct, total: n }, CONFIDENCE);
      perSeed = countsFloor(pb, pt, n);
      Object.assign(out, { delta: { estimate: test.estimate, low: test.low, high: test.high }, p: test.p, se: Math.sqrt(perSeed) });
    }
    meanEstimate += out.delta.estimate / K;
    meanParts.push({ variance: perSeed / (K * K), df: Math.max(1, n - 1) });
    out.noise = { images: n, seedVariance: Math.max(perSeed, 1 / (n * n)), imageVariance: 0, priorDf: Infinity, classes: K, measured: false };
    return out;
  });
  const variance = meanParts.reduce((a, x) => a + x.variance, 0);
  const meanDelta = variance > 0 ? tInterval(meanEstimate, variance, satterthwaite(meanParts), -1, 1) : { estimate: meanEstimate, low: meanEstimate, high: meanEstimate };
  return { classes, meanDelta, moderation: null };
}

/** The statistics of one comparison by its method; `sides` hold the runs behind it (paired: seed by seed, in the same order). */
export function comparisonStatistics(method: ComparisonMethod, sides: Sides, testCounts: readonly number[], evidence: ImageEvidence | null): ComparisonStatistics {
  if (method === 'model-vs-model') return modelComparison(sides.baseline[0]!, sides.treatment[0]!, testCounts, evidence);
  return moderatedComparison(method, sides, testCounts, evidence);
}
