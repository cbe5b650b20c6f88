/**
 * A study: a baseline config, the regularizers swept against it, and seeds.
 * It expands into runs (config × seed), seed by seed, so paired baseline and
 * treatment results arrive together and the deltas fill in early.
 */
import { z } from 'zod';
import { canonicalJson } from '../util/hash';
import {
  cropSchema,
  datasetClassNames,
  datasetLabel,
  parseWith,
  perClassCropsSchema,
  perClassProblems,
  runConfigSchema,
  type AugmentationConfig,
  type CropConfig,
  type RunConfig,
} from './config';

export const STUDY_SCHEMA = 'classwise.study/1';

export const studySpecSchema = z
  .strictObject({
    schema: z.literal(STUDY_SCHEMA),
    name: z.string().min(1),
    description: z.string().default(''),
    /** The baseline, usually with no crop and no weight decay. */
    baseline: runConfigSchema,
    sweep: z
      .strictObject({
        crop: z.array(cropSchema).default([]),
        weightDecay: z.array(z.number().finite().nonnegative('weight decay must be >= 0')).default([]),
        /**
         * Class-conditional variants (Kirichenko et al., NeurIPS 2023): each a
         * crop per class name, tried with every swept crop in place of that
         * crop for those classes. Absent (no default, so older specs keep
         * their form): the baseline's own per-class crops only.
         */
        perClass: z.array(perClassCropsSchema).optional(),
      })
      .default({ crop: [], weightDecay: [] }),
    seeds: z.array(z.number().int().nonnegative()).min(1).refine((s) => new Set(s).size === s.length, 'seeds must be distinct'),
  })
  .superRefine((spec, ctx) => {
    const classNames = datasetClassNames(spec.baseline.dataset);
    if (!classNames) return;
    (spec.sweep.perClass ?? []).forEach((perClass, i) => {
      for (const [path, message] of perClassProblems({ crop: { kind: 'none' }, flip: false, perClass }, classNames, datasetLabel(spec.baseline.dataset))) {
        ctx.addIssue({ code: 'custom', path: ['sweep', 'perClass', i, ...path.slice(2)], message });
      }
    });
  });

export type StudySpec = z.output<typeof studySpecSchema>;
export type StudySpecInput = z.input<typeof studySpecSchema>;

export interface PlannedRun {
  label: string;
  config: RunConfig;
  seed: number;
}

export function parseStudySpec(value: unknown): StudySpec {
  return parseWith(studySpecSchema, value, 'study spec');
}

/**
 * The grid (baseline crop ∪ swept crops) × (baseline decay ∪ swept decays) ×
 * (the baseline's per-class crops ∪ the swept per-class variants), for each
 * seed. In a swept variant, a per-class crop equal to its config's own crop
 * changes nothing and is left out, so a variant that changes nothing (no
 * crop, and no crop for some classes) is the config it equals, planned once,
 * with that config's hash: its stored runs are reused.
 */
export function planRuns(spec: StudySpec): PlannedRun[] {
  const { baseline } = spec;
  const crops = unique([baseline.augmentation.crop, ...spec.sweep.crop]);
  const decays = unique([baseline.training.optimizer.weightDecay, ...spec.sweep.weightDecay]);
  // The baseline's own per-class crops as written (its configs keep their hashes); each swept variant without what it leaves unchanged.
  const variants = [(crop: CropConfig) => ({ ...baseline.augmentation, crop })].concat(
    (spec.sweep.perClass ?? []).map((perClass) => (crop: CropConfig) => effectiveAugmentation({ ...baseline.augmentation, crop, perClass })),
  );
  const configs: RunConfig[] = [];
  for (const crop of crops) {
    for (const augmentation of variants) {
      for (const weightDecay of decays) {
        configs.push({
          ...baseline,
          augmentation: augmentation(crop),
          training: { ...baseline.training, optimizer: { ...baseline.training.optimizer, weightDecay } },
        });
      }
    }
  }
  return spec.seeds.flatMap((seed) => unique(configs).map((config) => ({ label: runLabel(config, seed), config, seed })));
}

/** The augmentation without the per-class crops that equal its own crop (and without `perClass` when none is left). */
export function effectiveAugmentation(augmentation: AugmentationConfig): AugmentationConfig {
  const { perClass, ...rest } = augmentation;
  const own = canonicalJson(augmentation.crop);
  const differing = Object.entries(perClass ?? {}).filter(([, crop]) => canonicalJson(crop) !== own);
  return differing.length ? { ...rest, perClass: Object.fromEntries(differing) } : rest;
}

/** "resized crop s=0.25", and which classes get another crop: "resized crop s=0.25, none for cat, dog". */
export function describeAugmentationCrop(augmentation: AugmentationConfig): string {
  const own = describeCrop(augmentation.crop);
  const byCrop = new Map<string, string[]>();
  for (const [name, crop] of Object.entries(augmentation.perClass ?? {})) {
    const words = crop.kind === 'none' ? 'none' : describeCrop(crop);
    byCrop.set(words, [...(byCrop.get(words) ?? []), name]);
  }
  return [own, ...[...byCrop].map(([words, names]) => `${words} for ${names.join(', ')}`)].join(', ');
}

export function describeCrop(crop: CropConfig): string {
  switch (crop.kind) {
    case 'none':
      return 'no crop';
    case 'resized':
      return `resized crop s=${crop.scale}`;
    case 'translate':
      return `pad-and-crop p=${crop.padding}`;
  }
}

export function runLabel(config: RunConfig, seed: number): string {
  const flip = config.augmentation.flip ? ' + flip' : '';
  return `${describeAugmentationCrop(config.augmentation)}${flip}, wd ${config.training.optimizer.weightDecay}, seed ${seed}`;
}

function unique<T>(values: T[]): T[] {
  const seen = new Map(values.map((v) => [canonicalJson(v), v]));
  return [...seen.values()];
}
