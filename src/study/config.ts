/**
 * The run config: everything that determines a training run except its seed.
 * Runs that differ only by seed share a config (and so a configHash), which is
 * what lets the statistics pair them.
 *
 * Pure logic: no tfjs, no DOM. Every boundary (worker, CLI, file import) goes
 * through `parseRunConfig`, so an impossible value is refused with the path of
 * the field that holds it.
 */
import { z } from 'zod';
import { TEACHING_CLASSES } from '../data/teaching';
import { plainIssue } from './plain-issues';
import { canonicalJson, sha256Hex } from '../util/hash';

export const ARCHS = ['resnet18', 'resnet34', 'resnet50', 'resnet20', 'resnet32', 'resnet56'] as const;
export type Arch = (typeof ARCHS)[number];

const positiveInt = z.number().int().positive();
const nonNegative = z.number().finite().nonnegative();

export const modelSchema = z.strictObject({
  arch: z.enum(ARCHS),
  /** Multiplies every channel count (at least one channel survives). */
  width: z.number().finite().positive().max(8).default(1),
  /** `small`: 3×3 stride-1 stem, no max-pool. `auto` picks it for inputs under 64 px. */
  stem: z.enum(['auto', 'imagenet', 'small']).default('auto'),
});

export const syntheticDatasetSchema = z.strictObject({
  kind: z.literal('synthetic'),
  /** Image side in pixels (square). */
  size: z.number().int().min(4).max(256),
  channels: z.union([z.literal(1), z.literal(3)]).default(3),
  classes: z.number().int().min(2).max(1000),
  trainPerClass: positiveInt,
  testPerClass: positiveInt,
  /** The dataset's own seed: the same data for every run seed. */
  seed: z.number().int().nonnegative().default(0),
});
/** The generated teaching set: classes whose cue a crop cuts away next to classes whose cue survives it. */
export const teachingDatasetSchema = z.strictObject({
  kind: z.literal('teaching'),
  size: z.number().int().min(16).max(256).default(32),
  trainPerClass: positiveInt,
  testPerClass: positiveInt,
  seed: z.number().int().nonnegative().default(0),
});

/** Datasets served with the app, by name. */
export const BUILTIN_DATASETS = ['fashion-mnist'] as const;
export const builtinDatasetSchema = z.strictObject({ kind: z.literal('builtin'), name: z.enum(BUILTIN_DATASETS) });

/** Shards anywhere on the web (or imported earlier), by their manifest's URL. */
export const manifestDatasetSchema = z.strictObject({ kind: z.literal('manifest'), url: z.string().min(1, 'a manifest URL is required') });

export const datasetSchema = z.discriminatedUnion('kind', [
  syntheticDatasetSchema,
  teachingDatasetSchema,
  builtinDatasetSchema,
  manifestDatasetSchema,
]);

export const cropSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  /** torchvision RandomResizedCrop: area fraction ~ U[scale, 1], log-uniform aspect ratio. */
  z.strictObject({
    kind: z.literal('resized'),
    scale: z.number().finite().gt(0, 'a crop scale must be in (0, 1]').max(1, 'a crop scale must be in (0, 1]'),
    ratio: z
      .tuple([z.number().finite().positive(), z.number().finite().positive()])
      .refine(([lo, hi]) => lo <= hi, 'ratio must be [low, high] with low <= high')
      .default([3 / 4, 4 / 3]),
  }),
  /** CIFAR-style translation: zero-pad by `padding`, then crop back to the input size. */
  z.strictObject({ kind: z.literal('translate'), padding: z.number().int().min(0).max(64) }),
]);

export const augmentationSchema = z.strictObject({
  crop: cropSchema.default({ kind: 'none' }),
  flip: z.boolean().default(false),
});

export const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant'), warmupEpochs: nonNegative.default(0) }),
  z.strictObject({
    kind: z.literal('step'),
    warmupEpochs: nonNegative.default(0),
    /** Epochs at which the rate is multiplied by gamma. */
    milestones: z.array(nonNegative).default([]),
    gamma: z.number().finite().positive().max(1).default(0.1),
  }),
  z.strictObject({
    kind: z.literal('cosine'),
    warmupEpochs: nonNegative.default(0),
    minLr: nonNegative.default(0),
  }),
]);

export const optimizerSchema = z.strictObject({
  lr: z.number().finite().positive(),
  momentum: z.number().finite().min(0).lt(1).default(0.9),
  nesterov: z.boolean().default(false),
  weightDecay: z.number().finite().nonnegative('weight decay must be >= 0').default(0),
  /** torch applies weight decay to every parameter; false exempts BatchNorm parameters and biases. */
  decayNormAndBias: z.boolean().default(true),
});

export const trainingSchema = z.strictObject({
  epochs: positiveInt.max(10_000),
  batchSize: positiveInt.max(4096),
  optimizer: optimizerSchema,
  schedule: scheduleSchema.default({ kind: 'constant', warmupEpochs: 0 }),
  /** torch's BatchNorm momentum (weight of the new batch statistic). */
  bnMomentum: z.number().gt(0).lt(1).default(0.1),
  /** Evaluate on the test split every N epochs (and always at the end). */
  evalEvery: positiveInt.default(1),
  /** Read losses back from the GPU once per group of this many steps. */
  lossReadEvery: positiveInt.default(10),
});

export const runConfigSchema = z
  .strictObject({
    model: modelSchema,
    dataset: datasetSchema,
    augmentation: augmentationSchema.default({ crop: { kind: 'none' }, flip: false }),
    training: trainingSchema,
  })
  .superRefine((config, ctx) => {
    const trainCount = datasetTrainCount(config.dataset);
    if (trainCount !== null && config.training.batchSize > trainCount) {
      ctx.addIssue({ code: 'custom', path: ['training', 'batchSize'], message: batchTooLarge(config.training.batchSize, trainCount) });
    }
  });

export type ModelConfig = z.output<typeof modelSchema>;
export type DatasetConfig = z.output<typeof datasetSchema>;
export type DatasetConfigInput = z.input<typeof datasetSchema>;
export type SyntheticDatasetConfig = z.output<typeof syntheticDatasetSchema>;
export type CropConfig = z.output<typeof cropSchema>;
export type AugmentationConfig = z.output<typeof augmentationSchema>;
export type ScheduleConfig = z.output<typeof scheduleSchema>;
export type OptimizerConfig = z.output<typeof optimizerSchema>;
export type TrainingConfig = z.output<typeof trainingSchema>;
/** A fully defaulted, validated config. */
export type RunConfig = z.output<typeof runConfigSchema>;
/** What a user may write: defaults may be left out. */
export type RunConfigInput = z.input<typeof runConfigSchema>;

/** Known before loading for generated datasets; null for those read from shards. */
export function datasetTrainCount(dataset: DatasetConfig): number | null {
  switch (dataset.kind) {
    case 'synthetic':
      return dataset.classes * dataset.trainPerClass;
    case 'teaching':
      return TEACHING_CLASSES.length * dataset.trainPerClass;
    default:
      return null;
  }
}

export function batchTooLarge(batchSize: number, trainCount: number): string {
  return `batch size ${batchSize} is larger than the ${trainCount} training images`;
}

/** Checks what only the loaded dataset can tell; the message names the field, as the schema's do. */
export function checkAgainstDataset(config: RunConfig, trainCount: number): void {
  if (config.training.batchSize > trainCount) {
    throw new ConfigError('run config', [`training.batchSize: ${batchTooLarge(config.training.batchSize, trainCount)}`]);
  }
}

/** Refused input, with one line per offending field (`training.optimizer.weightDecay: ...`). */
export class ConfigError extends Error {
  constructor(
    readonly what: string,
    readonly issues: string[],
  ) {
    super(`invalid ${what}:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => (path ? `${path}.${k}` : k));
      return `unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
    }
    return `${path || '(top level)'}: ${plainIssue(issue)}`;
  });
}

/** Validates with `schema` or throws a ConfigError naming every bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(what, formatIssues(result.error));
  return result.data;
}

export function parseRunConfig(value: unknown): RunConfig {
  return parseWith(runConfigSchema, value, 'run config');
}

/**
 * A stable identity for a config: hashed after defaults are filled in, so a
 * config written with or without its defaults gets the same hash.
 */
export async function configHash(config: RunConfig): Promise<string> {
  return sha256Hex(canonicalJson(config));
}
