/** Ready-made studies, runnable by name from the CLI and the workbench. */
import { STUDY_SCHEMA, type StudySpecInput } from './study';

export const PRESETS = {
  /**
   * A tiny ResNet-20 (width 1/4) on 8 px generated images: a baseline and a
   * random-resized-crop run, one seed, 12 steps each. It finishes in about 35 s
   * on a CPU-emulated GPU; its purpose is to show the whole pipeline works.
   * BatchNorm momentum 0.5 (torch's default is 0.1) lets the running
   * statistics catch up within those few steps, so evaluation is meaningful.
   */
  smoke: {
    schema: STUDY_SCHEMA,
    name: 'smoke',
    description: 'Tiny ResNet-20 on generated 8 px images: baseline vs random-resized crop (s = 0.5), one seed.',
    baseline: {
      model: { arch: 'resnet20', width: 0.25 },
      dataset: { kind: 'synthetic', size: 8, channels: 3, classes: 4, trainPerClass: 16, testPerClass: 16, seed: 0 },
      augmentation: { crop: { kind: 'none' }, flip: false },
      training: { epochs: 3, batchSize: 16, optimizer: { lr: 0.1, momentum: 0.9 }, bnMomentum: 0.5, lossReadEvery: 4 },
    },
    sweep: { crop: [{ kind: 'resized', scale: 0.5 }] },
    seeds: [0],
  },
  /**
   * Angelakis & Rass's study on the real Fashion-MNIST (built in): random-
   * resized crop at strengths s ∈ {1, 0.8, 0.6, 0.4, 0.2, 0.08} (their α = 1 − s)
   * against no crop, each with and without weight decay, 3 seeds: 42 runs.
   * A ResNet-18 at width ½ with the small-image stem stands in for their
   * ResNet-50 so that a study fits in an evening on a consumer GPU.
   */
  'fashion-crop-sweep': {
    schema: STUDY_SCHEMA,
    name: 'fashion-crop-sweep',
    description: 'Fashion-MNIST, ResNet-18 (width 1/2): random-resized crop s in {1, .8, .6, .4, .2, .08} vs none, weight decay 0 and 5e-4, 3 seeds.',
    baseline: {
      model: { arch: 'resnet18', width: 0.5 },
      dataset: { kind: 'builtin', name: 'fashion-mnist' },
      augmentation: { crop: { kind: 'none' }, flip: false },
      training: {
        epochs: 15,
        batchSize: 128,
        optimizer: { lr: 0.1, momentum: 0.9, weightDecay: 0 },
        schedule: { kind: 'cosine', warmupEpochs: 1 },
        evalEvery: 1,
        lossReadEvery: 20,
      },
    },
    sweep: {
      crop: [1, 0.8, 0.6, 0.4, 0.2, 0.08].map((scale) => ({ kind: 'resized' as const, scale })),
      weightDecay: [5e-4],
    },
    seeds: [0, 1, 2],
  },
  /**
   * Real data in minutes on a GPU: a seeded, stratified slice of
   * Fashion-MNIST (1,000 training and 300 test images a class, all ten
   * classes, 28 px), ResNet-8 at width ½, no crop against random-resized crop
   * s = 0.25, 3 seeds. README: what it measured, and its time on SwiftShader.
   */
  'fashion-quick': {
    schema: STUDY_SCHEMA,
    name: 'fashion-quick',
    description: 'Fashion-MNIST slice (1,000 train, 300 test images a class), ResNet-8 (width 1/2): no crop vs random-resized crop s = 0.25, 3 seeds.',
    baseline: {
      model: { arch: 'resnet8', width: 0.5 },
      dataset: { kind: 'builtin', name: 'fashion-mnist', trainPerClass: 1000, testPerClass: 300 },
      augmentation: { crop: { kind: 'none' }, flip: false },
      training: {
        epochs: 8,
        batchSize: 128,
        optimizer: { lr: 0.1, momentum: 0.9 },
        schedule: { kind: 'cosine', warmupEpochs: 1 },
        evalEvery: 8,
        lossReadEvery: 20,
      },
    },
    sweep: { crop: [{ kind: 'resized', scale: 0.25 }] },
    seeds: [0, 1, 2],
  },
  /**
   * The generated teaching set (src/data/teaching.ts: edge marks and disc
   * sizes, whose cue a crop cuts away or rescales; stripes and tints, whose cue
   * survives it), no crop against random-resized crop s = 0.15, 5 seeds.
   * Sized to finish in about three minutes on a CPU-emulated GPU
   * (SwiftShader, 2 cores; README: the measured time) and still learn every
   * class in the baseline: ResNet-8 at width 1/4 on 14 px images (widths
   * whose channel counts are multiples of 4 run fastest on WebGPU), a cosine
   * schedule (its last steps at a low rate leave BatchNorm's running
   * statistics matching the final weights). Five seeds, not the moderated
   * t's minimum of two: how far a crop-trained tiny network falls on a disc
   * class varies from seed to seed (large disc: 10% to 90% measured), and
   * with two, three or four seeds that spread left a 50-point mean drop short
   * of a verdict in some of the seed sets tried; with five (SwiftShader,
   * seeds 0-4) both disc classes are hurt. 50 test images a class keep each
   * seed's accuracy within a few points.
   */
  'teaching-demo': {
    schema: STUDY_SCHEMA,
    name: 'teaching-demo',
    description:
      'Generated teaching set (14 px), ResNet-8 (width 1/4): no crop vs random-resized crop s = 0.15, 5 seeds. ' +
      'Expect the medium and large discs hurt (a zoomed small disc looks like a larger one), the edge marks lower on some seeds ' +
      '(a crop cuts marks away while it trains, but every test image shows its marks), small disc, stripes and the two tints unchanged.',
    baseline: {
      model: { arch: 'resnet8', width: 0.25 },
      dataset: { kind: 'teaching', size: 14, trainPerClass: 60, testPerClass: 50 },
      augmentation: { crop: { kind: 'none' }, flip: false },
      training: {
        epochs: 8,
        batchSize: 32,
        optimizer: { lr: 0.1, momentum: 0.9 },
        schedule: { kind: 'cosine', warmupEpochs: 1 },
        bnMomentum: 0.2,
        evalEvery: 8,
        lossReadEvery: 5,
      },
    },
    sweep: { crop: [{ kind: 'resized', scale: 0.15 }] },
    seeds: [0, 1, 2, 3, 4],
  },
} satisfies Record<string, StudySpecInput>;

export type PresetName = keyof typeof PRESETS;

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}
