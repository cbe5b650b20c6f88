/**
 * Conv2DBackpropFilter (the weight gradient), NHWC, no dilation:
 *   dW[kh, kw, ci, co] = Σ_{b, oy, ox} x[b, oy·s + kh − pad, ox·s + kw − pad, ci] · dy[b, oy, ox, co]
 *
 * The stock kernel gives each filter element its own thread and loops over
 * batch × height × width with scalar loads and a bounds check per term. Here a
 * thread owns 4 input channels × 4 output channels of one (kh, kw): per term
 * it loads one vec4 of x and one vec4 of dy and does 4 vec4 FMAs, and the
 * x-width bounds are hoisted out of the inner loop. The batch × output rows
 * are split across threads (split-K) when the filter alone would give too few
 * threads, and the partial sums added in a second pass.
 */
import * as tf from '@tensorflow/tfjs';
import { convInfo, chooseSplits, FlatProgram, sumSplits, vecType, type KernelArgs } from './program';

class FilterGradProgram extends FlatProgram {
  variableNames = ['x', 'dy'];
  outputShape: number[];
  shaderKey: string;
  override uniforms =
    'pad : vec2<i32>, stride : vec2<i32>, kernelSize : vec2<i32>, inC : i32, outC4 : i32, rowGroups : i32, threads : i32, rowsPerSplit : i32, batchRows : i32, outH : i32, outW : i32, inH : i32, inW : i32,';

  constructor(
    outputShape: number[],
    threads: number,
    private readonly xc: number,
    private readonly dc: number,
  ) {
    super(threads);
    this.outputShape = outputShape;
    this.variableComponents = [xc, dc];
    this.outputComponent = dc;
    this.shaderKey = `classwiseConv2DFilterGrad_${xc}_${dc}`;
  }

  getUserCode(): string {
    const t = vecType(this.dc);
    const vecX = this.xc === 4;
    // Vec4 x: the 4 rows are 4 consecutive input channels at one (kh, kw), so
    // one vec4 load feeds all 4. Scalar x (e.g. 3 RGB channels): the 4 rows are
    // 4 consecutive flattened (kh, kw, ci) indices, each with its own offsets.
    const rowSetup = vecX
      ? `
        let ci4 = rowGroup % (uniforms.inC / 4);
        let khkw = rowGroup / (uniforms.inC / 4);
        let kh = khkw / uniforms.kernelSize.y;
        let kw = khkw % uniforms.kernelSize.y;
        let inC4 = uniforms.inC / 4;
        // The range of ox whose input column is inside the image.
        let oxLo = max(0, (uniforms.pad.y - kw + uniforms.stride.y - 1) / uniforms.stride.y);
        // Integer division truncates towards zero, so a negative numerator means no column at all.
        let hiNum = uniforms.inW - 1 + uniforms.pad.y - kw;
        let oxHi = select(min(uniforms.outW, hiNum / uniforms.stride.y + 1), 0, hiNum < 0);`
      : `
        var rkh : array<i32, 4>;
        var rkw : array<i32, 4>;
        var rci : array<i32, 4>;
        for (var j = 0; j < 4; j++) {
          let r = min(rowGroup * 4 + j, rowCount - 1);
          rci[j] = r % uniforms.inC;
          rkw[j] = (r / uniforms.inC) % uniforms.kernelSize.y;
          rkh[j] = r / (uniforms.inC * uniforms.kernelSize.y);
        }`;
    const inner = vecX
      ? `
          let iy = oy * uniforms.stride.x + kh - uniforms.pad.x;
          if (iy < 0 || iy >= uniforms.inH) { continue; }
          let xRow = ((b * uniforms.inH + iy) * uniforms.inW) * inC4 + ci4;
          let dyRow = ((b * uniforms.outH + oy) * uniforms.outW) * uniforms.outC4 + co;
          for (var ox = oxLo; ox < oxHi; ox++) {
            let xv = x[xRow + (ox * uniforms.stride.y + kw - uniforms.pad.y) * inC4];
            let d = dy[dyRow + ox * uniforms.outC4];
            acc[0] += xv.x * d;
            acc[1] += xv.y * d;
            acc[2] += xv.z * d;
            acc[3] += xv.w * d;
          }`
      : `
          let dyRow = ((b * uniforms.outH + oy) * uniforms.outW) * uniforms.outC4 + co;
          for (var ox = 0; ox < uniforms.outW; ox++) {
            let d = dy[dyRow + ox * uniforms.outC4];
            for (var j = 0; j < 4; j++) {
              let iy = oy * uniforms.stride.x + rkh[j] - uniforms.pad.x;
              let ix = ox * uniforms.stride.y + rkw[j] - uniforms.pad.y;
              if (iy >= 0 && iy < uniforms.inH && ix >= 0 && ix < uniforms.inW) {
                acc[j] += x[((b * uniforms.inH + iy) * uniforms.inW + ix) * uniforms.inC + rci[j]] * d;
              }
            }
          }`;
    const rowOf = vecX ? `khkw * uniforms.inC + ci4 * 4 + j` : `rowGroup * 4 + j`;
    return `
      fn main(index : i32) {
        if (index >= uniforms.threads) { return; }
        let co = index % uniforms.outC4;
        let rowGroup = (index / uniforms.outC4) % uniforms.rowGroups;
        let split = index / (uniforms.outC4 * uniforms.rowGroups);
        let rowCount = uniforms.kernelSize.x * uniforms.kernelSize.y * uniforms.inC;
        ${rowSetup}
        var acc : array<${t}, 4>;
        let first = split * uniforms.rowsPerSplit;
        let last = min(first + uniforms.rowsPerSplit, uniforms.batchRows);
        for (var br = first; br < last; br++) {
          let b = br / uniforms.outH;
          let oy = br % uniforms.outH;
          ${inner}
        }
        for (var j = 0; j < 4; j++) {
          let row = ${rowOf};
          if (${vecX ? 'true' : 'row < rowCount'}) {
            result[(split * rowCount + row) * uniforms.outC4 + co] = acc[j];
          }
        }
      }`;
  }
}

export function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape } = attrs as { filterShape: number[] };
  const info = convInfo(x.shape, filterShape, attrs);
  const xc = info.inChannels % 4 === 0 ? 4 : 1;
  const dc = info.outChannels % 4 === 0 ? 4 : 1;
  const rowCount = info.filterHeight * info.filterWidth * info.inChannels;
  const rowGroups = Math.ceil(rowCount / 4);
  const outC4 = info.outChannels / dc;
  const batchRows = info.batchSize * info.outHeight;
  const splits = chooseSplits(rowGroups * outC4, batchRows, 8192, 2, 64);
  const rowsPerSplit = Math.ceil(batchRows / splits);
  const threads = rowGroups * outC4 * splits;
  const outputShape = splits === 1 ? filterShape : [splits, rowCount, info.outChannels];
  const program = new FilterGradProgram(outputShape, threads, xc, dc);
  const result = backend.runWebGPUProgram(program, [x, dy], 'float32', [
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.filterHeight, info.filterWidth] },
    { type: 'int32', data: [info.inChannels] },
    { type: 'int32', data: [outC4] },
    { type: 'int32', data: [rowGroups] },
    { type: 'int32', data: [threads] },
    { type: 'int32', data: [rowsPerSplit] },
    { type: 'int32', data: [batchRows] },
    { type: 'int32', data: [info.outHeight] },
    { type: 'int32', data: [info.outWidth] },
    { type: 'int32', data: [info.inHeight] },
    { type: 'int32', data: [info.inWidth] },
  ]);
  return splits === 1 ? result : sumSplits(backend, result, splits, filterShape, dc);
}
