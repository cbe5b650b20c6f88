/**
 * From uint8 pixels in memory to normalised, augmented batches on the GPU.
 * The crops (and flips) of a whole batch are one resampling plan drawn on the
 * CPU from the run's generator (src/augment/crop.ts) and applied on the GPU
 * (./resample.ts); normalisation follows, as in torchvision where
 * ToTensor/Normalize come after the crop.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchResampling } from '../augment/crop';
import { channelStatistics, type Dataset, type Split } from '../data/dataset';
import { resample } from './resample';

export interface Batch {
  x: tf.Tensor4D;
  labels: tf.Tensor1D;
}

export class BatchLoader {
  private readonly pixels: Float32Array;
  private readonly labels: Int32Array;
  private readonly mean: tf.Tensor1D;
  private readonly std: tf.Tensor1D;
  private readonly imageSize: number;

  constructor(
    private readonly dataset: Dataset,
    readonly batchSize: number,
  ) {
    const [h, w, c] = dataset.shape;
    this.imageSize = h * w * c;
    // Reused every batch: fixed shapes keep the GPU's compiled pipelines warm.
    this.pixels = new Float32Array(batchSize * this.imageSize);
    this.labels = new Int32Array(batchSize);
    const { mean, std } = channelStatistics(dataset);
    this.mean = tf.keep(tf.tensor1d(mean.map((m) => m * 255)));
    this.std = tf.keep(tf.tensor1d(std.map((s) => s * 255)));
  }

  /**
   * A batch of `split`'s images at `indices` (exactly batchSize of them),
   * cropped and flipped by `plan` when given.
   */
  batch(split: Split, indices: ArrayLike<number>, plan: BatchResampling | null): Batch {
    return tf.tidy(() => ({
      x: tf.div(tf.sub(this.augmented(split, indices, plan), this.mean), this.std) as tf.Tensor4D,
      labels: tf.tensor1d(this.labels, 'int32'),
    }));
  }

  /**
   * The images as the network sees them before normalisation (0–255), so
   * the workbench can show exactly the crops training draws. Fills
   * `this.labels` for `batch`.
   */
  augmented(split: Split, indices: ArrayLike<number>, plan: BatchResampling | null): tf.Tensor4D {
    if (indices.length !== this.batchSize) throw new Error(`a batch needs ${this.batchSize} indices, got ${indices.length}`);
    const [h, w, c] = this.dataset.shape;
    for (let i = 0; i < this.batchSize; i++) {
      const index = indices[i]!;
      const source = split.images.subarray(index * this.imageSize, (index + 1) * this.imageSize);
      this.pixels.set(source, i * this.imageSize);
      this.labels[i] = split.labels[index]!;
    }
    return tf.tidy(() => {
      const x = tf.tensor4d(this.pixels, [this.batchSize, h, w, c]);
      return plan ? resample(x, plan) : x;
    });
  }

  dispose(): void {
    this.mean.dispose();
    this.std.dispose();
  }
}
