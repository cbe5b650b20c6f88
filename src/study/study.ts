/**
 * A study: a baseline config, the regularizers swept against it, and seeds.
 * It expands into runs (config × seed), seed by seed, so paired baseline and
 * treatment results arrive together and the deltas fill in early.
 */
import { z } from 'zod';
import { canonicalJson } from '../util/hash';
import { cropSchema, parseWith, runConfigSchema, type CropConfig, type RunConfig } from './config';

export const STUDY_SCHEMA = 'classwise.study/1';

export const studySpecSchema = z.strictObject({
  schema: z.literal(STUDY_SCHEMA),
  name: z.string().min(1),
  description: z.string().default(''),
  /** The baseline, usually with no crop and no weight decay. */
  baseline: runConfigSchema,
  sweep: z
    .strictObject({
      crop: z.array(cropSchema).default([]),
      weightDecay: z.array(z.number().finite().nonnegative('weight decay must be >= 0')).default([]),
    })
    .default({ crop: [], weightDecay: [] }),
  seeds: z.array(z.number().int().nonnegative()).min(1).refine((s) => new Set(s).size === s.length, 'seeds must be distinct'),
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

/** The grid (baseline crop ∪ swept crops) × (baseline decay ∪ swept decays), for each seed. */
export function planRuns(spec: StudySpec): PlannedRun[] {
  const { baseline } = spec;
  const crops = unique([baseline.augmentation.crop, ...spec.sweep.crop]);
  const decays = unique([baseline.training.optimizer.weightDecay, ...spec.sweep.weightDecay]);
  const configs: RunConfig[] = [];
  for (const crop of crops) {
    for (const weightDecay of decays) {
      configs.push({
        ...baseline,
        augmentation: { ...baseline.augmentation, crop },
        training: { ...baseline.training, optimizer: { ...baseline.training.optimizer, weightDecay } },
      });
    }
  }
  return spec.seeds.flatMap((seed) => configs.map((config) => ({ label: runLabel(config, seed), config, seed })));
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
  return `${describeCrop(config.augmentation.crop)}${flip}, wd ${config.training.optimizer.weightDecay}, seed ${seed}`;
}

function unique<T>(values: T[]): T[] {
  const seen = new Map(values.map((v) => [canonicalJson(v), v]));
  return [...seen.values()];
}
