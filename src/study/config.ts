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
import { FASHION_MNIST_CLASS_NAMES, FASHION_MNIST_SIDE, FASHION_MNIST_TEST_PER_CLASS, FASHION_MNIST_TRAIN_PER_CLASS } from '../data/fashion-mnist';
import { TEACHING_CLASSES, TEACHING_MIN_SIZE } from '../data/teaching';
import { plainIssue } from './plain-issues';
import { canonicalJson, sha256Hex } from '../util/hash';
import { formatMemory } from '../util/units';

export const ARCHS = ['resnet18', 'resnet34', 'resnet50', 'resnet8', 'resnet20', 'resnet32', 'resnet56'] as const;
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

/**
 * The most bytes a generated set may take in memory (train and test pixels):
 * beyond it the worker (or the CLI that describes the set) would run out of
 * memory generating it, so the schema refuses it first.
 */
export const MAX_GENERATED_BYTES = 2 ** 30;

/** The largest side a shard dataset may be resized to. */
export const MAX_RESIZE = 512;

/** Refuses a generated set too large to hold in memory, at its per-class count. */
function checkGeneratedSize(
  dataset: { trainPerClass: number; testPerClass: number; size: number },
  classes: number,
  channels: number,
  ctx: z.RefinementCtx,
): void {
  const imageBytes = dataset.size * dataset.size * channels;
  const bytes = classes * (dataset.trainPerClass + dataset.testPerClass) * imageBytes;
  if (bytes <= MAX_GENERATED_BYTES) return;
  const field = dataset.trainPerClass >= dataset.testPerClass ? 'trainPerClass' : 'testPerClass';
  ctx.addIssue({
    code: 'custom',
    path: [field],
    message:
      `${classes} classes × ${dataset.trainPerClass} + ${dataset.testPerClass} images of ${dataset.size}×${dataset.size}×${channels} would take ` +
      `${formatMemory(bytes)} in memory; a generated set may take at most ${formatMemory(MAX_GENERATED_BYTES)}`,
  });
}

export const syntheticDatasetSchema = z
  .strictObject({
    kind: z.literal('synthetic'),
    /** Image side in pixels (square). */
    size: z.number().int().min(4).max(256),
    channels: z.union([z.literal(1), z.literal(3)]).default(3),
    classes: z.number().int().min(2).max(1000),
    trainPerClass: positiveInt,
    testPerClass: positiveInt,
    /** The dataset's own seed: the same data for every run seed. */
    seed: z.number().int().nonnegative().default(0),
  })
  .superRefine((dataset, ctx) => checkGeneratedSize(dataset, dataset.classes, dataset.channels, ctx));
/** The generated teaching set: classes whose cue a crop cuts away next to classes whose cue survives it. */
export const teachingDatasetSchema = z
  .strictObject({
    kind: z.literal('teaching'),
    size: z.number().int().min(TEACHING_MIN_SIZE).max(256).default(32),
    trainPerClass: positiveInt,
    testPerClass: positiveInt,
    seed: z.number().int().nonnegative().default(0),
  })
  .superRefine((dataset, ctx) => checkGeneratedSize(dataset, TEACHING_CLASSES.length, 3, ctx));

/**
 * A slice of a shard dataset, taken in the worker after loading (src/data/slice.ts):
 * every field is optional, and a dataset without any is used whole. None has a
 * default, so configs written before slices existed keep their hash.
 */
const sliceFields = {
  /** Per class, this many training images, drawn (seeded, stratified) from the class's own; all when absent. */
  trainPerClass: positiveInt.optional(),
  /** Per class, this many test images, drawn the same way; all when absent. */
  testPerClass: positiveInt.optional(),
  /** Only these classes, by name; labels follow the dataset's own class order. All classes when absent. */
  classes: z
    .array(z.string().min(1, 'a class name must not be empty'))
    .min(2, 'a subset needs at least 2 classes')
    .refine((names) => new Set(names).size === names.length, 'class names must be distinct')
    .optional(),
  /** Every image resized to resize × resize pixels (bilinear, antialiased when shrinking, as PIL); the stored size when absent. */
  resize: z
    .number()
    .int(`a resize must be a whole number of pixels from 1 to ${MAX_RESIZE}`)
    .min(1, `a resize must be a whole number of pixels from 1 to ${MAX_RESIZE}`)
    .max(MAX_RESIZE, `a resize must be a whole number of pixels from 1 to ${MAX_RESIZE}`)
    .optional(),
  /** Seeds which images trainPerClass and testPerClass draw (0 when absent). */
  seed: z.number().int().nonnegative().optional(),
};

export type SliceFields = { [K in keyof typeof sliceFields]?: z.output<(typeof sliceFields)[K]> };

/** What is known of a shard dataset before it is loaded (the built-in ones), to refuse an impossible slice at once. */
export interface KnownDataset {
  classNames: readonly string[];
  trainPerClass: number;
  testPerClass: number;
  side: number;
}

/** Datasets served with the app, by name. */
export const BUILTIN_DATASETS = ['fashion-mnist'] as const;
export const BUILTIN_FACTS: Record<(typeof BUILTIN_DATASETS)[number], KnownDataset> = {
  'fashion-mnist': {
    classNames: FASHION_MNIST_CLASS_NAMES,
    trainPerClass: FASHION_MNIST_TRAIN_PER_CLASS,
    testPerClass: FASHION_MNIST_TEST_PER_CLASS,
    side: FASHION_MNIST_SIDE,
  },
};

/**
 * Checks a slice against what the dataset holds; one message per bad field,
 * with the field's name relative to the dataset config. The same check runs
 * on the built-in sets in the schema and on loaded shard sets in the worker.
 */
export function sliceProblems(slice: SliceFields, dataset: { name: string; classNames: readonly string[]; trainPerClass: (name: string) => number; testPerClass: (name: string) => number }): [string, string][] {
  const problems: [string, string][] = [];
  const unknown = (slice.classes ?? []).map((name, i) => [name, i] as const).filter(([name]) => !dataset.classNames.includes(name));
  for (const [name, i] of unknown) problems.push([`classes.${i}`, `no class "${name}" in ${dataset.name} (its classes: ${listNames(dataset.classNames)})`]);
  const chosen = dataset.classNames.filter((name) => slice.classes === undefined || slice.classes.includes(name));
  for (const [field, split, holds] of [
    ['trainPerClass', 'training', dataset.trainPerClass],
    ['testPerClass', 'test', dataset.testPerClass],
  ] as const) {
    const wanted = slice[field];
    if (wanted === undefined) continue;
    const short = chosen.map((name) => [name, holds(name)] as const).filter(([, n]) => n < wanted);
    if (short.length === 0) continue;
    const [name, n] = short.reduce((a, b) => (b[1] < a[1] ? b : a));
    problems.push([field, `${wanted} is more than the ${n} ${split} images of class "${name}" in ${dataset.name}${short.length > 1 ? ` (${short.length} classes have fewer than ${wanted})` : ''}`]);
  }
  return problems;
}

export function listNames(names: readonly string[], limit = 12): string {
  const shown = names.slice(0, limit).map((n) => JSON.stringify(n)).join(', ');
  return names.length > limit ? `${shown}, … ${names.length - limit} more` : shown;
}

export const builtinDatasetSchema = z
  .strictObject({ kind: z.literal('builtin'), name: z.enum(BUILTIN_DATASETS), ...sliceFields })
  .superRefine((dataset, ctx) => {
    const facts = BUILTIN_FACTS[dataset.name];
    if (!facts) return; // the name is already refused
    const problems = sliceProblems(dataset, {
      name: dataset.name,
      classNames: facts.classNames,
      trainPerClass: () => facts.trainPerClass,
      testPerClass: () => facts.testPerClass,
    });
    for (const [field, message] of problems) ctx.addIssue({ code: 'custom', path: field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), message });
  });

/** Shards anywhere on the web (or imported earlier), by their manifest's URL. */
export const manifestDatasetSchema = z.strictObject({
  kind: z.literal('manifest'),
  url: z.string().min(1, 'a manifest URL is required'),
  ...sliceFields,
});

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

/** A crop for each named class (class-conditional augmentation): the form of a config's and a sweep's per-class crops. */
export const perClassCropsSchema = z.record(z.string().min(1, 'a class name must not be empty'), cropSchema);

export const augmentationSchema = z.strictObject({
  crop: cropSchema.default({ kind: 'none' }),
  flip: z.boolean().default(false),
  /**
   * Class-conditional augmentation (Kirichenko et al., NeurIPS 2023): a crop
   * for the training images of a class, by class name, in place of `crop`.
   * Absent (no default, so older configs keep their hash): every class gets `crop`.
   */
  perClass: perClassCropsSchema.optional(),
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
    const classNames = datasetClassNames(config.dataset);
    if (classNames) {
      for (const [path, message] of perClassProblems(config.augmentation, classNames, datasetLabel(config.dataset))) ctx.addIssue({ code: 'custom', path, message });
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

/** Known before loading for generated and built-in datasets; null for those read from a manifest. */
export function datasetTrainCount(dataset: DatasetConfig): number | null {
  switch (dataset.kind) {
    case 'synthetic':
      return dataset.classes * dataset.trainPerClass;
    case 'teaching':
      return TEACHING_CLASSES.length * dataset.trainPerClass;
    case 'builtin': {
      const facts = BUILTIN_FACTS[dataset.name];
      return (dataset.classes?.length ?? facts.classNames.length) * (dataset.trainPerClass ?? facts.trainPerClass);
    }
    case 'manifest':
      return null;
  }
}

/** The class names a run on this dataset reports, when the config alone tells them (a manifest's subset does). */
export function datasetClassNames(dataset: DatasetConfig): readonly string[] | null {
  switch (dataset.kind) {
    case 'synthetic':
      return Array.from({ length: dataset.classes }, (_, k) => syntheticClassName(k));
    case 'teaching':
      return TEACHING_CLASSES.map((c) => c.name);
    case 'builtin': {
      const all = BUILTIN_FACTS[dataset.name].classNames;
      return dataset.classes ? all.filter((name) => dataset.classes!.includes(name)) : all;
    }
    case 'manifest':
      return dataset.classes ?? null;
  }
}

/** The image side a run on this dataset trains at, when the config tells it (a manifest's resize does). */
export function datasetSide(dataset: DatasetConfig): number | null {
  switch (dataset.kind) {
    case 'synthetic':
    case 'teaching':
      return dataset.size;
    case 'builtin':
      return dataset.resize ?? BUILTIN_FACTS[dataset.name].side;
    case 'manifest':
      return dataset.resize ?? null;
  }
}

export function syntheticClassName(k: number): string {
  return `pattern-${k}`;
}

export function datasetLabel(dataset: DatasetConfig): string {
  switch (dataset.kind) {
    case 'builtin':
      return dataset.classes ? `the chosen classes of ${dataset.name}` : dataset.name;
    case 'manifest':
      return dataset.classes ? 'the chosen classes' : 'the dataset';
    default:
      return `the ${dataset.kind} set`;
  }
}

/** A per-class crop must name a class the run trains on. Paths are from the run config's root. */
export function perClassProblems(augmentation: AugmentationConfig, classNames: readonly string[], what: string): [string[], string][] {
  return Object.keys(augmentation.perClass ?? {})
    .filter((name) => !classNames.includes(name))
    .map((name) => [['augmentation', 'perClass', name], `no class "${name}" in ${what} (its classes: ${listNames(classNames)})`]);
}

export function batchTooLarge(batchSize: number, trainCount: number): string {
  return `batch size ${batchSize} is larger than the ${trainCount} training images`;
}

/** Checks what only the loaded dataset can tell; the message names the field, as the schema's do. */
export function checkAgainstDataset(config: RunConfig, dataset: { classNames: readonly string[]; trainCount: number }): void {
  const issues: string[] = [];
  if (config.training.batchSize > dataset.trainCount) issues.push(`training.batchSize: ${batchTooLarge(config.training.batchSize, dataset.trainCount)}`);
  for (const [path, message] of perClassProblems(config.augmentation, dataset.classNames, datasetLabel(config.dataset))) issues.push(`${path.join('.')}: ${message}`);
  if (issues.length) throw new ConfigError('run config', issues);
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
