/**
 * What a publication or an upload must satisfy beyond its schema: a study's
 * dataset must fit its spec, and a result must answer its lease (its unit,
 * its study's dataset, and predictions that account for its counts against
 * the study's test labels). Pure: each returns one line per problem.
 */
import { z } from 'zod';
import { TEACHING_CLASSES } from '../data/teaching';
import { parseWith } from '../study/config';
import { parseRunResult, runResultSchema, type RunResult } from '../study/results';
import type { StudySpec } from '../study/study';
import { canonicalJson } from '../util/hash';
import type { DatasetInfo, StudyRow, UnitRow } from './store';

const count = z.number().int().nonnegative();

/** The dataset as an organiser publishes it: its identity as the engine reports it, and the true class of every test image. */
export const publishedDatasetSchema = z
  .strictObject({
    manifestUrl: z.string().min(1, 'a manifest URL is required').max(2048),
    contentHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha-256 hex digest'),
    testCount: z.number().int().positive(),
    classNames: z
      .array(z.string().min(1).max(200))
      .min(2)
      .max(1000)
      .refine((names) => new Set(names).size === names.length, 'class names must be distinct'),
    classTestCounts: z.array(count).optional(),
    testLabels: z.array(count, 'the true class of every test image, in test order (npm run publish-study sends them)'),
  })
  .superRefine((d, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (d.testLabels.length !== d.testCount) issue(['testLabels'], `has ${d.testLabels.length} labels for ${d.testCount} test images`);
    const bad = d.testLabels.findIndex((label) => label >= d.classNames.length);
    if (bad >= 0) return issue(['testLabels', bad], `class ${d.testLabels[bad]} does not exist (${d.classNames.length} classes)`);
    const counts = d.classNames.map(() => 0);
    for (const label of d.testLabels) counts[label]!++;
    if (!d.classTestCounts) return;
    if (d.classTestCounts.length !== d.classNames.length) {
      return issue(['classTestCounts'], `has ${d.classTestCounts.length} entries for ${d.classNames.length} classes`);
    }
    d.classTestCounts.forEach((n, k) => {
      if (n !== counts[k]) issue(['classTestCounts', k], `${n}, but testLabels have ${counts[k]} images of "${d.classNames[k]}"`);
    });
  });

export type PublishedDataset = z.output<typeof publishedDatasetSchema>;

/** The study's dataset as stored: per-class test counts follow from the labels when not given. */
export function datasetInfo(d: PublishedDataset): DatasetInfo {
  const counts = d.classNames.map(() => 0);
  for (const label of d.testLabels) counts[label]!++;
  return { manifestUrl: d.manifestUrl, contentHash: d.contentHash, testCount: d.testCount, classNames: d.classNames, classTestCounts: d.classTestCounts ?? counts };
}

/** Checks that spec and published dataset describe the same data, where the spec says enough to tell. */
export function checkSpecAgainstDataset(dataset: DatasetInfo, specDataset: StudySpec['baseline']['dataset']): string[] {
  const issues: string[] = [];
  const expect = (classes: number, testCount: number) => {
    if (dataset.classNames.length !== classes) issues.push(`dataset.classNames: ${dataset.classNames.length} names for the spec's ${classes} classes`);
    if (dataset.testCount !== testCount) issues.push(`dataset.testCount: ${dataset.testCount}, the spec's dataset has ${testCount} test images`);
  };
  switch (specDataset.kind) {
    case 'manifest':
      if (specDataset.url !== dataset.manifestUrl) issues.push(`dataset.manifestUrl: "${dataset.manifestUrl}" is not the spec's manifest URL "${specDataset.url}"`);
      break;
    case 'synthetic':
      expect(specDataset.classes, specDataset.classes * specDataset.testPerClass);
      break;
    case 'teaching':
      expect(TEACHING_CLASSES.length, TEACHING_CLASSES.length * specDataset.testPerClass);
      break;
    case 'builtin':
      break;
  }
  return issues;
}

/**
 * An upload as a run result: the results schema and its arithmetic, and a
 * configHash that is the hash of its config. Most uploads carry exactly the
 * leased unit's config (stored in canonical form) and hash: for those the
 * hash is already known and not computed again; any other goes through
 * parseRunResult, which hashes it and names a mismatch.
 */
export async function parseUpload(body: unknown, unit: UnitRow): Promise<RunResult> {
  const run = parseWith(runResultSchema, body, 'run result');
  if (run.configHash === unit.configHash && canonicalJson(run.config) === unit.config) return run;
  return parseRunResult(body);
}

/**
 * The checks a schema-valid result must pass to answer this lease: its unit,
 * its study's dataset, and per-image predictions that, with the study's test
 * labels, give exactly its confusion matrix (so its per-class counts are
 * those of the predictions replicas are compared on).
 */
export function checkAgainstUnit(run: RunResult, unit: UnitRow, study: StudyRow): string[] {
  const issues: string[] = [];
  const ds = study.dataset;
  if (run.configHash !== unit.configHash) issues.push(`configHash: ${run.configHash} is not the leased unit's ${unit.configHash}`);
  if (run.seed !== unit.seed) issues.push(`seed: ${run.seed} is not the leased unit's seed ${unit.seed}`);
  if (run.dataset.contentHash !== ds.contentHash) issues.push(`dataset.contentHash: ${run.dataset.contentHash} is not the study's dataset ${ds.contentHash}`);
  if (run.dataset.testCount !== ds.testCount) issues.push(`dataset.testCount: ${run.dataset.testCount}, the study's test split has ${ds.testCount} images`);
  if (canonicalJson(run.dataset.classNames) !== canonicalJson(ds.classNames)) issues.push(`dataset.classNames: not the study's classes`);
  if (ds.classTestCounts) {
    run.perClass.forEach((c, k) => {
      const expected = ds.classTestCounts![k];
      if (c.total !== expected) issues.push(`perClass.${k}.total: ${c.total}, the study's test split has ${expected} images of "${ds.classNames[k]}"`);
    });
  }
  if (issues.length) return issues;
  if (!run.predictions) return ['predictions: missing; replicas are compared image by image, so an upload must carry the prediction for every test image'];
  if (study.testLabels) {
    const classes = ds.classNames.length;
    const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    run.predictions.forEach((p, i) => confusion[study.testLabels![i]!]![p]!++);
    const row = confusion.findIndex((r, k) => r.some((n, j) => n !== run.confusion[k]![j]));
    if (row >= 0) issues.push(`confusion.${row}: [${run.confusion[row]!.join(', ')}], but the predictions of the study's "${ds.classNames[row]}" test images give [${confusion[row]!.join(', ')}]`);
  }
  return issues;
}
