/**
 * Conv2D forward, NHWC, no dilation, no fused bias or activation (the engine
 * never asks for them): an implicit GEMM with no im2col buffer. A thread owns
 * 4 neighbouring output pixels of one row × 4 output channels; per (kh, kw,
 * 4 input channels) it loads 4 vec4 rows of W once and one vec4 of x per
 * pixel, and does 16 vec4 FMAs.
 */
import * as tf from '@tensorflow/tfjs';
import { convInfo, FlatProgram, vecType, type KernelArgs } from './program';

const PIXELS = 4;

class ConvProgram extends FlatProgram {
  variableNames = ['x', 'W'];
  outputShape: number[];
  shaderKey: string;
  override uniforms =
    'pad : vec2<i32>, stride : vec2<i32>, kernelSize : vec2<i32>, inC : i32, outC4 : i32, xGroups : i32, threads : i32, outH : i32, outW : i32, inH : i32, inW : i32,';

  constructor(
    outputShape: number[],
    threads: number,
    private readonly xc: number,
    private readonly oc: number,
  ) {
    super(threads);
    this.outputShape = outputShape;
    this.variableComponents = [xc, oc];
    this.outputComponent = oc;
    this.shaderKey = `classwiseConv2D_${xc}_${oc}`;
  }

  getUserCode(): string {
    const t = vecType(this.oc);
    const body =
      this.xc === 4
        ? `let w0 = W[wBase + (c * 4) * uniforms.outC4];
           let w1 = W[wBase + (c * 4 + 1) * uniforms.outC4];
           let w2 = W[wBase + (c * 4 + 2) * uniforms.outC4];
           let w3 = W[wBase + (c * 4 + 3) * uniforms.outC4];
           for (var p = 0; p < ${PIXELS}; p++) {
             if (xBase[p] >= 0) {
               let v = x[xBase[p] + c];
               acc[p] += v.x * w0 + v.y * w1 + v.z * w2 + v.w * w3;
             }
           }`
        : `let w0 = W[wBase + c * uniforms.outC4];
           for (var p = 0; p < ${PIXELS}; p++) {
             if (xBase[p] >= 0) {
               acc[p] += x[xBase[p] + c] * w0;
             }
           }`;
    return `
      fn main(index : i32) {
        if (index >= uniforms.threads) { return; }
        let co = index % uniforms.outC4;
        let xGroup = (index / uniforms.outC4) % uniforms.xGroups;
        let row = index / (uniforms.outC4 * uniforms.xGroups);
        let b = row / uniforms.outH;
        let oy = row % uniforms.outH;
        let ox0 = xGroup * ${PIXELS};
        let inCv = uniforms.inC / ${this.xc};
        var acc : array<${t}, ${PIXELS}>;
        for (var kh = 0; kh < uniforms.kernelSize.x; kh++) {
          let iy = oy * uniforms.stride.x + kh - uniforms.pad.x;
          if (iy < 0 || iy >= uniforms.inH) { continue; }
          for (var kw = 0; kw < uniforms.kernelSize.y; kw++) {
            var xBase : array<i32, ${PIXELS}>;
            for (var p = 0; p < ${PIXELS}; p++) {
              let ix = (ox0 + p) * uniforms.stride.y + kw - uniforms.pad.y;
              let ok = ox0 + p < uniforms.outW && ix >= 0 && ix < uniforms.inW;
              xBase[p] = select(-1, ((b * uniforms.inH + iy) * uniforms.inW + ix) * inCv, ok);
            }
            let wBase = (kh * uniforms.kernelSize.y + kw) * uniforms.inC * uniforms.outC4 + co;
            for (var c = 0; c < inCv; c++) {
              ${body}
            }
          }
        }
        for (var p = 0; p < ${PIXELS}; p++) {
          if (ox0 + p < uniforms.outW) {
            result[((b * uniforms.outH + oy) * uniforms.outW + ox0 + p) * uniforms.outC4 + co] = acc[p];
          }
        }
      }`;
  }
}

export function conv2d({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const info = convInfo(x.shape, filter.shape, attrs);
  const xc = info.inChannels % 4 === 0 ? 4 : 1;
  const oc = info.outChannels % 4 === 0 ? 4 : 1;
  const outC4 = info.outChannels / oc;
  const xGroups = Math.ceil(info.outWidth / PIXELS);
  const threads = info.batchSize * info.outHeight * xGroups * outC4;
  const program = new ConvProgram(info.outShape, threads, xc, oc);
  return backend.runWebGPUProgram(program, [x, filter], 'float32', [
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.filterHeight, info.filterWidth] },
    { type: 'int32', data: [info.inChannels] },
    { type: 'int32', data: [outC4] },
    { type: 'int32', data: [xGroups] },
    { type: 'int32', data: [threads] },
    { type: 'int32', data: [info.outHeight] },
    { type: 'int32', data: [info.outWidth] },
    { type: 'int32', data: [info.inHeight] },
    { type: 'int32', data: [info.inWidth] },
  ]);
}
