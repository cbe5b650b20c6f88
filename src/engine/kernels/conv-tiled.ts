/**
 * The convolutions' workgroup-memory tiled variants: each is one implicit
 * GEMM of tiled-gemm.ts, NHWC, no dilation, with the filter [kh, kw, ci, co]
 * read as a (kh·kw·ci) × co matrix.
 *   forward:        y[(b, oy, ox), co]  = Σ_(kh, kw, ci) x̂[(b, oy, ox), (kh, kw, ci)] · W[(kh, kw, ci), co]
 *   input gradient: dx[(b, iy, ix), ci] = Σ_(kh, kw, co) dŷ[(b, iy, ix), (kh, kw, co)] · W[(kh, kw, ci), co]
 *   filter gradient: dW[(kh, kw, ci), co] = Σ_(b, oy, ox) x̂[(b, oy, ox), (kh, kw, ci)] · dy[(b, oy, ox), co]
 * where x̂ is the image patch under each output pixel (zero in the padding)
 * and dŷ the output gradient that reaches each input pixel through (kh, kw)
 * (zero where the stride skips it), both gathered as the tiles are loaded.
 */
import * as tf from '@tensorflow/tfjs';
import { convInfo, type KernelArgs, type Uniform } from './program';
import { tiledGemm, type GemmOperands } from './tiled-gemm';

const GEOMETRY = 'pad : vec2<i32>, stride : vec2<i32>, kernelSize : vec2<i32>, inC : i32, outC : i32, inH : i32, inW : i32, outH : i32, outW : i32,';

function geometry(info: tf.backend_util.Conv2DInfo): Uniform[] {
  return [
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.filterHeight, info.filterWidth] },
    { type: 'int32', data: [info.inChannels] },
    { type: 'int32', data: [info.outChannels] },
    { type: 'int32', data: [info.inHeight] },
    { type: 'int32', data: [info.inWidth] },
    { type: 'int32', data: [info.outHeight] },
    { type: 'int32', data: [info.outWidth] },
  ];
}

/** x̂[m, k]: output pixel m = (b, oy, ox), filter row k = (kh, kw, ci); zero in the padding. */
const PATCH = `
  fn imagePatch(m : i32, k : i32) -> f32 {
    let ci = k % uniforms.inC;
    let khkw = k / uniforms.inC;
    let kw = khkw % uniforms.kernelSize.y;
    let kh = khkw / uniforms.kernelSize.y;
    let ox = m % uniforms.outW;
    let boy = m / uniforms.outW;
    let oy = boy % uniforms.outH;
    let b = boy / uniforms.outH;
    let iy = oy * uniforms.stride.x + kh - uniforms.pad.x;
    let ix = ox * uniforms.stride.y + kw - uniforms.pad.y;
    if (iy < 0 || iy >= uniforms.inH || ix < 0 || ix >= uniforms.inW) { return 0.0; }
    return x[((b * uniforms.inH + iy) * uniforms.inW + ix) * uniforms.inC + ci];
  }`;

export function conv2dTiled({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const info = convInfo(x.shape, filter.shape, attrs);
  const operands: GemmOperands = {
    variableNames: ['x', 'W'],
    loaders: `${PATCH}
      fn loadA(r : i32, t : i32) -> f32 { return imagePatch(r, t); }
      fn loadB(t : i32, c : i32) -> f32 { return W[t * uniforms.outC + c]; }`,
    uniforms: GEOMETRY,
    uniformData: geometry(info),
    aContiguous: 't',
    bContiguous: 'c',
    key: 'conv2d',
  };
  const rows = info.batchSize * info.outHeight * info.outWidth;
  return tiledGemm(backend, [x, filter], operands, { rows, cols: info.outChannels, depth: info.filterHeight * info.filterWidth * info.inChannels }, info.outShape);
}

export function conv2dBackpropInputTiled({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape } = attrs as { inputShape: number[] };
  const info = convInfo(inputShape, filter.shape, attrs);
  const operands: GemmOperands = {
    variableNames: ['dy', 'W'],
    // Input pixel r = (b, iy, ix) meets output pixel ((iy + pad − kh)/s, (ix + pad − kw)/s) where both divisions are exact and inside dy.
    loaders: `
      fn loadA(r : i32, t : i32) -> f32 {
        let co = t % uniforms.outC;
        let khkw = t / uniforms.outC;
        let kw = khkw % uniforms.kernelSize.y;
        let kh = khkw / uniforms.kernelSize.y;
        let ix = r % uniforms.inW;
        let biy = r / uniforms.inW;
        let iy = biy % uniforms.inH;
        let b = biy / uniforms.inH;
        let yNum = iy + uniforms.pad.x - kh;
        let xNum = ix + uniforms.pad.y - kw;
        if (yNum < 0 || xNum < 0 || yNum % uniforms.stride.x != 0 || xNum % uniforms.stride.y != 0) { return 0.0; }
        let oy = yNum / uniforms.stride.x;
        let ox = xNum / uniforms.stride.y;
        if (oy >= uniforms.outH || ox >= uniforms.outW) { return 0.0; }
        return dy[((b * uniforms.outH + oy) * uniforms.outW + ox) * uniforms.outC + co];
      }
      fn loadB(t : i32, c : i32) -> f32 {
        let co = t % uniforms.outC;
        let khkw = t / uniforms.outC;
        return W[(khkw * uniforms.inC + c) * uniforms.outC + co];
      }`,
    uniforms: GEOMETRY,
    uniformData: geometry(info),
    aContiguous: 't',
    bContiguous: 't',
    key: 'conv2dInputGrad',
  };
  const rows = info.batchSize * info.inHeight * info.inWidth;
  return tiledGemm(backend, [dy, filter], operands, { rows, cols: info.inChannels, depth: info.filterHeight * info.filterWidth * info.outChannels }, info.inShape);
}

export function conv2dBackpropFilterTiled({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape } = attrs as { filterShape: number[] };
  const info = convInfo(x.shape, filterShape, attrs);
  const operands: GemmOperands = {
    variableNames: ['x', 'dy'],
    loaders: `${PATCH}
      fn loadA(r : i32, t : i32) -> f32 { return imagePatch(t, r); }
      fn loadB(t : i32, c : i32) -> f32 { return dy[t * uniforms.outC + c]; }`,
    uniforms: GEOMETRY,
    uniformData: geometry(info),
    aContiguous: 'r',
    bContiguous: 'c',
    key: 'conv2dFilterGrad',
  };
  const rows = info.filterHeight * info.filterWidth * info.inChannels;
  return tiledGemm(backend, [x, dy], operands, { rows, cols: info.outChannels, depth: info.batchSize * info.outHeight * info.outWidth }, filterShape);
}
