/**
 * The reference runner's core: one case of a reference file reproduced with
 * the engine's own code, on whatever tfjs backend (and kernel set) is active,
 * and compared with PyTorch the way the file measures PyTorch itself.
 *
 * - training: the app's ResNet built from its architecture
 *   (src/model/architecture.ts → src/engine/resnet.ts), every parameter and
 *   running statistic loaded by torchvision state_dict name, trained by the
 *   engine's `trainStep` and `Sgd`, then its eval logits;
 * - resized-crop: the engine's crop plan (src/augment/crop.ts) applied by the
 *   engine's resampler, as training batches are;
 * - micro-net: the old conv → BN → ReLU → mean → linear network, from the
 *   engine's layers.
 *
 * Depends on tfjs only (no DOM, no worker), so that the browser page, the CLI
 * through it, the browser tests and Node with Dawn all run the same code.
 */
import * as tf from '@tensorflow/tfjs';
import { batchResampling, resizedCropResampling } from '../../augment/crop';
import { buildArchitecture } from '../../model/architecture';
import { Rng } from '../../util/rng';
import { addBatchNorm, batchNorm, BN_EPSILON, conv2d, crossEntropy, dense, ParameterStore, type ForwardMode } from '../layers';
import { Sgd, trainStep } from '../optimizer';
import { resample } from '../resample';
import { createResNet } from '../resnet';
import {
  ReferenceFileError,
  type MicroNetCase,
  type NamedTensor,
  type ReferenceBatch,
  type ReferenceCase,
  type ResizedCropCase,
  type SgdHyper,
  type SgdRun,
  type TrainingCase,
} from './fixture';
import {
  allowedError,
  elementwiseRelativeError,
  largestAbsoluteError,
  MICRO_NET_TOLERANCE,
  PIXEL_TOLERANCE,
  relativeError,
  scalarError,
  TORCH_ERROR_FACTOR,
  ERROR_FLOOR,
  withinTorchRule,
} from './measure';
import type { CaseReport, Quantity } from './report';

export type { CaseReport, Quantity } from './report';

/** Runs one case; a case the engine cannot run (an epsilon it does not use) throws ReferenceFileError. */
export async function runReferenceCase(kase: ReferenceCase): Promise<CaseReport> {
  const before = tf.memory().numTensors;
  const started = performance.now();
  const { rule, quantities } = await measureCase(kase);
  const leakedTensors = tf.memory().numTensors - before;
  return {
    name: kase.name,
    kind: kase.kind,
    rule,
    quantities,
    ok: quantities.every((q) => q.ok),
    seconds: (performance.now() - started) / 1000,
    leakedTensors,
  };
}

async function measureCase(kase: ReferenceCase): Promise<{ rule: string; quantities: Quantity[] }> {
  switch (kase.kind) {
    case 'training':
      return { rule: `each error ≤ ${TORCH_ERROR_FACTOR}× PyTorch float32's, or < ${ERROR_FLOOR}`, quantities: await runTraining(kase) };
    case 'resized-crop':
      return { rule: `every pixel within ${PIXEL_TOLERANCE} of torchvision's resized_crop`, quantities: await runResizedCrop(kase) };
    case 'micro-net':
      return { rule: `every value within ${MICRO_NET_TOLERANCE} relative of PyTorch's`, quantities: await runMicroNet(kase) };
  }
}

function float32Tensor(t: NamedTensor): tf.Tensor {
  return tf.tensor(Float32Array.from(t.values), t.shape, 'float32');
}

function uploadBatches(batches: ReferenceBatch[]): { x: tf.Tensor4D; labels: tf.Tensor1D }[] {
  return batches.map((b) => ({ x: float32Tensor(b.x) as tf.Tensor4D, labels: tf.tensor1d(b.labels, 'int32') }));
}

function checkEpsilon(kase: { name: string; hyper: SgdHyper }): void {
  if (kase.hyper.bnEpsilon !== BN_EPSILON) {
    throw new ReferenceFileError(`case ${JSON.stringify(kase.name)}: hyper.bnEpsilon: the engine's BatchNorm uses ${BN_EPSILON}, the file ${kase.hyper.bnEpsilon}`);
  }
}

/** Sets every variable of `store` from `values` (state_dict names; the parser has checked names and shapes). */
function loadState(store: ParameterStore, values: Map<string, NamedTensor>): void {
  tf.tidy(() => {
    for (const [name, value] of values) {
      const variable = store.params.get(name) ?? store.buffers.get(name);
      if (!variable) throw new Error(`the engine's model has no variable ${name}`);
      variable.assign(float32Tensor(value));
    }
  });
}

async function readState(store: ParameterStore, names: Iterable<string>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const name of names) {
    const variable = store.params.get(name) ?? store.buffer(name);
    out.set(name, (await variable.data()) as Float32Array);
  }
  return out;
}

/**
 * The engine's SGD, keeping a copy of the gradients the first step hands it:
 * the gradients `trainStep` computed and applied, not a second computation.
 */
class FirstStepRecorder extends Sgd {
  gradients: Map<string, tf.Tensor> | null = null;

  override apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.gradients ??= new Map([...grads].map(([name, g]) => [name, tf.keep(tf.clone(g))]));
    super.apply(grads, lr);
  }

  override dispose(): void {
    tf.dispose([...(this.gradients?.values() ?? [])]);
    super.dispose();
  }
}

/** What a reference run reads back: each step's loss, the first step's gradients, the named tensors after training, the eval logits on batch 0. */
interface Trajectory {
  losses: number[];
  gradients: Map<string, Float32Array>;
  final: Map<string, Float32Array>;
  logits: Float32Array;
}

/**
 * The case's steps with the engine's SGD (step i on batch i mod the number of
 * batches), then its state and eval-mode logits.
 */
async function trainCase(store: ParameterStore, kase: SgdRun, forward: (x: tf.Tensor4D, mode: ForwardMode) => tf.Tensor2D): Promise<Trajectory> {
  const { hyper } = kase;
  const sgd = new FirstStepRecorder(store, { lr: hyper.lr, momentum: hyper.momentum, nesterov: hyper.nesterov, weightDecay: hyper.weightDecay, decayNormAndBias: hyper.decayNormAndBias });
  const batches = uploadBatches(kase.batches);
  try {
    loadState(store, kase.init);
    const mode: ForwardMode = { training: true, bnMomentum: hyper.bnMomentum };
    const losses: tf.Scalar[] = [];
    for (let step = 0; step < hyper.steps; step++) {
      const batch = batches[step % batches.length]!;
      losses.push(trainStep(store, sgd, () => crossEntropy(forward(batch.x, mode), batch.labels), hyper.lr));
    }
    if (!sgd.gradients) throw new Error("the engine's training step did not hand its gradients to Sgd.apply");
    const gradients = new Map<string, Float32Array>();
    for (const [name, g] of sgd.gradients) gradients.set(name, (await g.data()) as Float32Array);
    const lossValues = await Promise.all(losses.map(async (l) => (await l.data())[0]!));
    tf.dispose(losses);
    const final = await readState(store, kase.final.keys());
    const logits = tf.tidy(() => forward(batches[0]!.x, { training: false, bnMomentum: hyper.bnMomentum }));
    const logitValues = (await logits.data()) as Float32Array;
    logits.dispose();
    return { losses: lossValues, gradients, final, logits: logitValues };
  } finally {
    tf.dispose(batches.flatMap((b) => [b.x, b.labels]));
    sgd.dispose();
  }
}

async function runTraining(kase: TrainingCase): Promise<Quantity[]> {
  checkEpsilon(kase);
  const net = createResNet(buildArchitecture(kase.model, kase.inputShape, kase.numClasses), Rng.fromSeed(0, 'init'));
  let run: Trajectory;
  try {
    run = await trainCase(net.store, kase, net.forward);
  } finally {
    net.dispose();
  }
  const errors = kase.torchFloat32Error;
  const quantity = (group: Quantity['group'], name: string, engineError: number, torchError: number): Quantity => ({
    group,
    name,
    engineError,
    torchError,
    allowed: allowedError(torchError),
    ok: withinTorchRule(engineError, torchError),
  });
  return [
    ...kase.lossPerStep.map((reference, i) => quantity('loss', `step ${i}`, scalarError(run.losses[i]!, reference), errors.lossPerStep[i]!)),
    ...[...kase.gradientsAtStep0].map(([name, reference]) =>
      quantity('gradient', name, relativeError(run.gradients.get(name) ?? [], reference.values), errors.gradientsAtStep0.get(name)!),
    ),
    ...[...kase.final].map(([name, reference]) => quantity('final', name, relativeError(run.final.get(name)!, reference.values), errors.final.get(name)!)),
    quantity('logits', 'eval logits on batch 0', relativeError(run.logits, kase.evalLogits.values), errors.logits),
  ];
}

/** Every window of the case in one batch, as training applies crops: the image repeated, one plan. */
async function runResizedCrop(kase: ResizedCropCase): Promise<Quantity[]> {
  const [h, w, c] = kase.image.shape as [number, number, number];
  const n = kase.windows.length;
  const plan = batchResampling(
    kase.windows.map((win) => resizedCropResampling(win, h, w, win.flip)),
    h,
    w,
  );
  const output = tf.tidy(() => resample(tf.tile(float32Tensor(kase.image).reshape([1, h, w, c]), [n, 1, 1, 1]) as tf.Tensor4D, plan));
  const pixels = await output.data();
  output.dispose();
  const size = h * w * c;
  return kase.windows.map((win, i) => {
    const engineError = largestAbsoluteError(pixels.subarray(i * size, (i + 1) * size), win.output.values);
    return {
      group: 'pixels',
      name: `window ${i} (top ${win.top}, left ${win.left}, ${win.height}×${win.width}${win.flip ? ', flipped' : ''})`,
      engineError,
      torchError: null,
      allowed: PIXEL_TOLERANCE,
      ok: engineError <= PIXEL_TOLERANCE,
    };
  });
}

/** The micro-net from the engine's layers, trained by its SGD (the network of torch-sgd-reference.json). */
async function runMicroNet(kase: MicroNetCase): Promise<Quantity[]> {
  checkEpsilon(kase);
  const store = new ParameterStore();
  const conv = { name: 'conv', inChannels: 1, outChannels: 4, kernel: 3, stride: 1, padding: 1 };
  const bn = { name: 'bn', channels: 4 };
  store.addParam('conv.weight', 'conv-kernel', tf.zeros([3, 3, 1, 4]));
  addBatchNorm(store, bn);
  store.addParam('fc.weight', 'fc-kernel', tf.zeros([4, 3]));
  store.addParam('fc.bias', 'fc-bias', tf.zeros([3]));
  const forward = (x: tf.Tensor4D, mode: ForwardMode) =>
    tf.tidy(() => dense(store, 'fc', tf.mean(tf.relu(batchNorm(store, bn, conv2d(store, conv, x), mode)), [1, 2]) as tf.Tensor2D));
  let run: Trajectory;
  try {
    run = await trainCase(store, kase, forward);
  } finally {
    store.dispose();
  }
  const quantity = (group: Quantity['group'], name: string, engineError: number): Quantity => ({
    group,
    name,
    engineError,
    torchError: null,
    allowed: MICRO_NET_TOLERANCE,
    ok: engineError < MICRO_NET_TOLERANCE,
  });
  return [
    ...kase.lossPerStep.map((reference, i) => quantity('loss', `step ${i}`, elementwiseRelativeError([run.losses[i]!], [reference]))),
    ...[...kase.final].map(([name, reference]) => quantity('final', name, elementwiseRelativeError(run.final.get(name)!, reference.values))),
    quantity('logits', 'eval logits on batch 0', elementwiseRelativeError(run.logits, kase.evalLogits.values)),
  ];
}
