/**
 * The study the load generator publishes and the results its volunteers
 * upload: `units` seeds of one tiny config on a generated two-class set, and
 * results that pass every check the coordinator makes (schema, lease,
 * dataset, predictions against the test labels), identical across replicas
 * of one unit so that units get decided as they would in a real study.
 */
import { STUDY_SCHEMA } from '../../study/study';

export const LOAD_CLASSES = ['even', 'odd'];
const TEST_PER_CLASS = 10;
export const LOAD_TEST_LABELS = Array.from({ length: LOAD_CLASSES.length * TEST_PER_CLASS }, (_, i) => i % LOAD_CLASSES.length);
export const LOAD_CONTENT_HASH = '1'.repeat(64);

export function loadStudy(units: number) {
  return {
    spec: {
      schema: STUDY_SCHEMA,
      name: `load-${units}`,
      baseline: {
        model: { arch: 'resnet20', width: 0.25 },
        dataset: { kind: 'synthetic', size: 8, classes: LOAD_CLASSES.length, trainPerClass: 8, testPerClass: TEST_PER_CLASS },
        training: { epochs: 1, batchSize: 8, optimizer: { lr: 0.1 } },
      },
      seeds: Array.from({ length: units }, (_, i) => i),
    },
    dataset: {
      manifestUrl: 'generated:load',
      contentHash: LOAD_CONTENT_HASH,
      testCount: LOAD_TEST_LABELS.length,
      classNames: LOAD_CLASSES,
      testLabels: LOAD_TEST_LABELS,
    },
    quorum: 2,
  };
}

/** A valid result for a leased unit: its seed decides which test images its model gets wrong, alike for every replica. */
export function loadResult(unit: { config: unknown; configHash: string; seed: number }, startedAt: Date): string {
  const classes = LOAD_CLASSES.length;
  const predictions = LOAD_TEST_LABELS.map((label, i) => ((i + unit.seed) % 7 === 0 ? (label + 1) % classes : label));
  const confusion = LOAD_CLASSES.map(() => new Array<number>(classes).fill(0));
  predictions.forEach((p, i) => confusion[LOAD_TEST_LABELS[i]!]![p]!++);
  const perClass = LOAD_CLASSES.map((name, k) => ({ class: name, correct: confusion[k]![k]!, total: TEST_PER_CLASS }));
  return JSON.stringify({
    config: unit.config,
    configHash: unit.configHash,
    seed: unit.seed,
    environment: { backend: 'webgpu', adapter: null, fallbacks: [], browser: 'load generator', tfjsVersion: '4.22.0' },
    dataset: { name: 'load', classNames: LOAD_CLASSES, testCount: LOAD_TEST_LABELS.length, contentHash: LOAD_CONTENT_HASH },
    top1: perClass.reduce((n, c) => n + c.correct, 0) / LOAD_TEST_LABELS.length,
    perClass,
    confusion,
    predictions,
    evaluations: [],
    history: [{ step: 0, epoch: 0, loss: 0.7, lr: 0.1, imagesPerSec: 100 }],
    steps: 2,
    startedAt: startedAt.toISOString(),
    wallTimeSec: 1 + (startedAt.getTime() % 1000) / 1000,
  });
}
