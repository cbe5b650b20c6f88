#!/usr/bin/python3
"""Reference values for test/unit/stats-paired.test.ts (and the planning aid's
power in test/unit/planning.test.ts), computed independently of the
TypeScript code with Debian's Python 3 packages (python3-scipy 1.10,
python3-statsmodels 0.13, python3-mpmath):

- binomial tails: scipy.stats.binom.cdf / .sf;
- beta quantiles: mpmath.findroot on mpmath.betainc at 50 digits;
- Clopper-Pearson: Beta quantiles by mpmath at 50 digits (scipy's
  binomtest(...).proportion_ci(method='exact') finds them by brentq and agrees
  only to about 1e-11, as printed);
- McNemar's exact test: statsmodels.stats.contingency_tables.mcnemar(exact=True);
- the noncentral t CDF: mpmath (the Poisson mixture of incomplete betas at 50
  digits), checked against scipy.stats.nct.cdf;
- the two-way ANOVA without replication: statsmodels' ols + anova_lm on the
  long table (value ~ C(seed) + C(image));
- the power of the planning aid: the two-sided t-test power of statsmodels'
  ttest_power, nct.sf(crit) + nct.cdf(-crit), at the df and standard error
  the aid documents, evaluated with mpmath (the critical value by findroot on
  the 50-digit t CDF, the noncentral t as above): scipy 1.10's t.isf is off
  by ~1e-9 at fractional df (6.309203879 for 6.309203872 at df 3.5), so
  statsmodels' own number is printed beside it only as a check.

The tests never run this script: its printed values are written into them.
Run: /usr/bin/python3 test/unit/reference/paired_reference.py
"""
import mpmath as mp
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.power import ttest_power

mp.mp.dps = 50


def f(x):
    return repr(float(x))


print('// binomial tails [k, n, p, P(X <= k), P(X >= k)]')
for k, n, p in [(3, 10, 0.5), (0, 7, 0.5), (17, 40, 0.3), (120, 200, 0.5), (1, 1000, 0.01), (55, 60, 0.9)]:
    print(f'[{k}, {n}, {f(p)}, {f(stats.binom.cdf(k, n, p))}, {f(stats.binom.sf(k - 1, n, p))}],')

def beta_ppf(p, a, b):
    return mp.findroot(lambda x: mp.betainc(a, b, 0, x, regularized=True) - mp.mpf(p), mp.mpf(float(stats.beta.ppf(p, a, b))))


print('// beta quantile [p, a, b, x]')
for p, a, b in [(0.025, 3, 8), (0.975, 4, 7), (1e-6, 2, 5), (0.5, 0.5, 0.5), (0.999, 30, 2), (0.025, 1, 40)]:
    print(f'[{f(p)}, {f(a)}, {f(b)}, {f(beta_ppf(p, a, b))}],')

def clopper_pearson(k, m):
    low = mp.mpf(0) if k == 0 else beta_ppf(0.025, k, m - k + 1)
    high = mp.mpf(1) if k == m else beta_ppf(0.975, k + 1, m - k)
    return low, high


print('// Clopper-Pearson [k, m, low, high]')
for k, m in [(7, 20), (0, 12), (12, 12), (3, 9), (41, 60)]:
    low, high = clopper_pearson(k, m)
    ci = stats.binomtest(k, m).proportion_ci(0.95, method='exact')
    print(f'[{k}, {m}, {f(low)}, {f(high)}],  // scipy differs by {max(abs(ci.low - float(low)), abs(ci.high - float(high))):.0e}')

print('// McNemar exact [b, c, n, estimate, low, high, p]')
for b, c, n in [(14, 4, 200), (5, 5, 150), (0, 6, 90), (22, 31, 1000), (1, 0, 50), (40, 12, 300)]:
    # Only the discordant cells matter to McNemar.
    p = mcnemar(np.array([[0, c], [b, 0]]), exact=True).pvalue
    m = b + c
    lo, hi = clopper_pearson(b, m)
    low, high = mp.mpf(m) / n * (2 * lo - 1), mp.mpf(m) / n * (2 * hi - 1)
    print(f'[{b}, {c}, {n}, {f((b - c) / n)}, {f(low)}, {f(high)}, {f(p)}],')


def nct_cdf(t, df, delta):
    t, df, delta = mp.mpf(t), mp.mpf(df), mp.mpf(delta)
    if t < 0:
        return 1 - nct_cdf(-t, df, -delta)
    x = t * t / (t * t + df)
    total = mp.ncdf(-delta)
    lam = delta * delta / 2
    for j in range(0, 400):
        pj = mp.exp(-lam) * lam ** j / mp.factorial(j)
        qj = delta * mp.exp(-lam) * lam ** j / (mp.sqrt(2) * mp.gamma(j + mp.mpf(3) / 2))
        total += (pj * mp.betainc(j + mp.mpf(1) / 2, df / 2, 0, x, regularized=True) + qj * mp.betainc(j + 1, df / 2, 0, x, regularized=True)) / 2
    return total


print('// noncentral t CDF [t, df, delta, cdf] (mpmath; scipy agrees to the printed relative difference)')
for t, df, delta in [(2.5, 10, 1.5), (3.1, 20, 4.2), (-1.0, 5, 0.8), (1.96, 1000, 2.8), (4.0, 3.5, 2.0), (2.0, 16.8, -1.0), (0.5, 2, 6.0)]:
    v = nct_cdf(t, df, delta)
    rel = abs(stats.nct.cdf(t, df, delta) - float(v)) / float(v)
    print(f'[{f(t)}, {f(df)}, {f(delta)}, {f(v)}],  // scipy rel. diff {rel:.1e}')

print('// two-way ANOVA without replication: table (seeds x images) -> [mean, MS seed, MS image, MS residual]')
tables = {
    'paired deltas': [[1, 0, -1, 0, 1, 1, 0, 0], [0, 0, -1, 1, 1, 0, 0, -1], [1, -1, 0, 0, 1, 1, 0, 0]],
    'correctness': [[1, 1, 0, 1, 0, 1, 1, 1, 0, 1], [1, 0, 0, 1, 1, 1, 1, 0, 0, 1]],
}
for name, rows in tables.items():
    data = pd.DataFrame([(s, i, v) for s, row in enumerate(rows) for i, v in enumerate(row)], columns=['seed', 'image', 'value'])
    fit = smf.ols('value ~ C(seed) + C(image)', data=data).fit()
    a = anova_lm(fit)
    ms = a['mean_sq']
    print(name, rows, f'[{f(data.value.mean())}, {f(ms["C(seed)"])}, {f(ms["C(image)"])}, {f(ms["Residual"])}]')

def t_cdf(t, df):
    t, df = mp.mpf(t), mp.mpf(df)
    tail = mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2
    return tail if t < 0 else 1 - tail


print('// planning power: [seedVariance, imageVariance, images, classes, priorDf, seeds, drop, alpha, power]')


def planned_power(seed_variance, image_variance, images, classes, prior_df, seeds, drop, alpha):
    seed_part = seed_variance / seeds
    seed_df = min(prior_df + seeds - 1, classes * (seeds - 1))
    if image_variance > 0:
        df = (seed_part + image_variance) ** 2 / (seed_part ** 2 / seed_df + image_variance ** 2 / (images - 1))
    else:
        df = seed_df
    se = np.sqrt(seed_part + image_variance)
    crit = mp.findroot(lambda t: t_cdf(t, df) - (1 - mp.mpf(alpha) / 2), mp.mpf(float(stats.t.isf(alpha / 2, df))))
    ncp = drop / se
    power = 1 - nct_cdf(crit, df, ncp) + nct_cdf(-crit, df, ncp)
    # statsmodels' two-sided t-test power, with the effect as the noncentrality (nobs = 1)
    check = ttest_power(ncp, nobs=1, alpha=alpha, df=df, alternative='two-sided')
    return power, df, abs(check - float(power)) / float(power)


for args in [(0.0015, 0.00005, 200, 10, float('inf'), 3, 0.1, 0.005), (0.0015, 0.0, 200, 10, 2.5, 2, 0.1, 0.005), (0.0006, 0.00002, 100, 100, 8.0, 5, 0.05, 0.0005), (0.0004, 0.0, 1000, 10, float('inf'), 4, 0.03, 0.005)]:
    power, df, rel = planned_power(*args)
    print(f'[{", ".join(f(a) if np.isfinite(a) else "Infinity" for a in args)}, {f(power)}],  // df {df!r}; statsmodels differs by {rel:.0e}')
