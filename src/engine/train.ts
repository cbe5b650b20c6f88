/**
 * One training run, top to bottom: build the network from the config, then
 * for each epoch shuffle, augment, step, read the losses back in groups, and
 * evaluate on the test split. Seeded throughout: one seed fixes the
 * initialisation, the shuffling and every crop.
 */
import * as tf from '@tensorflow/tfjs';
import { cropBoxes } from '../augment/crop';
import type { Dataset } from '../data/dataset';
import { buildArchitecture } from '../model/architecture';
import type { RunConfig } from '../study/config';
import type { Evaluation, HistoryEntry } from '../study/results';
import type { RunControl } from '../training/control';
import { learningRate } from '../training/schedule';
import { Rng } from '../util/rng';
import { BatchLoader } from './batches';
import { crossEntropy } from './layers';
import { Sgd, trainStep } from './optimizer';
import { createResNet, type ResNet } from './resnet';

export type TrainingEvent =
  | { kind: 'start'; epochs: number; stepsPerEpoch: number; totalSteps: number }
  | { kind: 'progress'; step: number; epoch: number; loss: number; lr: number; imagesPerSec: number; etaSec: number }
  | { kind: 'evaluation'; evaluation: Evaluation }
  | { kind: 'epoch'; epoch: number; liveTensors: number; liveBytes: number }
  | { kind: 'paused'; step: number };

export interface TrainingOutcome {
  top1: number;
  perClass: Evaluation['perClass'];
  confusion: number[][];
  evaluations: Evaluation[];
  history: HistoryEntry[];
  steps: number;
}

export async function train(
  config: RunConfig,
  seed: number,
  dataset: Dataset,
  control: RunControl,
  emit: (event: TrainingEvent) => void,
): Promise<TrainingOutcome> {
  const { training, augmentation } = config;
  const [height, width] = dataset.shape;
  const spec = buildArchitecture(config.model, dataset.shape, dataset.classNames.length);
  const net = createResNet(spec, Rng.fromSeed(seed, 'init'));
  const sgd = new Sgd(net.store, training.optimizer);
  const loader = new BatchLoader(dataset, training.batchSize);
  const shuffleRng = Rng.fromSeed(seed, 'shuffle');
  const augmentRng = Rng.fromSeed(seed, 'augment');
  const augmenting = augmentation.crop.kind !== 'none' || augmentation.flip;

  // Fixed batch shapes: the last partial batch is dropped, as torch's drop_last.
  const stepsPerEpoch = Math.floor(dataset.train.count / training.batchSize);
  const totalSteps = stepsPerEpoch * training.epochs;
  const history: HistoryEntry[] = [];
  const evaluations: Evaluation[] = [];
  let pending: { loss: tf.Scalar; step: number; epoch: number; lr: number }[] = [];
  let groupStart = performance.now();
  let secondsPerStep = 0;
  let step = 0;
  let latest: { summary: Evaluation; confusion: number[][] } | undefined;

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

  emit({ kind: 'start', epochs: training.epochs, stepsPerEpoch, totalSteps });
  try {
    for (let epoch = 0; epoch < training.epochs; epoch++) {
      const order = shuffleRng.permutation(dataset.train.count);
      for (let b = 0; b < stepsPerEpoch; b++) {
        await control.gate(() => emit({ kind: 'paused', step }));
        const lr = learningRate(training.schedule, training.optimizer.lr, step, stepsPerEpoch, training.epochs);
        const boxes = augmenting ? cropBoxes(augmentRng, augmentation, training.batchSize, height, width) : null;
        const batch = loader.batch(dataset.train, order.subarray(b * training.batchSize, (b + 1) * training.batchSize), boxes);
        const mode = { training: true, bnMomentum: training.bnMomentum };
        const loss = trainStep(net.store, sgd, () => crossEntropy(net.forward(batch.x, mode), batch.labels), lr);
        tf.dispose([batch.x, batch.labels]);
        pending.push({ loss, step, epoch, lr });
        step++;
        if (pending.length >= training.lossReadEvery) await flushLosses();
      }
      await flushLosses();
      if ((epoch + 1) % training.evalEvery === 0 || epoch === training.epochs - 1) {
        latest = await evaluate(net, loader, dataset, epoch, step, training.bnMomentum);
        evaluations.push(latest.summary);
        emit({ kind: 'evaluation', evaluation: latest.summary });
      }
      const memory = tf.memory();
      emit({ kind: 'epoch', epoch, liveTensors: memory.numTensors, liveBytes: memory.numBytes });
      // The evaluation above is timed out of the next group's images/s.
      groupStart = performance.now();
    }
    // The last epoch always evaluates, so `latest` is the final model's.
    const { top1, perClass } = latest!.summary;
    return { top1, perClass, confusion: latest!.confusion, evaluations, history, steps: step };
  } finally {
    tf.dispose(pending.map((p) => p.loss));
    loader.dispose();
    sgd.dispose();
    net.dispose();
  }
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
): Promise<{ summary: Evaluation; confusion: number[][] }> {
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
  return { summary: { epoch, step, top1: correct / test.count, perClass }, confusion };
}
