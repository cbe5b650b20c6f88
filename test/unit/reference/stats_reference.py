#!/usr/bin/env python3
"""Reference values for test/unit/stats.test.ts and test/unit/analysis.test.ts.

Computed independently of the TypeScript code:
- Student-t and normal CDFs and quantiles with mpmath at 50 significant digits
  (betainc / erfc, and findroot for quantiles), rounded to doubles;
- paired and Welch t tests with scipy.stats.ttest_rel / ttest_ind(equal_var=False)
  and their .confidence_interval(); mean intervals with scipy.stats.t.interval;
- Wilson intervals with scipy.stats.binomtest(...).proportion_ci(method='wilson');
  Newcombe's hybrid score interval by its closed form from those Wilson bounds;
  the pooled two-proportion z test with scipy.stats.norm.sf;
- Benjamini-Hochberg with scipy.stats.false_discovery_control(method='bh').

The tests never run this script: its printed values are written into them.
Run: python3 test/unit/reference/stats_reference.py  (scipy 1.17, numpy 2.4, mpmath 1.3)

The analysis fixture below (COUNTS) is the same as in analysis.test.ts; the
expected numbers follow the rules documented in src/study/analysis.ts
(methods, zero-spread fallback to pooled binomial counts, shared-seed pairing).
It prints scipy's t intervals uncut; the analysis cuts accuracy intervals to
[0, 1] (and deltas to [-1, 1]), so the test writes the bounds above 1 as 1.
"""
import mpmath as mp
import numpy as np
from scipy import stats

mp.mp.dps = 50


def f(x):
    return repr(float(x))


# ---------------------------------------------------------------- distributions
def t_cdf(t, df):
    t, df = mp.mpf(t), mp.mpf(df)
    tail = mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2
    return tail if t < 0 else 1 - tail


def t_ppf(p, df):
    p = mp.mpf(p)
    start = float(stats.t.ppf(float(p), float(df)))  # only a starting point for the root finder
    return mp.findroot(lambda t: t_cdf(t, df) - p, mp.mpf(start) if start != 0 else mp.mpf('1e-12'))


def norm_cdf(x):
    return mp.erfc(-mp.mpf(x) / mp.sqrt(2)) / 2


def norm_ppf(p):
    return mp.findroot(lambda x: norm_cdf(x) - mp.mpf(p), mp.mpf(float(stats.norm.ppf(p))))


print('// t CDF [t, df, cdf]')
for t, df in [(2.5, 3), (-40, 2), (1e-8, 5), (-3, 0.3), (-1e20, 0.1), (5, 1e6), (-12, 30), (0.3, 2.5), (-2.2, 4.801515265171404), (-200, 1), (-1e200, 0.05), (3, 1)]:
    print(f'[{f(t)}, {f(df)}, {f(t_cdf(t, df))}],')

print('// t quantile [p, df, t]')
for p, df in [(0.975, 1), (0.975, 2), (0.975, 3), (0.975, 4), (0.975, 10), (0.975, 29), (0.975, 3.7), (0.995, 2), (1e-12, 4), (0.5 + 1e-10, 7), (0.025, 0.1), (0.975, 1e6), (0.3, 2.5), (0.8, 5), (1e-40, 3)]:
    print(f'[{f(p)}, {f(df)}, {f(t_ppf(p, df))}],')

print('// normal CDF [x, cdf]')
for x in [-37, -8, -1.5, 0.25, 3]:
    print(f'[{f(x)}, {f(norm_cdf(x))}],')
print('// normal quantile [p, x]')
for p in [0.975, 0.5 + 1e-9, 0.02, 1e-10, 1e-300, 0.999]:
    print(f'[{f(p)}, {f(norm_ppf(p))}],')

# ---------------------------------------------------------------- intervals
print('// mean interval: values, [mean, low, high]')
for values in [[0.8, 0.84, 0.82], [0.61, 0.7, 0.66, 0.58, 0.73]]:
    m = np.mean(values)
    lo, hi = stats.t.interval(0.95, len(values) - 1, loc=m, scale=stats.sem(values))
    print(values, f'[{f(m)}, {f(lo)}, {f(hi)}]')
    lo, hi = stats.t.interval(0.9, len(values) - 1, loc=m, scale=stats.sem(values))
    print('  level 0.9', f'[{f(lo)}, {f(hi)}]')

print('// paired: baseline, treatment, [estimate, low, high, p, df]')
for b, t in [([0.8, 0.84, 0.82], [0.6, 0.7, 0.62]), ([0.5, 0.55, 0.53, 0.6], [0.52, 0.54, 0.58, 0.61])]:
    r = stats.ttest_rel(t, b)
    ci = r.confidence_interval(0.95)
    print(b, t, f'[{f(np.mean(np.subtract(t, b)))}, {f(ci.low)}, {f(ci.high)}, {f(r.pvalue)}, {int(r.df)}]')

print('// welch: baseline, treatment, [estimate, low, high, p, df]')
for b, t in [([0.8, 0.84, 0.82], [0.6, 0.7, 0.62, 0.66]), ([0.9, 0.9, 0.9], [0.92, 0.88, 0.9]), ([0.5, 0.52], [0.4, 0.45, 0.41, 0.47, 0.43])]:
    r = stats.ttest_ind(t, b, equal_var=False)
    ci = r.confidence_interval(0.95)
    print(b, t, f'[{f(np.mean(t) - np.mean(b))}, {f(ci.low)}, {f(ci.high)}, {f(r.pvalue)}, {f(r.df)}]')


def wilson(k, n, level=0.95):
    ci = stats.binomtest(k, n).proportion_ci(level, method='wilson')
    return ci.low, ci.high


def newcombe(kb, nb, kt, nt, level=0.95):
    pb, pt = kb / nb, kt / nt
    lb, ub = wilson(kb, nb, level)
    lt, ut = wilson(kt, nt, level)
    d = pt - pb
    low = d - np.sqrt((pt - lt) ** 2 + (ub - pb) ** 2)
    high = d + np.sqrt((ut - pt) ** 2 + (pb - lb) ** 2)
    pooled = (kb + kt) / (nb + nt)
    se = np.sqrt(pooled * (1 - pooled) * (1 / nb + 1 / nt))
    p = 1.0 if se == 0 or d == 0 else 2 * stats.norm.sf(abs(d) / se)
    return d, low, high, p


print('// wilson [k, n, low, high]')
for k, n in [(7, 20), (0, 10), (10, 10), (1, 3), (812, 1000)]:
    lo, hi = wilson(k, n)
    print(f'[{k}, {n}, {f(lo)}, {f(hi)}],')
lo, hi = wilson(7, 20, 0.99)
print('  7/20 at 0.99', f(lo), f(hi))

print('// newcombe [kb, nb, kt, nt, d, low, high, p]')
for kb, nb, kt, nt in [(45, 50, 30, 50), (10, 10, 10, 10), (0, 20, 3, 20), (56, 70, 41, 70), (120, 150, 44, 50)]:
    d, lo, hi, p = newcombe(kb, nb, kt, nt)
    print(f'[{kb}, {nb}, {kt}, {nt}, {f(d)}, {f(lo)}, {f(hi)}, {f(p)}],')

print('// BH')
for ps in [[0.01, 0.04, 0.03, 0.5], [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216], [0.2, 0.2, 0.01, 1.0, 0.04]]:
    print(ps, '->', [f(q) for q in stats.false_discovery_control(ps, method='bh')])

# ---------------------------------------------------------------- the analysis fixture
# correct out of 50 per class; classes: cat, "dog, spotted", barn "spider", truck
N = 50
COUNTS = {
    'base': {0: [40, 35, 34, 45], 1: [42, 33, 35, 45], 2: [41, 36, 33, 45]},
    'crop': {0: [43, 33, 23, 45], 1: [44, 31, 22, 45], 2: [42, 34, 24, 45]},
    'wd': {3: [41, 36, 30, 46], 4: [39, 37, 31, 44], 5: [43, 34, 29, 45]},
    'crop-half': {1: [43, 30, 28, 44], 2: [40, 34, 27, 46], 3: [44, 33, 30, 45]},
    'crop-wd': {0: [44, 30, 20, 46]},
}
K = 4


def acc(group, seed, k):
    return COUNTS[group][seed][k] / N


def accuracy_interval(group, seeds, k, binomial):
    values = [acc(group, s, k) for s in seeds]
    if binomial or len(set(values)) == 1:
        c = sum(COUNTS[group][s][k] for s in seeds)
        lo, hi = wilson(c, N * len(seeds))
        return c / (N * len(seeds)), lo, hi
    m = np.mean(values)
    lo, hi = stats.t.interval(0.95, len(values) - 1, loc=m, scale=stats.sem(values))
    return m, lo, hi


def pooled_diff(bg, bseeds, tg, tseeds, k):
    kb = sum(COUNTS[bg][s][k] for s in bseeds)
    kt = sum(COUNTS[tg][s][k] for s in tseeds)
    return newcombe(kb, N * len(bseeds), kt, N * len(tseeds))


def comparison(bg, tg):
    bs, ts = sorted(COUNTS[bg]), sorted(COUNTS[tg])
    shared = sorted(set(bs) & set(ts))
    if len(bs) < 2 or len(ts) < 2:
        method = 'binomial'
    elif bs == ts or len(shared) >= 2:
        method = 'paired-t'
        bs = ts = shared
    else:
        method = 'welch-t'
    print(f'// {bg} -> {tg}: {method}, seeds {bs} / {ts}')
    ps, rows = [], []
    for k in range(K):
        b = accuracy_interval(bg, bs, k, method == 'binomial')
        t = accuracy_interval(tg, ts, k, method == 'binomial')
        bv = [acc(bg, s, k) for s in bs]
        tv = [acc(tg, s, k) for s in ts]
        fallback = None
        if method == 'paired-t':
            diffs = [COUNTS[tg][s][k] - COUNTS[bg][s][k] for s in bs]
            if len(set(diffs)) == 1:
                fallback = 'binomial'
            else:
                r = stats.ttest_rel(tv, bv)
                ci = r.confidence_interval(0.95)
                d = (np.mean(tv) - np.mean(bv), ci.low, ci.high, r.pvalue)
        elif method == 'welch-t':
            if len(set(bv)) == 1 and len(set(tv)) == 1:
                fallback = 'binomial'
            else:
                r = stats.ttest_ind(tv, bv, equal_var=False)
                ci = r.confidence_interval(0.95)
                d = (np.mean(tv) - np.mean(bv), ci.low, ci.high, r.pvalue)
        if method == 'binomial' or fallback:
            d = pooled_diff(bg, bs, tg, ts, k)
        ps.append(d[3])
        rows.append((b, t, d, fallback))
    qs = stats.false_discovery_control(ps, method='bh')
    for k, ((b, t, d, fb), q) in enumerate(zip(rows, qs)):
        print(f'  class {k}: base [{f(b[0])}, {f(b[1])}, {f(b[2])}] treat [{f(t[0])}, {f(t[1])}, {f(t[2])}]')
        print(f'           delta [{f(d[0])}, {f(d[1])}, {f(d[2])}] p {f(d[3])} q {f(q)}' + (f' fallback {fb}' if fb else ''))
    # Summary: per-seed accuracy averaged over classes, same method.
    bm = [np.mean([acc(bg, s, k) for k in range(K)]) for s in bs]
    tm = [np.mean([acc(tg, s, k) for k in range(K)]) for s in ts]
    if method == 'paired-t':
        r = stats.ttest_rel(tm, bm)
        ci = r.confidence_interval(0.95)
        print(f'  meanDelta [{f(np.mean([r[2][0] for r in rows]))}, {f(ci.low)}, {f(ci.high)}]')
    elif method == 'welch-t':
        r = stats.ttest_ind(tm, bm, equal_var=False)
        ci = r.confidence_interval(0.95)
        print(f'  meanDelta [{f(np.mean([r[2][0] for r in rows]))}, {f(ci.low)}, {f(ci.high)}]')
    else:
        kb = sum(sum(COUNTS[bg][s]) for s in bs)
        kt = sum(sum(COUNTS[tg][s]) for s in ts)
        d, lo, hi, _ = newcombe(kb, N * K * len(bs), kt, N * K * len(ts))
        print(f'  meanDelta [{f(np.mean([r[2][0] for r in rows]))}, {f(lo)}, {f(hi)}]')


for treatment in ['crop', 'wd', 'crop-half', 'crop-wd']:
    comparison('base', treatment)
