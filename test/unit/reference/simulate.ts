/**
 * The simulation figures of docs/statistics.md: false alarms under no effect
 * and power under planted drops, for the analysis as the workbench runs it,
 * on the generative model of test/unit/stats-simulation.ts. The unit tests
 * (stats-calibration.test.ts) run a few hundred studies per case; this runs
 * as many as asked, with the same model and the same checks.
 *
 *   npx tsx test/unit/reference/simulate.ts [--studies N] [--evidence images|counts] [--spread S] [--old]
 *
 * --spread gives the per-seed class effects a log-normal spread across
 * classes (the sensitivity runs in the docs); --old runs the analysis the
 * workbench had before issue 10 (a per-class paired t over seeds, BH inside
 * each comparison; kept here only to measure what it did) for comparison.
 * Prints one line per case: the share of studies flagging any class (no
 * effect) or the share of planted classes found, each with its Monte-Carlo
 * standard error. With one seed a side the new analysis gives no verdicts;
 * what it flags there are differences between the two trained models.
 */
import { parseArgs } from 'node:util';
import { analyzeRuns, type RunOutcome } from '../../../src/study/analysis';
import { Rng } from '../../../src/util/rng';
import { BASELINE_HASH, simulateStudy, type SimulationModel } from '../stats-simulation';
import { oldFlags } from './old-analysis';

const { values } = parseArgs({
  options: {
    studies: { type: 'string', default: '1000' },
    evidence: { type: 'string', default: 'images' },
    spread: { type: 'string', default: '0' },
    old: { type: 'boolean', default: false },
  },
});
const studies = Number(values.studies);
const counts = values.evidence === 'counts';
const spread = Number(values.spread);

/** Per class, flagged or not: the verdicts, or with one seed a side (model vs model) the model differences. */
function flagged(runs: RunOutcome[]): boolean[] {
  if (values.old) return oldFlags(runs);
  const input = counts ? runs.map(({ predictions: _p, labels: _l, ...rest }) => rest) : runs;
  return analyzeRuns(input, BASELINE_HASH, { plan: false }).comparisons[0]!.classes.map((c) => c.verdict !== null || c.modelDifference !== null);
}

function rate(hits: number, trials: number): string {
  const p = hits / trials;
  return `${(100 * p).toFixed(1)}% ± ${(100 * Math.sqrt((p * (1 - p)) / trials)).toFixed(1)}`;
}

const cases: (SimulationModel & { what: 'false alarms' | 'power' })[] = [
  // One seed a side: the old analysis's verdicts, or (new) the model-vs-model differences, which are no verdicts.
  { what: 'false alarms', classes: 10, images: 200, seeds: 1, armSeedSpread: spread },
];
for (const [classes, images] of [
  [10, 200],
  [100, 100],
] as const) {
  for (const seeds of [2, 3, 5]) cases.push({ what: 'false alarms', classes, images, seeds, armSeedSpread: spread });
}
for (const seeds of [2, 3, 5]) cases.push({ what: 'power', classes: 10, images: 200, seeds, planted: [0, 1], drop: 0.1, armSeedSpread: spread });

for (const model of cases) {
  const rng = Rng.fromSeed(20_240, `${model.what} ${model.classes} ${model.seeds} ${spread}`);
  const n = model.classes === 100 ? Math.ceil(studies / 4) : studies;
  let hits = 0;
  let trials = 0;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const flags = flagged(simulateStudy(model, rng));
    if (model.what === 'power') {
      hits += model.planted!.filter((k) => flags[k]).length;
      trials += model.planted!.length;
    } else {
      hits += flags.some(Boolean) ? 1 : 0;
      trials++;
    }
  }
  const label = model.what === 'power' ? `power, −${model.drop! * 100} pp on ${model.planted!.length} of ${model.classes}` : `false alarms, ${model.classes} classes`;
  console.log(`${label}, ${model.images} images a class, ${model.seeds} seeds: ${rate(hits, trials)} (${n} studies, ${((performance.now() - started) / 1000).toFixed(0)} s)`);
}
