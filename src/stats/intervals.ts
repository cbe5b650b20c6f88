/**
 * Binomial intervals and tests, and Benjamini–Hochberg q-values: Wilson's
 * interval for one proportion, Newcombe's for the difference of two (with the
 * pooled z test), for when only counts are known.
 *
 * Degenerate cases, chosen once here so that every caller behaves alike:
 * - A proportion out of 0 trials: estimate NaN, the vacuous interval [0, 1]
 *   (a difference: [−1, 1], p = 1).
 * - Proportions at 0 or 1: the Wilson interval stays inside [0, 1] with its
 *   closed end exactly at 0 or 1; two proportions both at 0 (or both at 1)
 *   have p = 1, since the pooled z statistic is 0/0 with nothing to tell apart.
 */
import { normalQuantile } from './distributions';
import { erfc } from './special';

export interface IntervalEstimate {
  estimate: number;
  low: number;
  high: number;
}

export interface BinomialCount {
  correct: number;
  total: number;
}

/** ± the two-sided critical value for a confidence level (0.95 → 1.96 for the normal). */
function checkLevel(level: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`a confidence level must be in (0, 1), got ${level}`);
  return 1 - (1 - level) / 2;
}

function checkCount({ correct, total }: BinomialCount): void {
  if (!(Number.isInteger(correct) && Number.isInteger(total) && correct >= 0 && correct <= total)) {
    throw new RangeError(`a count must be integers with 0 <= correct <= total, got ${correct}/${total}`);
  }
}

/** Wilson's score interval for correct/total: well behaved at 0 and 1 and for small totals, unlike the Wald interval. */
export function wilsonInterval(correct: number, total: number, level = 0.95): IntervalEstimate {
  const z = normalQuantile(checkLevel(level));
  checkCount({ correct, total });
  if (total === 0) return { estimate: NaN, low: 0, high: 1 };
  const p = correct / total;
  const z2n = (z * z) / total;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / total + z2n / (4 * total));
  return {
    estimate: p,
    low: correct === 0 ? 0 : Math.max(0, center - half),
    high: correct === total ? 1 : Math.min(1, center + half),
  };
}

/**
 * treatment − baseline proportion: Newcombe's hybrid score interval (his
 * method 10, built from the two Wilson intervals; good coverage down to small
 * counts and at 0 or 1) and the p-value of the pooled two-proportion z test.
 * The two are not exact inverses of each other, so at the margin the interval
 * may just exclude 0 while p is just above 1 − level, or the reverse.
 */
export function proportionDifference(baseline: BinomialCount, treatment: BinomialCount, level = 0.95): IntervalEstimate & { p: number } {
  checkCount(baseline);
  checkCount(treatment);
  if (baseline.total === 0 || treatment.total === 0) return { estimate: NaN, low: -1, high: 1, p: 1 };
  const b = wilsonInterval(baseline.correct, baseline.total, level);
  const t = wilsonInterval(treatment.correct, treatment.total, level);
  const estimate = t.estimate - b.estimate;
  const low = estimate - Math.hypot(t.estimate - t.low, b.high - b.estimate);
  const high = estimate + Math.hypot(t.high - t.estimate, b.estimate - b.low);
  const pooled = (baseline.correct + treatment.correct) / (baseline.total + treatment.total);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / baseline.total + 1 / treatment.total));
  let p: number;
  if (se === 0 || estimate === 0) p = 1;
  else {
    const z = Math.abs(estimate) / se;
    p = erfc(z / Math.SQRT2, (z * z) / 2);
  }
  return { estimate, low: Math.max(-1, low), high: Math.min(1, high), p };
}

/**
 * Benjamini–Hochberg q-values, in the order of `pValues`: q_(i) =
 * min over j ≥ i of m·p_(j)/j, capped at 1 (so monotone in p). Equal to
 * scipy.stats.false_discovery_control(p, method='bh').
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  for (const p of pValues) if (!(p >= 0 && p <= 1)) throw new RangeError(`p-values must be in [0, 1], got ${p}`);
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const q = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const { p, i } = order[rank - 1]!;
    running = Math.min(running, p * (m / rank));
    q[i] = running;
  }
  return q;
}
