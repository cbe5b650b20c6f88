/**
 * The convolutions' workgroup-memory tiled variants: each is one implicit
 * GEMM of tiled-gemm.ts, NHWC, no dilation, with the filter [kh, kw, ci, co]
 * read as a (kh·kw·ci) × co matrix.
 *   forward:        y[(b, oy, ox), co]  = Σ_(kh, kw, ci) x̂[(b, oy, ox), (kh, kw, ci)] · W[(kh, kw, ci), co]
 *   input gradient: dx[(b, iy, ix), ci] = Σ_(kh, kw, co) dŷ[(b, iy, ix), (kh, kw, co)] · W[(kh, kw, ci), co]
 *   filter gradient: dW[(kh, kw, ci), co] = Σ_(b, oy, ox) x̂[(b, oy, ox), (kh, kw, ci)] · dy[(b, oy, ox), co]
 * where x̂ is the image patch under each output pixel (zero in the padding)
 * and dŷ the output gradient that reaches each input pixel through (kh, kw),
 * both gathered as the tiles are loaded. With a stride s, an input row iy
 * meets only the taps kh ≡ iy + pad (mod s), so the input gradient runs as
 * s × s phases (rows and columns by their residue), each over its own taps:
 * for 3 × 3 at stride 2, 4, 2, 2 and 1 taps of 9 instead of 9 for all.
 */
import * as tf from '@tensorflow/tfjs';
import { convInfo, type KernelArgs, type Uniform } from './program';
import { tiledGemm, UNPHASED, type GemmOperands } from './tiled-gemm';

const GEOMETRY = 'pad : vec2<i32>, stride : vec2<i32>, kernelSize : vec2<i32>, inC : i32, outC : i32, inH : i32, inW : i32, outH : i32, outW : i32,';

/** A convolution's GEMM operands: the loaders read its geometry from the uniforms. */
function convOperands(info: tf.backend_util.Conv2DInfo, operands: Omit<GemmOperands, 'uniforms' | 'uniformData'>): GemmOperands {
  return { ...operands, uniforms: GEOMETRY, uniformData: geometry(info) };
}

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

/**
 * x̂[m, k], decoded: output pixel m = (b, oy, ox) as its batch and the input
 * corner its window starts at, filter row k = (kh, kw, ci); zero in the padding.
 */
const PATCH = `
  struct Pixel { b : i32, y : i32, x : i32, };
  struct Tap { kh : i32, kw : i32, ci : i32, };
  fn pixelOf(m : i32) -> Pixel {
    let ox = m % uniforms.outW;
    let boy = m / uniforms.outW;
    return Pixel(boy / uniforms.outH, (boy % uniforms.outH) * uniforms.stride.x - uniforms.pad.x, ox * uniforms.stride.y - uniforms.pad.y);
  }
  fn tapOf(k : i32) -> Tap {
    let khkw = k / uniforms.inC;
    return Tap(khkw / uniforms.kernelSize.y, khkw % uniforms.kernelSize.y, k % uniforms.inC);
  }
  fn imagePatch(px : Pixel, tap : Tap) -> f32 {
    let iy = px.y + tap.kh;
    let ix = px.x + tap.kw;
    if (iy < 0 || iy >= uniforms.inH || ix < 0 || ix >= uniforms.inW) { return 0.0; }
    return x[((px.b * uniforms.inH + iy) * uniforms.inW + ix) * uniforms.inC + tap.ci];
  }`;

/** A row-major matrix operand `name` with `stride` elements a row: depth index t gives the row's start, column c the offset. */
const rowMajorB = (name: string, stride: string) => `
  alias DepthB = i32;
  alias OuterB = i32;
  fn depthB(t : i32, p : i32) -> i32 { return t * ${stride}; }
  fn outerB(c : i32, p : i32) -> i32 { return c; }
  fn loadB(c : i32, d : i32) -> f32 { return ${name}[d + c]; }`;

export function conv2dTiled({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const info = convInfo(x.shape, filter.shape, attrs);
  const operands = convOperands(info, {
    variableNames: ['x', 'W'],
    loaders: `${PATCH}${UNPHASED}
      alias OuterA = Pixel;
      alias DepthA = Tap;
      fn outerA(r : i32, p : i32) -> Pixel { return pixelOf(r); }
      fn depthA(t : i32, p : i32) -> Tap { return tapOf(t); }
      fn loadA(px : Pixel, tap : Tap) -> f32 { return imagePatch(px, tap); }
      ${rowMajorB('W', 'uniforms.outC')}`,
    phases: 1,
    aContiguous: 't',
    bContiguous: 'c',
    key: 'conv2d',
  });
  const rows = info.batchSize * info.outHeight * info.outWidth;
  return tiledGemm(backend, [x, filter], operands, { outRows: rows, rows, cols: info.outChannels, depth: info.filterHeight * info.filterWidth * info.inChannels }, info.outShape);
}

/**
 * Phase p = (q.x, q.y) of the input gradient: the input rows (columns) with
 * (i + pad) mod s = q, the first of them, how many, and how many filter taps
 * (q, q + s, …) reach them.
 */
const INPUT_GRAD_PHASE = `
  struct InputGradPhase { q : vec2<i32>, first : vec2<i32>, count : vec2<i32>, taps : vec2<i32>, };
  fn inputGradPhase(p : i32) -> InputGradPhase {
    let s = uniforms.stride;
    let q = vec2<i32>(p / s.y, p % s.y);
    let first = ((q - uniforms.pad) % s + s) % s;
    let count = max(vec2<i32>(0), (vec2<i32>(uniforms.inH, uniforms.inW) - first + s - vec2<i32>(1)) / s);
    let taps = max(vec2<i32>(0), (uniforms.kernelSize - q + s - vec2<i32>(1)) / s);
    return InputGradPhase(q, first, count, taps);
  }`;

export function conv2dBackpropInputTiled({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape } = attrs as { inputShape: number[] };
  const info = convInfo(inputShape, filter.shape, attrs);
  const operands = convOperands(info, {
    variableNames: ['dy', 'W'],
    loaders: `${INPUT_GRAD_PHASE}
      fn phaseRows(p : i32) -> i32 {
        let ph = inputGradPhase(p);
        return uniforms.outRows / (uniforms.inH * uniforms.inW) * ph.count.x * ph.count.y;
      }
      fn phaseDepth(p : i32) -> i32 {
        let ph = inputGradPhase(p);
        return ph.taps.x * ph.taps.y * uniforms.outC;
      }
      // The phase's row r is input pixel (b, first.x + s.x · j, first.y + s.y · i).
      fn outerA(r : i32, p : i32) -> vec3<i32> {
        let ph = inputGradPhase(p);
        let i = r % ph.count.y;
        let bj = r / ph.count.y;
        return vec3<i32>(bj / ph.count.x, ph.first.x + uniforms.stride.x * (bj % ph.count.x), ph.first.y + uniforms.stride.y * i);
      }
      fn outputRow(r : i32, p : i32) -> i32 {
        let px = outerA(r, p);
        return (px.x * uniforms.inH + px.y) * uniforms.inW + px.z;
      }
      // The phase's depth index t is output channel co at tap (q.x + s.x · a, q.y + s.y · b).
      fn depthA(t : i32, p : i32) -> vec3<i32> {
        let ph = inputGradPhase(p);
        let ab = t / uniforms.outC;
        return vec3<i32>(ph.q.x + uniforms.stride.x * (ab / ph.taps.y), ph.q.y + uniforms.stride.y * (ab % ph.taps.y), t % uniforms.outC);
      }
      alias OuterA = vec3<i32>;
      alias DepthA = vec3<i32>;
      fn loadA(px : vec3<i32>, k : vec3<i32>) -> f32 {
        // Multiples of the stride by construction; negative or past the edge, no output pixel.
        let yNum = px.y + uniforms.pad.x - k.x;
        let xNum = px.z + uniforms.pad.y - k.y;
        let oy = yNum / uniforms.stride.x;
        let ox = xNum / uniforms.stride.y;
        if (yNum < 0 || xNum < 0 || oy >= uniforms.outH || ox >= uniforms.outW) { return 0.0; }
        return dy[((px.x * uniforms.outH + oy) * uniforms.outW + ox) * uniforms.outC + k.z];
      }
      // W[kh, kw, ci, co] at the depth index's tap and channel (the row's start) and input channel c (the offset).
      alias OuterB = i32;
      alias DepthB = i32;
      fn outerB(c : i32, p : i32) -> i32 { return c * uniforms.outC; }
      fn depthB(t : i32, p : i32) -> i32 {
        let k = depthA(t, p);
        return (k.x * uniforms.kernelSize.y + k.y) * uniforms.inC * uniforms.outC + k.z;
      }
      fn loadB(c : i32, d : i32) -> f32 { return W[d + c]; }`,
    phases: info.strideHeight * info.strideWidth,
    aContiguous: 't',
    bContiguous: 't',
    key: 'conv2dInputGrad',
  });
  const { strideHeight: sy, strideWidth: sx } = info;
  return tiledGemm(
    backend,
    [dy, filter],
    operands,
    {
      outRows: info.batchSize * info.inHeight * info.inWidth,
      rows: info.batchSize * Math.ceil(info.inHeight / sy) * Math.ceil(info.inWidth / sx),
      cols: info.inChannels,
      depth: Math.ceil(info.filterHeight / sy) * Math.ceil(info.filterWidth / sx) * info.outChannels,
    },
    info.inShape,
  );
}

export function conv2dBackpropFilterTiled({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape } = attrs as { filterShape: number[] };
  const info = convInfo(x.shape, filterShape, attrs);
  const operands = convOperands(info, {
    variableNames: ['x', 'dy'],
    // The rows of A are filter rows, its depth the output pixels.
    loaders: `${PATCH}${UNPHASED}
      alias OuterA = Tap;
      alias DepthA = Pixel;
      fn outerA(r : i32, p : i32) -> Tap { return tapOf(r); }
      fn depthA(t : i32, p : i32) -> Pixel { return pixelOf(t); }
      fn loadA(tap : Tap, px : Pixel) -> f32 { return imagePatch(px, tap); }
      ${rowMajorB('dy', 'uniforms.outC')}`,
    phases: 1,
    aContiguous: 'r',
    bContiguous: 'c',
    key: 'conv2dFilterGrad',
  });
  const rows = info.filterHeight * info.filterWidth * info.inChannels;
  return tiledGemm(backend, [x, dy], operands, { outRows: rows, rows, cols: info.outChannels, depth: info.batchSize * info.outHeight * info.outWidth }, filterShape);
}
