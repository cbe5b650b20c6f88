/**
 * The per-channel elementwise ops that BatchNorm's forward and backward pass
 * are made of: a [..., C] tensor with a [C] vector (x − mean, dy · γ/σ, …),
 * and sums or means over every axis but the channels.
 *
 * The stock binary op handles a [C] operand under 128 elements by staging it
 * in workgroup memory behind a barrier, and recovers 4-D coordinates with
 * integer divisions per element; here the channel is `index % C`, vec4-wide.
 * The stock reduction first transposes the channels to the front; here
 * threads sum strided runs of rows in place, and a second pass adds the runs.
 */
import * as tf from '@tensorflow/tfjs';
import { chooseSplits, FlatProgram, sumSplits, vecType, type KernelArgs } from './program';

export type ChannelOp = 'Multiply' | 'Sub' | 'Add' | 'RealDiv';
const OPS: Record<ChannelOp, string> = { Multiply: 'a * b', Sub: 'a - b', Add: 'a + b', RealDiv: 'a / b' };

class ChannelBinaryProgram extends FlatProgram {
  variableNames = ['A', 'B'];
  outputShape: number[];
  shaderKey: string;
  override uniforms = 'channels : i32, length : i32,';

  constructor(
    outputShape: number[],
    private readonly op: ChannelOp,
    /** Which operand is the [C] vector. */
    private readonly small: 'A' | 'B',
    private readonly components: number,
  ) {
    super(outputShape.reduce((a, b) => a * b, 1) / components);
    this.outputShape = outputShape;
    this.outputComponent = components;
    this.variableComponents = [components, components];
    this.shaderKey = `classwiseChannel${op}_${small}_${components}`;
  }

  getUserCode(): string {
    const [a, b] = this.small === 'A' ? ['A[c]', 'B[index]'] : ['A[index]', 'B[c]'];
    return `
      fn main(index : i32) {
        if (index >= uniforms.length) { return; }
        let c = index % uniforms.channels;
        let a : ${vecType(this.components)} = ${a};
        let b : ${vecType(this.components)} = ${b};
        result[index] = ${OPS[this.op]};
      }`;
  }
}

/** The [C] operand's side when one operand is a per-channel vector of the other's last axis, else null. */
export function channelOperand(a: tf.TensorInfo, b: tf.TensorInfo): 'A' | 'B' | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const isVectorOf = (v: number[], full: number[]) =>
    full.length >= 2 && v.length >= 1 && v.length <= full.length && v.slice(0, -1).every((d) => d === 1) && v[v.length - 1] === full[full.length - 1] && full.slice(0, -1).some((d) => d > 1);
  if (isVectorOf(b.shape, a.shape)) return 'B';
  if (isVectorOf(a.shape, b.shape)) return 'A';
  return null;
}

export function channelBinary(op: ChannelOp, { inputs, backend }: KernelArgs): tf.TensorInfo {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const small = channelOperand(a, b);
  if (!small) throw new Error(`channelBinary: ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)} are not a tensor and a per-channel vector`);
  const full = small === 'B' ? a : b;
  const channels = full.shape[full.shape.length - 1]!;
  const components = channels % 4 === 0 ? 4 : 1;
  const program = new ChannelBinaryProgram(full.shape, op, small, components);
  const length = full.shape.reduce((x, y) => x * y, 1) / components;
  return backend.runWebGPUProgram(program, [a, b], 'float32', [
    { type: 'int32', data: [channels / components] },
    { type: 'int32', data: [length] },
  ]);
}

class ChannelSumProgram extends FlatProgram {
  variableNames = ['x'];
  outputShape: number[];
  shaderKey: string;
  override uniforms = 'channels : i32, rows : i32, rowsPerSplit : i32, threads : i32,';

  constructor(outputShape: number[], threads: number, private readonly components: number) {
    super(threads);
    this.outputShape = outputShape;
    this.outputComponent = components;
    this.variableComponents = [components];
    this.shaderKey = `classwiseChannelSum_${components}`;
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.threads) { return; }
        let c = index % uniforms.channels;
        let split = index / uniforms.channels;
        let first = split * uniforms.rowsPerSplit;
        let last = min(first + uniforms.rowsPerSplit, uniforms.rows);
        var acc = ${vecType(this.components)}(0.0);
        for (var r = first; r < last; r++) {
          acc += x[r * uniforms.channels + c];
        }
        result[index] = acc;
      }`;
  }
}

/** True when `axis` names every axis of a rank-`rank` tensor but the last. */
export function reducesAllButChannels(x: tf.TensorInfo, axis: number | number[]): boolean {
  if (x.dtype !== 'float32' || x.shape.length < 2) return false;
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const rank = x.shape.length;
  return axes.length === rank - 1 && [...axes].sort((p, q) => p - q).every((a, i) => a === i);
}

export function channelReduce(kind: 'Sum' | 'Mean', { inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const { keepDims } = attrs as { keepDims: boolean };
  const channels = x.shape[x.shape.length - 1]!;
  const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const components = channels % 4 === 0 ? 4 : 1;
  const lanes = channels / components;
  const splits = chooseSplits(lanes, rows, 4096, 16, 256);
  const rowsPerSplit = Math.ceil(rows / splits);
  const partials = backend.runWebGPUProgram(new ChannelSumProgram([splits, channels], splits * lanes, components), [x], 'float32', [
    { type: 'int32', data: [lanes] },
    { type: 'int32', data: [rows] },
    { type: 'int32', data: [rowsPerSplit] },
    { type: 'int32', data: [splits * lanes] },
  ]);
  const outShape = keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels];
  return sumSplits(backend, partials, splits, outShape, components, kind === 'Mean' ? 1 / rows : 1);
}
