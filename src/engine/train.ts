/**
 * One training run, top to bottom: build the network from the config, then
 * for each epoch shuffle, augment, step, read the losses back in groups, and
 * evaluate on the test split. Seeded throughout: one seed fixes the
 * initialisation, the shuffling and every crop.
 */
import * as tf from '@tensorflow/tfjs';
import { augments, cropResampling, type BatchClasses, type BatchResampling } from '../augment/crop';
import type { Dataset } from '../data/dataset';
import { buildArchitecture } from '../model/architecture';
import type { RunConfig } from '../study/config';
import type { Evaluation, HistoryEntry } from '../study/results';
import { CHECKPOINT_SCHEMA, checkCheckpoint, runKey, type Checkpoint, type SavedTensor } from '../training/checkpoint';
import type { RunControl } from '../training/control';
import { learningRate } from '../training/schedule';
import { Rng } from '../util/rng';
import { BatchLoader } from './batches';
import type { KernelChoice } from './kernels/autotune';
import { prepareKernels } from './kernels/policy';
import { restoreTensors, saveModel, saveTensors } from './checkpointing';
import { crossEntropy } from './layers';
import { Sgd, trainStep } from './optimizer';
import { createResNet, type ResNet } from './resnet';

export type TrainingEvent =
  | { kind: 'start'; epochs: number; stepsPerEpoch: number; totalSteps: number }
  | { kind: 'progress'; step: number; epoch: number; loss: number; lr: number; imagesPerSec: number; etaSec: number }
  | { kind: 'evaluation'; evaluation: Evaluation }
  | { kind: 'epoch'; epoch: number; liveTensors: number; liveBytes: number }
  | { kind: 'paused'; step: number }
  | { kind: 'checkpoint'; step: number }
  | { kind: 'resumed'; step: number; epoch: number };

export interface TrainingOutcome {
  top1: number;
  perClass: Evaluation['perClass'];
  confusion: number[][];
  /** The final model's predicted class for each test image, in test order. */
  predictions: number[];
  /** The final model: parameters and BatchNorm statistics (no momentum), for storing and exporting. */
  weights: SavedTensor[];
  evaluations: Evaluation[];
  history: HistoryEntry[];
  steps: number;
  /** The kernels the run used on WebGPU (null elsewhere): results record them in `environment.kernels`. */
  kernels: KernelChoice | null;
}

/** Where and how often a run saves its state, and the checkpoint to resume from. */
export interface CheckpointPolicy {
  configHash: string;
  /** Save every N steps, and at the end of every epoch. */
  everySteps: number;
  save(checkpoint: Checkpoint): Promise<void>;
  resumeFrom?: Checkpoint;
}

export async function train(
  config: RunConfig,
  seed: number,
  dataset: Dataset,
  control: RunControl,
  emit: (event: TrainingEvent) => void,
  checkpoints?: CheckpointPolicy,
): Promise<TrainingOutcome> {
  const { training, augmentation } = config;
  const [height, width] = dataset.shape;
  const spec = buildArchitecture(config.model, dataset.shape, dataset.classNames.length);
  const kernels = await prepareKernels(spec, dataset.shape, training.batchSize);
  const net = createResNet(spec, Rng.fromSeed(seed, 'init'));
  const sgd = new Sgd(net.store, training.optimizer);
  const loader = new BatchLoader(dataset, training.batchSize);
  const augmenting = augments(augmentation);

  // Fixed batch shapes: the last partial batch is dropped, as torch's drop_last.
  const stepsPerEpoch = Math.floor(dataset.train.count / training.batchSize);
  const totalSteps = stepsPerEpoch * training.epochs;
  let history: HistoryEntry[] = [];
  let evaluations: Evaluation[] = [];
  type PendingLoss = { loss: tf.Scalar; step: number; epoch: number; lr: number };
  let pending: PendingLoss[] = [];
  /** The group whose losses are on their way back while the next group is recorded. */
  let reading: { steps: Omit<PendingLoss, 'loss'>[]; values: Promise<tf.TypedArray>; stacked: tf.Tensor } | null = null;
  let groupStart = performance.now();
  let secondsPerStep = 0;
  let step = 0;
  let latest: EvaluationOutcome | undefined;

  /**
   * Double-buffered read-back: a full group's losses are stacked and their
   * read requested, and the loop goes on recording the next group; that read
   * is awaited only when the next group is full, by when the GPU has long
   * finished it. So no await drains the queue mid-epoch: the GPU always has
   * the next group's work.
   */
  async function readLosses(): Promise<void> {
    const group = reading;
    if (!group) return;
    reading = null;
    const losses = await group.values;
    group.stacked.dispose();
    const now = performance.now();
    const seconds = (now - groupStart) / 1000;
    groupStart = now;
    secondsPerStep = seconds / group.steps.length;
    const imagesPerSec = (group.steps.length * training.batchSize) / seconds;
    group.steps.forEach((p, i) => history.push({ step: p.step, epoch: p.epoch, loss: losses[i]!, lr: p.lr, imagesPerSec }));
    const last = history[history.length - 1]!;
    emit({ kind: 'progress', ...last, etaSec: secondsPerStep * (totalSteps - step) });
  }

  /** Awaits the group in flight, then sends the pending one on its way. */
  async function rotateLosses(): Promise<void> {
    await readLosses();
    if (pending.length === 0) return;
    const stacked = tf.stack(pending.map((p) => p.loss));
    tf.dispose(pending.map((p) => p.loss));
    reading = { steps: pending.map(({ loss: _, ...rest }) => rest), values: stacked.data(), stacked };
    pending = [];
  }

  /** Every loss so far read back: before a checkpoint, an evaluation or the end. */
  async function flushLosses(): Promise<void> {
    await rotateLosses();
    await readLosses();
  }

  /**
   * Losses are flushed first, so the checkpoint's history is complete.
   * `shuffleState` is the generator as it was before this epoch's
   * permutation: a resumed run draws the same order again.
   */
  async function saveCheckpoint(shuffleState: number[]): Promise<void> {
    if (!checkpoints) return;
    await flushLosses();
    await checkpoints.save({
      schema: CHECKPOINT_SCHEMA,
      runKey: runKey(checkpoints.configHash, seed),
      configHash: checkpoints.configHash,
      seed,
      step,
      epoch: Math.floor(step / stepsPerEpoch),
      rng: { shuffle: shuffleState, augment: augmentRng.state() },
      tensors: await saveTensors(net.store, sgd),
      history: [...history],
      evaluations: [...evaluations],
      savedAt: new Date().toISOString(),
    });
    emit({ kind: 'checkpoint', step });
  }

  emit({ kind: 'start', epochs: training.epochs, stepsPerEpoch, totalSteps });
  let shuffleRng = Rng.fromSeed(seed, 'shuffle');
  let augmentRng = Rng.fromSeed(seed, 'augment');
  try {
    const resumeFrom = checkpoints?.resumeFrom;
    if (resumeFrom) {
      checkCheckpoint(resumeFrom, checkpoints.configHash, seed);
      restoreTensors(net.store, sgd, resumeFrom.tensors);
      shuffleRng = Rng.fromState(resumeFrom.rng.shuffle);
      augmentRng = Rng.fromState(resumeFrom.rng.augment);
      ({ step } = resumeFrom);
      history = [...resumeFrom.history];
      evaluations = [...resumeFrom.evaluations];
      emit({ kind: 'resumed', step, epoch: resumeFrom.epoch });
    }
    for (let epoch = Math.floor(step / stepsPerEpoch); epoch < training.epochs; epoch++) {
      const shuffleState = shuffleRng.state();
      const order = shuffleRng.permutation(dataset.train.count);
      for (let b = step - epoch * stepsPerEpoch; b < stepsPerEpoch; b++) {
        await control.gate(() => emit({ kind: 'paused', step }));
        const lr = learningRate(training.schedule, training.optimizer.lr, step, stepsPerEpoch, training.epochs);
        const indices = order.subarray(b * training.batchSize, (b + 1) * training.batchSize);
        const plan = augmenting ? cropResampling(augmentRng, augmentation, training.batchSize, height, width, batchClasses(dataset, indices)) : null;
        const loss = stepOnBatch(net, sgd, loader, dataset.train, indices, plan, lr, training.bnMomentum);
        pending.push({ loss, step, epoch, lr });
        step++;
        if (pending.length >= training.lossReadEvery) await rotateLosses();
        if (checkpoints && step % checkpoints.everySteps === 0 && b < stepsPerEpoch - 1) await saveCheckpoint(shuffleState);
      }
      await flushLosses();
      if ((epoch + 1) % training.evalEvery === 0 || epoch === training.epochs - 1) {
        latest = await evaluate(net, loader, dataset, epoch, step, training.bnMomentum);
        evaluations.push(latest.summary);
        emit({ kind: 'evaluation', evaluation: latest.summary });
      }
      if (epoch < training.epochs - 1) await saveCheckpoint(shuffleRng.state());
      const memory = tf.memory();
      emit({ kind: 'epoch', epoch, liveTensors: memory.numTensors, liveBytes: memory.numBytes });
      // The evaluation above is timed out of the next group's images/s.
      groupStart = performance.now();
    }
    // The last epoch always evaluates, so `latest` is the final model's.
    const { top1, perClass } = latest!.summary;
    const { confusion, predictions } = latest!;
    return { top1, perClass, confusion, predictions, weights: await saveModel(net.store), evaluations, history, steps: step, kernels };
  } finally {
    tf.dispose(pending.map((p) => p.loss));
    if (reading) tf.dispose((reading as { stacked: tf.Tensor }).stacked);
    loader.dispose();
    sgd.dispose();
    net.dispose();
  }
}

/** Which class each image of a training batch is, for per-class crops. */
export function batchClasses(dataset: Dataset, indices: ArrayLike<number>): BatchClasses {
  return { labels: Array.from(indices, (i) => dataset.train.labels[i]!), names: dataset.classNames };
}

/**
 * One training step on the batch of `split` at `indices`, resampled by `plan` (crops and flips):
 * assembled and augmented on the GPU, forward, backward, SGD. Returns the
 * loss, still on the GPU.
 */
export function stepOnBatch(net: ResNet, sgd: Sgd, loader: BatchLoader, split: Dataset['train'], indices: ArrayLike<number>, plan: BatchResampling | null, lr: number, bnMomentum: number): tf.Scalar {
  const batch = loader.batch(split, indices, plan);
  const mode = { training: true, bnMomentum };
  const loss = trainStep(net.store, sgd, () => crossEntropy(net.forward(batch.x, mode), batch.labels), lr);
  tf.dispose([batch.x, batch.labels]);
  return loss;
}

export interface EvaluationOutcome {
  summary: Evaluation;
  confusion: number[][];
  predictions: number[];
}

/**
 * Top-1, per-class counts and the confusion matrix on the test split (rows:
 * true class, columns: predicted). The last batch is padded to the fixed
 * batch shape and its padding ignored.
 */
export async function evaluate(
  net: ResNet,
  loader: BatchLoader,
  dataset: Dataset,
  epoch: number,
  step: number,
  bnMomentum: number,
): Promise<EvaluationOutcome> {
  const { test, classNames } = dataset;
  const batchSize = loader.batchSize;
  const predictions: tf.Tensor1D[] = [];
  for (let start = 0; start < test.count; start += batchSize) {
    const indices = Array.from({ length: batchSize }, (_, i) => Math.min(start + i, test.count - 1));
    predictions.push(
      tf.tidy(() => {
        const { x } = loader.batch(test, indices, null);
        return tf.argMax(net.forward(x, { training: false, bnMomentum }), 1) as tf.Tensor1D;
      }),
    );
  }
  const all = tf.concat(predictions);
  const predicted = await all.data();
  tf.dispose([all, ...predictions]);

  const classes = classNames.length;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < test.count; i++) confusion[test.labels[i]!]![predicted[i]!]!++;
  const perClass = classNames.map((name, k) => ({
    class: name,
    correct: confusion[k]![k]!,
    total: confusion[k]!.reduce((a, b) => a + b, 0),
  }));
  const correct = perClass.reduce((n, c) => n + c.correct, 0);
  return { summary: { epoch, step, top1: correct / test.count, perClass }, confusion, predictions: Array.from(predicted.subarray(0, test.count)) };
}
