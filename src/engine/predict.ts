/**
 * One image through a finished run's trained model: the class probabilities
 * the engine's own forward pass gives (the one evaluation used), after the
 * image is made into what the model takes. An image of another size is
 * resized (bilinear, like a crop's resampling); a colour image for a grey
 * model is made grey (ITU-R BT.601 luma), a grey one for a colour model
 * repeated over three channels. Every tensor is disposed before it returns.
 */
import * as tf from '@tensorflow/tfjs';
import type { ChannelStatistics } from '../data/dataset';
import type { ArchitectureSpec } from '../model/architecture';
import type { SavedTensor } from '../training/checkpoint';
import { Rng } from '../util/rng';
import { restoreModel } from './checkpointing';
import { createResNet } from './resnet';

/** Pixels as the page hands them over: HWC, 0–255, 1 or 3 channels. */
export interface PixelImage {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Uint8Array;
}

/** The largest image taken, per side: the page scales larger ones down before sending them. */
export const MAX_IMAGE_SIDE = 2048;

/** Why an image cannot go through a model at all; size and channels are adapted, not refused. */
export function imageProblem(image: PixelImage): string | null {
  const { width, height, channels, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) return `the image is ${width}×${height} pixels: it has no pixels to classify`;
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) return `the image is ${width}×${height} pixels; at most ${MAX_IMAGE_SIDE} on a side is taken`;
  if (channels !== 1 && channels !== 3) return `the image has ${String(channels)} channels; 1 (grey) or 3 (colour) are taken`;
  if (pixels.length !== width * height * channels) return `the image should hold ${width * height * channels} values for ${width}×${height}×${channels}, not ${pixels.length}`;
  return null;
}

/** The image as the model takes it: [1, h, w, c], 0–255. */
function adapt(image: PixelImage, [height, width, channels]: readonly [number, number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    let x: tf.Tensor3D = tf.tensor3d(image.pixels, [image.height, image.width, image.channels], 'float32');
    if (image.channels === 3 && channels === 1) x = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), -1, true);
    else if (image.channels === 1 && channels === 3) x = tf.tile(x, [1, 1, 3]);
    if (image.height !== height || image.width !== width) x = tf.image.resizeBilinear(x, [height, width], false, true);
    return tf.expandDims(x, 0) as tf.Tensor4D;
  });
}

export interface Prediction {
  /** Softmax of the logits, in class order. */
  probabilities: number[];
  /** The image as the model saw it (before normalisation), HWC 0–255, for the page to show. */
  seen: PixelImage;
}

export async function predictImage(spec: ArchitectureSpec, weights: SavedTensor[], normalization: ChannelStatistics, image: PixelImage): Promise<Prediction> {
  const problem = imageProblem(image);
  if (problem) throw new Error(problem);
  const [height, width, channels] = spec.inputShape;
  // The initial values are overwritten at once by the trained ones.
  const net = createResNet(spec, Rng.fromSeed(0, 'init'));
  try {
    restoreModel(net.store, weights);
    const x = adapt(image, spec.inputShape);
    const probabilities = tf.tidy(() => {
      const mean = tf.tensor1d(normalization.mean.map((m) => m * 255));
      const std = tf.tensor1d(normalization.std.map((s) => s * 255));
      return tf.softmax(net.forward(tf.div(tf.sub(x, mean), std) as tf.Tensor4D, { training: false, bnMomentum: 0 }));
    });
    const seen = tf.tidy(() => tf.clipByValue(tf.round(x), 0, 255).toInt());
    const [p, s] = await Promise.all([probabilities.data(), seen.data()]);
    tf.dispose([x, probabilities, seen]);
    return { probabilities: Array.from(p), seen: { width, height, channels: channels as 1 | 3, pixels: Uint8Array.from(s) } };
  } finally {
    net.dispose();
  }
}
