/**
 * Applies a crop-and-flip plan (src/augment/crop.ts) to a batch: every output
 * pixel is the plan's two row taps × two column taps of its image, blended by
 * their weights, which is torchvision's `resized_crop` (then `hflip`) to
 * float32 rounding. `tf.image.cropAndResize` samples a box its own,
 * aligned-corner way, so it cannot give these pixels.
 *
 * On WebGPU one program does the whole batch (the taps uploaded as two small
 * buffers); on the other backends the same arithmetic runs as gathers,
 * multiplies and adds. Both are compared with torchvision's outputs
 * (reference.test.ts, reference-cpu.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { AxisTaps, BatchResampling } from '../augment/crop';
import { FlatProgram, type KernelArgs } from './kernels/program';

export function resample(images: tf.Tensor4D, plan: BatchResampling): tf.Tensor4D {
  const [n, h, w] = images.shape;
  if (n !== plan.batchSize || h !== plan.height || w !== plan.width) {
    throw new Error(`a resampling plan for ${plan.batchSize}×${plan.height}×${plan.width} cannot apply to images of ${n}×${h}×${w}`);
  }
  return tf.tidy(() => {
    if (tf.getBackend() === 'webgpu') {
      const inputs = { x: images, rows: tf.tensor1d(packTaps(plan.rows)), cols: tf.tensor1d(packTaps(plan.cols)) };
      return tf.engine().runKernel(RESAMPLE, inputs) as tf.Tensor4D;
    }
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

/** [index0, index1, weight0, weight1] per output coordinate; the indices (< 2^24) are exact in float32. */
function packTaps(taps: AxisTaps): Float32Array {
  const packed = new Float32Array(4 * taps.index0.length);
  for (let i = 0; i < taps.index0.length; i++) packed.set([taps.index0[i]!, taps.index1[i]!, taps.weight0[i]!, taps.weight1[i]!], 4 * i);
  return packed;
}

const RESAMPLE = 'ClasswiseResample';

class ResampleProgram extends FlatProgram {
  variableNames = ['X', 'R', 'C'];
  outputShape: number[];
  shaderKey = 'classwiseResample';
  override uniforms = 'size : i32, height : i32, width : i32, channels : i32,';

  constructor(shape: number[]) {
    super(shape.reduce((a, b) => a * b, 1));
    this.outputShape = shape;
  }

  getUserCode(): string {
    // Output (n, i, j, c) at flat index ((n·H + i)·W + j)·C + c; row taps at n·H + i, column taps at n·W + j.
    return `
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let c = index % uniforms.channels;
        let pixel = index / uniforms.channels;
        let j = pixel % uniforms.width;
        let row = pixel / uniforms.width;
        let n = row / uniforms.height;
        let col = n * uniforms.width + j;
        let y0 = n * uniforms.height + i32(R[4 * row]);
        let y1 = n * uniforms.height + i32(R[4 * row + 1]);
        let x0 = i32(C[4 * col]);
        let x1 = i32(C[4 * col + 1]);
        let top = C[4 * col + 2] * X[(y0 * uniforms.width + x0) * uniforms.channels + c] + C[4 * col + 3] * X[(y0 * uniforms.width + x1) * uniforms.channels + c];
        let bottom = C[4 * col + 2] * X[(y1 * uniforms.width + x0) * uniforms.channels + c] + C[4 * col + 3] * X[(y1 * uniforms.width + x1) * uniforms.channels + c];
        result[index] = R[4 * row + 2] * top + R[4 * row + 3] * bottom;
      }`;
  }
}

tf.registerKernel({
  kernelName: RESAMPLE,
  backendName: 'webgpu',
  kernelFunc: (args) => {
    const { inputs, backend } = args as unknown as KernelArgs;
    const { x, rows, cols } = inputs as { x: tf.TensorInfo; rows: tf.TensorInfo; cols: tf.TensorInfo };
    const [, height, width, channels] = x.shape as [number, number, number, number];
    return backend.runWebGPUProgram(new ResampleProgram(x.shape), [x, rows, cols], 'float32', [
      { type: 'int32', data: [x.shape.reduce((a, b) => a * b, 1)] },
      { type: 'int32', data: [height] },
      { type: 'int32', data: [width] },
      { type: 'int32', data: [channels] },
    ]);
  },
});
