/**
 * An image classification dataset held in memory as uint8 pixels (NHWC) and
 * labels. Every source (generated, Fashion-MNIST, CIFAR, image folders) ends
 * up in this form before the engine sees it.
 */
import { sha256Hex } from '../util/hash';

export interface Split {
  /** count × height × width × channels, row-major (NHWC). */
  images: Uint8Array;
  labels: Uint16Array;
  count: number;
}

export interface Dataset {
  name: string;
  classNames: string[];
  /** [height, width, channels] */
  shape: [number, number, number];
  train: Split;
  test: Split;
  /** Present when this is a slice of another dataset (src/data/slice.ts): which one, and how it was cut. */
  slice?: DatasetSlice;
}

/** How a slice was cut from its source: the run config's slice fields, and the source's identity. */
export interface DatasetSlice {
  of: { name: string; contentHash: string };
  trainPerClass?: number;
  testPerClass?: number;
  classes?: string[];
  resize?: number;
  seed: number;
}

export interface DatasetIdentity {
  name: string;
  classNames: string[];
  testCount: number;
  /** SHA-256 of the pixels and labels as trained on (a slice's own, not its source's). */
  contentHash: string;
  slice?: DatasetSlice;
}

// Every run of a study asks for the identity of the same in-memory dataset:
// hash its pixels (55 MB for Fashion-MNIST) once.
const identities = new WeakMap<Dataset, Promise<DatasetIdentity>>();

export function datasetIdentity(dataset: Dataset): Promise<DatasetIdentity> {
  let identity = identities.get(dataset);
  if (!identity) {
    identity = computeIdentity(dataset);
    identities.set(dataset, identity);
  }
  return identity;
}

async function computeIdentity(dataset: Dataset): Promise<DatasetIdentity> {
  const { train, test } = dataset;
  const header = JSON.stringify({ name: dataset.name, classNames: dataset.classNames, shape: dataset.shape });
  const contentHash = await sha256Hex([new TextEncoder().encode(header), train.images, train.labels, test.images, test.labels]);
  return { name: dataset.name, classNames: dataset.classNames, testCount: test.count, contentHash, ...(dataset.slice && { slice: dataset.slice }) };
}

export interface ChannelStatistics {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** A dataset's pixels never change once loaded, so one pass over its training split serves every loader and the run's stored model. */
const statistics = new WeakMap<Dataset, ChannelStatistics>();

/**
 * Per-channel mean and standard deviation of the training pixels in [0, 1],
 * the normalisation torchvision recipes apply after augmentation.
 */
export function channelStatistics(dataset: Dataset): ChannelStatistics {
  let known = statistics.get(dataset);
  if (!known) statistics.set(dataset, (known = computeChannelStatistics(dataset)));
  return known;
}

function computeChannelStatistics(dataset: Dataset): ChannelStatistics {
  const channels = dataset.shape[2];
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  const { images } = dataset.train;
  for (let i = 0; i < images.length; i++) {
    const v = images[i]! / 255;
    const c = i % channels;
    sum[c]! += v;
    sumSq[c]! += v * v;
  }
  const n = images.length / channels;
  const mean = Array.from(sum, (s) => s / n);
  // A constant channel would divide by zero; 1 leaves it merely centred.
  const std = Array.from(sumSq, (s, c) => Math.sqrt(Math.max(s / n - mean[c]! ** 2, 0)) || 1);
  return { mean, std };
}
