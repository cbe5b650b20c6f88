/**
 * limma's empirical-Bayes moderation and the polygamma functions behind it,
 * against R: every number here was printed by
 * test/unit/reference/limma_reference.R (limma 3.54.1, R 4.2, Debian).
 */
import { describe, expect, it } from 'vitest';
import { digamma, fitVariancePrior, squeezeVariances, tetragamma, trigamma, trigammaInverse } from '../../src/stats';

/** |actual − expected| ≤ rel·|expected| (or ≤ rel when expected is 0). */
function expectClose(actual: number, expected: number, rel: number, what = ''): void {
  if (actual === expected) return;
  const error = Math.abs(actual - expected) / (expected === 0 ? 1 : Math.abs(expected));
  if (!(error <= rel)) throw new Error(`${what}: got ${actual}, expected ${expected} (relative error ${error.toExponential(2)} > ${rel})`);
}

describe('digamma, trigamma, tetragamma', () => {
  // [x, ψ(x), ψ′(x), ψ″(x)] from R's digamma, trigamma and psigamma(x, 2).
  const cases: [number, number, number, number][] = [
    [0.5, -1.9635100260214231, 4.934802200544679, -16.82879664423432],
    [1, -0.57721566490153231, 1.6449340668482264, -2.4041138063191885],
    [2.5, 0.70315664064524341, 0.49035775610023491, -0.23620405164172742],
    [7, 1.8727843350984674, 0.1535451779593375, -0.023530472985855231],
    [13.5, 2.5651956512749119, 0.076885224601578359, -0.0059084365857882404],
    [100, 4.6001618527380881, 0.010050166663333566, -0.00010100499983334991],
    [0.001, -1000.5755719318104, 1000001.6425331959, -2000000002.3976321],
    [1234.5, 7.1180162318279976, 0.00081037272712696667, -6.567039209328713e-7],
  ];
  it.each(cases)('x = %s', (x, psi, psi1, psi2) => {
    expectClose(digamma(x), psi, 1e-14, `ψ(${x})`);
    expectClose(trigamma(x), psi1, 1e-14, `ψ′(${x})`);
    expectClose(tetragamma(x), psi2, 1e-14, `ψ″(${x})`);
  });

  it('refuses x ≤ 0', () => {
    expect(() => digamma(0)).toThrow(/x > 0/);
    expect(() => trigamma(-1)).toThrow(/x > 0/);
    expect(() => tetragamma(NaN)).toThrow(/x > 0/);
  });
});

describe('trigammaInverse', () => {
  // [x, limma::trigammaInverse(x)], its asymptotes included.
  const cases: [number, number][] = [
    [0.05, 20.495835239154601],
    [0.3, 3.8087190120511671],
    [1.2, 1.2479926573831077],
    [4.9, 0.50208047316889848],
    [30, 0.18662253008393503],
    [2e-7, 5000000],
    [3e7, 0.00018257418583505537],
  ];
  it.each(cases)('x = %s', (x, y) => {
    expectClose(trigammaInverse(x), y, 1e-13, `trigammaInverse(${x})`);
  });
  it('inverts the trigamma function', () => {
    for (const y of [0.2, 1, 3.5, 40]) expectClose(trigamma(trigammaInverse(trigamma(y))), trigamma(y), 1e-13, `y = ${y}`);
  });
});

describe('fitVariancePrior and squeezeVariances (limma fitFDist, squeezeVar)', () => {
  const cases: { name: string; variances: number[]; df: number; scale: number; priorDf: number; posterior: number[] }[] = [
    {
      name: 'a wide spread: small d₀',
      variances: [0.05, 1.9, 0.35, 6.7, 1.1, 0.1, 9.2, 0.95, 1.3, 0.02],
      df: 2,
      scale: 0.48516202590133461,
      priorDf: 1.5282955329250631,
      posterior: [
        0.23849219802522573, 1.2871571880955412, 0.40854598019879046, 4.0080177028725767, 0.83368043563270211, 0.26683449505415319, 5.4251325543189486, 0.7486535445459197,
        0.94704962374841195, 0.22148681980786927,
      ],
    },
    {
      name: 'a moderate spread',
      variances: [0.3, 1.9, 0.5, 2.7, 1.1, 0.6, 4.2, 0.95, 1.3, 0.8, 6.5, 0.12],
      df: 4,
      scale: 1.0571435781200296,
      priorDf: 4.2059887728358554,
      posterior: [
        0.68807479234426105, 1.4679929932057842, 0.78556456745195147, 1.8579520936365461, 1.0780338927750228, 0.83430945500579667, 2.5891254069442242, 1.004916561444255,
        1.175523667882713, 0.93179923011348709, 3.710257820682664, 0.60033399474733973,
      ],
    },
    {
      name: 'one degree of freedom each',
      variances: [0.0004, 1.7, 0.6, 13.1, 0.9, 0.015, 2.2, 1.05],
      df: 1,
      scale: 0.27793876775308735,
      priorDf: 0.88498100087199894,
      posterior: [0.13070186317702165, 1.0323555133802644, 0.44879525495265382, 7.0801618279936847, 0.60794805270563856, 0.13844729933433356, 1.2976101763019059, 0.68752445158213094],
    },
    {
      name: 'no more spread than sampling explains: d₀ = ∞, the mean',
      variances: [1.02, 0.98, 1.01, 0.99, 1, 1.03],
      df: 4,
      scale: 1.0049999999999999,
      priorDf: Infinity,
      posterior: Array(6).fill(1.0049999999999999),
    },
    {
      name: 'exact zeros, raised to 1e-5 × the median as limma does',
      variances: [0, 0.5, 1.2, 0, 2.4, 0.8, 1.6],
      df: 2,
      scale: 0.0010723676331595266,
      priorDf: 0.36046274351906066,
      posterior: [0.00016375966118128361, 0.42380950571060416, 1.0169135501797963, 0.00016375966118128361, 2.033663340698411, 0.67799695334025789, 1.3558301470193348],
    },
    { name: 'two variances', variances: [0.5, 2], df: 3, scale: 1.4276579767041937, priorDf: 77.612767297684684, posterior: [1.3931352326848041, 1.4489576557432078] },
  ];
  it.each(cases)('$name', ({ variances, df, scale, priorDf, posterior }) => {
    const squeezed = squeezeVariances(variances, df);
    expectClose(squeezed.prior.scale, scale, 1e-12, 'scale');
    expectClose(squeezed.prior.df, priorDf, 1e-12, 'prior df');
    squeezed.posterior.forEach((v, k) => expectClose(v, posterior[k]!, 1e-12, `posterior ${k}`));
    expect(fitVariancePrior(variances, df)).toEqual(squeezed.prior);
  });

  it('keeps a single variance as it is, and refuses what is not a variance', () => {
    expect(squeezeVariances([0.7], 2)).toEqual({ prior: { scale: 0.7, df: 0 }, posterior: [0.7] });
    expect(() => squeezeVariances([], 2)).toThrow(/no variances/);
    expect(() => squeezeVariances([0.5, -1], 2)).toThrow(/>= 0/);
    expect(() => squeezeVariances([0.5, 1], 0)).toThrow(/degrees of freedom/);
    expect(() => squeezeVariances([0.5, NaN], 2)).toThrow(/finite/);
  });
});
