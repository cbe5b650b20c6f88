import { describe, expect, it } from 'vitest';
import { ConfigError, parseRunConfig } from '../../src/study/config';

const minimal = {
  model: { arch: 'resnet20', width: 0.25 },
  dataset: { kind: 'synthetic', size: 8, classes: 4, trainPerClass: 16, testPerClass: 8 },
  training: { epochs: 2, batchSize: 16, optimizer: { lr: 0.1 } },
};

/** The minimal config with one top-level part replaced. */
function withPart(key: keyof typeof minimal | 'augmentation', part: unknown): unknown {
  return { ...minimal, [key]: part };
}

/** The issues a refused config reports; fails the test if it was accepted. */
function issuesOf(value: unknown): string[] {
  try {
    parseRunConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('the config was accepted');
}

describe('parseRunConfig', () => {
  it('fills in every default of a minimal config', () => {
    expect(parseRunConfig(minimal)).toEqual({
      model: { arch: 'resnet20', width: 0.25, stem: 'auto' },
      dataset: { kind: 'synthetic', size: 8, channels: 3, classes: 4, trainPerClass: 16, testPerClass: 8, seed: 0 },
      augmentation: { crop: { kind: 'none' }, flip: false },
      training: {
        epochs: 2,
        batchSize: 16,
        optimizer: { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0, decayNormAndBias: true },
        schedule: { kind: 'constant', warmupEpochs: 0 },
        bnMomentum: 0.1,
        evalEvery: 1,
        lossReadEvery: 10,
      },
    });
  });

  it('fills in the defaults of a nested choice', () => {
    const config = parseRunConfig(withPart('augmentation', { crop: { kind: 'resized', scale: 0.08 } }));
    expect(config.augmentation).toEqual({ crop: { kind: 'resized', scale: 0.08, ratio: [3 / 4, 4 / 3] }, flip: false });
  });

  it('refuses unknown fields, naming them', () => {
    expect(issuesOf({ ...minimal, epochs: 3 })).toEqual(['unknown field epochs']);
    expect(issuesOf(withPart('model', { ...minimal.model, depth: 20 }))).toEqual(['unknown field model.depth']);
  });

  it('refuses negative weight decay and accepts zero', () => {
    const training = (weightDecay: number) => ({ ...minimal.training, optimizer: { lr: 0.1, weightDecay } });
    expect(issuesOf(withPart('training', training(-1e-4)))).toEqual([
      'training.optimizer.weightDecay: weight decay must be >= 0',
    ]);
    expect(parseRunConfig(withPart('training', training(0))).training.optimizer.weightDecay).toBe(0);
  });

  it('refuses crop scales outside (0, 1]', () => {
    const crop = (scale: number) => withPart('augmentation', { crop: { kind: 'resized', scale } });
    for (const scale of [0, 1.5]) {
      const issues = issuesOf(crop(scale));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(/^augmentation\.crop\.scale: /);
    }
    expect(() => parseRunConfig(crop(1))).not.toThrow();
  });

  it('refuses a batch larger than the training set', () => {
    // 4 classes × 16 images = 64 training images.
    const batch = (batchSize: number) => withPart('training', { ...minimal.training, batchSize });
    const issues = issuesOf(batch(65));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^training\.batchSize: .*64/);
    expect(() => parseRunConfig(batch(64))).not.toThrow();
  });

  it('refuses an unknown architecture', () => {
    const issues = issuesOf(withPart('model', { arch: 'vgg16' }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^model\.arch: /);
  });

  it('puts the field in the error message', () => {
    expect(() => parseRunConfig(withPart('model', { arch: 'vgg16' }))).toThrow(/model\.arch/);
  });
});
