import { describe, expect, it } from 'vitest';
import { configHash, parseRunConfig } from '../../src/study/config';
import { PRESETS } from '../../src/study/presets';
import { parseResultsFile, RESULTS_SCHEMA } from '../../src/study/results';
import { parseStudySpec } from '../../src/study/study';

const spec = parseStudySpec(PRESETS.smoke);
const config = parseRunConfig(spec.baseline);

/** A results file for a 3-class test split of 10 images each, built by hand. */
async function validFile() {
  const confusion = [
    [8, 1, 1],
    [2, 7, 1],
    [0, 0, 10],
  ];
  return {
    schema: RESULTS_SCHEMA,
    createdAt: '2026-11-24T12:00:00.000Z',
    study: spec,
    runs: [
      {
        config,
        configHash: await configHash(config),
        seed: 0,
        environment: { backend: 'webgpu', adapter: null, fallbacks: [], browser: 'test', tfjsVersion: '4.22.0' },
        dataset: { name: 'three', classNames: ['a', 'b', 'c'], testCount: 30, contentHash: 'f'.repeat(64) },
        top1: 25 / 30,
        perClass: [
          { class: 'a', correct: 8, total: 10 },
          { class: 'b', correct: 7, total: 10 },
          { class: 'c', correct: 10, total: 10 },
        ],
        confusion,
        evaluations: [],
        history: [{ step: 0, epoch: 0, loss: 1.1, lr: 0.05, imagesPerSec: 20 }],
        steps: 1,
        startedAt: '2026-11-24T12:00:00.000Z',
        wallTimeSec: 3.5,
      },
    ],
  };
}

async function refusal(mutate: (file: Awaited<ReturnType<typeof validFile>>) => void): Promise<string> {
  const file = await validFile();
  mutate(file);
  return parseResultsFile(JSON.parse(JSON.stringify(file))).then(
    () => 'accepted',
    (error: Error) => error.message,
  );
}

describe('parseResultsFile', () => {
  it('accepts a consistent file', async () => {
    const parsed = await parseResultsFile(await validFile());
    expect(parsed.runs[0]!.perClass[2]!.correct).toBe(10);
  });

  it('refuses per-class totals that do not add up to the test count', async () => {
    expect(await refusal((f) => (f.runs[0]!.perClass[0]!.total = 12))).toMatch(/runs\.0\.perClass: totals add up to 32, not the 30 test images/);
  });

  it('refuses a confusion matrix that disagrees with the per-class counts', async () => {
    expect(await refusal((f) => (f.runs[0]!.confusion[1] = [1, 8, 1]))).toMatch(/runs\.0\.confusion\.1\.1/);
  });

  it('refuses a top-1 that the counts do not give', async () => {
    expect(await refusal((f) => (f.runs[0]!.top1 = 0.9))).toMatch(/runs\.0\.top1/);
  });

  it('refuses a config edited after hashing', async () => {
    expect(await refusal((f) => (f.runs[0]!.config.training.epochs = 99))).toMatch(/runs\.0\.configHash: does not match/);
  });

  it('refuses unknown fields, a wrong schema tag and a malformed hash', async () => {
    expect(await refusal((f) => Object.assign(f.runs[0]!, { extra: 1 }))).toMatch(/unknown field runs\.0\.extra/);
    expect(await refusal((f) => (f.schema = 'classwise.results/0' as typeof RESULTS_SCHEMA))).toMatch(/schema/);
    expect(await refusal((f) => (f.runs[0]!.dataset.contentHash = 'abc'))).toMatch(/contentHash: must be a sha-256/);
  });
});
