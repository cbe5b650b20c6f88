/**
 * The power and planning aid: for one class, with its test images and the
 * seed-to-seed spread measured so far, the smallest drop a study with S
 * seeds a side (paired) can detect, and how many seeds a given drop needs.
 *
 * The test it plans for is the analysis's own (src/stats/moderated-t.ts): the
 * delta's variance is σ²_seed/S + σ²_image/n, t with Satterthwaite's df from
 * the seed part's min(d₀ + S − 1, K(S − 1)) and the image part's n − 1. Power
 * is exact for that t (the noncentral t distribution), at the two-sided level
 * a class needs to be flagged when it is the study's only effect under
 * Benjamini–Hochberg: q = m·p < FDR, so α = FDR/m for m tests. With several
 * true effects BH flags at larger p, so these are conservative figures.
 */
import { noncentralTCdf, satterthwaite, studentTQuantile } from '../stats';

/** What the plan needs to know of a class. */
export interface ClassNoise {
  /** Test images of the class. */
  images: number;
  /** σ²_seed: the variance of one seed's paired delta (accuracy units²). */
  seedVariance: number;
  /** σ²_image/n: what sampling the test images adds to the delta's variance, whatever the seeds. */
  imageVariance: number;
  /** d₀, the prior df the moderation found (Infinity: fully pooled). */
  priorDf: number;
  /** Classes moderated together (K). */
  classes: number;
  /**
   * False when the seed-to-seed spread has not been measured (one seed a
   * side, or nothing run yet) and σ²_seed is only what the test images
   * force: the plan is then optimistic, a lower bound on the seeds needed.
   */
  measured: boolean;
}

export interface PlanOptions {
  /** The per-test two-sided level; default FDR / tests. */
  alpha: number;
  /** Default 0.8. */
  power?: number;
}

export const TARGET_POWER = 0.8;
/** The study's false-discovery rate (analysis.ts's FDR, restated here so that planning does not import the analysis). */
export const FDR_LEVEL = 0.05;
/** The most seeds a plan will suggest; beyond it a drop counts as out of reach. */
export const MAX_SEEDS = 50;
/** The drop every class's plan asks about: 10 points, the size of the effects the paper reports. */
export const PLANNED_DROP = 0.1;

function checkNoise(noise: ClassNoise): void {
  if (!(noise.images >= 1 && noise.seedVariance > 0 && noise.imageVariance >= 0 && noise.priorDf >= 0 && noise.classes >= 1)) {
    throw new RangeError(`a plan needs images >= 1, seedVariance > 0, imageVariance >= 0, priorDf >= 0 and classes >= 1, got ${JSON.stringify(noise)}`);
  }
}

function checkSeeds(seeds: number): void {
  if (!(Number.isInteger(seeds) && seeds >= 2)) throw new RangeError(`a regularizer's effect needs whole seeds >= 2 a side, got ${seeds}`);
}

/** The delta's standard error and df with `seeds` paired seeds a side. */
function design(noise: ClassNoise, seeds: number): { se: number; df: number } {
  const seedPart = noise.seedVariance / seeds;
  const seedDf = Math.min(noise.priorDf + seeds - 1, noise.classes * (seeds - 1));
  const df = satterthwaite([
    { variance: seedPart, df: seedDf },
    { variance: noise.imageVariance, df: Math.max(1, noise.images - 1) },
  ]);
  return { se: Math.sqrt(seedPart + noise.imageVariance), df };
}

/** The probability that |T| exceeds `critical` for T ~ noncentral t(df, shift). */
function tailsBeyond(critical: number, df: number, shift: number): number {
  return 1 - noncentralTCdf(critical, df, shift) + noncentralTCdf(-critical, df, shift);
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

/** The probability that a class whose accuracy truly moves by `drop` (either sign) is flagged at two-sided level alpha. */
export function powerOf(noise: ClassNoise, drop: number, seeds: number, alpha: number): number {
  checkNoise(noise);
  checkSeeds(seeds);
  checkAlpha(alpha);
  const { se, df } = design(noise, seeds);
  return tailsBeyond(studentTQuantile(1 - alpha / 2, df), df, Math.abs(drop) / se);
}

/**
 * The noncentrality at which the test reaches `target` power, by the
 * Illinois variant of regula falsi on [0, critical + 10] (power rises with
 * the noncentrality), to 1e-9.
 */
function shiftFor(critical: number, df: number, target: number): number {
  let lo = 0;
  let hi = critical + 10;
  let flo = tailsBeyond(critical, df, lo) - target;
  let fhi = tailsBeyond(critical, df, hi) - target;
  let side = 0;
  for (let i = 0; i < 100 && hi - lo > 1e-9; i++) {
    const x = hi - (fhi * (hi - lo)) / (fhi - flo);
    const fx = tailsBeyond(critical, df, x) - target;
    if (fx === 0) return x;
    if (fx < 0) {
      lo = x;
      flo = fx;
      if (side === -1) fhi /= 2;
      side = -1;
    } else {
      hi = x;
      fhi = fx;
      if (side === 1) flo /= 2;
      side = 1;
    }
  }
  return (lo + hi) / 2;
}

/** The smallest drop (accuracy units) detected with the target power; null when even a drop of the whole accuracy (1) is not. */
export function smallestDetectable(noise: ClassNoise, seeds: number, options: PlanOptions): number | null {
  checkNoise(noise);
  checkSeeds(seeds);
  checkAlpha(options.alpha);
  const { se, df } = design(noise, seeds);
  const drop = shiftFor(studentTQuantile(1 - options.alpha / 2, df), df, options.power ?? TARGET_POWER) * se;
  return drop <= 1 ? drop : null;
}

/** The fewest seeds a side (paired, at least 2) that detect `drop` with the target power, by bisection (power rises with the seeds); null beyond MAX_SEEDS. */
export function seedsNeeded(noise: ClassNoise, drop: number, options: PlanOptions): number | null {
  const target = options.power ?? TARGET_POWER;
  const enough = (seeds: number) => powerOf(noise, drop, seeds, options.alpha) >= target;
  if (!enough(MAX_SEEDS)) return null;
  let lo = 1;
  let hi = MAX_SEEDS;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (mid >= 2 && enough(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The level α = FDR/m a class needs under BH when it is the only effect among m tests. */
export function planningAlpha(fdr: number, tests: number): number {
  if (!(fdr > 0 && fdr < 1 && tests >= 1)) throw new RangeError(`planning needs an FDR in (0, 1) and tests >= 1, got ${fdr}, ${tests}`);
  return fdr / tests;
}

/**
 * The noise to plan with before anything has run: two models of accuracy
 * `accuracy` on a class of `images` test images that disagree as if at random
 * (each image right with that probability, independently), and no
 * seed-to-seed class effect beyond it. Real models agree more on easy images
 * and less through seed effects, so measure and plan again after a few runs.
 */
export function assumedNoise(images: number, classes: number, accuracy = 0.8): ClassNoise {
  if (!(images >= 1 && accuracy > 0 && accuracy < 1)) throw new RangeError(`assumed noise needs images >= 1 and an accuracy in (0, 1), got ${images}, ${accuracy}`);
  return { images, seedVariance: (2 * accuracy * (1 - accuracy)) / images, imageVariance: 0, priorDf: Infinity, classes, measured: false };
}

export interface ClassPlan {
  /** With the comparison's seeds (null: fewer than 2 a side, or no drop up to 100 points). */
  detectable: number | null;
  /** Seeds a side that would detect a drop of PLANNED_DROP (null: more than MAX_SEEDS). */
  seedsForPlannedDrop: number | null;
  /** See ClassNoise.measured. */
  measured: boolean;
}

export function planClass(noise: ClassNoise, seeds: number, alpha: number): ClassPlan {
  return {
    detectable: seeds >= 2 ? smallestDetectable(noise, seeds, { alpha }) : null,
    seedsForPlannedDrop: seedsNeeded(noise, PLANNED_DROP, { alpha }),
    measured: noise.measured,
  };
}

/** The designer's plan for a study before it runs: what its seeds can detect on a typical class. */
export interface DesignPlan {
  classes: number;
  /** Test images of an average class. */
  imagesPerClass: number;
  seeds: number;
  /** (treatment, class) tests the study's false-discovery control will spread over. */
  tests: number;
  /** The smallest drop detected with the target power on an average class at the design's seeds; null with one seed, or none up to 100 points. */
  detectable: number | null;
  /** Seeds a side that would detect PLANNED_DROP; null beyond MAX_SEEDS. */
  seedsForPlannedDrop: number | null;
  /** The accuracy assumed for the noise (see assumedNoise). */
  assumedAccuracy: number;
}

/** The accuracy the designer assumes before anything has run. */
export const ASSUMED_ACCURACY = 0.8;

/**
 * `treatments` regularized configs against the baseline, each tested on
 * `classes` classes of `testImages` test images in all, with `seeds` seeds
 * a side, before any result: from assumedNoise.
 */
export function designPlan(classes: number, testImages: number, treatments: number, seeds: number): DesignPlan | null {
  if (classes < 2 || testImages < classes || treatments < 1 || seeds < 1) return null;
  const imagesPerClass = testImages / classes;
  const tests = classes * treatments;
  const noise = assumedNoise(imagesPerClass, classes, ASSUMED_ACCURACY);
  const alpha = planningAlpha(FDR_LEVEL, tests);
  return {
    classes,
    imagesPerClass,
    seeds,
    tests,
    detectable: seeds >= 2 ? smallestDetectable(noise, seeds, { alpha }) : null,
    seedsForPlannedDrop: seedsNeeded(noise, PLANNED_DROP, { alpha }),
    assumedAccuracy: ASSUMED_ACCURACY,
  };
}
