/**
 * The normal and Student-t distributions: CDFs and quantiles to about 1e-13
 * relative, tails included (checked against scipy and mpmath in
 * test/unit/stats.test.ts). The t quantile is found by a safeguarded Newton
 * iteration on the logarithm of the tail, which stays well conditioned from
 * p near ½ to the power-law tails of a t with a fraction of a degree of
 * freedom.
 */
import { erfc, incompleteBeta, logBeta } from './special';

const SQRT_2PI = 2.5066282746310002;

/** Φ(x). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  // erfc(−x/√2) with (x/√2)² passed as x·x/2, which carries one rounding instead of two.
  return 0.5 * erfc(-x / Math.SQRT2, (x * x) / 2);
}

// Acklam's rational approximation (about 1e-9 relative), polished below by one Halley step on the exact CDF.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Φ⁻¹(p); −∞ at 0 and +∞ at 1. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`a probability must be in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p > 0.5) return -lowerNormalQuantile(1 - p);
  return lowerNormalQuantile(p);
}

/** Φ⁻¹(p) for p ≤ ½, where p itself carries full relative precision. */
function lowerNormalQuantile(p: number): number {
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) / ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
      (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
  }
  // Halley steps on the relative error of the tail (cubic convergence; two are plenty from 1e-9).
  for (let i = 0; i < 2; i++) {
    const u = (normalCdf(x) - p) * SQRT_2PI * Math.exp((x * x) / 2);
    if (!Number.isFinite(u)) break;
    x -= u / (1 + (x * u) / 2);
  }
  return x;
}

function checkDf(df: number): void {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be > 0, got ${df}`);
}

/**
 * P(T > |t|) and P(0 < T < |t|) for T ~ t(ν), each to full relative precision:
 * the tail is ½·I_x(ν/2, ½) with x = ν/(ν+t²), the central part ½·I_{1−x}(½, ν/2).
 */
function tSides(t: number, df: number): { tail: number; center: number } {
  const a = Math.abs(t);
  if (a === Infinity) return { tail: 0, center: 0.5 };
  const t2 = a * a;
  let split;
  if (Number.isFinite(t2)) {
    const x = df / (df + t2);
    const y = t2 / (df + t2);
    split = incompleteBeta(x, df / 2, 0.5, y, -Math.log1p(t2 / df), Math.log(y));
  } else {
    // |t| beyond 1e154: t² overflows, but a heavy tail (ν ≪ 1) is still far from zero there.
    const logX = Math.log(df) - 2 * Math.log(a);
    split = incompleteBeta(0, df / 2, 0.5, 1, logX, 0);
  }
  return { tail: 0.5 * split.lower, center: 0.5 * split.upper };
}

/** P(T ≤ t) for T ~ Student-t with `df` degrees of freedom (any df > 0; df = ∞ is the normal). */
export function studentTCdf(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return NaN;
  if (df === Infinity) return normalCdf(t);
  const { tail, center } = tSides(t, df);
  return t < 0 ? tail : 0.5 + center;
}

/** P(|T| ≥ |t|): the two-sided p-value of a t statistic, without the cancellation of 1 − cdf. */
export function studentTTwoSided(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return NaN;
  if (df === Infinity) return erfc(Math.abs(t) / Math.SQRT2, (t * t) / 2);
  return Math.min(1, 2 * tSides(t, df).tail);
}

/** Density of t(ν), only for the Newton steps below. */
function tDensity(t: number, df: number): number {
  return Math.exp(-0.5 * Math.log(df) - logBeta(df / 2, 0.5) - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** The t quantile: the t with P(T ≤ t) = p (any df > 0; df = ∞ is the normal). */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`a probability must be in [0, 1], got ${p}`);
  if (df === Infinity) return normalQuantile(p);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  // Exact by Sterbenz's lemma for p in [¼, 1]; below ¼ the lower tail is p itself.
  const lowerTail = p < 0.5 ? p : 1 - p;
  const magnitude = lowerTail < 0.25 ? solveTail(lowerTail, df) : solveCenter(0.5 - lowerTail, df);
  return p < 0.5 ? -magnitude : magnitude;
}

/** The t > 0 with P(T > t) = q, for q < ¼. */
function solveTail(q: number, df: number): number {
  if (df === 1) return 1 / Math.tan(Math.PI * q);
  return solveLogLog((t) => tSides(t, df).tail, -1, Math.log(q), df, initialGuess(q, df));
}

/** The t > 0 with P(0 < T < t) = c, for c ≤ ¼. */
function solveCenter(c: number, df: number): number {
  if (df === 1) return Math.tan(Math.PI * c);
  return solveLogLog((t) => tSides(t, df).center, 1, Math.log(c), df, initialGuess(0.5 - c, df));
}

/** A start for the iteration: the normal quantile with the first Cornish–Fisher term, or the power-law tail for tiny ν. */
function initialGuess(q: number, df: number): number {
  const z = -normalQuantile(q);
  const guess = z + (z * z * z + z) / (4 * df);
  return Number.isFinite(guess) && guess > 0 ? guess : 1;
}

/**
 * Solves ln side(e^u) = target for u by Newton steps kept inside a bracket
 * (bisection when a step leaves it). `direction` is +1 when side grows with
 * t, −1 when it falls. Working in log–log coordinates makes a power-law tail a
 * straight line, so Newton converges in a few steps at any ν.
 */
function solveLogLog(side: (t: number) => number, direction: 1 | -1, target: number, df: number, start: number): number {
  // The side at the last u that g saw, so that each Newton step evaluates it once.
  let sideAtU = NaN;
  const g = (u: number) => direction * (Math.log((sideAtU = side(Math.exp(u)))) - target);
  let u = Math.log(start);
  let gu = g(u);
  let su = sideAtU;
  // Bracket: lo has g < 0, hi has g > 0 (g increases with u).
  let lo = u;
  let hi = u;
  let glo = gu;
  let ghi = gu;
  for (let step = 1; glo > 0; step *= 2) {
    lo -= step;
    glo = g(lo);
  }
  for (let step = 1; ghi < 0; step *= 2) {
    hi = Math.min(hi + step, 709.78);
    ghi = g(hi);
    if (hi >= 709.78 && ghi < 0) return Infinity;
  }
  if (glo === 0) return Math.exp(lo);
  if (ghi === 0) return Math.exp(hi);
  if (!(gu < 0 || gu > 0)) return Math.exp(u);
  for (let i = 0; i < 200; i++) {
    const t = Math.exp(u);
    // d/du ln side(e^u) = direction · t·f(t)/side(t), hence g'(u) = t·f(t)/side(t) > 0.
    const slope = (t * tDensity(t, df)) / su;
    let next = u - gu / slope;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const step = next - u;
    u = next;
    gu = g(u);
    su = sideAtU;
    if (gu < 0) lo = u;
    else if (gu > 0) hi = u;
    else break;
    if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(u)) || hi - lo <= 1e-15 * Math.max(1, Math.abs(u))) break;
  }
  return Math.exp(u);
}

/**
 * P(X ≤ k) and P(X ≥ k) for X ~ Binomial(n, p), each without cancellation:
 * P(X ≤ k) = I_{1−p}(n − k, k + 1).
 */
export function binomialTails(k: number, n: number, p: number): { lower: number; upper: number } {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`a binomial needs a whole number of trials, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`a probability must be in [0, 1], got ${p}`);
  if (!Number.isInteger(k)) throw new RangeError(`a binomial count must be a whole number, got ${k}`);
  const atMost = (j: number): { lower: number; upper: number } => {
    if (j < 0) return { lower: 0, upper: 1 };
    if (j >= n) return { lower: 1, upper: 0 };
    if (p === 0) return { lower: 1, upper: 0 };
    if (p === 1) return { lower: 0, upper: 1 };
    return incompleteBeta(1 - p, n - j, j + 1, p);
  };
  // P(X ≥ k) = 1 − P(X ≤ k − 1), taken from the other side of the same split.
  return { lower: atMost(k).lower, upper: atMost(k - 1).upper };
}

/** The x with I_x(a, b) = p: the Beta(a, b) quantile, by Newton steps kept inside a bisection bracket. */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`a probability must be in [0, 1], got ${p}`);
  if (!(a > 0 && b > 0)) throw new RangeError(`a beta distribution needs a, b > 0, got ${a}, ${b}`);
  if (p === 0) return 0;
  if (p === 1) return 1;
  // Solve on the side whose tail is small, so that a tiny p keeps its relative precision.
  const lowerSide = p <= 0.5;
  const target = lowerSide ? p : 1 - p;
  const side = (x: number) => {
    const split = incompleteBeta(x, a, b);
    return lowerSide ? split.lower : split.upper;
  };
  const logNorm = logBeta(a, b);
  let lo = 0;
  let hi = 1;
  let x = a / (a + b);
  for (let i = 0; i < 300; i++) {
    const g = side(x) - target;
    if (g === 0) return x;
    // The lower tail grows with x, the upper one falls.
    if (lowerSide === g < 0) lo = x;
    else hi = x;
    const density = Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - logNorm);
    let next = x - (lowerSide ? g : -g) / density;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - x) <= 1e-16 * Math.max(x, 1e-300) || hi - lo <= 1e-16 * hi) return next;
    x = next;
  }
  return x;
}

/**
 * P(T ≤ t) for T ~ noncentral t(ν, δ), by Lenth's algorithm (AS 243): the
 * Poisson-weighted series of incomplete beta functions, summed until its
 * error bound is below 1e-15. For the planning aid's power calculations.
 */
export function noncentralTCdf(t: number, df: number, delta: number): number {
  checkDf(df);
  if (Number.isNaN(t) || Number.isNaN(delta)) return NaN;
  if (delta === 0) return studentTCdf(t, df);
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  if (df === Infinity) return normalCdf(t - delta);
  // The series is for t ≥ 0; the other half by symmetry, P(T ≤ t | δ) = 1 − P(T ≤ −t | −δ).
  if (t < 0) return 1 - noncentralTUpper(-t, df, -delta);
  return noncentralTUpper(t, df, delta);
}

function noncentralTUpper(t: number, df: number, delta: number): number {
  const x = (t * t) / (t * t + df);
  let tnc = 0;
  if (x > 0) {
    const lambda = delta * delta;
    let p = 0.5 * Math.exp(-0.5 * lambda);
    let q = Math.sqrt(2 / Math.PI) * p * delta;
    let s = 0.5 - p;
    // s can lose its digits for a tiny δ; the exact complement keeps the bound honest.
    if (s < 1e-7) s = -0.5 * Math.expm1(-0.5 * lambda);
    let a = 0.5;
    const b = 0.5 * df;
    const y = df / (t * t + df);
    const rxb = Math.pow(y, b);
    const logBetaHalf = logBeta(a, b);
    let xodd = incompleteBeta(x, a, b, y).lower;
    let godd = 2 * rxb * Math.exp(a * Math.log(x) - logBetaHalf);
    let xeven = b * x < 1e-15 ? b * x : 1 - rxb;
    let geven = b * x * rxb;
    tnc = p * xodd + q * xeven;
    for (let j = 1; j <= 10_000; j++) {
      a += 1;
      xodd -= godd;
      xeven -= geven;
      godd *= (x * (a + b - 1)) / a;
      geven *= (x * (a + b - 0.5)) / (a + 0.5);
      p *= lambda / (2 * j);
      q *= lambda / (2 * j + 1);
      s -= p;
      tnc += p * xodd + q * xeven;
      if (2 * s * (xodd - godd) <= 1e-15 && j > lambda / 2) break;
    }
  }
  return Math.min(1, Math.max(0, tnc + normalCdf(-delta)));
}
