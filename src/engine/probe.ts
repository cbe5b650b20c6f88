/**
 * A measured warm-up: a few real training steps of a config, timed one by
 * one, so the study designer can estimate a study's duration on this GPU
 * before committing to it. The first step pays for shader compilation and is
 * reported apart.
 */
import * as tf from '@tensorflow/tfjs';
import { augments, cropResampling } from '../augment/crop';
import type { Dataset } from '../data/dataset';
import { buildArchitecture } from '../model/architecture';
import type { RunConfig } from '../study/config';
import { Rng } from '../util/rng';
import { BatchLoader } from './batches';
import { Sgd } from './optimizer';
import { createResNet } from './resnet';
import { batchClasses, stepOnBatch } from './train';

export interface StepTiming {
  /** The first step, shader compilation included. */
  warmupMs: number;
  /** Median of the timed steps after it. */
  msPerStep: number;
  steps: number;
  batchSize: number;
}

export async function measureSteps(
  config: RunConfig,
  dataset: Dataset,
  seed: number,
  steps = 3,
  onStep?: (done: number, total: number) => void,
): Promise<StepTiming> {
  const { training, augmentation } = config;
  const [height, width] = dataset.shape;
  const net = createResNet(buildArchitecture(config.model, dataset.shape, dataset.classNames.length), Rng.fromSeed(seed, 'init'));
  const sgd = new Sgd(net.store, training.optimizer);
  const loader = new BatchLoader(dataset, training.batchSize);
  const order = Rng.fromSeed(seed, 'shuffle').permutation(dataset.train.count);
  const augmentRng = Rng.fromSeed(seed, 'augment');
  const augmenting = augments(augmentation);
  const times: number[] = [];
  try {
    for (let i = 0; i <= steps; i++) {
      const start = performance.now();
      const b = i % Math.floor(dataset.train.count / training.batchSize);
      const indices = order.subarray(b * training.batchSize, (b + 1) * training.batchSize);
      const plan = augmenting ? cropResampling(augmentRng, augmentation, training.batchSize, height, width, batchClasses(dataset, indices)) : null;
      const loss = stepOnBatch(net, sgd, loader, dataset.train, indices, plan, training.optimizer.lr, training.bnMomentum);
      // Timing one step needs the GPU to finish it: the only place a read-back per step is wanted.
      await loss.data();
      loss.dispose();
      times.push(performance.now() - start);
      onStep?.(i + 1, steps + 1);
    }
  } finally {
    loader.dispose();
    sgd.dispose();
    net.dispose();
  }
  const timed = times.slice(1).sort((a, b) => a - b);
  return { warmupMs: times[0]!, msPerStep: timed[Math.floor(timed.length / 2)]!, steps, batchSize: training.batchSize };
}

/**
 * What a crop config does to a class's training images: the first `count` of
 * them, cropped by the same sampler and the same GPU resampling as training,
 * as 0–255 pixels (HWC).
 */
export async function cropPreviews(
  dataset: Dataset,
  classIndex: number,
  augmentation: RunConfig['augmentation'],
  count: number,
  seed: number,
): Promise<Uint8Array[]> {
  const { train } = dataset;
  const indices: number[] = [];
  for (let i = 0; i < train.count && indices.length < count; i++) if (train.labels[i] === classIndex) indices.push(i);
  if (indices.length === 0) return [];
  const [height, width, channels] = dataset.shape;
  const loader = new BatchLoader(dataset, indices.length);
  try {
    // Every preview is of `classIndex`: its own crop when the augmentation has per-class crops.
    const classes = { labels: indices.map(() => classIndex), names: dataset.classNames };
    const plan = cropResampling(Rng.fromSeed(seed, 'preview'), augmentation, indices.length, height, width, classes);
    const images = tf.tidy(() => tf.clipByValue(tf.round(loader.augmented(train, indices, plan)), 0, 255).toInt());
    const pixels = await images.data();
    images.dispose();
    const size = height * width * channels;
    return indices.map((_, i) => Uint8Array.from(pixels.subarray(i * size, (i + 1) * size)));
  } finally {
    loader.dispose();
  }
}
