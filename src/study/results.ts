/**
 * The results file: what the workbench exports, the headless runner writes
 * and volunteers upload. One schema, checked at every boundary (worker →
 * page, file import, upload), including the arithmetic a forged or truncated
 * file would get wrong.
 */
import { z } from 'zod';
import { CUSTOM_KERNELS, KERNEL_POLICIES, TILED_KERNELS } from '../engine/kernels/names';
import { configHash, ConfigError, parseWith, runConfigSchema } from './config';
import { studySpecSchema } from './study';

export const RESULTS_SCHEMA = 'classwise.results/1';

const count = z.number().int().nonnegative();

export const perClassSchema = z.array(z.strictObject({ class: z.string(), correct: count, total: count }));

export const evaluationSchema = z.strictObject({
  epoch: count,
  step: count,
  top1: z.number().min(0).max(1),
  perClass: perClassSchema,
});

export const historyEntrySchema = z.strictObject({
  step: count,
  epoch: count,
  loss: z.number(),
  lr: z.number().nonnegative(),
  imagesPerSec: z.number().nonnegative(),
});

export const environmentSchema = z.strictObject({
  backend: z.enum(['webgpu', 'webgl', 'cpu']),
  adapter: z
    .strictObject({ vendor: z.string(), architecture: z.string(), device: z.string(), description: z.string(), shaderF16: z.boolean() })
    .nullable(),
  fallbacks: z.array(z.strictObject({ backend: z.string(), reason: z.string() })),
  browser: z.string(),
  tfjsVersion: z.string(),
  /** The WebGPU kernels the run used (absent in older files and off WebGPU). */
  kernels: z
    .strictObject({
      policy: z.enum(KERNEL_POLICIES),
      custom: z.array(z.enum(CUSTOM_KERNELS)),
      /** The convolutions that ran their workgroup-memory tiled variant (absent in files from before it existed). */
      tiled: z.array(z.enum(TILED_KERNELS)).optional(),
      fusions: z.boolean(),
      tuningKey: z.string().nullable(),
      timings: z.array(
        z.strictObject({
          kernel: z.enum(CUSTOM_KERNELS),
          stockMs: z.number().nonnegative(),
          customMs: z.number().nonnegative(),
          tiledMs: z.number().nonnegative().nullable().optional(),
          cases: z.number().int().positive(),
        }),
      ),
    })
    .optional(),
});

const sha256Digest = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha-256 hex digest');

/** How a slice was cut (src/data/slice.ts); absent for a dataset used whole, and in results from before slices. */
export const datasetSliceSchema = z.strictObject({
  of: z.strictObject({ name: z.string(), contentHash: sha256Digest }),
  trainPerClass: z.number().int().positive().optional(),
  testPerClass: z.number().int().positive().optional(),
  classes: z.array(z.string()).min(2).optional(),
  resize: z.number().int().positive().optional(),
  seed: z.number().int().nonnegative(),
});

export const datasetIdentitySchema = z.strictObject({
  name: z.string(),
  classNames: z.array(z.string()).min(2),
  testCount: count,
  contentHash: sha256Digest,
  slice: datasetSliceSchema.optional(),
});

export const runResultSchema = z
  .strictObject({
    config: runConfigSchema,
    configHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha-256 hex digest'),
    seed: z.number().int().nonnegative(),
    environment: environmentSchema,
    dataset: datasetIdentitySchema,
    top1: z.number().min(0).max(1),
    perClass: perClassSchema,
    confusion: z.array(z.array(count)),
    /** The final model's predicted class for each test image, in test order (absent in results from before it was kept). */
    predictions: z.array(count).optional(),
    /**
     * The true class of each test image, in test order: with the predictions,
     * which images each run got right, so that the analysis can pair runs
     * image by image (absent in results from before it was kept).
     */
    labels: z.array(count).optional(),
    evaluations: z.array(evaluationSchema),
    history: z.array(historyEntrySchema),
    steps: count,
    startedAt: z.iso.datetime(),
    wallTimeSec: z.number().nonnegative(),
  })
  .superRefine((run, ctx) => {
    const classes = run.dataset.classNames.length;
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (run.perClass.length !== classes) issue(['perClass'], `has ${run.perClass.length} entries for ${classes} classes`);
    const total = run.perClass.reduce((n, c) => n + c.total, 0);
    if (total !== run.dataset.testCount) issue(['perClass'], `totals add up to ${total}, not the ${run.dataset.testCount} test images`);
    run.perClass.forEach((c, k) => {
      if (c.correct > c.total) issue(['perClass', k, 'correct'], `${c.correct} correct out of ${c.total}`);
      if (c.class !== run.dataset.classNames[k]) issue(['perClass', k, 'class'], `is "${c.class}", expected "${run.dataset.classNames[k]}"`);
      const row = run.confusion[k];
      if (!row || row.length !== classes) return issue(['confusion', k], `must have ${classes} entries`);
      if (row[k] !== c.correct) issue(['confusion', k, k], `diagonal ${row[k]} differs from perClass correct ${c.correct}`);
      const rowSum = row.reduce((a, b) => a + b, 0);
      if (rowSum !== c.total) issue(['confusion', k], `row sums to ${rowSum}, perClass total is ${c.total}`);
    });
    if (run.confusion.length !== classes) issue(['confusion'], `has ${run.confusion.length} rows for ${classes} classes`);
    if (run.predictions) checkPredictions(run.predictions, run.confusion, run.dataset.testCount, issue);
    if (run.labels) checkLabels(run.labels, run.predictions, run.confusion, run.perClass, issue);
    const correct = run.perClass.reduce((n, c) => n + c.correct, 0);
    if (total > 0 && Math.abs(correct / total - run.top1) > 1e-9) issue(['top1'], `${run.top1} differs from the per-class counts (${correct}/${total})`);
  });

/** Predictions must be one per test image, name real classes, and add up to the confusion matrix's columns. */
function checkPredictions(predictions: number[], confusion: number[][], testCount: number, issue: (path: (string | number)[], message: string) => void): void {
  if (predictions.length !== testCount) return issue(['predictions'], `has ${predictions.length} entries for ${testCount} test images`);
  const classes = confusion.length;
  const predicted = new Array<number>(classes).fill(0);
  for (const [i, p] of predictions.entries()) {
    if (p >= classes) return issue(['predictions', i], `class ${p} does not exist (${classes} classes)`);
    predicted[p]!++;
  }
  for (let k = 0; k < classes; k++) {
    const column = confusion.reduce((n, row) => n + (row[k] ?? 0), 0);
    if (column !== predicted[k]) return issue(['predictions'], `predict class ${k} ${predicted[k]} times, the confusion matrix ${column}`);
  }
}

/** Labels must be one per test image, count each class's test images, and with the predictions make exactly the confusion matrix. */
function checkLabels(
  labels: number[],
  predictions: number[] | undefined,
  confusion: number[][],
  perClass: { total: number }[],
  issue: (path: (string | number)[], message: string) => void,
): void {
  const classes = perClass.length;
  const total = perClass.reduce((n, c) => n + c.total, 0);
  if (labels.length !== total) return issue(['labels'], `has ${labels.length} entries for ${total} test images`);
  const counts = new Array<number>(classes).fill(0);
  for (const [i, label] of labels.entries()) {
    if (label >= classes) return issue(['labels', i], `class ${label} does not exist (${classes} classes)`);
    counts[label]!++;
  }
  const miscounted = counts.findIndex((n, k) => n !== perClass[k]!.total);
  if (miscounted >= 0) return issue(['labels'], `label ${counts[miscounted]} images class ${miscounted}, perClass total is ${perClass[miscounted]!.total}`);
  if (!predictions || predictions.length !== labels.length) return;
  const pairs = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  labels.forEach((label, i) => pairs[label]![predictions[i]!]!++);
  for (let k = 0; k < classes; k++) {
    const j = pairs[k]!.findIndex((n, j) => n !== confusion[k]?.[j]);
    if (j >= 0) return issue(['labels'], `with the predictions give ${pairs[k]![j]} images of class ${k} predicted ${j}, the confusion matrix ${confusion[k]?.[j]}`);
  }
}

export const resultsFileSchema = z.strictObject({
  schema: z.literal(RESULTS_SCHEMA),
  createdAt: z.iso.datetime(),
  study: studySpecSchema,
  runs: z.array(runResultSchema),
});

export type RunResult = z.output<typeof runResultSchema>;
export type ResultsFile = z.output<typeof resultsFileSchema>;
export type Evaluation = z.output<typeof evaluationSchema>;
export type HistoryEntry = z.output<typeof historyEntrySchema>;
export type Environment = z.output<typeof environmentSchema>;

/**
 * Parses and checks a results file: the schema, each run's arithmetic, and
 * that every configHash is the hash of its config (a hand-edited config
 * would otherwise be pooled under the wrong identity).
 */
export async function parseResultsFile(value: unknown): Promise<ResultsFile> {
  const results = parseWith(resultsFileSchema, value, 'results file');
  const mismatched: string[] = [];
  for (const [i, run] of results.runs.entries()) {
    if ((await configHash(run.config)) !== run.configHash) mismatched.push(`runs.${i}.configHash: does not match the run's config`);
  }
  if (mismatched.length) throw new ConfigError('results file', mismatched);
  return results;
}

export async function parseRunResult(value: unknown): Promise<RunResult> {
  const run = parseWith(runResultSchema, value, 'run result');
  if ((await configHash(run.config)) !== run.configHash) throw new ConfigError('run result', ["configHash: does not match the run's config"]);
  return run;
}
