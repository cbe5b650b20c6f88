/**
 * The analysis written out: the per-class CSV (the workbench's download and
 * `npm run analyze -- --format csv`), the JSON object of `--format json`, a
 * plain-text table, and the words that name each comparison's method. Every
 * renderer reads the one StudyAnalysis; none computes a statistic.
 */
import { CONFIDENCE, FDR, type ClassDelta, type Comparison, type StudyAnalysis } from './analysis';
import { PLANNED_DROP, TARGET_POWER } from './planning';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const pct = (fraction: number, digits = 0) => `${(fraction * 100).toFixed(digits)}%`;
const pp = (fraction: number) => `${(fraction * 100).toFixed(0)} pp`;

/** The seeds a comparison stands on, per side: "3 seeds" when paired, else both sides'. */
export function seedsWords(c: Comparison): string {
  if (c.method === 'moderated-paired') return `${plural(c.pairedSeeds.length, 'seed')} paired (${c.pairedSeeds.join(', ')})`;
  if (c.method === 'moderated-unpaired') return `seeds not matched (baseline ${c.baselineSeeds.join(', ')}; treatment ${c.treatmentSeeds.join(', ')})`;
  const [b, t] = [c.baselineSeeds[0], c.treatmentSeeds[0]];
  return b === t ? `one model each, seed ${b}` : `one model each, baseline seed ${b}, treatment seed ${t}`;
}

/**
 * The method in plain words, with what it can and cannot say. One seed a
 * side is "model vs model": it compares two trained models, and says so.
 */
export function methodWords(c: Comparison, analysis: StudyAnalysis): string {
  const m = analysis.multiplicity;
  const evidence =
    c.evidence === 'images'
      ? 'every test image counted for both models of each seed (paired by image and by seed)'
      : 'from per-class counts only (runs still training, or files without per-image predictions): the floor assumes the two models err independently, which overstates the noise, so these intervals are wider than the final ones';
  switch (c.method) {
    case 'moderated-paired':
    case 'moderated-unpaired': {
      const pooled = c.moderation && c.moderation.priorDf === Infinity ? 'fully pooled' : `worth ${c.moderation?.priorDf.toFixed(1)} extra seeds' degrees of freedom`;
      return (
        `Intervals (${pct(CONFIDENCE)}) and verdicts: a moderated t over ${seedsWords(c)}, ${evidence}. ` +
        `Each class's seed-to-seed spread borrows strength from the other ${c.classes.length - 1} classes (empirical Bayes, ${pooled}) and is never taken below what its test images alone allow. ` +
        `Verdicts at a ${pct(FDR)} false-discovery rate (Benjamini–Hochberg) over the study's ${plural(m.tests, 'test')} of a regularizer's effect.`
      );
    }
    case 'model-vs-model':
      return (
        `Model vs model: ${seedsWords(c)}. With one seed a side, whether the regularizer hurts a class has no answer: another seed can move a class as much. ` +
        (c.evidence === 'images'
          ? "What is shown is how these two trained models differ, by McNemar's exact test on the test images they classify differently, with its exact interval"
          : 'What is shown is how these two trained models differ, from their per-class counts (Newcombe interval, two-proportion z test; without per-image predictions the two models are treated as independent)') +
        `; q over the study's ${plural(m.modelTests, 'model-vs-model test')}. Run two or more seeds per config for verdicts.`
      );
  }
}

/** The study-wide line beside the counts: what the false-discovery control promises, in like-for-like numbers. */
export function multiplicityWords(analysis: StudyAnalysis): string {
  const m = analysis.multiplicity;
  if (m.tests === 0) return 'No verdicts yet: verdicts on a regularizer need two or more seeds a side.';
  const expected = FDR * m.flagged;
  return (
    `${plural(m.flagged, 'class', 'classes')} flagged over the study's ${plural(m.tests, 'test')} at a ${pct(FDR)} false-discovery rate: ` +
    `with no effect anywhere, a study flags any class at most ${pct(FDR)} of the time; of the ${m.flagged} flagged, at most about ${expected.toFixed(expected < 1 ? 2 : 1)} are expected to be false.`
  );
}

/** The planning aid in words, for a comparison: the median class's detectable drop with these seeds. */
export function planningWords(c: Comparison): string {
  const plans = c.classes.flatMap((d) => (d.plan ? [d.plan] : []));
  if (plans.length === 0) return '';
  const needed = plans.map((p) => p.seedsForPlannedDrop ?? Infinity).sort((a, b) => a - b);
  const medianNeeded = needed[needed.length >> 1]!;
  const forDrop = `a ${pp(PLANNED_DROP)} drop needs ${Number.isFinite(medianNeeded) ? `about ${medianNeeded} seeds a side` : 'more than 50 seeds a side'} for the median class`;
  if (c.method === 'model-vs-model') {
    return `Planning (${pct(TARGET_POWER)} power): with one seed a side the seed-to-seed spread is unmeasured; if seeds vary no more than the test images force, ${forDrop} (a lower bound).`;
  }
  const detectable = c.summary.detectable;
  return (
    `Planning (${pct(TARGET_POWER)} power): with ${plural(c.baselineSeeds.length, 'seed')} a side, ` +
    (detectable === null ? 'no drop up to 100 points is reliably detected' : `drops of about ${(detectable * 100).toFixed(1)} pp or more are detected for the median class`) +
    `; ${forDrop}.`
  );
}

const CSV_COLUMNS = [
  'dataset',
  'baseline',
  'treatment',
  'baseline config',
  'treatment config',
  'method',
  'evidence',
  'provisional',
  'class index',
  'class',
  'test images',
  'baseline mean',
  'baseline low',
  'baseline high',
  'treatment mean',
  'treatment low',
  'treatment high',
  'delta',
  'delta low',
  'delta high',
  'p',
  'q',
  'verdict',
  'model difference',
  'se',
  'df',
  'seed sd',
  `detectable drop (${TARGET_POWER * 100}% power)`,
  `seeds for a ${PLANNED_DROP * 100} pp drop`,
  'seeds a side',
  'baseline seed ids',
  'treatment seed ids',
] as const;

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
function csvField(value: string | number | null): string {
  const text = value === null ? '' : typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function seedsASide(c: Comparison): number {
  return Math.min(c.baselineSeeds.length, c.treatmentSeeds.length);
}

/**
 * The per-class table as CSV (RFC 4180, CRLF line ends): one row per
 * comparison and class, numbers at full precision, seed ids
 * space-separated (the seeds behind each side's numbers).
 */
export function perClassCsv(analysis: StudyAnalysis): string {
  const rows: (string | number | null)[][] = [[...CSV_COLUMNS]];
  for (const c of analysis.comparisons) {
    const provisional = c.baseline.provisional || c.treatment.provisional ? 'yes' : 'no';
    for (const d of c.classes) {
      rows.push([
        analysis.dataset.name,
        c.baseline.label,
        c.treatment.label,
        c.baseline.configHash,
        c.treatment.configHash,
        c.method,
        c.evidence,
        provisional,
        d.classIndex,
        d.className,
        d.testImages,
        d.baseline.estimate,
        d.baseline.low,
        d.baseline.high,
        d.treatment.estimate,
        d.treatment.low,
        d.treatment.high,
        d.delta.estimate,
        d.delta.low,
        d.delta.high,
        d.p,
        d.q,
        d.verdict ?? '',
        d.modelDifference ?? '',
        d.se,
        d.df,
        d.seedSd,
        d.plan?.detectable ?? null,
        d.plan?.seedsForPlannedDrop ?? null,
        seedsASide(c),
        c.baselineSeeds.join(' '),
        c.treatmentSeeds.join(' '),
      ]);
    }
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Infinity and NaN have no JSON: null, as JSON.stringify writes them anyway. */
const finite = (v: number | null | undefined) => (v !== null && v !== undefined && Number.isFinite(v) ? v : null);
const interval = (i: { estimate: number; low: number; high: number }) => ({ estimate: finite(i.estimate), low: finite(i.low), high: finite(i.high) });

function classJson(d: ClassDelta) {
  return {
    class: d.className,
    classIndex: d.classIndex,
    testImages: d.testImages,
    baseline: { ...interval(d.baseline), seeds: d.baseline.seeds },
    treatment: { ...interval(d.treatment), seeds: d.treatment.seeds },
    delta: interval(d.delta),
    p: finite(d.p),
    q: finite(d.q),
    verdict: d.verdict,
    modelDifference: d.modelDifference,
    se: finite(d.se),
    df: finite(d.df),
    seedSd: finite(d.seedSd),
    discordant: d.discordant,
    detectable: finite(d.plan?.detectable),
    seedsForPlannedDrop: d.plan ? d.plan.seedsForPlannedDrop : null,
  };
}

/** The `--format json` object (see README, "The statistics"): comparisons in the analysis's order, classes in the dataset's. */
export function analysisJson(analysis: StudyAnalysis) {
  return {
    schema: 'classwise.analysis/1',
    dataset: { name: analysis.dataset.name, contentHash: analysis.dataset.contentHash, classNames: analysis.dataset.classNames, classTestCounts: analysis.classTestCounts },
    confidence: CONFIDENCE,
    fdr: FDR,
    plannedDrop: PLANNED_DROP,
    targetPower: TARGET_POWER,
    multiplicity: analysis.multiplicity,
    baseline: analysis.baseline && { configHash: analysis.baseline.configHash, label: analysis.baseline.label, seeds: analysis.baseline.seeds },
    comparisons: analysis.comparisons.map((c) => ({
      baseline: c.baseline.configHash,
      treatment: c.treatment.configHash,
      baselineLabel: c.baseline.label,
      treatmentLabel: c.treatment.label,
      method: c.method,
      evidence: c.evidence,
      provisional: c.baseline.provisional || c.treatment.provisional,
      seeds: seedsASide(c),
      baselineSeeds: c.baselineSeeds,
      treatmentSeeds: c.treatmentSeeds,
      moderation: c.moderation && { priorDf: finite(c.moderation.priorDf), priorScale: c.moderation.priorScale, seedDf: finite(c.moderation.seedDf) },
      meanDelta: interval(c.summary.meanDelta),
      hurt: c.summary.hurt,
      helped: c.summary.helped,
      classes: c.classes.map(classJson),
    })),
    notComparable: analysis.notComparable.map((x) => ({ configHash: x.group.configHash, label: x.group.label, reason: x.reason })),
    duplicates: analysis.duplicates,
  };
}

const signed = (fraction: number, digits = 1) => {
  if (!Number.isFinite(fraction)) return '—';
  const v = (fraction * 100).toFixed(digits);
  return Number(v) === 0 ? (0).toFixed(digits) : fraction > 0 ? `+${v}` : v;
};

function table(rows: string[][], right: boolean[]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  return rows.map((r) => r.map((cell, j) => (right[j] ? cell.padStart(widths[j]!) : cell.padEnd(widths[j]!))).join('  ').trimEnd()).join('\n');
}

const short = (hash: string) => hash.slice(0, 8);
const pValue = (p: number) => (!Number.isFinite(p) ? '—' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

/** A readable report: the study's numbers, then one table per comparison. */
export function analysisText(analysis: StudyAnalysis): string {
  const out: string[] = [];
  const images = analysis.classTestCounts.reduce((a, b) => a + b, 0);
  out.push(`Dataset: ${analysis.dataset.name} (${plural(analysis.dataset.classNames.length, 'class', 'classes')}, ${images} test images)`);
  const b = analysis.baseline;
  if (b) out.push(`Baseline: ${b.label} (${short(b.configHash)}), ${plural(b.seeds.length, 'seed')}: ${b.seeds.join(', ')}`);
  for (const d of analysis.duplicates) out.push(`Duplicate: ${plural(d.runs, 'run')} of ${d.label} (${short(d.configHash)}) seed ${d.seed}; one kept (a finished run over a provisional one, else the last given).`);
  for (const x of analysis.notComparable) out.push(`Not compared: ${x.group.label} (${short(x.group.configHash)}): ${x.reason}`);
  out.push(multiplicityWords(analysis));
  for (const c of analysis.comparisons) {
    const provisional = c.baseline.provisional || c.treatment.provisional ? ' [provisional: still training]' : '';
    const s = c.summary;
    out.push('');
    out.push(`${c.treatment.label} (${short(c.treatment.configHash)}) vs ${c.baseline.label}${provisional}`);
    out.push(methodWords(c, analysis));
    out.push(
      `Mean accuracy ${pct(s.baselineMeanAccuracy, 1)} → ${pct(s.treatmentMeanAccuracy, 1)}, ${signed(s.meanDelta.estimate)} pp [${signed(s.meanDelta.low)}, ${signed(s.meanDelta.high)}]; ` +
        (c.method === 'model-vs-model' ? `models differ on ${plural(s.lower + s.higher, 'class', 'classes')} (${s.lower} lower, ${s.higher} higher)` : `${s.hurt} hurt, ${s.helped} helped`),
    );
    const planning = planningWords(c);
    if (planning) out.push(planning);
    const flag = c.method === 'model-vs-model' ? 'models' : 'verdict';
    const rows = [['class', 'baseline', 'treatment', 'Δ pp', `${pct(CONFIDENCE)} interval`, 'p', 'q', flag, 'detectable']];
    for (const d of c.classes) {
      rows.push([
        d.className,
        Number.isFinite(d.baseline.estimate) ? pct(d.baseline.estimate, 1) : '—',
        Number.isFinite(d.treatment.estimate) ? pct(d.treatment.estimate, 1) : '—',
        signed(d.delta.estimate),
        `[${signed(d.delta.low)}, ${signed(d.delta.high)}]`,
        pValue(d.p),
        pValue(d.q),
        d.verdict ?? d.modelDifference ?? '',
        d.plan?.detectable != null ? `${(d.plan.detectable * 100).toFixed(1)} pp` : '—',
      ]);
    }
    out.push(table(rows, [false, true, true, true, true, true, true, false, true]));
  }
  return out.join('\n') + '\n';
}
