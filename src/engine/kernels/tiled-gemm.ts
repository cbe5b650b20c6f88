/**
 * The workgroup-memory tiled GEMM the convolutions' tiled variants share
 * (conv-tiled.ts):
 *   C[r, c] = Σ_t A(r, t) · B(t, c),   r < rows, c < cols, t < depth,
 * where A and B are WGSL functions that gather their element from the
 * convolution's tensors (an implicit GEMM: no im2col buffer is written).
 *
 * A workgroup of 8 × 8 threads owns a 32 × 32 tile of C. Per step of 16
 * along t, its 64 threads copy a 32 × 16 tile of A and a 16 × 32 tile of B
 * into workgroup memory (8 elements each, neighbouring threads reading
 * neighbouring addresses of whichever index is contiguous in memory), wait
 * at a barrier, and each accumulates its 4 × 4 outputs from the shared tiles
 * (64 FMAs per 8 shared loads). Real GPUs serve those shared reads from
 * on-chip memory, which is what the register-tiled kernels lack; SwiftShader
 * emulates barriers and workgroup memory slowly, hence the autotuner.
 *
 * When the output has too few tiles to fill a GPU (the filter gradient: a few
 * hundred filter rows by the output channels, over a depth of batch × output
 * pixels), the depth is split across workgroups (split-K) and the partial
 * sums added in a second pass.
 *
 * The rows may come in phases, each its own GEMM with its own rows and depth,
 * all in one dispatch: the strided input gradient, whose input pixels of one
 * phase (row and column modulo the stride) meet only the filter taps of that
 * phase, so no workgroup multiplies the zeros the stride leaves.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { sumSplits, type Uniform, type WebGPUBackend } from './program';

/** Output tile side, threads per side of the workgroup, and the depth step. */
const TILE = 32;
const THREADS = 8;
const PER_THREAD = TILE / THREADS;
const DEPTH_STEP = 16;
/** Elements of one shared tile each thread copies. */
const LOADS = (TILE * DEPTH_STEP) / (THREADS * THREADS);

/** Split-K stops below this many depth steps per split, at this many splits, or once the workgroups reach the target. */
const MIN_STEPS_PER_SPLIT = 8;
const MAX_SPLITS = 64;
const TARGET_WORKGROUPS = 256;

export interface GemmOperands {
  /** Names of the bound tensors, as the WGSL below reads them. */
  variableNames: string[];
  /**
   * WGSL defining how the tiles are gathered, for phase p:
   *   types OuterA, DepthA, OuterB, DepthB (structs or aliases) and
   *   fn outerA(r : i32, p : i32) -> OuterA, fn depthA(t : i32, p : i32) -> DepthA: row r and depth index t of A,
   *     decoded (each is decoded once and reused, see copyIntoTile);
   *   fn loadA(row : OuterA, d : DepthA) -> f32, called only in bounds;
   *   the same for B with its column c: outerB(c, p), depthB(t, p), loadB(col : OuterB, d : DepthB);
   *   fn phaseRows(p : i32) -> i32 and fn phaseDepth(p : i32) -> i32, the phase's row count and depth;
   *   fn outputRow(r : i32, p : i32) -> i32, the row of C that the phase's row r is
   * (`UNPHASED` gives the last three for a single phase). They may read the uniforms named in `uniforms`.
   */
  loaders: string;
  /** How many phases; 1 for a plain GEMM. */
  phases: number;
  /** Uniform fields the loaders read, WGSL struct syntax (vec2s first), with their values. */
  uniforms: string;
  uniformData: Uniform[];
  /** Which index of A (of B) is contiguous in memory, so the copy into shared memory reads neighbouring addresses. */
  aContiguous: 'r' | 't';
  bContiguous: 't' | 'c';
  /** Part of the shader key: what changes the loaders' code. */
  key: string;
}

export interface GemmShape {
  /** Rows of C, and the most rows and depth of any one phase. */
  outRows: number;
  rows: number;
  cols: number;
  depth: number;
}

/** The phase hooks of a GEMM with one phase: every row, the whole depth. */
export const UNPHASED = `
  fn phaseRows(p : i32) -> i32 { return uniforms.rows; }
  fn phaseDepth(p : i32) -> i32 { return uniforms.depth; }
  fn outputRow(r : i32, p : i32) -> i32 { return r; }`;

class TiledGemmProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0], y: [1], z: [2] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [THREADS, THREADS, 1];
  uniforms: string;

  constructor(
    private readonly operands: GemmOperands,
    outputShape: number[],
    dispatch: [number, number, number],
  ) {
    this.variableNames = operands.variableNames;
    this.outputShape = outputShape;
    this.dispatch = dispatch;
    this.uniforms = `${operands.uniforms} outRows : i32, rows : i32, cols : i32, depth : i32, stepsPerSplit : i32, splits : i32,`;
    this.shaderKey = `classwiseTiledGemm_${operands.key}_${operands.aContiguous}${operands.bContiguous}`;
  }

  getUserCode(): string {
    const a = copyIntoTile('A', this.operands.aContiguous === 't', 'r0', 'rows');
    const b = copyIntoTile('B', this.operands.bContiguous === 't', 'c0', 'uniforms.cols');
    return `
      var<workgroup> tileA : array<f32, ${DEPTH_STEP * TILE}>;
      var<workgroup> tileB : array<f32, ${DEPTH_STEP * TILE}>;

      ${this.operands.loaders}

      fn main() {
        let lx = i32(localId.x);
        let ly = i32(localId.y);
        let thread = ly * ${THREADS} + lx;
        let r0 = i32(workgroupId.y) * ${TILE};
        let c0 = i32(workgroupId.x) * ${TILE};
        let phase = i32(workgroupId.z) / uniforms.splits;
        let split = i32(workgroupId.z) % uniforms.splits;
        let rows = phaseRows(phase);
        let tFirst = split * uniforms.stepsPerSplit * ${DEPTH_STEP};
        let tEnd = min(tFirst + uniforms.stepsPerSplit * ${DEPTH_STEP}, phaseDepth(phase));
        ${a.setup}
        ${b.setup}
        var acc : array<vec4<f32>, ${PER_THREAD}>;
        // The loop count is a uniform, so every barrier is reached by the whole workgroup.
        for (var s = 0; s < uniforms.stepsPerSplit; s++) {
          let t0 = tFirst + s * ${DEPTH_STEP};
          ${a.step}
          ${b.step}
          workgroupBarrier();
          for (var tt = 0; tt < ${DEPTH_STEP}; tt++) {
            let bRow = tt * ${TILE} + lx * ${PER_THREAD};
            let b = vec4<f32>(tileB[bRow], tileB[bRow + 1], tileB[bRow + 2], tileB[bRow + 3]);
            let aRow = tt * ${TILE} + ly * ${PER_THREAD};
            for (var i = 0; i < ${PER_THREAD}; i++) {
              acc[i] += tileA[aRow + i] * b;
            }
          }
          workgroupBarrier();
        }
        for (var i = 0; i < ${PER_THREAD}; i++) {
          let r = r0 + ly * ${PER_THREAD} + i;
          for (var j = 0; j < ${PER_THREAD}; j++) {
            let c = c0 + lx * ${PER_THREAD} + j;
            if (r < rows && c < uniforms.cols) {
              result[(split * uniforms.outRows + outputRow(r, phase)) * uniforms.cols + c] = acc[i][j];
            }
          }
        }
      }`;
  }
}

/**
 * WGSL that copies this thread's share of one operand's tile (X is A, whose
 * outer index is the row, or B, the column) into workgroup memory. Element
 * e = i · 64 + thread of the tile: when the depth index is the contiguous one
 * it is e mod 16, the same for all 8 of the thread's elements at every step,
 * and the outer index takes 8 values, the same at every step; otherwise the
 * outer index is e mod 32, one value, and the depth index takes 8 per step.
 * Either way what does not change is decoded once (outerX before the loop,
 * depthX once a step), not once an element: the index arithmetic (integer
 * divisions) would otherwise cost more than the load.
 */
function copyIntoTile(x: 'A' | 'B', depthContiguous: boolean, base: string, bound: string): { setup: string; step: string } {
  const tile = `tile${x}`;
  const threads = THREADS * THREADS;
  if (depthContiguous) {
    const across = threads / DEPTH_STEP;
    return {
      setup: `
        let depthOf${x} = thread % ${DEPTH_STEP};
        var outer${x}s : array<Outer${x}, ${LOADS}>;
        var outer${x}Ok : array<bool, ${LOADS}>;
        for (var i = 0; i < ${LOADS}; i++) {
          let o = ${base} + i * ${across} + thread / ${DEPTH_STEP};
          outer${x}Ok[i] = o < ${bound};
          outer${x}s[i] = outer${x}(o, phase);
        }`,
      step: `{
          let t = t0 + depthOf${x};
          let d = depth${x}(t, phase);
          for (var i = 0; i < ${LOADS}; i++) {
            var v = 0.0;
            if (outer${x}Ok[i] && t < tEnd) { v = load${x}(outer${x}s[i], d); }
            ${tile}[depthOf${x} * ${TILE} + i * ${across} + thread / ${DEPTH_STEP}] = v;
          }
        }`,
    };
  }
  const across = threads / TILE;
  return {
    setup: `
        let outerOf${x} = thread % ${TILE};
        let outer${x}Ok = ${base} + outerOf${x} < ${bound};
        let outer${x}One = outer${x}(${base} + outerOf${x}, phase);`,
    step: `{
          for (var i = 0; i < ${LOADS}; i++) {
            let tt = i * ${across} + thread / ${TILE};
            let t = t0 + tt;
            var v = 0.0;
            if (outer${x}Ok && t < tEnd) { v = load${x}(outer${x}One, depth${x}(t, phase)); }
            ${tile}[tt * ${TILE} + outerOf${x}] = v;
          }
        }`,
  };
}

/**
 * Runs the GEMM and returns C (outRows × cols, row-major) shaped
 * `outputShape`, splitting the depth where the output alone has too few tiles.
 */
export function tiledGemm(backend: WebGPUBackend, inputs: tf.TensorInfo[], operands: GemmOperands, shape: GemmShape, outputShape: number[]): tf.TensorInfo {
  const { outRows, rows, cols, depth } = shape;
  const tiles = Math.ceil(rows / TILE) * Math.ceil(cols / TILE) * operands.phases;
  const steps = Math.max(1, Math.ceil(depth / DEPTH_STEP));
  const wanted = Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), MAX_SPLITS, Math.floor(steps / MIN_STEPS_PER_SPLIT));
  const stepsPerSplit = Math.ceil(steps / Math.max(1, wanted));
  // Recounted from the rounded-up share, so no split is left with nothing to add.
  const splits = Math.ceil(steps / stepsPerSplit);
  const program = new TiledGemmProgram(operands, splits === 1 ? outputShape : [splits, outRows, cols], [Math.ceil(cols / TILE), Math.ceil(rows / TILE), operands.phases * splits]);
  const out = backend.runWebGPUProgram(program, inputs, 'float32', [
    ...operands.uniformData,
    { type: 'int32', data: [outRows] },
    { type: 'int32', data: [rows] },
    { type: 'int32', data: [cols] },
    { type: 'int32', data: [depth] },
    { type: 'int32', data: [stepsPerSplit] },
    { type: 'int32', data: [splits] },
  ]);
  return splits === 1 ? out : sumSplits(backend, out, splits, outputShape, cols % 4 === 0 ? 4 : 1);
}
