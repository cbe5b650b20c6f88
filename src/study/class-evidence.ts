/**
 * What runs on one test set say about one class, reduced to the sufficient
 * statistics of src/stats/crossed.ts: seeds × images tables of correctness
 * (one side) or of paired differences in correctness (two sides, seed by
 * seed). With every run's per-image predictions and the test set's labels,
 * the tables are exact; a run without them (a provisional evaluation, a file
 * from before predictions were kept) leaves only its per-class counts.
 */
import type { CrossedTable } from '../stats';

/** What the tables need of a run. */
export interface RunCounts {
  perClass: readonly { correct: number; total: number }[];
  /** The predicted class of each test image, in test order. */
  predictions?: readonly number[] | undefined;
}

/** The test images of each class, by index into the test set: from the labels every run shares. */
export type ClassImages = readonly (readonly number[])[];

const imagesByLabels = new WeakMap<readonly number[], ClassImages>();

/** Each class's test images; cached per labels array, which every re-analysis of the same runs shares. */
export function classImages(labels: readonly number[], classes: number): ClassImages {
  const cached = imagesByLabels.get(labels);
  if (cached?.length === classes) return cached;
  const out: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) out[labels[i]!]?.push(i);
  imagesByLabels.set(labels, out);
  return out;
}

const correctness = new WeakMap<readonly number[], { labels: readonly number[]; correct: Uint8Array }>();

/** 1 where the run got the image right, per test image; cached per predictions array, since the views re-analyse on every evaluation. */
function correctOf(predictions: readonly number[], labels: readonly number[]): Uint8Array {
  const cached = correctness.get(predictions);
  if (cached?.labels === labels) return cached.correct;
  const correct = new Uint8Array(predictions.length);
  for (let i = 0; i < predictions.length; i++) correct[i] = predictions[i] === labels[i] ? 1 : 0;
  correctness.set(predictions, { labels, correct });
  return correct;
}

/** The per-image view of a set of runs: null when any of them lacks predictions (counts only, then). */
export interface ImageEvidence {
  labels: readonly number[];
  images: ClassImages;
}

export function perImageCorrect(run: RunCounts, evidence: ImageEvidence): Uint8Array {
  return correctOf(run.predictions!, evidence.labels);
}

/** One side's correctness on class k: seeds × the class's images. */
export function sideTable(runs: readonly RunCounts[], k: number, evidence: ImageEvidence | null): CrossedTable {
  const n = runs[0]!.perClass[k]!.total;
  const rowSums = runs.map((r) => r.perClass[k]!.correct);
  const squares = rowSums.reduce((a, b) => a + b, 0);
  if (!evidence) return { seeds: runs.length, images: n, rowSums, squares, columnSquares: NaN };
  const correct = runs.map((r) => perImageCorrect(r, evidence));
  let columnSquares = 0;
  for (const i of evidence.images[k]!) {
    let column = 0;
    for (const c of correct) column += c[i]!;
    columnSquares += column * column;
  }
  return { seeds: runs.length, images: n, rowSums, squares, columnSquares };
}

/** Per-image column means of one side on class k (for the unpaired image part). */
export function columnMeans(runs: readonly RunCounts[], k: number, evidence: ImageEvidence): Float64Array {
  const correct = runs.map((r) => perImageCorrect(r, evidence));
  const images = evidence.images[k]!;
  return Float64Array.from(images, (i) => correct.reduce((a, c) => a + c[i]!, 0) / runs.length);
}

/** Discordant images of one pair of runs on class k: b right only under the treatment, c only under the baseline. */
export function discordance(baseline: RunCounts, treatment: RunCounts, k: number, evidence: ImageEvidence): { b: number; c: number } {
  const cb = perImageCorrect(baseline, evidence);
  const ct = perImageCorrect(treatment, evidence);
  let b = 0;
  let c = 0;
  for (const i of evidence.images[k]!) {
    const d = ct[i]! - cb[i]!;
    if (d > 0) b++;
    else if (d < 0) c++;
  }
  return { b, c };
}

/**
 * The paired differences treatment − baseline on class k, seed by seed
 * (runs at the same index share a seed). Without images the table's
 * per-image statistics are NaN: only its row sums are known.
 */
export function pairedTable(baseline: readonly RunCounts[], treatment: readonly RunCounts[], k: number, evidence: ImageEvidence | null): CrossedTable {
  const n = baseline[0]!.perClass[k]!.total;
  const rowSums = baseline.map((b, s) => treatment[s]!.perClass[k]!.correct - b.perClass[k]!.correct);
  if (!evidence) return { seeds: baseline.length, images: n, rowSums, squares: NaN, columnSquares: NaN };
  const cb = baseline.map((r) => perImageCorrect(r, evidence));
  const ct = treatment.map((r) => perImageCorrect(r, evidence));
  let squares = 0;
  let columnSquares = 0;
  for (const i of evidence.images[k]!) {
    let column = 0;
    for (let s = 0; s < cb.length; s++) {
      const d = ct[s]![i]! - cb[s]![i]!;
      column += d;
      squares += d * d;
    }
    columnSquares += column * column;
  }
  return { seeds: baseline.length, images: n, rowSums, squares, columnSquares };
}
