/**
 * Two trained models compared on the same n test images: McNemar's exact
 * test and its matching interval. Only the discordant images (b: right only
 * under the treatment, c: right only under the baseline) carry information;
 * given m = b + c, b ~ Binomial(m, θ) and the difference in accuracy is
 * (b − c)/n = (m/n)(2θ − 1).
 *
 * - p: the exact conditional test of θ = ½, two-sided as twice the smaller
 *   tail (statsmodels' mcnemar(exact=True)).
 * - The interval: Clopper–Pearson's exact interval for θ, mapped through
 *   (m/n)(2θ − 1). It excludes 0 exactly when p < 1 − level, so the two never
 *   disagree. With no discordant image it is [0, 0]: the models agree on
 *   every image of the class, which is all this test can say.
 */
import { betaQuantile, binomialTails } from './distributions';
import type { IntervalEstimate } from './intervals';

export interface McNemarTest extends IntervalEstimate {
  p: number;
  /** The discordant images. */
  discordant: number;
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`a confidence level must be in (0, 1), got ${level}`);
}

/** Clopper–Pearson: the exact binomial interval for k successes out of m. */
export function clopperPearson(k: number, m: number, level = 0.95): { low: number; high: number } {
  checkLevel(level);
  if (!(Number.isInteger(k) && Number.isInteger(m) && k >= 0 && k <= m)) throw new RangeError(`a count must be integers with 0 <= k <= m, got ${k}/${m}`);
  if (m === 0) return { low: 0, high: 1 };
  const alpha = 1 - level;
  return {
    low: k === 0 ? 0 : betaQuantile(alpha / 2, k, m - k + 1),
    high: k === m ? 1 : betaQuantile(1 - alpha / 2, k + 1, m - k),
  };
}

/** McNemar's exact test of treatment against baseline on n shared images, b of them right only under the treatment, c only under the baseline. */
export function mcnemarExact(b: number, c: number, n: number, level = 0.95): McNemarTest {
  checkLevel(level);
  if (!(Number.isInteger(b) && Number.isInteger(c) && Number.isInteger(n) && b >= 0 && c >= 0 && b + c <= n && n > 0)) {
    throw new RangeError(`McNemar needs whole discordant counts b, c >= 0 with b + c <= n and n > 0, got ${b}, ${c} of ${n}`);
  }
  const m = b + c;
  const estimate = (b - c) / n;
  if (m === 0) return { estimate: 0, low: 0, high: 0, p: 1, discordant: 0 };
  const smaller = Math.min(b, c);
  const p = Math.min(1, 2 * binomialTails(smaller, m, 0.5).lower);
  const theta = clopperPearson(b, m, level);
  return { estimate, low: (m / n) * (2 * theta.low - 1), high: (m / n) * (2 * theta.high - 1), p, discordant: m };
}
