#!/usr/bin/env python3
"""Reference values for test/unit/stats.test.ts.

Computed independently of the TypeScript code:
- Student-t and normal CDFs and quantiles with mpmath at 50 significant digits
  (betainc / erfc, and findroot for quantiles), rounded to doubles;
- Wilson intervals with scipy.stats.binomtest(...).proportion_ci(method='wilson');
  Newcombe's hybrid score interval by its closed form from those Wilson bounds;
  the pooled two-proportion z test with scipy.stats.norm.sf;
- Benjamini-Hochberg with scipy.stats.false_discovery_control(method='bh').

The tests never run this script: its printed values are written into them.
Run: python3 test/unit/reference/stats_reference.py  (scipy 1.17, numpy 2.4, mpmath 1.3)
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
