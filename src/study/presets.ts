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
} satisfies Record<string, StudySpecInput>;

export type PresetName = keyof typeof PRESETS;

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}
