import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../src/util/hash';
import { configHash, parseRunConfig } from '../../src/study/config';
import { PRESETS } from '../../src/study/presets';
import { parseStudySpec, planRuns, STUDY_SCHEMA } from '../../src/study/study';

const baseline = {
  model: { arch: 'resnet20', width: 0.25 },
  dataset: { kind: 'synthetic', size: 8, classes: 4, trainPerClass: 16, testPerClass: 8 },
  training: { epochs: 2, batchSize: 16, optimizer: { lr: 0.1 } },
};

describe('hashing', () => {
  it('computes SHA-256 (FIPS 180-2 test vector)', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('writes canonical JSON whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: 2 } })).toBe('{"a":{"c":2,"d":[1,{"y":1,"z":0}]},"b":1}');
  });

  it('gives a config the same hash with or without its defaults, and another hash when a value changes', async () => {
    const explicit = parseRunConfig({ ...baseline, augmentation: { crop: { kind: 'none' }, flip: false } });
    const implicit = parseRunConfig(baseline);
    expect(await configHash(explicit)).toBe(await configHash(implicit));
    const other = parseRunConfig({ ...baseline, training: { ...baseline.training, epochs: 3 } });
    expect(await configHash(other)).not.toBe(await configHash(implicit));
  });
});

describe('planRuns', () => {
  it('crosses baseline and swept crops with baseline and swept weight decays, seed by seed', () => {
    const spec = parseStudySpec({
      schema: STUDY_SCHEMA,
      name: 'grid',
      baseline,
      sweep: { crop: [{ kind: 'resized', scale: 0.5 }, { kind: 'none' }], weightDecay: [5e-4, 0] },
      seeds: [1, 2],
    });
    const runs = planRuns(spec);
    // {none, resized 0.5} × {0, 5e-4} × 2 seeds: the duplicates of the baseline values are dropped.
    expect(runs).toHaveLength(8);
    expect(runs.map((r) => r.seed)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(runs[0]!.config).toEqual(spec.baseline);
    expect(runs.slice(0, 4).map((r) => r.label)).toEqual([
      'no crop, wd 0, seed 1',
      'no crop, wd 0.0005, seed 1',
      'resized crop s=0.5, wd 0, seed 1',
      'resized crop s=0.5, wd 0.0005, seed 1',
    ]);
  });

  it('refuses a spec with repeated seeds or a negative swept decay, naming the field', () => {
    expect(() => parseStudySpec({ schema: STUDY_SCHEMA, name: 'x', baseline, seeds: [1, 1] })).toThrow(/seeds: seeds must be distinct/);
    expect(() => parseStudySpec({ schema: STUDY_SCHEMA, name: 'x', baseline, sweep: { weightDecay: [-1] }, seeds: [0] })).toThrow(
      /sweep\.weightDecay\.0/,
    );
    expect(() => parseStudySpec({ schema: STUDY_SCHEMA, name: 'x', baseline: { ...baseline, optimiser: {} }, seeds: [0] })).toThrow(
      /unknown field baseline\.optimiser/,
    );
  });

  it('keeps every preset valid', () => {
    for (const preset of Object.values(PRESETS)) expect(planRuns(parseStudySpec(preset)).length).toBeGreaterThan(0);
  });
});
