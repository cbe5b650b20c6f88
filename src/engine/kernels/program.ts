/**
 * What every custom WebGPU kernel here shares: the backend type, and a
 * program base that follows the backend's WebGPUProgram contract (the backend
 * prepends the bindings, the uniforms and the shape helpers to getUserCode()).
 *
 * The register-tiled programs use no workgroup memory and no barriers: on
 * SwiftShader, the WebGPU that headless Chromium runs where there is no GPU,
 * the stock kernels built on them measured 2–40× slower than these (README,
 * Benchmark), and the stock matmul variant of the transposed conv slower than
 * its naive one. Each thread instead keeps a small tile of outputs in
 * registers and reads its operands as vec4s. For GPUs whose shared memory
 * pays, the convolutions also have workgroup-memory tiled variants
 * (tiled-gemm.ts), and the autotuner picks per adapter.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

export type { WebGPUBackend };

export interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: WebGPUBackend;
  attrs?: Record<string, unknown>;
}

export type Uniform = { type: 'int32' | 'float32' | 'uint32'; data: number[] };

/** Threads per workgroup for the flat (1-D) programs. */
export const WORKGROUP = 64;

/**
 * A program dispatched as a flat range of `threads` invocations; its main()
 * receives the global index. The shader key must name everything that
 * changes the generated code, since the backend caches pipelines by it.
 */
export abstract class FlatProgram implements WebGPUProgram {
  dispatch: [number, number, number];
  dispatchLayout = { x: [0] };
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  abstract outputShape: number[];
  abstract shaderKey: string;
  abstract variableNames: string[];
  variableComponents?: number[];
  outputComponent?: number;
  uniforms?: string;

  constructor(threads: number) {
    this.dispatch = [Math.ceil(threads / WORKGROUP), 1, 1];
  }

  abstract getUserCode(): string;
}

/** `vec4<f32>` or `f32`, for a program's per-component type. */
export function vecType(components: number): string {
  return components === 4 ? 'vec4<f32>' : 'f32';
}

/**
 * Sums `partials` ([splits, size] flattened, in `components`-wide elements)
 * over the splits, times `scale`: the second pass of the split reductions.
 */
export class SumSplitsProgram extends FlatProgram {
  variableNames = ['P'];
  outputShape: number[];
  shaderKey: string;
  override uniforms = 'splits : i32, length : i32, scale : f32,';

  constructor(outputShape: number[], private readonly components: number) {
    super(outputShape.reduce((a, b) => a * b, 1) / components);
    this.outputShape = outputShape;
    this.outputComponent = components;
    this.variableComponents = [components];
    this.shaderKey = `classwiseSumSplits_${components}`;
  }

  getUserCode(): string {
    const t = vecType(this.components);
    return `
      fn main(index : i32) {
        if (index >= uniforms.length) { return; }
        var acc = ${t}(0.0);
        for (var s = 0; s < uniforms.splits; s++) {
          acc += P[s * uniforms.length + index];
        }
        result[index] = acc * uniforms.scale;
      }`;
  }
}

/** Runs SumSplitsProgram over `partials` and frees them. */
export function sumSplits(backend: WebGPUBackend, partials: tf.TensorInfo, splits: number, outputShape: number[], components: number, scale = 1): tf.TensorInfo {
  const program = new SumSplitsProgram(outputShape, components);
  const length = outputShape.reduce((a, b) => a * b, 1) / components;
  const out = backend.runWebGPUProgram(program, [partials], 'float32', [
    { type: 'int32', data: [splits] },
    { type: 'int32', data: [length] },
    { type: 'float32', data: [scale] },
  ]);
  backend.disposeData(partials.dataId);
  return out;
}

/** Splits `work` into at most `maxSplits` parts of at least `minPerSplit`, so that threads × splits reaches `targetThreads`. */
export function chooseSplits(threads: number, work: number, targetThreads: number, minPerSplit: number, maxSplits: number): number {
  const wanted = Math.ceil(targetThreads / Math.max(threads, 1));
  return Math.max(1, Math.min(wanted, maxSplits, Math.floor(work / minPerSplit)));
}

/** A convolution kernel's attributes, as tfjs passes them to Conv2D and its two gradients. */
interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The convolution's geometry (padding, strides, sizes) as tfjs computes it, so the custom kernels pad exactly as the stock ones. */
export function convInfo(inputShape: number[], filterShape: number[], attrs: KernelArgs['attrs']): tf.backend_util.Conv2DInfo {
  const { strides, pad, dataFormat, dilations = 1, dimRoundingMode } = attrs as unknown as ConvAttrs;
  return tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
}
