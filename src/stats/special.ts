/**
 * Special functions behind the distributions: log-gamma, log-beta, the
 * regularized incomplete beta and gamma functions and erfc. Written out here
 * (pure, no dependency) because the intervals need Student-t tails to about
 * 1e-10 relative, which rules out the usual low-order approximations.
 *
 * Every function that can return a tiny tail computes it directly from a
 * continued fraction on its own side, never as 1 − (something near 1), so the
 * relative accuracy holds deep into the tails.
 */

const LOG_SQRT_2PI = 0.9189385332046727; // ln √(2π)
const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;

// Lanczos (g = 7, n = 9): about 1e-15 relative for Γ on the positive axis.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`);
  if (x >= 10) return stirling(x) + stirlingCorrection(x);
  if (x < 0.5) {
    // Reflection keeps the Lanczos sum in the range where it is accurate.
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LOG_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** (x − ½) ln x − x + ln √(2π): Stirling's formula without its correction series. */
function stirling(x: number): number {
  return (x - 0.5) * Math.log(x) - x + LOG_SQRT_2PI;
}

/**
 * ln Γ(x) − Stirling(x) for x ≥ 10 by its asymptotic series; the terms kept
 * leave an error under 1e-16 there. Kept separate so that differences of
 * large log-gammas can cancel the big parts analytically.
 */
function stirlingCorrection(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156)))))));
}

/**
 * ln B(a, b). For a large argument the two big log-gammas are subtracted
 * analytically (Stirling with log1p), since lnΓ(a) − lnΓ(a + b) would lose
 * about log10(a) digits: the t distribution needs B(ν/2, ½) at any ν.
 */
export function logBeta(a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`logBeta needs a, b > 0, got ${a}, ${b}`);
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  if (big < 10) return logGamma(a) + logGamma(b) - logGamma(a + b);
  const sum = big + small;
  const correction = stirlingCorrection(big) - stirlingCorrection(sum);
  if (small < 10) {
    // lnΓ(big) − lnΓ(big + small) = −(big − ½)·log1p(small/big) − small·ln(big + small) + small + corrections.
    return logGamma(small) - (big - 0.5) * Math.log1p(small / big) - small * Math.log(sum) + small + correction;
  }
  return (
    LOG_SQRT_2PI +
    (big - 0.5) * Math.log(big / sum) +
    small * Math.log(small / sum) -
    0.5 * Math.log(small) +
    stirlingCorrection(small) +
    correction
  );
}

/** Both sides of the regularized incomplete beta function, each computed without cancellation. */
export interface BetaSplit {
  /** I_x(a, b) */
  lower: number;
  /** 1 − I_x(a, b) = I_{1−x}(b, a) */
  upper: number;
}

/**
 * I_x(a, b) and its complement. `y` is 1 − x, passed separately when the
 * caller knows it more accurately than 1 − x would give (the t distribution
 * does: t²/(ν + t²)). `logX`/`logY` may be passed likewise for arguments
 * that underflow (x below 1e-308 in a heavy tail).
 */
export function incompleteBeta(x: number, a: number, b: number, y = 1 - x, logX = Math.log(x), logY = Math.log1p(-x)): BetaSplit {
  if (!(a > 0 && b > 0)) throw new RangeError(`incompleteBeta needs a, b > 0, got ${a}, ${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incompleteBeta needs 0 <= x <= 1, got ${x}`);
  if (x === 0 && logX === -Infinity) return { lower: 0, upper: 1 };
  if (y === 0 && logY === -Infinity) return { lower: 1, upper: 0 };
  // The continued fraction converges fast only below the mean (a+1)/(a+b+2); above it, expand the other side.
  if (x < (a + 1) / (a + b + 2)) {
    const lower = betaSide(x, a, b, logX, logY);
    return { lower, upper: 1 - lower };
  }
  const upper = betaSide(y, b, a, logY, logX);
  return { lower: 1 - upper, upper };
}

/** I_x(a, b) by its continued fraction (modified Lentz), valid when x < (a+1)/(a+b+2). */
function betaSide(x: number, a: number, b: number, logX: number, logY: number): number {
  const front = Math.exp(a * logX + b * logY - logBeta(a, b)) / a;
  if (front === 0) return 0;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) return front * h;
  }
  throw new Error(`incompleteBeta did not converge for x=${x}, a=${a}, b=${b}`);
}

/** Both sides of the regularized incomplete gamma function: P(a, x) and Q(a, x) = 1 − P(a, x). */
export function incompleteGamma(a: number, x: number): { lower: number; upper: number } {
  if (!(a > 0)) throw new RangeError(`incompleteGamma needs a > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`incompleteGamma needs x >= 0, got ${x}`);
  if (x === 0) return { lower: 0, upper: 1 };
  if (x === Infinity) return { lower: 1, upper: 0 };
  const logFront = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    // Series for P: converges quickly below the mean.
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n <= MAX_ITERATIONS; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) {
        const lower = sum * Math.exp(logFront);
        return { lower, upper: 1 - lower };
      }
    }
    throw new Error(`incompleteGamma series did not converge for a=${a}, x=${x}`);
  }
  // Continued fraction for Q (modified Lentz): the upper tail without cancellation.
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) {
      const upper = Math.exp(logFront) * h;
      return { lower: 1 - upper, upper };
    }
  }
  throw new Error(`incompleteGamma continued fraction did not converge for a=${a}, x=${x}`);
}

/**
 * erfc(x) = Q(½, x²). `xSquared` may be passed when the caller has x² more
 * accurately than squaring x would give (the normal CDF passes z²/2).
 */
export function erfc(x: number, xSquared = x * x): number {
  if (Number.isNaN(x)) return NaN;
  if (x === 0) return 1;
  const tail = incompleteGamma(0.5, xSquared).upper;
  return x > 0 ? tail : 2 - tail;
}

/**
 * ψ(x), ψ′(x) and ψ″(x) for x > 0: the recurrence ψ(x) = ψ(x + 1) − 1/x (and
 * its derivatives) carries x up to 10, where the asymptotic series, cut after
 * the B₁₄ term, is accurate to about 1e-16. limma's prior fit needs all
 * three (digamma and trigamma for the moments of log F, ψ″ for inverting the
 * trigamma function by Newton's method).
 */
const POLYGAMMA_SHIFT = 10;

export function digamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`digamma needs x > 0, got ${x}`);
  let shift = 0;
  while (x < POLYGAMMA_SHIFT) {
    shift += 1 / x;
    x += 1;
  }
  const r2 = 1 / (x * x);
  const series = r2 * (1 / 12 - r2 * (1 / 120 - r2 * (1 / 252 - r2 * (1 / 240 - r2 * (1 / 132 - r2 * (691 / 32760 - r2 / 12))))));
  return Math.log(x) - 0.5 / x - series - shift;
}

export function trigamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`trigamma needs x > 0, got ${x}`);
  let shift = 0;
  while (x < POLYGAMMA_SHIFT) {
    shift += 1 / (x * x);
    x += 1;
  }
  const r = 1 / x;
  const r2 = r * r;
  const series = r * r2 * (1 / 6 - r2 * (1 / 30 - r2 * (1 / 42 - r2 * (1 / 30 - r2 * (5 / 66 - r2 * (691 / 2730 - (r2 * 7) / 6))))));
  return r + 0.5 * r2 + series + shift;
}

/** ψ″(x), negative for every x > 0. */
export function tetragamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`tetragamma needs x > 0, got ${x}`);
  let shift = 0;
  while (x < POLYGAMMA_SHIFT) {
    shift += 2 / (x * x * x);
    x += 1;
  }
  const r = 1 / x;
  const r2 = r * r;
  const series = r2 * r2 * (0.5 - r2 * (1 / 6 - r2 * (1 / 6 - r2 * (3 / 10 - r2 * (5 / 6 - r2 * (691 / 210 - (r2 * 35) / 2))))));
  return -r2 - r2 * r - series - shift;
}
