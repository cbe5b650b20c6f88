/**
 * Empirical-Bayes variance moderation (Smyth 2004), as limma 3.54's
 * fitFDist and squeezeVar compute it without a covariate: every sample
 * variance s²ₖ (dfₖ degrees of freedom) is taken to come from a true σ²ₖ
 * drawn from a scaled inverse-χ² prior (s₀², d₀); the prior is fitted by
 * matching the mean and variance of log s²ₖ, and each variance is replaced by
 * its posterior mean (d₀s₀² + dfₖs²ₖ)/(d₀ + dfₖ), worth d₀ + dfₖ degrees of
 * freedom. Checked against R's limma in test/unit/stats-moderation.test.ts.
 *
 * limma's own guards are kept, so that its results are reproduced exactly:
 * sample variances of exactly 0 are raised to 1e-5 × the median (and the
 * median, if 0, is taken as 1); when the observed spread of log s²ₖ is no
 * more than sampling alone explains, d₀ = ∞ and s₀² is the mean of the s²ₖ.
 */
import { digamma, tetragamma, trigamma } from './special';

export interface VariancePrior {
  /** s₀², the prior's scale. */
  scale: number;
  /** d₀, the prior's degrees of freedom; Infinity when every variance is pooled into s₀². */
  df: number;
}

export interface SqueezedVariances {
  prior: VariancePrior;
  /** The posterior variances, in the input's order. */
  posterior: number[];
}

/**
 * limma's trigammaInverse: the y > 0 with ψ′(y) = x, by Newton's method on
 * 1/ψ′ from 0.5 + 1/x, with limma's asymptotes beyond 1e7 and below 1e-6.
 */
export function trigammaInverse(x: number): number {
  if (!(x > 0)) throw new RangeError(`trigammaInverse needs x > 0, got ${x}`);
  if (x > 1e7) return 1 / Math.sqrt(x);
  if (x < 1e-6) return 1 / x;
  let y = 0.5 + 1 / x;
  for (let iteration = 1; iteration <= 50; iteration++) {
    const tri = trigamma(y);
    const step = (tri * (1 - tri / x)) / tetragamma(y);
    y += step;
    if (-step / y < 1e-8) break;
  }
  return y;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function checkVariances(variances: readonly number[], df: number): void {
  if (!(df > 0 && Number.isFinite(df))) throw new RangeError(`the variances' degrees of freedom must be finite and > 0, got ${df}`);
  for (const v of variances) if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`variances must be finite and >= 0, got ${v}`);
}

/** limma's fitFDist(x, df1) for one df shared by every variance, and no covariate. */
export function fitVariancePrior(variances: readonly number[], df: number): VariancePrior {
  checkVariances(variances, df);
  const n = variances.length;
  if (n === 0) throw new RangeError('no variances to fit a prior to');
  if (n === 1) return { scale: variances[0]!, df: 0 };
  let m = median(variances);
  if (m === 0) m = 1;
  const x = variances.map((v) => Math.max(v, 1e-5 * m));
  const shift = -digamma(df / 2) + Math.log(df / 2);
  const e = x.map((v) => Math.log(v) + shift);
  const emean = e.reduce((a, b) => a + b, 0) / n;
  const evar = e.reduce((a, v) => a + (v - emean) * (v - emean), 0) / (n - 1) - trigamma(df / 2);
  if (evar > 0) {
    const df2 = 2 * trigammaInverse(evar);
    return { scale: Math.exp(emean + digamma(df2 / 2) - Math.log(df2 / 2)), df: df2 };
  }
  return { scale: x.reduce((a, b) => a + b, 0) / n, df: Infinity };
}

/** limma's squeezeVar(var, df): the fitted prior and each variance's posterior. */
export function squeezeVariances(variances: readonly number[], df: number): SqueezedVariances {
  const prior = fitVariancePrior(variances, df);
  if (variances.length === 1) return { prior, posterior: [...variances] };
  const posterior =
    prior.df === Infinity ? variances.map(() => prior.scale) : variances.map((v) => (df * v + prior.df * prior.scale) / (df + prior.df));
  return { prior, posterior };
}
