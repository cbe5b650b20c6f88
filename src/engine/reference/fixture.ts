/**
 * Reference files: what PyTorch computed, read and checked before anything
 * runs. Two formats share the file layout `{ about, cases: [...] }`:
 * - `torch-resnet-reference.json` (and any seed of its generator,
 *   test/reference/torch_resnet_reference.py): `kind: "training"` cases (a
 *   ResNet of the engine's, its parameters by torchvision state_dict name,
 *   float64 reference, PyTorch float32's own error) and `kind:
 *   "resized-crop"` cases (torchvision's resized_crop, then the flip);
 * - `torch-sgd-reference.json`, the micro-net, which predates `kind`: a case
 *   without one is read as `micro-net`.
 *
 * Every problem is refused with the case and the field it is in; a tensor of
 * the wrong shape names both shapes. Tensors in the files are nested arrays in
 * TensorFlow.js layouts; here they become flat Float64Arrays with a shape.
 *
 * Pure logic: no tfjs, no DOM (the shapes come from src/model/architecture.ts).
 */
import { buildArchitecture, parameterSpecs, type ArchitectureSpec, type InputShape } from '../../model/architecture';
import { ARCHS, type Arch, type ModelConfig } from '../../study/config';

/** A tensor from the file: values in row-major order and the nested arrays' shape. */
export interface NamedTensor {
  shape: number[];
  values: Float64Array;
}

export interface SgdHyper {
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  decayNormAndBias: boolean;
  /** torch's BatchNorm momentum: the weight of the new batch statistic. */
  bnMomentum: number;
  bnEpsilon: number;
  steps: number;
}

export interface ReferenceBatch {
  /** NHWC. */
  x: NamedTensor;
  labels: Int32Array;
}

/** What the two training formats share: SGD steps on fixed batches from a loaded state, and what they led to. */
export interface SgdRun {
  name: string;
  hyper: SgdHyper;
  /** Step i uses batches[i % batches.length]. */
  batches: ReferenceBatch[];
  /** Every parameter and BatchNorm running statistic, by state_dict name. */
  init: Map<string, NamedTensor>;
  lossPerStep: number[];
  /** The same tensors after training. */
  final: Map<string, NamedTensor>;
  /** Eval mode, on batch 0, after training. */
  evalLogits: NamedTensor;
}

export interface TrainingCase extends SgdRun {
  kind: 'training';
  model: ModelConfig;
  inputShape: InputShape;
  numClasses: number;
  gradientsAtStep0: Map<string, NamedTensor>;
  /** PyTorch float32's distance from the reference, measured as `relativeError` does. */
  torchFloat32Error: {
    lossPerStep: number[];
    logits: number;
    final: Map<string, number>;
    gradientsAtStep0: Map<string, number>;
  };
}

export interface CropWindowCase {
  top: number;
  left: number;
  height: number;
  width: number;
  flip: boolean;
  /** HWC, the image's size, float pixel values 0–255. */
  output: NamedTensor;
}

export interface ResizedCropCase {
  kind: 'resized-crop';
  name: string;
  /** HWC, uint8 values. */
  image: NamedTensor;
  windows: CropWindowCase[];
}

/** The micro-net of torch-sgd-reference.json: conv3x3 1→4 → BN → ReLU → global mean → linear 4→3, float32 reference; tensors by the engine's names (see MICRO_NET_TENSORS). */
export interface MicroNetCase extends SgdRun {
  kind: 'micro-net';
}

export type ReferenceCase = TrainingCase | ResizedCropCase | MicroNetCase;
export const CASE_KINDS = ['training', 'resized-crop', 'micro-net'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export interface ReferenceFile {
  about: string;
  cases: ReferenceCase[];
}

/** The micro-net's tensors: the file's name, the engine's state_dict name, the shape. */
export const MICRO_NET_TENSORS: readonly { file: string; name: string; shape: number[] }[] = [
  { file: 'conv.kernel', name: 'conv.weight', shape: [3, 3, 1, 4] },
  { file: 'bn.gamma', name: 'bn.weight', shape: [4] },
  { file: 'bn.beta', name: 'bn.bias', shape: [4] },
  { file: 'bn.movingMean', name: 'bn.running_mean', shape: [4] },
  { file: 'bn.movingVarianceUnbiased', name: 'bn.running_var', shape: [4] },
  { file: 'dense.kernel', name: 'fc.weight', shape: [4, 3] },
  { file: 'dense.bias', name: 'fc.bias', shape: [3] },
];
const MICRO_NET_INPUT: InputShape = [6, 6, 1];
const MICRO_NET_CLASSES = 3;

/** A reference file that cannot be used; the message names the case and the field. */
export class ReferenceFileError extends Error {
  override name = 'ReferenceFileError';
}

type Json = unknown;
type Fields = Record<string, Json>;

/** Where a value is, for messages: `case "resnet20-w0.25": init.conv1.weight`. */
class At {
  constructor(
    readonly caseName: string | null,
    readonly path: string,
  ) {}
  field(name: string | number): At {
    const part = typeof name === 'number' ? `[${name}]` : this.path ? `.${name}` : name;
    return new At(this.caseName, this.path + part);
  }
  fail(problem: string): never {
    const where = [this.caseName === null ? null : `case ${JSON.stringify(this.caseName)}`, this.path || null].filter(Boolean).join(': ');
    throw new ReferenceFileError(where ? `${where}: ${problem}` : problem);
  }
}

/** Parses the text of a reference file; throws ReferenceFileError. */
export function parseReferenceText(text: string): ReferenceFile {
  let value: Json;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ReferenceFileError(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseReferenceFile(value);
}

export function parseReferenceFile(value: Json): ReferenceFile {
  const top = new At(null, '');
  const file = object(value, top);
  const about = file.about === undefined ? '' : string(file.about, top.field('about'));
  const list = Array.isArray(file.cases) ? (file.cases as Json[]) : top.field('cases').fail('must be an array of cases');
  if (list.length === 0) top.field('cases').fail('holds no case');
  const names = new Set<string>();
  const cases = list.map((c, i) => {
    const kase = parseCase(c, i);
    if (names.has(kase.name)) new At(kase.name, 'name').fail('two cases have this name');
    names.add(kase.name);
    return kase;
  });
  return { about, cases };
}

/** One case, as the page receives it (the CLI checks the whole file first, then sends the cases one by one). */
export function parseCase(value: Json, index: number): ReferenceCase {
  const c = object(value, new At(null, `cases[${index}]`));
  const name = typeof c.name === 'string' && c.name !== '' ? c.name : new At(null, `cases[${index}].name`).fail('must be a non-empty string');
  const at = new At(name, '');
  if (c.kind === undefined) return parseMicroNet(c, name, at);
  const kind = string(c.kind, at.field('kind'));
  switch (kind) {
    case 'training':
      return parseTraining(c, name, at);
    case 'resized-crop':
      return parseResizedCrop(c, name, at);
    default:
      return at.field('kind').fail(`unknown case kind ${JSON.stringify(kind)}; known kinds: training, resized-crop (and, without a kind, the micro-net)`);
  }
}

function parseTraining(c: Fields, name: string, at: At): TrainingCase {
  const m = object(c.model, at.field('model'));
  const arch = string(m.arch, at.field('model').field('arch'));
  if (!(ARCHS as readonly string[]).includes(arch)) at.field('model').field('arch').fail(`unknown architecture ${JSON.stringify(arch)}; known: ${ARCHS.join(', ')}`);
  const stem = m.stem === undefined ? 'auto' : string(m.stem, at.field('model').field('stem'));
  if (!['auto', 'imagenet', 'small'].includes(stem)) at.field('model').field('stem').fail(`must be auto, imagenet or small, got ${JSON.stringify(stem)}`);
  const model: ModelConfig = { arch: arch as Arch, width: positive(m.width, at.field('model').field('width')), stem: stem as ModelConfig['stem'] };
  const inputShape = shapeOf(c.inputShape, at.field('inputShape'));
  const numClasses = count(c.numClasses, at.field('numClasses'));
  let spec: ArchitectureSpec;
  try {
    spec = buildArchitecture(model, inputShape, numClasses);
  } catch (error) {
    return at.field('model').fail(error instanceof Error ? error.message : String(error));
  }
  const hyper = parseHyper(c.hyper, at.field('hyper'));
  const batches = parseBatches(c.batches, at.field('batches'), inputShape, numClasses);

  const params = new Map(parameterSpecs(spec).map((p) => [p.name, p.shape]));
  const stateDict = new Map(params);
  for (const bn of batchNormNames(spec)) {
    stateDict.set(`${bn.name}.running_mean`, [bn.channels]);
    stateDict.set(`${bn.name}.running_var`, [bn.channels]);
  }
  const errors = object(c.torchFloat32Error, at.field('torchFloat32Error'));
  const lossPerStep = numbers(c.lossPerStep, at.field('lossPerStep'), hyper.steps);
  return {
    kind: 'training',
    name,
    model,
    inputShape,
    numClasses,
    hyper,
    batches,
    init: tensorsByName(c.init, at.field('init'), stateDict, `the ${arch} model`),
    lossPerStep,
    gradientsAtStep0: tensorsByName(c.gradientsAtStep0, at.field('gradientsAtStep0'), params, `the ${arch} model's parameters`),
    final: tensorsByName(c.final, at.field('final'), stateDict, `the ${arch} model`),
    evalLogits: tensor(c.evalLogitsOnBatch0AfterTraining, at.field('evalLogitsOnBatch0AfterTraining'), [batches[0]!.labels.length, numClasses]),
    torchFloat32Error: {
      lossPerStep: numbers(errors.lossPerStep, at.field('torchFloat32Error').field('lossPerStep'), hyper.steps).map((e, i) => nonNegative(e, at.field('torchFloat32Error').field('lossPerStep').field(i))),
      logits: nonNegative(errors.logits, at.field('torchFloat32Error').field('logits')),
      final: errorsByName(errors.final, at.field('torchFloat32Error').field('final'), stateDict),
      gradientsAtStep0: errorsByName(errors.gradientsAtStep0, at.field('torchFloat32Error').field('gradientsAtStep0'), params),
    },
  };
}

/** Every BatchNorm of the architecture (stem, blocks, projection shortcuts). */
function batchNormNames(spec: ArchitectureSpec): { name: string; channels: number }[] {
  const bns = [spec.stem.bn];
  for (const block of spec.blocks) {
    bns.push(...block.layers.map((l) => l.bn));
    if (block.shortcut.kind === 'projection') bns.push(block.shortcut.bn);
  }
  return bns;
}

function parseResizedCrop(c: Fields, name: string, at: At): ResizedCropCase {
  const image = tensor(c.imageHWC, at.field('imageHWC'));
  if (image.shape.length !== 3) at.field('imageHWC').fail(`must be an image [height][width][channels], got shape [${image.shape.join(', ')}]`);
  const [h, w] = image.shape as [number, number, number];
  image.values.forEach((v, i) => {
    if (!(Number.isInteger(v) && v >= 0 && v <= 255)) at.field('imageHWC').fail(`pixel ${i} is ${v}, not an integer 0–255`);
  });
  const list = Array.isArray(c.windows) && c.windows.length > 0 ? (c.windows as Json[]) : at.field('windows').fail('must be a non-empty array of windows');
  const windows = list.map((value, i): CropWindowCase => {
    const wat = at.field('windows').field(i);
    const win = object(value, wat);
    const top = integer(win.top, wat.field('top'));
    const left = integer(win.left, wat.field('left'));
    const height = count(win.height, wat.field('height'));
    const width = count(win.width, wat.field('width'));
    if (top < 0 || left < 0 || top + height > h || left + width > w) {
      wat.fail(`window (top ${top}, left ${left}, height ${height}, width ${width}) is not inside the ${h}×${w} image`);
    }
    const flip = typeof win.flip === 'boolean' ? win.flip : wat.field('flip').fail('must be true or false');
    return { top, left, height, width, flip, output: tensor(win.outputHWC, wat.field('outputHWC'), image.shape) };
  });
  return { kind: 'resized-crop', name, image, windows };
}

function parseMicroNet(c: Fields, name: string, at: At): MicroNetCase {
  const init = object(c.init, at.field('init'));
  if (!('conv.kernel' in init)) {
    at.field('kind').fail('missing; a case without a kind must be the micro-net of torch-sgd-reference.json (init.conv.kernel, bn.gamma, …)');
  }
  const hyper = parseHyper(c.hyper, at.field('hyper'));
  const batches = parseBatches(c.batches, at.field('batches'), MICRO_NET_INPUT, MICRO_NET_CLASSES);
  const byFileName = (value: Json, where: At) => {
    const shapes = new Map(MICRO_NET_TENSORS.map((t) => [t.file, t.shape]));
    const read = tensorsByName(value, where, shapes, 'the micro-net');
    return new Map(MICRO_NET_TENSORS.map((t) => [t.name, read.get(t.file)!]));
  };
  return {
    kind: 'micro-net',
    name,
    hyper,
    batches,
    init: byFileName(c.init, at.field('init')),
    lossPerStep: numbers(c.lossPerStep, at.field('lossPerStep'), hyper.steps),
    final: byFileName(c.final, at.field('final')),
    evalLogits: tensor(c.evalLogitsOnBatch0AfterTraining, at.field('evalLogitsOnBatch0AfterTraining'), [batches[0]!.labels.length, MICRO_NET_CLASSES]),
  };
}

function parseHyper(value: Json, at: At): SgdHyper {
  const h = object(value, at);
  const flag = (key: string): boolean => {
    const v = h[key];
    return typeof v === 'boolean' ? v : at.field(key).fail('must be true or false');
  };
  const hyper: SgdHyper = {
    lr: positive(h.lr, at.field('lr')),
    momentum: nonNegative(h.momentum, at.field('momentum')),
    nesterov: flag('nesterov'),
    weightDecay: nonNegative(h.weightDecay, at.field('weightDecay')),
    decayNormAndBias: flag('decayNormAndBias'),
    bnMomentum: positive(h.bnMomentumTorch, at.field('bnMomentumTorch')),
    bnEpsilon: positive(h.bnEpsilon, at.field('bnEpsilon')),
    steps: count(h.steps, at.field('steps')),
  };
  if (hyper.momentum >= 1) at.field('momentum').fail(`must be below 1, got ${hyper.momentum}`);
  if (hyper.bnMomentum >= 1) at.field('bnMomentumTorch').fail(`must be below 1, got ${hyper.bnMomentum}`);
  if (h.batchOrder !== undefined && h.batchOrder !== 'step i uses batches[i % 2]') {
    at.field('batchOrder').fail(`only "step i uses batches[i % 2]" is known, got ${JSON.stringify(h.batchOrder)}`);
  }
  return hyper;
}

function parseBatches(value: Json, at: At, inputShape: InputShape, numClasses: number): ReferenceBatch[] {
  if (!Array.isArray(value) || value.length === 0) at.fail('must be a non-empty array of batches');
  const batches = value.map((b, i) => {
    const bat = at.field(i);
    const fields = object(b, bat);
    const labels = numbers(fields.labels, bat.field('labels'));
    labels.forEach((l, j) => {
      if (!(Number.isInteger(l) && l >= 0 && l < numClasses)) bat.field('labels').field(j).fail(`${l} is not a class index 0–${numClasses - 1}`);
    });
    const x = tensor(fields.xNHWC, bat.field('xNHWC'), [labels.length, ...inputShape]);
    return { x, labels: Int32Array.from(labels) };
  });
  const size = batches[0]!.labels.length;
  batches.forEach((b, i) => {
    if (b.labels.length !== size) at.field(i).fail(`has ${b.labels.length} images, batch 0 has ${size}: every batch has one shape`);
  });
  return batches;
}

/** An object of tensors whose names must be exactly `expected`'s, each of the expected shape. */
function tensorsByName(value: Json, at: At, expected: Map<string, number[]>, owner: string): Map<string, NamedTensor> {
  const fields = object(value, at);
  for (const name of Object.keys(fields)) {
    if (!expected.has(name)) at.field(name).fail(`${owner} has no tensor named ${JSON.stringify(name)}`);
  }
  const out = new Map<string, NamedTensor>();
  for (const [name, shape] of expected) {
    if (!(name in fields)) at.field(name).fail(`missing: ${owner} has this tensor (shape [${shape.join(', ')}])`);
    out.set(name, tensor(fields[name], at.field(name), shape));
  }
  return out;
}

function errorsByName(value: Json, at: At, expected: Map<string, number[]>): Map<string, number> {
  const fields = object(value, at);
  for (const name of Object.keys(fields)) {
    if (!expected.has(name)) at.field(name).fail(`the model has no tensor named ${JSON.stringify(name)}`);
  }
  const out = new Map<string, number>();
  for (const name of expected.keys()) {
    if (!(name in fields)) at.field(name).fail('missing');
    out.set(name, nonNegative(fields[name], at.field(name)));
  }
  return out;
}

/** Nested arrays of finite numbers, rectangular; checked against `expected` when given. */
function tensor(value: Json, at: At, expected?: readonly number[]): NamedTensor {
  const shape: number[] = [];
  for (let v: Json = value; Array.isArray(v); v = v[0]) {
    if (v.length === 0) at.fail('holds an empty array');
    shape.push(v.length);
  }
  if (shape.length === 0) at.fail(`must be an array of numbers, got ${describe(value)}`);
  const values = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let n = 0;
  const walk = (v: Json, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number' || !Number.isFinite(v)) at.fail(`element ${n} is ${describe(v)}, not a finite number`);
      values[n++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) at.fail(`is not rectangular: expected ${shape[depth]} elements at depth ${depth}, got ${describe(v)}`);
    for (const item of v) walk(item, depth + 1);
  };
  walk(value, 0);
  if (expected && (expected.length !== shape.length || expected.some((s, i) => s !== shape[i]))) {
    at.fail(`has shape [${shape.join(', ')}], expected [${expected.join(', ')}]`);
  }
  return { shape, values };
}

function describe(v: Json): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  return typeof v === 'string' ? JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v) : typeof v === 'object' ? 'an object' : String(v);
}

function object(value: Json, at: At): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) at.fail(`must be an object, got ${describe(value)}`);
  return value as Fields;
}

function string(value: Json, at: At): string {
  if (typeof value !== 'string') at.fail(`must be a string, got ${describe(value)}`);
  return value;
}

function finite(value: Json, at: At): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) at.fail(`must be a finite number, got ${describe(value)}`);
  return value;
}

function positive(value: Json, at: At): number {
  const v = finite(value, at);
  if (!(v > 0)) at.fail(`must be positive, got ${v}`);
  return v;
}

function nonNegative(value: Json, at: At): number {
  const v = finite(value, at);
  if (v < 0) at.fail(`must be at least 0, got ${v}`);
  return v;
}

function integer(value: Json, at: At): number {
  const v = finite(value, at);
  if (!Number.isInteger(v)) at.fail(`must be an integer, got ${v}`);
  return v;
}

function count(value: Json, at: At): number {
  const v = integer(value, at);
  if (v < 1) at.fail(`must be at least 1, got ${v}`);
  return v;
}

function numbers(value: Json, at: At, length?: number): number[] {
  if (!Array.isArray(value)) at.fail(`must be an array of numbers, got ${describe(value)}`);
  if (length !== undefined && value.length !== length) at.fail(`has ${value.length} entries, expected ${length}`);
  return value.map((v, i) => finite(v, at.field(i)));
}

function shapeOf(value: Json, at: At): InputShape {
  const dims = numbers(value, at, 3);
  dims.forEach((d, i) => count(d, at.field(i)));
  return dims as InputShape;
}
