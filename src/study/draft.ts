/**
 * The study designer's draft: every value of its form as typed, the spec a
 * draft describes, and the check that tells which field holds which mistake.
 * Pure (no DOM, no Lit): the designer component renders a Draft and calls
 * editDraft and checkDraft; Node unit tests cover them.
 */
import type { z } from 'zod';
import type { CachedDataset } from '../../workers/api';
import { FASHION_MNIST_MANIFEST_PATH } from '../data/fashion-mnist';
import { sliceOf } from '../data/slice';
import type { CropConfig, DatasetConfig } from './config';
import { plainIssue } from './plain-issues';
import { STUDY_SCHEMA, studySpecSchema, type StudySpec } from './study';

/** Every value of the form, as typed: text stays text until the spec is built, so a bad entry can be shown as it is. */
export interface Draft {
  name: string;
  description: string;
  /** 'builtin:fashion-mnist', 'synthetic', 'teaching' or 'manifest:<url>'. */
  dataset: string;
  synSize: string;
  synChannels: '1' | '3';
  synClasses: string;
  synTrain: string;
  synTest: string;
  synSeed: string;
  teachSize: string;
  teachTrain: string;
  teachTest: string;
  teachSeed: string;
  /** A shard dataset's slice (Fashion-MNIST, a cached or imported set); blank takes the dataset whole on that count. */
  sliceTrain: string;
  sliceTest: string;
  /** Class names, comma-separated (names such as "Ankle boot" hold spaces). */
  sliceClasses: string;
  sliceResize: string;
  sliceSeed: string;
  arch: string;
  width: string;
  stem: 'auto' | 'imagenet' | 'small';
  epochs: string;
  batchSize: string;
  lr: string;
  momentum: string;
  nesterov: boolean;
  schedule: 'constant' | 'step' | 'cosine';
  warmup: string;
  milestones: string;
  gamma: string;
  minLr: string;
  evalEvery: string;
  bnMomentum: string;
  baseCrop: CropConfig['kind'];
  baseScale: string;
  basePadding: string;
  flip: boolean;
  weightDecay: string;
  decayNormAndBias: boolean;
  sweepScales: string;
  sweepPaddings: string;
  /** Also run without a crop (only meaningful when the baseline crops). */
  sweepNoCrop: boolean;
  sweepDecays: string;
  seedMode: 'count' | 'list';
  seeds: string;
}

export type FieldKey = keyof Draft;

/** What the spec holds that the form does not show, carried over unchanged into the specs it builds. */
export interface Carried {
  lossReadEvery: number;
  /** Aspect-ratio ranges of the loaded spec's resized crops, by scale (the form edits scales only). */
  ratios: Map<number, [number, number]>;
  /** Class-conditional crops (the baseline's, and the swept variants: a mitigation follow-up's), which the form does not edit. */
  perClass?: StudySpec['baseline']['augmentation']['perClass'];
  sweepPerClass?: StudySpec['sweep']['perClass'];
}

/** Defaults for a dataset kind the loaded spec did not use (README's example sizes). */
const SYNTHETIC_DEFAULTS = { size: 16, channels: 3 as const, classes: 10, trainPerClass: 100, testPerClass: 50, seed: 0 };
const TEACHING_DEFAULTS = { size: 32, trainPerClass: 50, testPerClass: 20, seed: 0 };

/** A seed count is expanded into a list; beyond this, write the list. */
const MAX_SEED_COUNT = 1000;

const list = (values: readonly number[]) => values.join(', ');

export function draftFromSpec(spec: StudySpec): { draft: Draft; carried: Carried } {
  const { model, dataset, augmentation, training } = spec.baseline;
  const { optimizer, schedule } = training;
  const syn = dataset.kind === 'synthetic' ? dataset : SYNTHETIC_DEFAULTS;
  const teach = dataset.kind === 'teaching' ? dataset : TEACHING_DEFAULTS;
  const crop = augmentation.crop;
  const sweptCrops = spec.sweep.crop;
  const ratios = new Map<number, [number, number]>();
  for (const c of [crop, ...sweptCrops]) if (c.kind === 'resized') ratios.set(c.scale, c.ratio);
  const isRange = spec.seeds.every((seed, i) => seed === i);
  const slice = sliceOf(dataset);
  const draft: Draft = {
    name: spec.name,
    description: spec.description,
    dataset: datasetChoice(dataset),
    synSize: String(syn.size),
    synChannels: syn.channels === 1 ? '1' : '3',
    synClasses: String(syn.classes),
    synTrain: String(syn.trainPerClass),
    synTest: String(syn.testPerClass),
    synSeed: String(syn.seed),
    teachSize: String(teach.size),
    teachTrain: String(teach.trainPerClass),
    teachTest: String(teach.testPerClass),
    teachSeed: String(teach.seed),
    sliceTrain: slice?.trainPerClass === undefined ? '' : String(slice.trainPerClass),
    sliceTest: slice?.testPerClass === undefined ? '' : String(slice.testPerClass),
    sliceClasses: slice?.classes?.join(', ') ?? '',
    sliceResize: slice?.resize === undefined ? '' : String(slice.resize),
    sliceSeed: slice?.seed === undefined ? '' : String(slice.seed),
    arch: model.arch,
    width: String(model.width),
    stem: model.stem,
    epochs: String(training.epochs),
    batchSize: String(training.batchSize),
    lr: String(optimizer.lr),
    momentum: String(optimizer.momentum),
    nesterov: optimizer.nesterov,
    schedule: schedule.kind,
    warmup: String(schedule.warmupEpochs),
    milestones: schedule.kind === 'step' ? list(schedule.milestones) : '',
    gamma: String(schedule.kind === 'step' ? schedule.gamma : 0.1),
    minLr: String(schedule.kind === 'cosine' ? schedule.minLr : 0),
    evalEvery: String(training.evalEvery),
    bnMomentum: String(training.bnMomentum),
    baseCrop: crop.kind,
    baseScale: crop.kind === 'resized' ? String(crop.scale) : '0.5',
    basePadding: crop.kind === 'translate' ? String(crop.padding) : '4',
    flip: augmentation.flip,
    weightDecay: String(optimizer.weightDecay),
    decayNormAndBias: optimizer.decayNormAndBias,
    sweepScales: list(sweptCrops.flatMap((c) => (c.kind === 'resized' ? [c.scale] : []))),
    sweepPaddings: list(sweptCrops.flatMap((c) => (c.kind === 'translate' ? [c.padding] : []))),
    sweepNoCrop: sweptCrops.some((c) => c.kind === 'none'),
    sweepDecays: list(spec.sweep.weightDecay),
    seedMode: isRange ? 'count' : 'list',
    seeds: isRange ? String(spec.seeds.length) : list(spec.seeds),
  };
  return {
    draft,
    carried: { lossReadEvery: training.lossReadEvery, ratios, perClass: augmentation.perClass, sweepPerClass: spec.sweep.perClass },
  };
}

function datasetChoice(dataset: DatasetConfig): string {
  switch (dataset.kind) {
    case 'builtin':
      return `builtin:${dataset.name}`;
    case 'manifest':
      return `manifest:${dataset.url}`;
    default:
      return dataset.kind;
  }
}

export interface DraftCheck {
  /** The validated spec, when every field is valid. */
  spec: StudySpec | null;
  /** Messages by field. */
  fields: Partial<Record<FieldKey, string[]>>;
  /** Messages no field holds (`path: message`). */
  general: string[];
}

/**
 * Builds the spec the draft describes and validates it with the study schema.
 * Text that is not a number is reported here; everything else is the
 * schema's own message, moved to the field its path names.
 */
export function checkDraft(d: Draft, carried: Carried): DraftCheck {
  const fields: Partial<Record<FieldKey, string[]>> = {};
  const complain = (key: FieldKey, message: string) => (fields[key] ??= []).push(message);

  // A field that does not parse keeps its text in the spec: the schema then fails there too, and that
  // second message is dropped below in favour of this one.
  const number = (key: FieldKey): number | string => {
    const text = String(d[key]).trim();
    if (text === '') {
      complain(key, 'required');
      return text;
    }
    const value = Number(text);
    if (Number.isNaN(value)) {
      complain(key, `“${text}” is not a number`);
      return text;
    }
    return value;
  };
  const numbers = (key: FieldKey): number[] => {
    const tokens = String(d[key])
      .split(/[\s,;]+/)
      .filter((t) => t !== '');
    const bad = tokens.filter((t) => Number.isNaN(Number(t)));
    if (bad.length) complain(key, `${bad.map((t) => `“${t}”`).join(', ')} ${bad.length === 1 ? 'is not a number' : 'are not numbers'}`);
    return tokens.filter((t) => !Number.isNaN(Number(t))).map(Number);
  };

  // A blank slice field takes the dataset whole on that count, so it is left out rather than required.
  const optional = (key: FieldKey): number | string | undefined => (String(d[key]).trim() === '' ? undefined : number(key));
  const dataset = datasetFromDraft(d, number, optional);
  const ratioOf = (scale: number) => {
    const ratio = carried.ratios.get(scale);
    return ratio ? { ratio } : {};
  };
  let baseCrop: Record<string, unknown> = { kind: 'none' };
  if (d.baseCrop === 'resized') {
    const scale = number('baseScale');
    baseCrop = { kind: 'resized', scale, ...(typeof scale === 'number' ? ratioOf(scale) : {}) };
  } else if (d.baseCrop === 'translate') {
    baseCrop = { kind: 'translate', padding: number('basePadding') };
  }
  const scales = numbers('sweepScales');
  const paddings = numbers('sweepPaddings');
  const noCrop = d.sweepNoCrop && d.baseCrop !== 'none' ? [{ kind: 'none' as const }] : [];
  const sweptCrops = [
    ...noCrop,
    ...scales.map((scale) => ({ kind: 'resized' as const, scale, ...ratioOf(scale) })),
    ...paddings.map((padding) => ({ kind: 'translate' as const, padding })),
  ];

  let seeds: number[] | string = [];
  if (d.seedMode === 'count') {
    const count = number('seeds');
    if (typeof count === 'number') {
      if (!Number.isInteger(count) || count < 1) complain('seeds', 'the number of seeds must be a whole number ≥ 1');
      else if (count > MAX_SEED_COUNT) complain('seeds', `at most ${MAX_SEED_COUNT} seeds by count; write a list for more`);
      else seeds = Array.from({ length: count }, (_, i) => i);
    }
  } else {
    seeds = numbers('seeds');
    if (seeds.length === 0 && !fields.seeds) complain('seeds', 'at least one seed');
  }

  const schedule =
    d.schedule === 'step'
      ? { kind: 'step' as const, warmupEpochs: number('warmup'), milestones: numbers('milestones'), gamma: number('gamma') }
      : d.schedule === 'cosine'
        ? { kind: 'cosine' as const, warmupEpochs: number('warmup'), minLr: number('minLr') }
        : { kind: 'constant' as const, warmupEpochs: number('warmup') };

  const input = {
    schema: STUDY_SCHEMA,
    name: d.name.trim(),
    description: d.description.trim(),
    baseline: {
      model: { arch: d.arch, width: number('width'), stem: d.stem },
      dataset,
      augmentation: { crop: baseCrop, flip: d.flip, ...(carried.perClass ? { perClass: carried.perClass } : {}) },
      training: {
        epochs: number('epochs'),
        batchSize: number('batchSize'),
        optimizer: {
          lr: number('lr'),
          momentum: number('momentum'),
          nesterov: d.nesterov,
          weightDecay: number('weightDecay'),
          decayNormAndBias: d.decayNormAndBias,
        },
        schedule,
        bnMomentum: number('bnMomentum'),
        evalEvery: number('evalEvery'),
        lossReadEvery: carried.lossReadEvery,
      },
    },
    sweep: { crop: sweptCrops, weightDecay: numbers('sweepDecays'), ...(carried.sweepPerClass ? { perClass: carried.sweepPerClass } : {}) },
    seeds,
  };

  const result = studySpecSchema.safeParse(input);
  const general: string[] = [];
  if (!result.success) {
    const typed = new Set(Object.keys(fields));
    for (const issue of result.error.issues) {
      const key = fieldOfPath(issue.path, d, noCrop.length, scales);
      const message = issueMessage(issue, key, sweptCrops, input.sweep.weightDecay);
      if (key === null) general.push(`${issue.path.map(String).join('.') || '(top level)'}: ${message}`);
      else if (!typed.has(key)) complain(key, message);
    }
  }
  const valid = result.success && Object.keys(fields).length === 0;
  return { spec: valid ? result.data : null, fields, general };
}

function datasetFromDraft(d: Draft, number: (key: FieldKey) => number | string, optional: (key: FieldKey) => number | string | undefined): unknown {
  if (d.dataset === 'synthetic') {
    return {
      kind: 'synthetic',
      size: number('synSize'),
      channels: Number(d.synChannels),
      classes: number('synClasses'),
      trainPerClass: number('synTrain'),
      testPerClass: number('synTest'),
      seed: number('synSeed'),
    };
  }
  if (d.dataset === 'teaching') {
    return { kind: 'teaching', size: number('teachSize'), trainPerClass: number('teachTrain'), testPerClass: number('teachTest'), seed: number('teachSeed') };
  }
  const classes = d.sliceClasses
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const fields = { trainPerClass: optional('sliceTrain'), testPerClass: optional('sliceTest'), classes: classes.length ? classes : undefined, resize: optional('sliceResize'), seed: optional('sliceSeed') };
  const slice = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  if (d.dataset.startsWith('builtin:')) return { kind: 'builtin', name: d.dataset.slice('builtin:'.length), ...slice };
  return { kind: 'manifest', url: d.dataset.slice('manifest:'.length), ...slice };
}

/** The form field that holds the value at a schema path; null for what no field holds. */
function fieldOfPath(path: readonly PropertyKey[], d: Draft, noCropCount: number, scales: number[]): FieldKey | null {
  const p = path.map(String);
  const at = (...prefix: string[]) => prefix.every((part, i) => p[i] === part);
  if (at('name')) return 'name';
  if (at('description')) return 'description';
  if (at('seeds')) return 'seeds';
  if (at('sweep', 'weightDecay')) return 'sweepDecays';
  if (at('sweep', 'crop')) {
    const index = Number(p[2]);
    if (!Number.isInteger(index)) return null;
    if (index < noCropCount) return 'sweepNoCrop';
    return index < noCropCount + scales.length ? 'sweepScales' : 'sweepPaddings';
  }
  if (!at('baseline')) return null;
  const [, group, key, sub] = p;
  if (group === 'model') return key === 'arch' ? 'arch' : key === 'width' ? 'width' : key === 'stem' ? 'stem' : null;
  if (group === 'dataset') {
    const synthetic: Record<string, FieldKey> = { size: 'synSize', channels: 'synChannels', classes: 'synClasses', trainPerClass: 'synTrain', testPerClass: 'synTest', seed: 'synSeed' };
    const teaching: Record<string, FieldKey> = { size: 'teachSize', trainPerClass: 'teachTrain', testPerClass: 'teachTest', seed: 'teachSeed' };
    const shards: Record<string, FieldKey> = { trainPerClass: 'sliceTrain', testPerClass: 'sliceTest', classes: 'sliceClasses', resize: 'sliceResize', seed: 'sliceSeed' };
    const table = d.dataset === 'synthetic' ? synthetic : d.dataset === 'teaching' ? teaching : shards;
    return (key !== undefined ? table[key] : undefined) ?? 'dataset';
  }
  if (group === 'augmentation') {
    if (key === 'flip') return 'flip';
    if (key === 'crop') return sub === 'padding' ? 'basePadding' : sub === 'scale' ? 'baseScale' : 'baseCrop';
    return null;
  }
  if (group === 'training') {
    if (key === 'optimizer') {
      const optimizer: Record<string, FieldKey> = { lr: 'lr', momentum: 'momentum', nesterov: 'nesterov', weightDecay: 'weightDecay', decayNormAndBias: 'decayNormAndBias' };
      return (sub !== undefined ? optimizer[sub] : undefined) ?? null;
    }
    if (key === 'schedule') {
      const schedule: Record<string, FieldKey> = { warmupEpochs: 'warmup', milestones: 'milestones', gamma: 'gamma', minLr: 'minLr' };
      return (sub !== undefined ? schedule[sub] : undefined) ?? null;
    }
    const training: Record<string, FieldKey> = { epochs: 'epochs', batchSize: 'batchSize', bnMomentum: 'bnMomentum', evalEvery: 'evalEvery' };
    return (key !== undefined ? training[key] : undefined) ?? null;
  }
  return null;
}

/** The schema's message; in a list field it names the entry it is about, since the field holds several. */
function issueMessage(issue: z.core.$ZodIssue, key: FieldKey | null, crops: CropConfig[] | { kind: string }[], decays: number[]): string {
  const base = plainIssue(issue);
  const index = Number(issue.path[2]);
  if ((key === 'sweepScales' || key === 'sweepPaddings') && Number.isInteger(index)) {
    const crop = crops[index] as { scale?: number; padding?: number } | undefined;
    const value = crop?.scale ?? crop?.padding;
    if (value !== undefined) return `${value}: ${base}`;
  }
  if (key === 'sweepDecays' && Number.isInteger(Number(issue.path[2]))) return `${decays[Number(issue.path[2])]}: ${base}`;
  if (key === 'milestones' && issue.path.length > 5) return `entry ${Number(issue.path[5]) + 1}: ${base}`;
  return base;
}

/**
 * The draft with one field changed; switching how seeds are given rewrites
 * them for the new mode, and another dataset drops the class subset, whose
 * names were the last dataset's (the counts and resize still mean the same).
 */
export function editDraft<K extends FieldKey>(draft: Draft, key: K, value: Draft[K]): Draft {
  const next = { ...draft, [key]: value };
  if (key === 'seedMode') next.seeds = convertSeeds(next.seeds, value as Draft['seedMode']);
  if (key === 'dataset' && value !== draft.dataset) next.sliceClasses = '';
  return next;
}

/** The seeds text rewritten for the other mode, so switching modes keeps the same seeds where it can. */
function convertSeeds(text: string, mode: Draft['seedMode']): string {
  if (mode === 'list') {
    const count = Number(text.trim());
    return Number.isInteger(count) && count >= 1 && count <= MAX_SEED_COUNT ? list(Array.from({ length: count }, (_, i) => i)) : text;
  }
  const seeds = text.split(/[\s,;]+/).filter((t) => t !== '').map(Number);
  return seeds.length > 0 && seeds.every((seed, i) => seed === i) ? String(seeds.length) : text;
}

/** The datasets the form offers, as [value, label]: the generated ones, the built-in set, and complete cached ones. */
export function datasetOptions(d: Draft, datasets: readonly CachedDataset[]): [string, string][] {
  const options: [string, string][] = [
    ['builtin:fashion-mnist', 'Fashion-MNIST (built in)'],
    ['synthetic', 'Generated: synthetic (smoke tests)'],
    ['teaching', 'Generated: teaching set'],
  ];
  // The built-in set is cached under its own manifest URL too: it is already offered above.
  const cached = datasets.filter((c) => c.complete && !c.id.endsWith(FASHION_MNIST_MANIFEST_PATH));
  for (const c of cached) options.push([`manifest:${c.id}`, `${c.name ?? c.id} (${c.id.startsWith('import:') ? 'imported' : 'cached'})`]);
  // A spec may name shards that are not (or not yet) in the cache: keep them choosable.
  if (d.dataset.startsWith('manifest:') && !options.some(([value]) => value === d.dataset)) {
    options.push([d.dataset, `${d.dataset.slice('manifest:'.length)} (not in the cache yet)`]);
  }
  return options;
}
