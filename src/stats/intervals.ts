/**
 * Intervals and tests for accuracies: a mean over seeds, the difference of
 * two configs' means (paired by seed or Welch), one binomial proportion and
 * the difference of two, and Benjamini–Hochberg q-values.
 *
 * Degenerate cases, chosen once here so that every caller behaves alike:
 * - Fewer than 2 values for a t interval: refused (RangeError). A t interval
 *   has no spread to estimate from one value; the caller should use the
 *   binomial intervals, which take the noise from the test count instead.
 * - Zero spread (every value equal, compared exactly): the t statistic's
 *   limit. A mean's interval is [m, m]; a difference of 0 has p = 1 and the
 *   interval [0, 0]; a constant non-zero difference has p = 0 and the
 *   interval [d, d] (|t| → ∞). Nothing is divided by zero. Exact comparison
 *   is deliberate: accuracies computed as correct/total from equal counts are
 *   bit-identical, and a tolerance would hide real small spreads.
 * - A proportion out of 0 trials: estimate NaN, the vacuous interval [0, 1]
 *   (a difference: [−1, 1], p = 1).
 * - Proportions at 0 or 1: the Wilson interval stays inside [0, 1] with its
 *   closed end exactly at 0 or 1; two proportions both at 0 (or both at 1)
 *   have p = 1, since the pooled z statistic is 0/0 with nothing to tell apart.
 */
import { normalQuantile, studentTQuantile, studentTTwoSided } from './distributions';
import { erfc } from './special';

export interface IntervalEstimate {
  estimate: number;
  low: number;
  high: number;
}

export interface MeanInterval extends IntervalEstimate {
  n: number;
  /** Sample standard deviation (n − 1 denominator). */
  sd: number;
}

/** A difference (treatment − baseline) with its interval and two-sided p-value. */
export interface DifferenceTest extends IntervalEstimate {
  p: number;
  /** The t statistic's degrees of freedom (Welch–Satterthwaite for Welch); NaN when the spread is zero on both sides. */
  df: number;
  /** Standard error of the difference. */
  se: number;
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

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function allEqual(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}

/** Sample variance (n − 1), exactly 0 when every value is equal. */
function variance(values: readonly number[], m: number): number {
  if (allEqual(values)) return 0;
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return ss / (values.length - 1);
}

function checkFinite(values: readonly number[], what: string): void {
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`${what} must be finite numbers, got ${v}`);
}

function needTwo(values: readonly number[], what: string): void {
  if (values.length < 2) {
    throw new RangeError(`a t interval needs at least 2 ${what}, got ${values.length}; with one, use the binomial interval`);
  }
}

/** The t interval for the mean of `values` (at least 2). */
export function meanInterval(values: readonly number[], level = 0.95): MeanInterval {
  const upper = checkLevel(level);
  needTwo(values, 'values');
  checkFinite(values, 'values');
  const n = values.length;
  const m = allEqual(values) ? values[0]! : mean(values);
  const sd = Math.sqrt(variance(values, m));
  const half = sd === 0 ? 0 : (studentTQuantile(upper, n - 1) * sd) / Math.sqrt(n);
  return { estimate: m, low: m - half, high: m + half, n, sd };
}

/** A t test from an estimate, its standard error and df; the zero-spread limit when se is 0. */
function tTest(estimate: number, se: number, df: number, upper: number): DifferenceTest {
  if (se === 0) return { estimate, low: estimate, high: estimate, p: estimate === 0 ? 1 : 0, df, se };
  const half = studentTQuantile(upper, df) * se;
  return { estimate, low: estimate - half, high: estimate + half, p: studentTTwoSided(estimate / se, df), df, se };
}

/**
 * Paired t on treatment[i] − baseline[i] (same seed at the same index): the
 * interval and p-value of scipy's ttest_rel(treatment, baseline).
 */
export function pairedDifference(baseline: readonly number[], treatment: readonly number[], level = 0.95): DifferenceTest {
  const upper = checkLevel(level);
  if (baseline.length !== treatment.length) {
    throw new RangeError(`paired samples must have equal lengths, got ${baseline.length} and ${treatment.length}`);
  }
  needTwo(baseline, 'pairs');
  checkFinite(baseline, 'baseline values');
  checkFinite(treatment, 'treatment values');
  const differences = treatment.map((t, i) => t - baseline[i]!);
  const n = differences.length;
  const m = allEqual(differences) ? differences[0]! : mean(differences);
  const se = Math.sqrt(variance(differences, m) / n);
  return tTest(m, se, n - 1, upper);
}

/**
 * Welch's t on mean(treatment) − mean(baseline), with the Welch–Satterthwaite
 * df: scipy's ttest_ind(treatment, baseline, equal_var=False). With zero
 * spread on one side only, df is the other side's n − 1.
 */
export function welchDifference(baseline: readonly number[], treatment: readonly number[], level = 0.95): DifferenceTest {
  const upper = checkLevel(level);
  needTwo(baseline, 'baseline values');
  needTwo(treatment, 'treatment values');
  checkFinite(baseline, 'baseline values');
  checkFinite(treatment, 'treatment values');
  const mb = allEqual(baseline) ? baseline[0]! : mean(baseline);
  const mt = allEqual(treatment) ? treatment[0]! : mean(treatment);
  const vb = variance(baseline, mb) / baseline.length;
  const vt = variance(treatment, mt) / treatment.length;
  const se2 = vb + vt;
  const df = se2 === 0 ? NaN : (se2 * se2) / ((vb * vb) / (baseline.length - 1) + (vt * vt) / (treatment.length - 1));
  return tTest(mt - mb, Math.sqrt(se2), df, upper);
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
