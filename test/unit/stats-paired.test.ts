/**
 * The pieces of the paired analysis against independent implementations:
 * scipy, statsmodels and mpmath (test/unit/reference/paired_reference.py,
 * Debian's python3 packages) for the binomial tails, beta quantiles,
 * Clopper–Pearson, McNemar's exact test, the noncentral t and the two-way
 * ANOVA; R's limma with pt/qt (test/unit/reference/limma_reference.R) for the
 * moderated t assembled from them.
 */
import { describe, expect, it } from 'vitest';
import { betaQuantile, binomialTails, clopperPearson, mcnemarExact, meanSquares, moderatedTests, noncentralTCdf, satterthwaite, type ModeratedInput, type ModeratedTest } from '../../src/stats';

function expectClose(actual: number, expected: number, rel: number, what = ''): void {
  if (actual === expected) return;
  const error = Math.abs(actual - expected) / (expected === 0 ? 1 : Math.abs(expected));
  if (!(error <= rel)) throw new Error(`${what}: got ${actual}, expected ${expected} (relative error ${error.toExponential(2)} > ${rel})`);
}

describe('binomial tails and beta quantiles', () => {
  // [k, n, p, P(X ≤ k), P(X ≥ k)] from scipy.stats.binom.
  const tails: [number, number, number, number, number][] = [
    [3, 10, 0.5, 0.171875, 0.9453125],
    [0, 7, 0.5, 0.0078125, 1.0],
    [17, 40, 0.3, 0.9680487363486093, 0.06331287547840544],
    [120, 200, 0.5, 0.998182526023735, 0.002842577998375153],
    [1, 1000, 0.01, 0.0004792444535789191, 0.9999568287525893],
    [55, 60, 0.9, 0.7290417418745392, 0.43716587073712676],
  ];
  it.each(tails)('Binomial(%s; %s, %s)', (k, n, p, lower, upper) => {
    const t = binomialTails(k, n, p);
    expectClose(t.lower, lower, 1e-13, 'P(X ≤ k)');
    expectClose(t.upper, upper, 1e-13, 'P(X ≥ k)');
  });

  // [p, a, b, x] from mpmath.findroot on betainc at 50 digits.
  const quantiles: [number, number, number, number][] = [
    [0.025, 3, 8, 0.06673951117773447],
    [0.975, 4, 7, 0.6524528500599972],
    [1e-6, 2, 5, 0.0002582878293540636],
    [0.5, 0.5, 0.5, 0.5],
    [0.999, 30, 2, 0.9985123138630576],
    [0.025, 1, 40, 0.000632744932049419],
  ];
  it.each(quantiles)('Beta quantile %s of (%s, %s)', (p, a, b, x) => {
    expectClose(betaQuantile(p, a, b), x, 1e-13, 'x');
  });

  it('has exact ends and refuses what is not a distribution', () => {
    expect(betaQuantile(0, 2, 3)).toBe(0);
    expect(betaQuantile(1, 2, 3)).toBe(1);
    expect(binomialTails(-1, 5, 0.5)).toEqual({ lower: 0, upper: 1 });
    expect(binomialTails(5, 5, 0.5).lower).toBe(1);
    expectClose(binomialTails(5, 5, 0.5).upper, 0.03125, 1e-14, 'P(X ≥ n)');
    expect(() => betaQuantile(0.5, 0, 1)).toThrow(/a, b > 0/);
    expect(() => binomialTails(1.5, 5, 0.5)).toThrow(/whole number/);
  });
});

describe("McNemar's exact test and Clopper–Pearson", () => {
  // [k, m, low, high]: the Beta quantiles by mpmath at 50 digits (scipy's binomtest(k, m).proportion_ci('exact') agrees to 3e-13).
  const cp: [number, number, number, number][] = [
    [7, 20, 0.15390920478454115, 0.592188534532828],
    [0, 12, 0.0, 0.26464846939705117],
    [12, 12, 0.7353515306029488, 1.0],
    [3, 9, 0.07485463141969181, 0.7007049437914595],
    [41, 60, 0.5504403122359475, 0.7974244928810283],
  ];
  it.each(cp)('Clopper–Pearson %s/%s', (k, m, low, high) => {
    const ci = clopperPearson(k, m);
    expectClose(ci.low, low, 1e-12, 'low');
    expectClose(ci.high, high, 1e-12, 'high');
  });

  // [b, c, n, estimate, low, high, p]: p from statsmodels' mcnemar(exact=True); the interval is Clopper–Pearson (mpmath) on b of b + c, through (b + c)/n·(2θ − 1).
  const tests: [number, number, number, number, number, number, number][] = [
    [14, 4, 200, 0.05, 0.004252902167433576, 0.07846343141082003, 0.0308837890625],
    [5, 5, 150, 0.0, -0.041721862873680196, 0.04172186287368019, 1.0],
    [0, 6, 90, -0.06666666666666667, -0.06666666666666667, -0.005432249808013274, 0.03125],
    [22, 31, 1000, -0.009, -0.023176056556112254, 0.0062179799511880105, 0.27167916606550335],
    [1, 0, 50, 0.02, -0.019, 0.02, 1.0],
    [40, 12, 300, 0.09333333333333334, 0.0456203724973938, 0.1298904160267193, 0.0001275387838557407],
  ];
  it.each(tests)('b = %s, c = %s of %s', (b, c, n, estimate, low, high, p) => {
    const t = mcnemarExact(b, c, n);
    expectClose(t.estimate, estimate, 1e-15, 'estimate');
    expectClose(t.low, low, 1e-12, 'low');
    expectClose(t.high, high, 1e-12, 'high');
    expectClose(t.p, p, 1e-12, 'p');
    expect(t.discordant).toBe(b + c);
    // The interval excludes 0 exactly when p < 0.05.
    expect(t.low > 0 || t.high < 0).toBe(t.p < 0.05);
  });

  it('says nothing more than "identical" when no image is discordant, and refuses impossible counts', () => {
    expect(mcnemarExact(0, 0, 40)).toEqual({ estimate: 0, low: 0, high: 0, p: 1, discordant: 0 });
    expect(() => mcnemarExact(30, 20, 40)).toThrow(/b \+ c <= n/);
    expect(() => mcnemarExact(1, 1, 0)).toThrow(/n > 0/);
  });
});

describe('noncentral t', () => {
  // [t, df, δ, P(T ≤ t)] from mpmath (Poisson mixture of incomplete betas at 50 digits); scipy's nct agrees to ~1e-15.
  const cases: [number, number, number, number][] = [
    [2.5, 10, 1.5, 0.7939391090361835],
    [3.1, 20, 4.2, 0.15304933085366734],
    [-1.0, 5, 0.8, 0.0467828017752757],
    [1.96, 1000, 2.8, 0.20054274129423172],
    [4.0, 3.5, 2.0, 0.8357989055656156],
    [2.0, 16.8, -1.0, 0.9975789389752743],
    [0.5, 2, 6.0, 3.764491586023255e-8],
  ];
  it.each(cases)('t = %s, df = %s, δ = %s', (t, df, delta, cdf) => {
    // 1 − (upper series) for t < 0 loses the digits of the complement: absolute 1e-14 there.
    const value = noncentralTCdf(t, df, delta);
    if (cdf < 1e-6) expect(Math.abs(value - cdf)).toBeLessThan(1e-15);
    else expectClose(value, cdf, 1e-12, 'cdf');
  });
});

describe('the seeds × images design', () => {
  it('splits a paired-difference table as the two-way ANOVA does (statsmodels anova_lm)', () => {
    const rows = [
      [1, 0, -1, 0, 1, 1, 0, 0],
      [0, 0, -1, 1, 1, 0, 0, -1],
      [1, -1, 0, 0, 1, 1, 0, 0],
    ];
    const columns = rows[0]!.map((_, i) => rows.reduce((a, r) => a + r[i]!, 0));
    const ms = meanSquares({
      seeds: 3,
      images: 8,
      rowSums: rows.map((r) => r.reduce((a, b) => a + b, 0)),
      columnSquares: columns.reduce((a, c) => a + c * c, 0),
      squares: rows.flat().reduce((a, v) => a + v * v, 0),
    });
    expectClose(ms.mean, 0.16666666666666666, 1e-15, 'mean');
    expectClose(ms.seed, 0.16666666666666685, 1e-13, 'MS seed');
    expectClose(ms.image, 1.0476190476190472, 1e-13, 'MS image');
    expectClose(ms.residual, 0.2619047619047619, 1e-13, 'MS residual');
  });

  it('and a table of correctness', () => {
    const rows = [
      [1, 1, 0, 1, 0, 1, 1, 1, 0, 1],
      [1, 0, 0, 1, 1, 1, 1, 0, 0, 1],
    ];
    const columns = rows[0]!.map((_, i) => rows[0]![i]! + rows[1]![i]!);
    const ms = meanSquares({ seeds: 2, images: 10, rowSums: [7, 6], columnSquares: columns.reduce((a, c) => a + c * c, 0), squares: 13 });
    expectClose(ms.mean, 0.65, 1e-15, 'mean');
    expectClose(ms.seed, 0.050000000000000135, 1e-13, 'MS seed');
    expectClose(ms.image, 0.3388888888888888, 1e-13, 'MS image');
    expectClose(ms.residual, 0.1611111111111111, 1e-13, 'MS residual');
  });

  it('gives NaN for the parts one seed or one image cannot estimate, and refuses a malformed table', () => {
    const one = meanSquares({ seeds: 1, images: 4, rowSums: [3], columnSquares: 3, squares: 3 });
    expect(one.mean).toBe(0.75);
    expect(one.seed).toBeNaN();
    expect(one.residual).toBeNaN();
    expectClose(one.image, 0.25, 1e-15, 'MS image');
    expect(() => meanSquares({ seeds: 2, images: 4, rowSums: [3], columnSquares: 3, squares: 3 })).toThrow(/row sums/);
  });

  it("adds variances with Satterthwaite's df", () => {
    expectClose(satterthwaite([{ variance: 0.0005, df: 16 }, { variance: 0.00004, df: 199 }]), (0.00054 * 0.00054) / (0.0005 ** 2 / 16 + 0.00004 ** 2 / 199), 1e-15, 'df');
    expect(satterthwaite([{ variance: 0.001, df: 4 }, { variance: 0, df: 10 }])).toBe(4);
    expect(satterthwaite([{ variance: 0, df: 4 }])).toBe(Infinity);
  });
});

/** Each test against R's [low, high, p, se, df, ratio]. */
function expectTests(tests: ModeratedTest[], expected: number[][]): void {
  tests.forEach((t, k) => {
    const [low, high, p, se, df, ratio] = expected[k]!;
    expectClose(t.low, low!, 1e-11, `low ${k}`);
    expectClose(t.high, high!, 1e-11, `high ${k}`);
    expectClose(t.p, p!, 1e-11, `p ${k}`);
    expectClose(t.se, se!, 1e-12, `se ${k}`);
    expectClose(t.df, df!, 1e-12, `df ${k}`);
    expectClose(t.ratio, ratio!, 1e-12, `ratio ${k}`);
  });
}

describe('the moderated t (R: limma squeezeVar, pt, qt)', () => {
  const input = (estimate: number[], seedVariance: number[], floor: number[], resolution: number, seedFactor: number, imageVariance: number[], imageDf: number): ModeratedInput[] =>
    estimate.map((e, k) => ({ estimate: e, seedVariance: seedVariance[k]!, floor: floor[k]!, resolution, seedFactor, imageVariance: imageVariance[k]!, imageDf }));

  it('paired, 3 seeds: ratios to the floor moderated, floored at 1, the image part added', () => {
    const { prior, seedDf, tests } = moderatedTests(
      input(
        [-0.06, 0.01, -0.02, 0.004, 0.03, -0.11, 0.0, 0.015],
        [0.0061, 0.0004, 0.0013, 0.00002, 0.0135, 0.0009, 0.0, 0.0016],
        [0.0011, 0.0007, 0.0009, 0.0002, 0.0012, 0.001, 0.00005, 0.0008],
        1 / (3 * 200 * 200),
        1 / 3,
        [0.00004, 0, 0.00001, 0, 0.00012, 0.00002, 0, 0.00003],
        199,
      ),
      2,
    );
    expectClose(prior.scale, 1.2905915026715276, 1e-12, 'prior scale');
    expectClose(prior.df, 2.9451421532635353, 1e-12, 'prior df');
    expectClose(seedDf, 4.9451421532635358, 1e-12, 'seed df');
    // [low, high, p, se, df, ratio]
    const expected = [
      [-0.14544832912701605, 0.025448329127016056, 0.13285625535909268, 0.033825821311325853, 5.3097417524647055, 3.0114168746883991],
      [-0.029397664687669571, 0.049397664687669575, 0.54191080986060325, 0.015275252316519466, 4.9451421532635358, 1],
      [-0.071842954480802496, 0.031842954480802502, 0.3701744916563236, 0.020392268433559537, 5.1917624914742078, 1.3528153728878294],
      [-0.01705893758575168, 0.02505893758575168, 0.645163826217519, 0.0081649658092772612, 4.9451421532635358, 1],
      [-0.088499867292348308, 0.14849986729234832, 0.55215133523206017, 0.047406952674030778, 5.5183147761602349, 5.3185479045944861],
      [-0.15992572392566465, -0.06007427607433536, 0.0019991903615066576, 0.019938419573234275, 5.4825695865574176, 1.132621725234995],
      [-0.01052946879287584, 0.01052946879287584, 1, 0.0040824829046386306, 4.9451421532635358, 1],
      [-0.037675252118288149, 0.067675252118288148, 0.50778196340513571, 0.021228928492048743, 5.6749033327090821, 1.577502768451946],
    ];
    expectTests(tests, expected);
  });

  it('unpaired, 2 against 3 seeds', () => {
    const { prior, seedDf, tests } = moderatedTests(
      input([-0.04, 0.02, 0.05, -0.01, 0.0], [0.0012, 0.0001, 0.0092, 0.0003, 0.0009], [0.0005, 0.0004, 0.0006, 0.0003, 0.0004], 0.5 / (100 * 100 * 3), 1 / 2 + 1 / 3, [0.0001, 0, 0.00005, 0, 0.00002], 99),
      3,
    );
    expectClose(prior.scale, 1.6362402943736574, 1e-12, 'prior scale');
    expectClose(prior.df, 2.3493935876347365, 1e-12, 'prior df');
    expectClose(seedDf, 5.3493935876347365, 1e-12, 'seed df');
    const expected = [
      [-0.11403811781282661, 0.034038117812826611, 0.23975544084342784, 0.03098766767231757, 6.6605231282824953, 2.064565314647989],
      [-0.026025015301554089, 0.066025015301554094, 0.32017282529382007, 0.018257418583505537, 5.3493935876347365, 1],
      [-0.12197781338721274, 0.22197781338721273, 0.49624384931973486, 0.068621147961219764, 5.4647976193610335, 9.317723895031234],
      [-0.055085072140283589, 0.035085072140283585, 0.5986687634413288, 0.017884557528977225, 5.3493935876347365, 1.279429592029184],
      [-0.064701725514814179, 0.064701725514814179, 1, 0.026079644872848563, 5.6781550285345279, 1.9804436300816886],
    ];
    expectTests(tests, expected);
  });

  it('refuses inputs that are not variances', () => {
    const ok: ModeratedInput = { estimate: 0.01, seedVariance: 0.001, floor: 0.001, resolution: 1e-6, seedFactor: 0.5, imageVariance: 0, imageDf: 99 };
    expect(() => moderatedTests([], 2)).toThrow(/no estimates/);
    expect(() => moderatedTests([{ ...ok, seedVariance: -1 }], 2)).toThrow(/non-negative/);
    expect(() => moderatedTests([{ ...ok, estimate: NaN }], 2)).toThrow(/estimate must be finite/);
    expect(() => moderatedTests([ok], 2, 1)).toThrow(/confidence level/);
  });
});
