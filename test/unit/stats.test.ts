/**
 * The statistics against values computed independently: mpmath at 50 digits
 * for the distributions, scipy 1.17 for the binomial intervals and q-values.
 * Every number here was printed by test/unit/reference/stats_reference.py;
 * the moderated t and its pieces are in stats-moderation.test.ts and
 * stats-paired.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  benjaminiHochberg,
  erfc,
  incompleteBeta,
  logGamma,
  normalCdf,
  normalQuantile,
  proportionDifference,
  studentTCdf,
  studentTQuantile,
  studentTTwoSided,
  wilsonInterval,
} from '../../src/stats';

/** |actual − expected| ≤ rel·|expected| (or ≤ rel when expected is 0). */
function expectClose(actual: number, expected: number, rel: number, what = ''): void {
  const scale = expected === 0 ? 1 : Math.abs(expected);
  const error = Math.abs(actual - expected) / scale;
  if (!(error <= rel)) throw new Error(`${what}: got ${actual}, expected ${expected} (relative error ${error.toExponential(2)} > ${rel})`);
}

describe('Student-t CDF', () => {
  // [t, df, P(T ≤ t)] from mpmath.betainc at 50 digits.
  const cases: [number, number, number][] = [
    [2.5, 3.0, 0.9561466764959672],
    [-40.0, 2.0, 0.0003122073360923703],
    [1e-8, 5.0, 0.5000000037960669],
    [-3.0, 0.3, 0.25066884484380975],
    [-1e20, 0.1, 0.004173803137173217],
    [5.0, 1000000.0, 0.9999997133001065],
    [-12.0, 30.0, 2.790092707599628e-13],
    [0.3, 2.5, 0.6063288142524014],
    [-2.2, 4.801515265171404, 0.04066623493555117],
    [-200.0, 1.0, 0.001591536168205969],
    [-1e200, 0.05, 4.485631048063482e-11],
    [3.0, 1.0, 0.8975836176504333],
  ];
  it.each(cases)('t = %s, df = %s', (t, df, expected) => {
    expectClose(studentTCdf(t, df), expected, 1e-13, `cdf(${t}, ${df})`);
  });

  it('gives two-sided p-values without the cancellation of 1 − cdf, and the normal at df = ∞', () => {
    expectClose(studentTTwoSided(12, 30), 2 * 2.790092707599628e-13, 1e-13, 'two-sided');
    expectClose(studentTTwoSided(-2.2, 4.801515265171404), 2 * 0.04066623493555117, 1e-13, 'two-sided');
    expect(studentTTwoSided(0, 3)).toBe(1);
    expect(studentTCdf(-8, Infinity)).toBe(normalCdf(-8));
    expect(studentTCdf(Infinity, 2)).toBe(1);
    expect(studentTCdf(-Infinity, 2)).toBe(0);
  });

  it('refuses df ≤ 0', () => {
    expect(() => studentTCdf(1, 0)).toThrow(/degrees of freedom/);
    expect(() => studentTQuantile(0.5, -1)).toThrow(/degrees of freedom/);
  });
});

describe('Student-t quantile', () => {
  // [p, df, t] from mpmath.findroot on the 50-digit CDF.
  const cases: [number, number, number][] = [
    [0.975, 1.0, 12.706204736174694],
    [0.975, 2.0, 4.302652729749462],
    [0.975, 3.0, 3.1824463052837086],
    [0.975, 4.0, 2.7764451051977934],
    [0.975, 10.0, 2.2281388519862744],
    [0.975, 29.0, 2.045229642132704],
    [0.975, 3.7, 2.8675207071911886],
    [0.995, 2.0, 9.92484320091829],
    [1e-12, 4.0, -1316.0727465592565],
    [0.5000000001, 7.0, 2.5974604905604774e-10],
    [0.025, 0.1, -1682362288745.0247],
    [0.975, 1000000.0, 1.9599663568141066],
    [0.3, 2.5, -0.5973077382523175],
    [0.8, 5.0, 0.9195437802408262],
    [1e-40, 3.0, -22257698238224.42],
  ];
  it.each(cases)('p = %s, df = %s', (p, df, expected) => {
    // ν = 10⁶ loses a few digits in the exponent a·ln x of the incomplete beta; 1e-11 is still far inside what intervals need.
    expectClose(studentTQuantile(p, df), expected, df >= 1e6 ? 1e-11 : 1e-13, `quantile(${p}, ${df})`);
  });

  it('inverts the CDF across df and p', () => {
    for (const df of [0.7, 1, 2, 3.3, 9, 50, 400]) {
      for (const p of [1e-9, 0.001, 0.2, 0.49, 0.51, 0.9, 0.999999]) {
        expectClose(studentTCdf(studentTQuantile(p, df), df), p, 1e-12, `cdf(quantile(${p}, ${df}))`);
      }
    }
  });

  it('is exact at the ends and the middle', () => {
    expect(studentTQuantile(0, 3)).toBe(-Infinity);
    expect(studentTQuantile(1, 3)).toBe(Infinity);
    expect(studentTQuantile(0.5, 3)).toBe(0);
    expect(() => studentTQuantile(1.5, 3)).toThrow(/probability/);
  });
});

describe('normal distribution', () => {
  const cdfCases: [number, number][] = [
    [-37.0, 5.725571222524577e-300],
    [-8.0, 6.220960574271784e-16],
    [-1.5, 0.06680720126885807],
    [0.25, 0.5987063256829237],
    [3.0, 0.9986501019683699],
  ];
  it.each(cdfCases)('Φ(%s)', (x, expected) => {
    // exp(−x²/2) amplifies the rounding of x²/2 by x²/2 ≈ 700 at x = −37.
    expectClose(normalCdf(x), expected, x < -30 ? 5e-13 : 1e-14, `Φ(${x})`);
  });

  const quantileCases: [number, number][] = [
    [0.975, 1.9599639845400538],
    [0.500000001, 2.5066282037387115e-9],
    [0.02, -2.053748910631823],
    [1e-10, -6.361340902404057],
    [1e-300, -37.0470962993612],
    [0.999, 3.090232306167813],
  ];
  it.each(quantileCases)('Φ⁻¹(%s)', (p, expected) => {
    // Near ½ the answer is p − ½ scaled: p's own representation limits it to about 1e-8 relative.
    expectClose(normalQuantile(p), expected, Math.abs(p - 0.5) < 1e-6 ? 1e-7 : 1e-14, `Φ⁻¹(${p})`);
  });

  it('has erfc and log-gamma right at known points', () => {
    expectClose(erfc(1), 0.15729920705028513, 1e-14, 'erfc(1)');
    expectClose(erfc(-1), 1.8427007929497148, 1e-15, 'erfc(-1)');
    expectClose(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-15, 'lnΓ(½)');
    expectClose(logGamma(10), Math.log(362880), 1e-15, 'lnΓ(10)');
    expectClose(logGamma(100), 359.1342053695754, 1e-15, 'lnΓ(100)');
    // I_x(a, b) + I_{1−x}(b, a) = 1, computed on either side.
    const split = incompleteBeta(0.3, 2.5, 4);
    expect(split.lower + split.upper).toBeCloseTo(1, 15);
    expectClose(split.lower, incompleteBeta(0.7, 4, 2.5).upper, 1e-14, 'symmetry');
  });
});

describe('binomial intervals', () => {
  // [correct, total, low, high] from scipy.stats.binomtest(k, n).proportion_ci(method='wilson').
  const wilson: [number, number, number, number][] = [
    [7, 20, 0.1811918241010821, 0.5671457233147637],
    [0, 10, 0.0, 0.27753279986288926],
    [10, 10, 0.7224672001371109, 1.0],
    [1, 3, 0.06149194472039626, 0.7923403991979523],
    [812, 1000, 0.7866068125887821, 0.8350052901162314],
  ];
  it.each(wilson)('Wilson %s/%s', (correct, total, low, high) => {
    const w = wilsonInterval(correct, total);
    expect(w.estimate).toBe(correct / total);
    expectClose(w.low, low, 1e-13, 'low');
    expectClose(w.high, high, 1e-13, 'high');
  });

  it('gives Wilson at another level, and the vacuous interval for no trials', () => {
    const w = wilsonInterval(7, 20, 0.99);
    expectClose(w.low, 0.14639344137693885, 1e-13, 'low');
    expectClose(w.high, 0.6283381789526872, 1e-13, 'high');
    expect(wilsonInterval(0, 0)).toEqual({ estimate: NaN, low: 0, high: 1 });
    expect(() => wilsonInterval(5, 4)).toThrow(/0 <= correct <= total/);
    expect(() => wilsonInterval(1.5, 4)).toThrow(/integers/);
  });

  // [baseline correct, total, treatment correct, total, delta, low, high, p]: Newcombe's hybrid score interval from
  // scipy's Wilson bounds, the pooled two-proportion z test from scipy.stats.norm.sf.
  const newcombe: [number, number, number, number, number, number, number, number][] = [
    [45, 50, 30, 50, -0.30000000000000004, -0.4492992144065391, -0.13189084992472522, 0.0005320055051392477],
    [10, 10, 10, 10, 0.0, -0.27753279986288915, 0.27753279986288915, 1.0],
    [0, 20, 3, 20, 0.15, -0.038396333126267446, 0.3604188647407569, 0.07171853650843411],
    [56, 70, 41, 70, -0.2142857142857143, -0.3542422098690414, -0.06144426489659849, 0.005993865876021438],
    [120, 150, 44, 50, 0.07999999999999996, -0.050725763767209386, 0.17557505810120078, 0.2022549423549439],
  ];
  it.each(newcombe)('Newcombe %s/%s → %s/%s', (kb, nb, kt, nt, delta, low, high, p) => {
    const d = proportionDifference({ correct: kb, total: nb }, { correct: kt, total: nt });
    expectClose(d.estimate, delta, 1e-13, 'delta');
    expectClose(d.low, low, 1e-12, 'low');
    expectClose(d.high, high, 1e-12, 'high');
    expectClose(d.p, p, 1e-12, 'p');
  });

  it('gives p = 1 for two proportions both at 0 and the vacuous difference for no trials', () => {
    expect(proportionDifference({ correct: 0, total: 20 }, { correct: 0, total: 30 }).p).toBe(1);
    expect(proportionDifference({ correct: 0, total: 0 }, { correct: 3, total: 30 })).toEqual({ estimate: NaN, low: -1, high: 1, p: 1 });
  });
});

describe('Benjamini–Hochberg', () => {
  // scipy.stats.false_discovery_control(p, method='bh').
  it.each([
    [
      [0.01, 0.04, 0.03, 0.5],
      [0.04, 0.05333333333333333, 0.05333333333333333, 0.5],
    ],
    [
      [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216],
      [0.01, 0.04, 0.084, 0.084, 0.084, 0.1, 0.1057142857142857, 0.216, 0.216, 0.216],
    ],
    [
      [0.2, 0.2, 0.01, 1.0, 0.04],
      [0.25, 0.25, 0.05, 1.0, 0.1],
    ],
  ])('%j', (p, expected) => {
    const q = benjaminiHochberg(p);
    expect(q).toHaveLength(expected.length);
    q.forEach((v, i) => expectClose(v, expected[i]!, 1e-14, `q[${i}]`));
  });

  it('keeps q monotone in p and within [p, 1], and handles no p-values', () => {
    const p = [0.9, 0.02, 0.95, 0.011, 0.99, 0.03];
    const q = benjaminiHochberg(p);
    const byP = p.map((v, i) => [v, q[i]!] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < byP.length; i++) expect(byP[i]![1]).toBeGreaterThanOrEqual(byP[i - 1]![1]);
    q.forEach((v, i) => {
      expect(v).toBeLessThanOrEqual(1);
      expect(v).toBeGreaterThanOrEqual(p[i]!);
    });
    // 6·0.011/1 = 0.066 exceeds 6·0.03/3 = 0.06, so the smallest p takes the later, smaller q.
    expectClose(q[3]!, 0.06, 1e-15, 'q of the smallest p');
    expect(benjaminiHochberg([])).toEqual([]);
    expect(() => benjaminiHochberg([0.5, 1.2])).toThrow(/\[0, 1\]/);
  });
});
