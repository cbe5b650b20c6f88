/**
 * One training run, top to bottom: build the network from the config, then
 * for each epoch shuffle, augment, step, read the losses back in groups, and
 * evaluate on the test split. Seeded throughout: one seed fixes the
 * initialisation, the shuffling and every crop.
 */
import * as tf from '@tensorflow/tfjs';
import { augments, cropResampling } from '../augment/crop';
import type { Dataset } from '../data/dataset';
import { buildArchitecture } from '../model/architecture';
import type { RunConfig } from '../study/config';
import type { Evaluation, HistoryEntry } from '../study/results';
import { CHECKPOINT_SCHEMA, checkCheckpoint, runKey, type Checkpoint, type SavedTensor } from '../training/checkpoint';
import type { RunControl } from '../training/control';
import { learningRate } from '../training/schedule';
import { Rng } from '../util/rng';
import { BatchLoader } from './batches';
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
  const net = createResNet(spec, Rng.fromSeed(seed, 'init'));
  const sgd = new Sgd(net.store, training.optimizer);
  const loader = new BatchLoader(dataset, training.batchSize);
  const augmenting = augments(augmentation);

  // Fixed batch shapes: the last partial batch is dropped, as torch's drop_last.
  const stepsPerEpoch = Math.floor(dataset.train.count / training.batchSize);
  const totalSteps = stepsPerEpoch * training.epochs;
  let history: HistoryEntry[] = [];
  let evaluations: Evaluation[] = [];
  let pending: { loss: tf.Scalar; step: number; epoch: number; lr: number }[] = [];
  let groupStart = performance.now();
  let secondsPerStep = 0;
  let step = 0;
  let latest: EvaluationOutcome | undefined;

  /** One read-back for a whole group of losses: the GPU never waits on a single step. */
  async function flushLosses(): Promise<void> {
    if (pending.length === 0) return;
    const stacked = tf.stack(pending.map((p) => p.loss));
    const losses = await stacked.data();
    stacked.dispose();
    const now = performance.now();
    const seconds = (now - groupStart) / 1000;
    groupStart = now;
    secondsPerStep = seconds / pending.length;
    const imagesPerSec = (pending.length * training.batchSize) / seconds;
    pending.forEach((p, i) => {
      p.loss.dispose();
      history.push({ step: p.step, epoch: p.epoch, loss: losses[i]!, lr: p.lr, imagesPerSec });
    });
    const last = history[history.length - 1]!;
    emit({ kind: 'progress', ...last, etaSec: secondsPerStep * (totalSteps - step) });
    pending = [];
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
        const classes = { labels: Array.from(indices, (i) => dataset.train.labels[i]!), names: dataset.classNames };
        const plan = augmenting ? cropResampling(augmentRng, augmentation, training.batchSize, height, width, classes) : null;
        const batch = loader.batch(dataset.train, indices, plan);
        const mode = { training: true, bnMomentum: training.bnMomentum };
        const loss = trainStep(net.store, sgd, () => crossEntropy(net.forward(batch.x, mode), batch.labels), lr);
        tf.dispose([batch.x, batch.labels]);
        pending.push({ loss, step, epoch, lr });
        step++;
        if (pending.length >= training.lossReadEvery) await flushLosses();
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
    return { top1, perClass, confusion, predictions, weights: await saveModel(net.store), evaluations, history, steps: step };
  } finally {
    tf.dispose(pending.map((p) => p.loss));
    loader.dispose();
    sgd.dispose();
    net.dispose();
  }
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
