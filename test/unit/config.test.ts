import { describe, expect, it } from 'vitest';
import { checkAgainstDataset, configHash, ConfigError, parseRunConfig } from '../../src/study/config';

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

describe('dataset slices and per-class crops in the run config', () => {
  const fashion = (slice: Record<string, unknown>) => withPart('dataset', { kind: 'builtin', name: 'fashion-mnist', ...slice });

  it('adds no field to a config that uses none, so configs written before slices keep their hash', async () => {
    const before = { ...minimal, dataset: { kind: 'builtin', name: 'fashion-mnist' }, training: { ...minimal.training, batchSize: 64 } };
    const config = parseRunConfig(before);
    expect(config.dataset).toEqual({ kind: 'builtin', name: 'fashion-mnist' });
    expect(config.augmentation).toEqual({ crop: { kind: 'none' }, flip: false });
    // The hashes these configs had before slices and per-class crops existed (computed with that version).
    expect(await configHash(config)).toBe('3b2cc3b44d1f61f055fdc9168d874616f6d7f5d5364cdcec1520d544a1d72eec');
    const teaching = { ...minimal, dataset: { kind: 'teaching', trainPerClass: 30, testPerClass: 20 }, augmentation: { crop: { kind: 'resized', scale: 0.25 } }, training: { ...minimal.training, batchSize: 64 } };
    expect(await configHash(parseRunConfig(teaching))).toBe('7e50bfadc94648131e7b7d2a299a767c6a71f7f323cc0aba02b87e20707cec70');
  });

  it('accepts a slice of the built-in set and counts its training images for the batch check', () => {
    const config = parseRunConfig(fashion({ trainPerClass: 8, testPerClass: 5, classes: ['Trouser', 'Bag'], resize: 16, seed: 2 }));
    expect(config.dataset).toEqual({ kind: 'builtin', name: 'fashion-mnist', trainPerClass: 8, testPerClass: 5, classes: ['Trouser', 'Bag'], resize: 16, seed: 2 });
    // 2 classes × 8 images = 16 training images: a batch of 16 fits, 17 does not.
    expect(issuesOf({ ...(fashion({ trainPerClass: 8, classes: ['Trouser', 'Bag'] }) as object), training: { ...minimal.training, batchSize: 17 } })).toEqual([
      'training.batchSize: batch size 17 is larger than the 16 training images',
    ]);
  });

  it('refuses a slice larger than the dataset, naming the field', () => {
    expect(issuesOf(fashion({ trainPerClass: 6001 }))).toEqual([
      'dataset.trainPerClass: 6001 is more than the 6000 training images of class "T-shirt/top" in fashion-mnist (10 classes have fewer than 6001)',
    ]);
    expect(issuesOf(fashion({ testPerClass: 1001, classes: ['Bag', 'Coat'] }))).toEqual([
      'dataset.testPerClass: 1001 is more than the 1000 test images of class "Coat" in fashion-mnist (2 classes have fewer than 1001)',
    ]);
    expect(() => parseRunConfig(fashion({ trainPerClass: 6000, testPerClass: 1000 }))).not.toThrow();
  });

  it('refuses an unknown class in the subset, naming it and its place', () => {
    const issues = issuesOf(fashion({ classes: ['Trouser', 'Sock'] }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^dataset\.classes\.1: no class "Sock" in fashion-mnist \(its classes: "T-shirt\/top", "Trouser", /);
    expect(issuesOf(fashion({ classes: ['Bag'] }))).toEqual(['dataset.classes: a subset needs at least 2 classes']);
    expect(issuesOf(fashion({ classes: ['Bag', 'Bag'] }))).toEqual(['dataset.classes: class names must be distinct']);
  });

  it('refuses a resize to 0 or beyond 512, naming the field', () => {
    for (const resize of [0, 513, 2.5]) {
      expect(issuesOf(fashion({ resize }))).toEqual(['dataset.resize: a resize must be a whole number of pixels from 1 to 512']);
      expect(issuesOf(withPart('dataset', { kind: 'manifest', url: 'x/manifest.json', resize }))).toEqual(['dataset.resize: a resize must be a whole number of pixels from 1 to 512']);
    }
    expect(parseRunConfig(fashion({ resize: 512 })).dataset).toMatchObject({ resize: 512 });
  });

  it('refuses a generated set too large to hold in memory (trainPerClass: 1e9) instead of trying to make it', () => {
    expect(issuesOf(withPart('dataset', { kind: 'teaching', trainPerClass: 1e9, testPerClass: 10 }))).toEqual([
      'dataset.trainPerClass: 8 classes × 1000000000 + 10 images of 32×32×3 would take 22.4 TiB in memory; a generated set may take at most 1 GiB',
    ]);
    expect(issuesOf(withPart('dataset', { ...minimal.dataset, testPerClass: 1e9 }))).toEqual([
      'dataset.testPerClass: 4 classes × 16 + 1000000000 images of 8×8×3 would take 715 GiB in memory; a generated set may take at most 1 GiB',
    ]);
  });

  it('takes a crop per class by class name, and refuses a class that does not exist', () => {
    const perClass = (names: string[], dataset: unknown = { kind: 'teaching', trainPerClass: 10, testPerClass: 10 }) => ({
      ...minimal,
      dataset,
      augmentation: { crop: { kind: 'resized', scale: 0.25 }, perClass: Object.fromEntries(names.map((n) => [n, { kind: 'none' }])) },
    });
    expect(parseRunConfig(perClass(['one-edge-mark', 'stripes'])).augmentation.perClass).toEqual({ 'one-edge-mark': { kind: 'none' }, stripes: { kind: 'none' } });
    const issues = issuesOf(perClass(['one-edge-mark', 'blob']));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^augmentation\.perClass\.blob: no class "blob" in the teaching set \(its classes: "one-edge-mark", /);
    expect(issuesOf(perClass(['pattern-4'], minimal.dataset))[0]).toMatch(/^augmentation\.perClass\.pattern-4: no class "pattern-4" in the synthetic set/);
    // A subset's classes are the ones a per-class crop may name.
    expect(issuesOf(perClass(['Shirt'], { kind: 'builtin', name: 'fashion-mnist', classes: ['Bag', 'Coat'] }))[0]).toMatch(
      /^augmentation\.perClass\.Shirt: no class "Shirt" in the chosen classes of fashion-mnist \(its classes: "Coat", "Bag"\)/,
    );
    expect(issuesOf({ ...perClass([]), augmentation: { perClass: { stripes: { kind: 'resized', scale: 2 } } } })).toEqual(['augmentation.perClass.stripes.scale: a crop scale must be in (0, 1]']);
  });

  it('checks per-class crops and the batch against a loaded dataset whose classes the config cannot tell', () => {
    const config = parseRunConfig({ ...minimal, dataset: { kind: 'manifest', url: 'm.json' }, augmentation: { perClass: { cat: { kind: 'none' }, emu: { kind: 'none' } } } });
    expect(() => checkAgainstDataset(config, { classNames: ['cat', 'dog'], trainCount: 100 })).toThrow(ConfigError);
    try {
      checkAgainstDataset(config, { classNames: ['cat', 'dog'], trainCount: 8 });
    } catch (error) {
      expect((error as ConfigError).issues).toEqual([
        'training.batchSize: batch size 16 is larger than the 8 training images',
        'augmentation.perClass.emu: no class "emu" in the dataset (its classes: "cat", "dog")',
      ]);
    }
  });
});
