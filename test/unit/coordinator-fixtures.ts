/**
 * Shared by the coordinator tests: a small study on a synthetic 3-class
 * dataset, and run results built with the real schema for a leased unit.
 */
import { configHash, parseRunConfig } from '../../src/study/config';
import { parseRunResult, type RunResult } from '../../src/study/results';
import { STUDY_SCHEMA, type StudySpecInput } from '../../src/study/study';

export const CLASS_NAMES = ['airplane', 'bird', 'ship'];
export const TEST_PER_CLASS = 20;
export const TEST_COUNT = CLASS_NAMES.length * TEST_PER_CLASS;
/** The dataset's identity as the engine would report it (any sha-256 serves: the coordinator compares, never recomputes). */
export const CONTENT_HASH = 'c'.repeat(64);

/** Baseline and one crop, one seed: two units. */
export const SPEC: StudySpecInput = {
  schema: STUDY_SCHEMA,
  name: 'coordinator-test',
  baseline: {
    model: { arch: 'resnet20', width: 0.25 },
    dataset: { kind: 'synthetic', size: 8, classes: 3, trainPerClass: 16, testPerClass: TEST_PER_CLASS },
    training: { epochs: 1, batchSize: 16, optimizer: { lr: 0.1 } },
  },
  sweep: { crop: [{ kind: 'resized', scale: 0.5 }] },
  seeds: [0],
};

export const DATASET = {
  manifestUrl: '/datasets/synthetic-3/manifest.json',
  contentHash: CONTENT_HASH,
  testCount: TEST_COUNT,
  classNames: CLASS_NAMES,
  classTestCounts: CLASS_NAMES.map(() => TEST_PER_CLASS),
};

export const ADMIN_TOKEN = 'organiser-token-for-tests-0123456789';

/** A volunteer's browser id: random in real life, fixed names here so failures read well. */
export const volunteer = (name: string) => `volunteer-${name}-0123456789abcdef`;

/**
 * A schema-valid result for a leased unit with `correct[k]` right per class;
 * the confusion matrix puts every miss on the next class.
 */
export async function runResult(unit: { config: unknown; seed: number }, correct: number[], startedAt = '2026-11-24T12:00:00.000Z'): Promise<RunResult> {
  const config = parseRunConfig(unit.config);
  const classes = CLASS_NAMES.length;
  const confusion = correct.map((c, k) => {
    const row = new Array<number>(classes).fill(0);
    row[k] = c;
    row[(k + 1) % classes] = TEST_PER_CLASS - c;
    return row;
  });
  const run = {
    config,
    configHash: await configHash(config),
    seed: unit.seed,
    environment: { backend: 'webgpu' as const, adapter: null, fallbacks: [], browser: 'test', tfjsVersion: '4.22.0' },
    dataset: { name: 'synthetic-3', classNames: CLASS_NAMES, testCount: TEST_COUNT, contentHash: CONTENT_HASH },
    top1: correct.reduce((a, b) => a + b, 0) / TEST_COUNT,
    perClass: correct.map((c, k) => ({ class: CLASS_NAMES[k]!, correct: c, total: TEST_PER_CLASS })),
    confusion,
    evaluations: [],
    history: [{ step: 0, epoch: 0, loss: 1.1, lr: 0.1, imagesPerSec: 20 }],
    steps: 3,
    startedAt,
    wallTimeSec: 12.5,
  };
  // Built with the real schema: a fixture the coordinator would refuse would make every test below meaningless.
  return parseRunResult(run);
}
