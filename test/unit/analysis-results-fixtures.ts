/**
 * Valid results files (classwise.results/1, as `npm run study` writes and the
 * workbench exports them) for the analyze CLI's tests: a study's planned runs
 * with per-image predictions and labels from a seeded model in which the
 * treatment loses a quarter of class 0's images, with confusion matrices,
 * per-class counts and top-1 that add up.
 */
import { configHash, type RunConfig } from '../../src/study/config';
import { RESULTS_SCHEMA, parseResultsFile, type ResultsFile, type RunResult } from '../../src/study/results';
import { parseStudySpec, planRuns, STUDY_SCHEMA, type StudySpec } from '../../src/study/study';
import { Rng } from '../../src/util/rng';

export const CLASSES = 4;
export const PER_CLASS = 60;

export function studySpec(seeds: number[], name = 'analyze-test'): StudySpec {
  return parseStudySpec({
    schema: STUDY_SCHEMA,
    name,
    baseline: {
      model: { arch: 'resnet20', width: 0.25 },
      dataset: { kind: 'synthetic', size: 8, classes: CLASSES, trainPerClass: 16, testPerClass: PER_CLASS },
      augmentation: { crop: { kind: 'none' } },
      training: { epochs: 3, batchSize: 16, optimizer: { lr: 0.1 } },
    },
    sweep: { crop: [{ kind: 'resized', scale: 0.5 }] },
    seeds,
  });
}

const DATASET = {
  name: 'synthetic-4',
  classNames: Array.from({ length: CLASSES }, (_, k) => `class ${k}`),
  testCount: CLASSES * PER_CLASS,
  contentHash: 'ab'.repeat(32),
};

/** Test labels in a mixed order (image i is of class i mod K). */
const LABELS = Array.from({ length: CLASSES * PER_CLASS }, (_, i) => i % CLASSES);

async function runResult(config: RunConfig, seed: number, dataset = DATASET): Promise<RunResult> {
  const treated = config.augmentation.crop.kind !== 'none';
  const rng = Rng.fromSeed(seed, `${treated} ${dataset.contentHash}`);
  const shared = Rng.fromSeed(seed, 'shared');
  const confusion = Array.from({ length: CLASSES }, () => new Array<number>(CLASSES).fill(0));
  const predictions = LABELS.map((label) => {
    // Each image's difficulty is the same for every run; the seed shares a little of the luck between the two configs.
    const p = 0.85 - (treated && label === 0 ? 0.25 : 0) + 0.04 * (shared.float() - 0.5);
    const predicted = rng.float() < p ? label : (label + 1 + rng.int(0, CLASSES - 1)) % CLASSES;
    confusion[label]![predicted]!++;
    return predicted;
  });
  const perClass = dataset.classNames.map((c, k) => ({ class: c, correct: confusion[k]![k]!, total: PER_CLASS }));
  const correct = perClass.reduce((n, c) => n + c.correct, 0);
  return {
    config,
    configHash: await configHash(config),
    seed,
    environment: { backend: 'webgpu', adapter: null, fallbacks: [], browser: 'test', tfjsVersion: '4.22.0' },
    dataset,
    top1: correct / dataset.testCount,
    perClass,
    confusion,
    predictions,
    labels: LABELS,
    evaluations: [],
    history: [{ step: 0, epoch: 0, loss: 1.1, lr: 0.1, imagesPerSec: 20 }],
    steps: 1,
    startedAt: '2026-11-24T12:00:00.000Z',
    wallTimeSec: 3.5,
  };
}

/** A results file of the spec's planned runs (or those `keep` selects), checked by the real parser. */
export async function resultsFile(spec: StudySpec, options: { keep?: (config: RunConfig, seed: number) => boolean; dataset?: typeof DATASET } = {}): Promise<ResultsFile> {
  const planned = planRuns(spec).filter((r) => options.keep?.(r.config, r.seed) ?? true);
  const runs = await Promise.all(planned.map((r) => runResult(r.config, r.seed, options.dataset)));
  return parseResultsFile({ schema: RESULTS_SCHEMA, createdAt: '2026-11-24T12:00:00.000Z', study: spec, runs });
}

export const OTHER_DATASET = { ...DATASET, name: 'synthetic-4b', contentHash: 'cd'.repeat(32) };
