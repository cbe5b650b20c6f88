/**
 * Accuracy against regularization strength: one regularizer swept at a fixed
 * value of the other, points ordered by strength, for the views' curves.
 */
import type { CropConfig, RunConfig } from './config';
import { describeCrop } from './study';

/** What an axis needs of a config's group. */
export interface AxisGroup {
  configHash: string;
  config: RunConfig;
  /** Mean accuracy per class over the group's seeds. */
  perClassMean: number[];
  meanAccuracy: number;
}

/**
 * One regularizer swept at a fixed value of the other, points ordered by
 * strength (the baseline, usually the weakest, first): for
 * accuracy-against-strength curves. Crop strength is the share of the image
 * a crop may remove: 0 for no crop, 1 − s for a resized crop of scale s
 * (Angelakis & Rass's α), padding / image side for pad-and-crop (the padding
 * in pixels when the config does not tell the side: a manifest dataset). A
 * crop axis holds one crop kind (with no crop), so that its strengths share
 * a unit. Weight decay's strength is its value.
 */
export interface StrengthAxis {
  regularizer: 'crop' | 'weightDecay';
  /** A crop axis's crop kind, which says what its strength measures. */
  cropKind?: 'resized' | 'translate';
  /** The other regularizer's value along this axis, e.g. "wd 0" or "no crop". */
  fixed: string;
  points: { label: string; strength: number; configHash: string }[];
  /** perClass[class][point]: mean accuracy over seeds. */
  perClass: number[][];
  /** Mean accuracy over classes, per point. */
  mean: number[];
}

/** The share of the image a crop may remove (see StrengthAxis). */
export function cropStrength(crop: CropConfig, side: number | null): number {
  switch (crop.kind) {
    case 'none':
      return 0;
    case 'resized':
      return 1 - crop.scale;
    case 'translate':
      return side ? crop.padding / side : crop.padding;
  }
}

/** Every axis the groups (the baseline and the configs comparable with it) make, on a dataset whose images are `side` pixels wide. */
export function strengthAxes(configs: AxisGroup[], side: number | null): StrengthAxis[] {
  const axes: StrengthAxis[] = [];
  const cropKinds = [...new Set(configs.map((g) => g.config.augmentation.crop.kind).filter((k) => k !== 'none'))];
  for (const kind of cropKinds) {
    const members = configs.filter((g) => g.config.augmentation.crop.kind === 'none' || g.config.augmentation.crop.kind === kind);
    for (const [fixed, points] of byFixedValue(members, cropFixed)) {
      const crops = axis('crop', fixed, points, (g) => cropStrength(g.config.augmentation.crop, side), (g) => describeCrop(g.config.augmentation.crop));
      axes.push({ ...crops, cropKind: kind });
    }
  }
  for (const [fixed, points] of byFixedValue(configs, decayFixed)) {
    axes.push(axis('weightDecay', fixed, points, (g) => g.config.training.optimizer.weightDecay, (g) => `wd ${g.config.training.optimizer.weightDecay}`));
  }
  return axes;
}

/** What a crop axis holds fixed: weight decay and the other regularization. */
function cropFixed(config: RunConfig): string {
  const flip = config.augmentation.flip ? ', flip' : '';
  const norm = config.training.optimizer.decayNormAndBias ? '' : ' (norm/bias not decayed)';
  return `wd ${config.training.optimizer.weightDecay}${norm}${flip}`;
}

/** What a weight-decay axis holds fixed: the crop and the other regularization. */
function decayFixed(config: RunConfig): string {
  const flip = config.augmentation.flip ? ' + flip' : '';
  const norm = config.training.optimizer.decayNormAndBias ? '' : ' (norm/bias not decayed)';
  return `${describeCrop(config.augmentation.crop)}${flip}${norm}`;
}

/** Groups sharing a fixed value, in order of first appearance; only those with ≥ 2 points make an axis. */
function byFixedValue(groups: AxisGroup[], fixed: (c: RunConfig) => string): [string, AxisGroup[]][] {
  const by = new Map<string, AxisGroup[]>();
  for (const g of groups) {
    const key = fixed(g.config);
    by.set(key, [...(by.get(key) ?? []), g]);
  }
  return [...by].filter(([, points]) => points.length >= 2);
}

function axis(
  regularizer: StrengthAxis['regularizer'],
  fixed: string,
  groups: AxisGroup[],
  strength: (g: AxisGroup) => number,
  label: (g: AxisGroup) => string,
): StrengthAxis {
  // Stable sort: equal strengths (no crop and a resized crop of scale 1) keep the groups' order.
  const sorted = [...groups].sort((a, b) => strength(a) - strength(b));
  const classes = sorted[0]!.perClassMean.length;
  return {
    regularizer,
    fixed,
    points: sorted.map((g) => ({ label: label(g), strength: strength(g), configHash: g.configHash })),
    perClass: Array.from({ length: classes }, (_, k) => sorted.map((g) => g.perClassMean[k]!)),
    mean: sorted.map((g) => g.meanAccuracy),
  };
}
