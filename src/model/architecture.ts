/**
 * What a ResNet is, as data: every conv, BatchNorm, shortcut and the classifier,
 * with torchvision's state_dict names, so the tfjs engine only has to
 * instantiate it and the parameter count can be checked against torchvision.
 *
 * Pure logic: no tfjs, no DOM.
 *
 * Families:
 * - `resnet18/34/50`: torchvision (BasicBlock / Bottleneck v1.5, stride on the
 *   3×3 conv), 7×7 stride-2 stem + 3×3 stride-2 max-pool, or the `small` stem
 *   (3×3 stride-1 conv, no max-pool) for small inputs.
 * - `resnet20/32/56`: He et al. 2016 §4.2 (CIFAR): 3×3 stem of 16 channels,
 *   3 stages of n basic blocks (16/32/64 channels), option-A shortcuts.
 *
 * The model ends with global average pooling and `fc`. ReLUs are implied:
 * after the stem BN, after every BN inside a block except the last, and after
 * each block's add.
 */
import type { ModelConfig, Arch } from '../study/config';

export type InputShape = [height: number, width: number, channels: number];

/** Symmetric torch-style padding on both spatial sides, no bias. */
export interface ConvSpec {
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
}
export interface BatchNormSpec {
  name: string;
  channels: number;
}
export interface ConvBn {
  conv: ConvSpec;
  bn: BatchNormSpec;
}
export type Shortcut =
  | { kind: 'identity' }
  /** torchvision downsample: 1×1 conv with the block's stride, then BN. */
  | { kind: 'projection'; conv: ConvSpec; bn: BatchNormSpec }
  /**
   * He et al. CIFAR option A: take every `stride`-th pixel starting at (0, 0)
   * (`x[:, ::s, ::s, :]`, output ceil(h/s) — the same size as the strided 3×3
   * conv with padding 1), then add `extraChannels` zero channels. Where the
   * zeros go does not change the function class; the common CIFAR code
   * (akamaster) splits them evenly before and after the input channels.
   */
  | { kind: 'zero-pad'; stride: number; extraChannels: number };
export interface BlockSpec {
  /** `layer{stage}.{index}`, stages counted from 1. */
  name: string;
  kind: 'basic' | 'bottleneck';
  /** The residual branch, in order (2 for basic, 3 for bottleneck). */
  layers: ConvBn[];
  shortcut: Shortcut;
  inChannels: number;
  outChannels: number;
  stride: number;
}
export interface ArchitectureSpec {
  arch: Arch;
  numClasses: number;
  inputShape: InputShape;
  width: number;
  /** conv → BN → ReLU, then (if maxPool) torchvision's 3×3 stride-2 padding-1 max-pool. */
  stem: ConvBn & { maxPool: boolean };
  blocks: BlockSpec[];
  /** After global average pooling over the last feature map. */
  fc: { name: 'fc'; inFeatures: number; outFeatures: number };
}

export type ParameterRole = 'conv-kernel' | 'bn-gamma' | 'bn-beta' | 'fc-kernel' | 'fc-bias';
/**
 * One trainable tensor, tfjs layout: conv `[k, k, in, out]`, fc kernel
 * `[in, out]`, fc bias `[out]`, BN `[channels]`.
 * fanIn / fanOut: conv k·k·in / k·k·out (torch's kaiming fan modes); fc (kernel
 * and bias, since torch bounds the bias by the weight's fan_in) in / out;
 * BN channels / channels (not used by any standard init).
 */
export interface ParameterSpec {
  name: string;
  role: ParameterRole;
  shape: number[];
  fanIn: number;
  fanOut: number;
}

export interface LayerSummary {
  name: string;
  /** `conv`, `bn`, `maxpool`, `zero-pad` (option-A shortcut), `add` (block output), `avgpool`, `fc`. */
  kind: string;
  /** `[h, w, c]` for feature maps, `[features]` after pooling. */
  outputShape: number[];
  params: number;
}

export type ArchFamily = 'imagenet' | 'cifar';
export type StemKind = 'imagenet' | 'small' | 'cifar';

interface ImageNetArch {
  family: 'imagenet';
  block: 'basic' | 'bottleneck';
  depths: [number, number, number, number];
}
interface CifarArch {
  family: 'cifar';
  /** Basic blocks per stage (depth = 6n + 2). */
  n: number;
}

const ARCH_TABLE: Record<Arch, ImageNetArch | CifarArch> = {
  resnet18: { family: 'imagenet', block: 'basic', depths: [2, 2, 2, 2] },
  resnet34: { family: 'imagenet', block: 'basic', depths: [3, 4, 6, 3] },
  resnet50: { family: 'imagenet', block: 'bottleneck', depths: [3, 4, 6, 3] },
  resnet8: { family: 'cifar', n: 1 },
  resnet20: { family: 'cifar', n: 3 },
  resnet32: { family: 'cifar', n: 5 },
  resnet56: { family: 'cifar', n: 9 },
};

const IMAGENET_WIDTHS = [64, 128, 256, 512] as const;
const CIFAR_WIDTHS = [16, 32, 64] as const;
const BOTTLENECK_EXPANSION = 4;
/** Inputs whose smaller side is below this get the small stem under `stem: 'auto'`. */
export const SMALL_STEM_BELOW = 64;

export function archFamily(arch: Arch): ArchFamily {
  return ARCH_TABLE[arch].family;
}

/** A base channel count scaled by the width multiplier (at least one channel). */
export function scaleChannels(base: number, width: number): number {
  return Math.max(1, Math.round(base * width));
}

/** Output side of a conv or pool: floor((in + 2p − k) / s) + 1; throws when nothing is left. */
export function convOutputSize(size: number, kernel: number, stride: number, padding: number, what = 'layer'): number {
  const out = Math.floor((size + 2 * padding - kernel) / stride) + 1;
  if (!(out >= 1)) {
    throw new Error(
      `${what} (kernel ${kernel}, stride ${stride}, padding ${padding}) shrinks a ${size}-pixel side to nothing; use a larger input`,
    );
  }
  return out;
}

/** The stem actually used for this model and input. */
export function resolveStem(model: Pick<ModelConfig, 'arch' | 'stem'>, inputShape: InputShape): StemKind {
  if (archFamily(model.arch) === 'cifar') return 'cifar';
  if (model.stem !== 'auto') return model.stem;
  return Math.min(inputShape[0], inputShape[1]) < SMALL_STEM_BELOW ? 'small' : 'imagenet';
}

function checkPositiveInt(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${what} must be a positive integer, got ${value}`);
}

function convBn(convName: string, bnName: string, inChannels: number, outChannels: number, kernel: number, stride: number): ConvBn {
  return {
    conv: { name: convName, inChannels, outChannels, kernel, stride, padding: (kernel - 1) / 2 },
    bn: { name: bnName, channels: outChannels },
  };
}

export function buildArchitecture(model: ModelConfig, inputShape: InputShape, numClasses: number): ArchitectureSpec {
  const table = ARCH_TABLE[model.arch];
  if (!table) throw new Error(`unknown architecture ${String(model.arch)}`);
  if (!Array.isArray(inputShape) || inputShape.length !== 3) {
    throw new Error(`input shape must be [height, width, channels], got ${JSON.stringify(inputShape)}`);
  }
  checkPositiveInt(inputShape[0], 'input height');
  checkPositiveInt(inputShape[1], 'input width');
  checkPositiveInt(inputShape[2], 'input channels');
  checkPositiveInt(numClasses, 'number of classes');
  const width = model.width;
  if (!(Number.isFinite(width) && width > 0)) throw new Error(`width multiplier must be a positive number, got ${width}`);
  const ch = (base: number): number => scaleChannels(base, width);
  const inChannels = inputShape[2];

  const stemKind = resolveStem(model, inputShape);
  const blocks: BlockSpec[] = [];
  let stem: ArchitectureSpec['stem'];
  let channels: number;

  if (table.family === 'cifar') {
    channels = ch(CIFAR_WIDTHS[0]);
    stem = { ...convBn('conv1', 'bn1', inChannels, channels, 3, 1), maxPool: false };
    CIFAR_WIDTHS.forEach((base, stage) => {
      const out = ch(base);
      for (let i = 0; i < table.n; i++) {
        const stride = stage > 0 && i === 0 ? 2 : 1;
        const name = `layer${stage + 1}.${i}`;
        const shortcut: Shortcut =
          stride !== 1 || channels !== out
            ? { kind: 'zero-pad', stride, extraChannels: out - channels }
            : { kind: 'identity' };
        if (shortcut.kind === 'zero-pad' && shortcut.extraChannels < 0) {
          throw new Error(`${name}: an option-A shortcut cannot drop channels (${channels} -> ${out})`);
        }
        blocks.push({
          name,
          kind: 'basic',
          layers: [
            convBn(`${name}.conv1`, `${name}.bn1`, channels, out, 3, stride),
            convBn(`${name}.conv2`, `${name}.bn2`, out, out, 3, 1),
          ],
          shortcut,
          inChannels: channels,
          outChannels: out,
          stride,
        });
        channels = out;
      }
    });
  } else {
    channels = ch(IMAGENET_WIDTHS[0]);
    stem =
      stemKind === 'small'
        ? { ...convBn('conv1', 'bn1', inChannels, channels, 3, 1), maxPool: false }
        : { ...convBn('conv1', 'bn1', inChannels, channels, 7, 2), maxPool: true };
    const expansion = table.block === 'bottleneck' ? BOTTLENECK_EXPANSION : 1;
    IMAGENET_WIDTHS.forEach((base, stage) => {
      const mid = ch(base);
      const out = ch(base * expansion);
      for (let i = 0; i < table.depths[stage]!; i++) {
        const stride = stage > 0 && i === 0 ? 2 : 1;
        const name = `layer${stage + 1}.${i}`;
        const layers =
          table.block === 'basic'
            ? [
                convBn(`${name}.conv1`, `${name}.bn1`, channels, out, 3, stride),
                convBn(`${name}.conv2`, `${name}.bn2`, out, out, 3, 1),
              ]
            : [
                convBn(`${name}.conv1`, `${name}.bn1`, channels, mid, 1, 1),
                convBn(`${name}.conv2`, `${name}.bn2`, mid, mid, 3, stride),
                convBn(`${name}.conv3`, `${name}.bn3`, mid, out, 1, 1),
              ];
        const shortcut: Shortcut =
          stride !== 1 || channels !== out
            ? { kind: 'projection', ...convBn(`${name}.downsample.0`, `${name}.downsample.1`, channels, out, 1, stride) }
            : { kind: 'identity' };
        blocks.push({ name, kind: table.block, layers, shortcut, inChannels: channels, outChannels: out, stride });
        channels = out;
      }
    });
  }

  const spec: ArchitectureSpec = {
    arch: model.arch,
    numClasses,
    inputShape: [...inputShape],
    width,
    stem,
    blocks,
    fc: { name: 'fc', inFeatures: channels, outFeatures: numClasses },
  };
  // Walk the shapes once so an input that shrinks to nothing is refused here,
  // not when the engine builds the graph.
  summarize(spec);
  return spec;
}

function convParams(conv: ConvSpec): ParameterSpec {
  const { kernel: k, inChannels: i, outChannels: o } = conv;
  return { name: `${conv.name}.weight`, role: 'conv-kernel', shape: [k, k, i, o], fanIn: k * k * i, fanOut: k * k * o };
}

function bnParams(bn: BatchNormSpec): ParameterSpec[] {
  const c = bn.channels;
  return [
    { name: `${bn.name}.weight`, role: 'bn-gamma', shape: [c], fanIn: c, fanOut: c },
    { name: `${bn.name}.bias`, role: 'bn-beta', shape: [c], fanIn: c, fanOut: c },
  ];
}

function convBnParams({ conv, bn }: ConvBn): ParameterSpec[] {
  return [convParams(conv), ...bnParams(bn)];
}

/** Trainable parameters in torchvision's state_dict order (BN running statistics excluded). */
export function parameterSpecs(spec: ArchitectureSpec): ParameterSpec[] {
  const params: ParameterSpec[] = [...convBnParams(spec.stem)];
  for (const block of spec.blocks) {
    for (const layer of block.layers) params.push(...convBnParams(layer));
    if (block.shortcut.kind === 'projection') params.push(...convBnParams(block.shortcut));
  }
  const { inFeatures: i, outFeatures: o } = spec.fc;
  params.push(
    { name: 'fc.weight', role: 'fc-kernel', shape: [i, o], fanIn: i, fanOut: o },
    { name: 'fc.bias', role: 'fc-bias', shape: [o], fanIn: i, fanOut: o },
  );
  return params;
}

export function parameterSize(param: ParameterSpec): number {
  return param.shape.reduce((a, b) => a * b, 1);
}

export function countParameters(spec: ArchitectureSpec): number {
  return parameterSpecs(spec).reduce((sum, p) => sum + parameterSize(p), 0);
}

/**
 * One row per conv / BN / pool / option-A shortcut / block add / fc, in
 * execution order (a block's shortcut after its residual branch, then the add).
 * Throws when a layer shrinks the feature map to nothing.
 */
export function summarize(spec: ArchitectureSpec): LayerSummary[] {
  const rows: LayerSummary[] = [];
  let [h, w, c] = spec.inputShape;

  const conv = (cs: ConvSpec, from: [number, number]): [number, number] => {
    const oh = convOutputSize(from[0], cs.kernel, cs.stride, cs.padding, cs.name);
    const ow = convOutputSize(from[1], cs.kernel, cs.stride, cs.padding, cs.name);
    rows.push({ name: cs.name, kind: 'conv', outputShape: [oh, ow, cs.outChannels], params: cs.kernel * cs.kernel * cs.inChannels * cs.outChannels });
    return [oh, ow];
  };
  const bn = (b: BatchNormSpec, at: [number, number]): void => {
    rows.push({ name: b.name, kind: 'bn', outputShape: [at[0], at[1], b.channels], params: 2 * b.channels });
  };

  [h, w] = conv(spec.stem.conv, [h, w]);
  bn(spec.stem.bn, [h, w]);
  c = spec.stem.conv.outChannels;
  if (spec.stem.maxPool) {
    h = convOutputSize(h, 3, 2, 1, 'maxpool');
    w = convOutputSize(w, 3, 2, 1, 'maxpool');
    rows.push({ name: 'maxpool', kind: 'maxpool', outputShape: [h, w, c], params: 0 });
  }

  for (const block of spec.blocks) {
    let at: [number, number] = [h, w];
    for (const layer of block.layers) {
      at = conv(layer.conv, at);
      bn(layer.bn, at);
    }
    let short: [number, number] = [h, w];
    const sc = block.shortcut;
    if (sc.kind === 'projection') {
      short = conv(sc.conv, short);
      bn(sc.bn, short);
    } else if (sc.kind === 'zero-pad') {
      short = [Math.ceil(h / sc.stride), Math.ceil(w / sc.stride)];
      rows.push({ name: `${block.name}.shortcut`, kind: 'zero-pad', outputShape: [...short, c + sc.extraChannels], params: 0 });
    }
    if (short[0] !== at[0] || short[1] !== at[1]) {
      throw new Error(`${block.name}: shortcut gives ${short.join('x')} but the residual branch gives ${at.join('x')}`);
    }
    [h, w] = at;
    c = block.outChannels;
    rows.push({ name: block.name, kind: 'add', outputShape: [h, w, c], params: 0 });
  }

  rows.push({ name: 'avgpool', kind: 'avgpool', outputShape: [c], params: 0 });
  rows.push({ name: 'fc', kind: 'fc', outputShape: [spec.fc.outFeatures], params: spec.fc.inFeatures * spec.fc.outFeatures + spec.fc.outFeatures });
  return rows;
}

/** `[h, w, c]` of the last feature map, before global average pooling. */
export function finalFeatureShape(spec: ArchitectureSpec): [number, number, number] {
  const rows = summarize(spec);
  const last = rows.filter((r) => r.outputShape.length === 3).at(-1);
  if (!last) throw new Error('no feature map');
  return [last.outputShape[0]!, last.outputShape[1]!, last.outputShape[2]!];
}
