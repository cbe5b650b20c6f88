import { describe, expect, it } from 'vitest';
import { EVAL_BATCH_COST, estimateStudy, evaluationsPerRun, knownDatasetCounts, stepKey, type StepEstimate } from '../../src/study/estimate';
import { parseRunConfig } from '../../src/study/config';
import { PRESETS } from '../../src/study/presets';
import { parseStudySpec, STUDY_SCHEMA, type StudySpecInput } from '../../src/study/study';

const baseline = {
  model: { arch: 'resnet20', width: 0.5 },
  // 10 classes × 100 = 1000 train, 10 × 50 = 500 test images.
  dataset: { kind: 'synthetic', size: 16, classes: 10, trainPerClass: 100, testPerClass: 50 },
  training: { epochs: 4, batchSize: 64, optimizer: { lr: 0.1 }, evalEvery: 1 },
} as const;

function spec(overrides: Partial<StudySpecInput> = {}) {
  return parseStudySpec({
    schema: STUDY_SCHEMA,
    name: 'grid',
    baseline,
    sweep: { crop: [{ kind: 'resized', scale: 0.5 }, { kind: 'resized', scale: 0.08 }], weightDecay: [5e-4] },
    seeds: [0, 1, 2],
    ...overrides,
  });
}

function measured(msPerStep: number, config = spec().baseline): StepEstimate {
  return { configHash: 'h', msPerStep, backend: 'webgpu', batchSize: config.training.batchSize, stepKey: stepKey(config) };
}

describe('evaluationsPerRun', () => {
  it('counts every evalEvery-th epoch and the last one once', () => {
    expect(evaluationsPerRun({ epochs: 4, evalEvery: 1 })).toBe(4);
    expect(evaluationsPerRun({ epochs: 4, evalEvery: 2 })).toBe(2);
    expect(evaluationsPerRun({ epochs: 5, evalEvery: 2 })).toBe(3);
    expect(evaluationsPerRun({ epochs: 3, evalEvery: 10 })).toBe(1);
  });
});

describe('knownDatasetCounts', () => {
  it('counts generated and built-in sets from the config, and not shards named by URL', () => {
    expect(knownDatasetCounts(spec().baseline.dataset)).toEqual({ trainCount: 1000, testCount: 500, shape: [16, 16, 3] });
    const teaching = parseRunConfig({ ...baseline, dataset: { kind: 'teaching', size: 16, trainPerClass: 30, testPerClass: 20 } });
    const counts = knownDatasetCounts(teaching.dataset);
    expect(counts?.shape).toEqual([16, 16, 3]);
    // Eight teaching classes (two edge-mark, three disc sizes, three texture/colour).
    expect(counts?.trainCount).toBe(240);
    expect(knownDatasetCounts(parseStudySpec(PRESETS['fashion-crop-sweep']).baseline.dataset)).toEqual({
      trainCount: 60_000,
      testCount: 10_000,
      shape: [28, 28, 1],
    });
    expect(knownDatasetCounts({ kind: 'manifest', url: 'import:x' })).toBeNull();
  });
});

describe('stepKey', () => {
  it('changes with the model, the batch size and the input shape, not with the sample counts, epochs or regularization', () => {
    const a = spec().baseline;
    const key = stepKey(a);
    expect(stepKey({ ...a, training: { ...a.training, epochs: 40, optimizer: { ...a.training.optimizer, weightDecay: 1e-3 } } })).toBe(key);
    expect(stepKey({ ...a, dataset: { ...a.dataset, trainPerClass: 7 } as typeof a.dataset })).toBe(key);
    expect(stepKey({ ...a, model: { ...a.model, width: 1 } })).not.toBe(key);
    expect(stepKey({ ...a, training: { ...a.training, batchSize: 32 } })).not.toBe(key);
    expect(stepKey({ ...a, dataset: { ...a.dataset, size: 32 } as typeof a.dataset })).not.toBe(key);
  });
});

describe('estimateStudy', () => {
  it('counts the runs and steps and asks for a measurement when there is none', () => {
    const e = estimateStudy(spec(), null, null);
    // (no crop, 0.5, 0.08) × (wd 0, 5e-4) = 6 configurations, 3 seeds.
    expect(e).toMatchObject({ runs: 18, configurations: 6, seeds: 3, measurement: 'none', seconds: null });
    // ⌊1000 / 64⌋ = 15 steps an epoch, 4 epochs; 4 evaluations of ⌈500 / 64⌉ = 8 batches.
    expect(e.stepsPerRun).toBe(60);
    expect(e.evalBatchesPerRun).toBe(32);
    expect(e.note).toMatch(/measure a warm-up step/i);
  });

  it('multiplies out the measured step, evaluation at a third of a step', () => {
    const e = estimateStudy(spec(), null, measured(50));
    expect(e.measurement).toBe('current');
    expect(EVAL_BATCH_COST).toBeCloseTo(1 / 3);
    // 18 runs × (60 + 32 / 3) steps × 50 ms = 63.6 s.
    expect(e.seconds).toBeCloseTo((18 * (60 + 32 / 3) * 50) / 1000, 9);
    expect(e.note).toContain('50 ms');
    expect(e.note).toContain('webgpu');
  });

  it('grows with epochs and seeds as the grid does', () => {
    const one = estimateStudy(spec(), null, measured(10)).seconds!;
    const longer = spec({ baseline: { ...baseline, training: { ...baseline.training, epochs: 8 } }, seeds: [0, 1, 2, 3, 4, 5] });
    expect(estimateStudy(longer, null, measured(10, longer.baseline)).seconds).toBeCloseTo(one * 4, 9);
  });

  it('calls a step measured for another batch size or width stale and gives no time', () => {
    const other = spec({ baseline: { ...baseline, model: { arch: 'resnet20', width: 1 } } });
    const e = estimateStudy(other, null, measured(50));
    expect(e.measurement).toBe('stale');
    expect(e.seconds).toBeNull();
    expect(e.stepsPerRun).toBe(60);
    expect(e.note).toMatch(/re-measure/);
  });

  it('takes shard datasets’ counts from the summary, and has none without it', () => {
    const shards = spec({ baseline: { ...baseline, dataset: { kind: 'manifest', url: 'import:cifar10' } } });
    const without = estimateStudy(shards, null, measured(20, shards.baseline));
    expect(without).toMatchObject({ stepsPerRun: null, seconds: null, runs: 18 });
    expect(without.note).toMatch(/dataset has been loaded/);
    const withSummary = estimateStudy(shards, { trainCount: 50_000, testCount: 10_000, shape: [32, 32, 3] }, measured(20, shards.baseline));
    // ⌊50000 / 64⌋ = 781 × 4 epochs; 4 × ⌈10000 / 64⌉ = 4 × 157.
    expect(withSummary.stepsPerRun).toBe(3124);
    expect(withSummary.evalBatchesPerRun).toBe(628);
    expect(withSummary.seconds).toBeCloseTo((18 * (3124 + 628 / 3) * 20) / 1000, 9);
  });

  it('ignores a summary for generated sets, whose config gives the counts', () => {
    const e = estimateStudy(spec(), { trainCount: 1, testCount: 1, shape: [1, 1, 1] }, null);
    expect(e.stepsPerRun).toBe(60);
  });

  it('says so when the batch is larger than a shard dataset', () => {
    const shards = spec({ baseline: { ...baseline, dataset: { kind: 'manifest', url: 'import:tiny' } } });
    const e = estimateStudy(shards, { trainCount: 40, testCount: 10, shape: [8, 8, 3] }, measured(5, shards.baseline));
    expect(e.stepsPerRun).toBe(0);
    expect(e.seconds).toBeNull();
    expect(e.note).toMatch(/larger than the 40 training images/);
  });
});
