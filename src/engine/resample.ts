/**
 * Applies a crop-and-flip plan (src/augment/crop.ts) to a batch on the GPU:
 * rows first, then columns, each as two gathers (the two taps of every output
 * coordinate, per image through `batchDims`) blended by their weights. Only
 * gathers, multiplies and adds: the result is torchvision's `resized_crop`
 * to float32 rounding on every backend, which `tf.image.cropAndResize` (its
 * own, aligned-corner sampling of a box) is not.
 */
import * as tf from '@tensorflow/tfjs';
import type { AxisTaps, BatchResampling } from '../augment/crop';

export function resample(images: tf.Tensor4D, plan: BatchResampling): tf.Tensor4D {
  const [n, h, w] = images.shape;
  if (n !== plan.batchSize || h !== plan.height || w !== plan.width) {
    throw new Error(`a resampling plan for ${plan.batchSize}×${plan.height}×${plan.width} cannot apply to images of ${n}×${h}×${w}`);
  }
  return tf.tidy(() => {
    const rows = blend(images, plan.rows, 1, [n, h, 1, 1]);
    return blend(rows, plan.cols, 2, [n, 1, w, 1]);
  });
}

/** Along `axis` (1: rows, 2: columns): weight0 · x[index0] + weight1 · x[index1], image by image. */
function blend(x: tf.Tensor4D, taps: AxisTaps, axis: 1 | 2, weightShape: [number, number, number, number]): tf.Tensor4D {
  const n = x.shape[0];
  const size = taps.index0.length / n;
  const gather = (index: Int32Array) => tf.gather(x, tf.tensor2d(index, [n, size], 'int32'), axis, 1);
  const weight = (values: Float32Array) => tf.tensor4d(values, weightShape);
  return tf.add(tf.mul(gather(taps.index0), weight(taps.weight0)), tf.mul(gather(taps.index1), weight(taps.weight1)));
}
