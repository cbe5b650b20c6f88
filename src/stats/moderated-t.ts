/**
 * A moderated t test for many parallel estimates (the classes of one
 * comparison), each the mean over seeds of a quantity measured on shared
 * test images. Its variance has two parts:
 *
 * - the seed part, φ·σ²ₖ, where σ²ₖ is the variance of one seed's value and
 *   φ turns it into the estimate's (1/S when paired, 1/S_t + 1/S_b when not);
 * - the image part, ιₖ: what sampling the class's test images adds, which no
 *   number of seeds removes.
 *
 * σ²ₖ can never be smaller than what one seed's test images force, the floor
 * fₖ (the per-image, Bernoulli-level spread), so it is written σ²ₖ = λₖ·fₖ
 * with λₖ ≥ 1, and it is λₖ, the spread relative to the floor, that borrows
 * strength across classes: the ratios uₖ = s²ₖ/fₖ (df each) are moderated by
 * limma's squeezeVar, and λ̂ₖ = max(1, posterior). Dividing by the floor first
 * takes out the part of the classes' differences in spread that the test
 * images already explain (a class at 98% accuracy moves less than one at
 * 60%), so the prior describes what is left, and no class's variance is
 * shrunk below its floor.
 *
 * Counts are integers: a sample variance of exactly 0 (every seed's value
 * equal) is raised to the smallest non-zero one the counts allow, the
 * resolution rₖ, and so is the floor. A one-image change in one seed then
 * moves uₖ from rₖ/fₖ to rₖ/fₖ, not from 0 to something: no cliff.
 *
 * t = estimate / √(φ λ̂ₖ fₖ + ιₖ), with Satterthwaite's df from the seed part's
 * d₀ + df (capped, as limma caps it, at the pooled df) and the image part's.
 */
import { satterthwaite } from './crossed';
import { studentTQuantile, studentTTwoSided } from './distributions';
import { squeezeVariances, type VariancePrior } from './moderation';

export interface ModeratedInput {
  estimate: number;
  /** s²ₖ, the sample variance of the per-seed values (df: the common `df` of the call). */
  seedVariance: number;
  /** fₖ, the least variance one seed's value can have given its test images. */
  floor: number;
  /** rₖ, the smallest non-zero sample variance the counts allow. */
  resolution: number;
  /** φ: the estimate's seed variance is φ·σ²ₖ. */
  seedFactor: number;
  /** ιₖ, with its degrees of freedom. */
  imageVariance: number;
  imageDf: number;
}

export interface ModeratedTest {
  estimate: number;
  low: number;
  high: number;
  p: number;
  /** The estimate's standard error. */
  se: number;
  df: number;
  /** λ̂ₖ·fₖ: the moderated variance of one seed's value. */
  seedVariance: number;
  /** λ̂ₖ, the moderated spread relative to the floor (1: no more than the test images force). */
  ratio: number;
}

export interface ModeratedTests {
  /** The prior of the ratios uₖ: scale and d₀. */
  prior: VariancePrior;
  /** The seed part's degrees of freedom, min(d₀ + df, pooled df). */
  seedDf: number;
  tests: ModeratedTest[];
}

/** Moderated t tests of every input (estimates of one comparison), each at `level`. */
export function moderatedTests(inputs: readonly ModeratedInput[], df: number, level = 0.95): ModeratedTests {
  if (!(level > 0 && level < 1)) throw new RangeError(`a confidence level must be in (0, 1), got ${level}`);
  if (inputs.length === 0) throw new RangeError('no estimates to test');
  for (const x of inputs) {
    for (const [name, value] of Object.entries(x)) {
      if (!Number.isFinite(value)) throw new RangeError(`${name} must be finite, got ${value}`);
    }
    if (!(x.resolution > 0 && x.seedFactor > 0 && x.imageDf > 0 && x.floor >= 0 && x.seedVariance >= 0 && x.imageVariance >= 0)) {
      throw new RangeError(`a moderated test needs resolution, seedFactor, imageDf > 0 and non-negative variances, got ${JSON.stringify(x)}`);
    }
  }
  const floors = inputs.map((x) => Math.max(x.floor, x.resolution));
  const ratios = inputs.map((x, k) => Math.max(x.seedVariance, x.resolution) / floors[k]!);
  const { prior, posterior } = squeezeVariances(ratios, df);
  const seedDf = Math.min(prior.df + df, df * inputs.length);
  const upper = 1 - (1 - level) / 2;
  const tests = inputs.map((x, k): ModeratedTest => {
    const ratio = Math.max(1, posterior[k]!);
    const seedVariance = ratio * floors[k]!;
    const seedPart = x.seedFactor * seedVariance;
    const variance = seedPart + x.imageVariance;
    const se = Math.sqrt(variance);
    const dfk = satterthwaite([
      { variance: seedPart, df: seedDf },
      { variance: x.imageVariance, df: x.imageDf },
    ]);
    const half = studentTQuantile(upper, dfk) * se;
    return {
      estimate: x.estimate,
      low: x.estimate - half,
      high: x.estimate + half,
      p: studentTTwoSided(x.estimate / se, dfk),
      se,
      df: dfk,
      seedVariance,
      ratio,
    };
  });
  return { prior, seedDf, tests };
}
