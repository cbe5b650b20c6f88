/**
 * Conv2DBackpropInput (the input gradient), NHWC, no dilation:
 *   dx[b, iy, ix, ci] = Σ_{kh, kw, co} dy[b, (iy + pad − kh)/s, (ix + pad − kw)/s, co] · W[kh, kw, ci, co]
 * over the (kh, kw) for which the divisions are exact and inside dy.
 *
 * A thread owns 4 neighbouring pixels of one row × 4 input channels: per
 * (kh, kw, 4 output channels) it loads 4 vec4s of W once and one vec4 of dy
 * per pixel, and does 16 dot products. The validity of a (kh, kw) for a pixel
 * is integer arithmetic (the stock kernels test fract() of a float division).
 */
import * as tf from '@tensorflow/tfjs';
import { convInfo, FlatProgram, vecType, type KernelArgs } from './program';

/** Pixels per thread along x. */
const PIXELS = 4;

class InputGradProgram extends FlatProgram {
  variableNames = ['dy', 'W'];
  outputShape: number[];
  shaderKey: string;
  override uniforms =
    'pad : vec2<i32>, stride : vec2<i32>, kernelSize : vec2<i32>, outC : i32, inC4 : i32, xGroups : i32, threads : i32, outH : i32, outW : i32, inH : i32, inW : i32,';

  constructor(
    outputShape: number[],
    threads: number,
    private readonly cc: number,
    private readonly oc: number,
  ) {
    super(threads);
    this.outputShape = outputShape;
    // dy is read along its output channels; W as rows of output channels.
    this.variableComponents = [oc, oc];
    this.outputComponent = cc;
    this.shaderKey = `classwiseConv2DInputGrad_${cc}_${oc}`;
  }

  getUserCode(): string {
    const t = vecType(this.cc);
    const o = vecType(this.oc);
    // Product of one pixel's dy (over `oc` output channels) with the W rows of
    // this thread's `cc` input channels.
    const product =
      this.cc === 4
        ? this.oc === 4
          ? `vec4<f32>(dot(d, w0), dot(d, w1), dot(d, w2), dot(d, w3))`
          : `vec4<f32>(d * w0, d * w1, d * w2, d * w3)`
        : this.oc === 4
          ? `dot(d, w0)`
          : `d * w0`;
    const loadW =
      this.cc === 4
        ? `let w0 = W[wBase + (ci) * outCv + c];
           let w1 = W[wBase + (ci + 1) * outCv + c];
           let w2 = W[wBase + (ci + 2) * outCv + c];
           let w3 = W[wBase + (ci + 3) * outCv + c];`
        : `let w0 = W[wBase + ci * outCv + c];`;
    return `
      fn main(index : i32) {
        if (index >= uniforms.threads) { return; }
        let cGroup = index % uniforms.inC4;
        let ci = cGroup * ${this.cc};
        let xGroup = (index / uniforms.inC4) % uniforms.xGroups;
        let row = index / (uniforms.inC4 * uniforms.xGroups);
        let b = row / uniforms.inH;
        let iy = row % uniforms.inH;
        let ix0 = xGroup * ${PIXELS};
        let outCv = uniforms.outC / ${this.oc};
        let inC = uniforms.inC4 * ${this.cc};
        var acc : array<${t}, ${PIXELS}>;
        for (var kh = 0; kh < uniforms.kernelSize.x; kh++) {
          let yNum = iy + uniforms.pad.x - kh;
          if (yNum < 0 || yNum % uniforms.stride.x != 0) { continue; }
          let oy = yNum / uniforms.stride.x;
          if (oy >= uniforms.outH) { continue; }
          for (var kw = 0; kw < uniforms.kernelSize.y; kw++) {
            var dyBase : array<i32, ${PIXELS}>;
            var someValid = false;
            for (var p = 0; p < ${PIXELS}; p++) {
              let xNum = ix0 + p + uniforms.pad.y - kw;
              let ox = xNum / uniforms.stride.y;
              let ok = ix0 + p < uniforms.inW && xNum >= 0 && xNum % uniforms.stride.y == 0 && ox < uniforms.outW;
              dyBase[p] = select(-1, ((b * uniforms.outH + oy) * uniforms.outW + ox) * outCv, ok);
              someValid = someValid || ok;
            }
            if (!someValid) { continue; }
            let wBase = (kh * uniforms.kernelSize.y + kw) * inC * outCv;
            for (var c = 0; c < outCv; c++) {
              ${loadW}
              for (var p = 0; p < ${PIXELS}; p++) {
                if (dyBase[p] >= 0) {
                  let d : ${o} = dy[dyBase[p] + c];
                  acc[p] += ${product};
                }
              }
            }
          }
        }
        for (var p = 0; p < ${PIXELS}; p++) {
          if (ix0 + p < uniforms.inW) {
            result[((b * uniforms.inH + iy) * uniforms.inW + ix0 + p) * uniforms.inC4 + cGroup] = acc[p];
          }
        }
      }`;
  }
}

export function conv2dBackpropInput({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape } = attrs as { inputShape: number[] };
  const info = convInfo(inputShape, filter.shape, attrs);
  const cc = info.inChannels % 4 === 0 ? 4 : 1;
  const oc = info.outChannels % 4 === 0 ? 4 : 1;
  const inC4 = info.inChannels / cc;
  const xGroups = Math.ceil(info.inWidth / PIXELS);
  const threads = info.batchSize * info.inHeight * xGroups * inC4;
  const program = new InputGradProgram(info.inShape, threads, cc, oc);
  return backend.runWebGPUProgram(program, [dy, filter], 'float32', [
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.filterHeight, info.filterWidth] },
    { type: 'int32', data: [info.outChannels] },
    { type: 'int32', data: [inC4] },
    { type: 'int32', data: [xGroups] },
    { type: 'int32', data: [threads] },
    { type: 'int32', data: [info.outHeight] },
    { type: 'int32', data: [info.outWidth] },
    { type: 'int32', data: [info.inHeight] },
    { type: 'int32', data: [info.inWidth] },
  ]);
}
