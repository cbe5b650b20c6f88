/**
 * The per-class test the workbench used before issue 10, kept only so that
 * simulate.ts can measure it beside the new one: with ≥ 2 seeds a side, a
 * paired t over the seeds' per-class accuracies, falling back to the pooled
 * two-proportion test when every seed's delta is equal; with one seed, the
 * pooled binomial test; Benjamini–Hochberg inside the comparison.
 */
import { benjaminiHochberg, proportionDifference, studentTTwoSided } from '../../../src/stats';
import type { RunOutcome } from '../../../src/study/analysis';
import { BASELINE_HASH } from '../stats-simulation';

function pooledP(baseline: RunOutcome[], treatment: RunOutcome[], k: number): number {
  const sum = (runs: RunOutcome[]) => runs.reduce((acc, r) => ({ correct: acc.correct + r.perClass[k]!.correct, total: acc.total + r.perClass[k]!.total }), { correct: 0, total: 0 });
  return proportionDifference(sum(baseline), sum(treatment)).p;
}

export function oldFlags(runs: RunOutcome[]): boolean[] {
  const baseline = runs.filter((r) => r.configHash === BASELINE_HASH).sort((a, b) => a.seed - b.seed);
  const treatment = runs.filter((r) => r.configHash !== BASELINE_HASH).sort((a, b) => a.seed - b.seed);
  const S = baseline.length;
  const p = baseline[0]!.perClass.map((_, k) => {
    if (S < 2) return pooledP(baseline, treatment, k);
    const d = baseline.map((b, s) => (treatment[s]!.perClass[k]!.correct - b.perClass[k]!.correct) / b.perClass[k]!.total);
    if (d.every((v) => v === d[0])) return pooledP(baseline, treatment, k);
    const mean = d.reduce((a, v) => a + v, 0) / S;
    const sd = Math.sqrt(d.reduce((a, v) => a + (v - mean) ** 2, 0) / (S - 1));
    return studentTTwoSided(mean / (sd / Math.sqrt(S)), S - 1);
  });
  return benjaminiHochberg(p).map((q) => q < 0.05);
}
