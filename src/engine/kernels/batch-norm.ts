/**
 * BatchNorm in training mode as two kernels forward and two backward, where
 * the composite ops (moments, the running-statistic update, batchNorm, the
 * residual add, ReLU, and their gradients) take about forty dispatches.
 *
 * Forward: one workgroup reduction gives each channel's batch mean and
 * biased variance, and in the same dispatch updates the running statistics
 * in place (torch's: momentum-weighted, with the unbiased variance); then
 * one elementwise pass normalises, adds the residual where a block ends, and
 * applies ReLU. The variance is the mean squared deviation from the mean, in
 * a second pass over the channel, as tf.moments computes it: no E[x²] − E[x]²
 * cancellation when the mean is large against the spread.
 *
 * Backward: one reduction gives dβ = Σ dz and dγ = Σ dz·x̂ (dz: dy masked by
 * ReLU), and the per-channel coefficients of dx; one elementwise pass gives
 * dx = γ/σ · (dz − dβ/n − x̂·dγ/n), and dz itself as the residual's gradient.
 *
 * Registered as tfjs kernels with a registered gradient, so tfjs's tape
 * differentiates through them as through any op.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { exclusive, flatWorkgroups, newOutput, runRaw, type RawBinding, type RawProgram } from './raw';
import { vecType } from './program';

export const BATCH_NORM_TRAIN = 'ClasswiseBatchNormTrain';
export const BATCH_NORM_GRAD = 'ClasswiseBatchNormGrad';

/** Threads of a reduction workgroup. */
const REDUCE = 256;
/** Threads of an elementwise workgroup. */
const FLAT = 64;

export interface BatchNormAttrs {
  momentum: number;
  epsilon: number;
  relu: boolean;
}

interface Layout {
  channels: number;
  components: number;
  lanes: number;
  rows: number;
  /** Lanes per reduction workgroup: a power of two, so the tree sums lanes with lanes. */
  group: number;
  t: string;
}

function layoutOf(x: tf.TensorInfo): Layout {
  const channels = x.shape[x.shape.length - 1]!;
  const components = channels % 4 === 0 ? 4 : 1;
  const lanes = channels / components;
  const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  let group = 1;
  while (group * 2 <= Math.min(lanes, 16)) group *= 2;
  return { channels, components, lanes, rows, group, t: vecType(components) };
}

const read = (name: string, type: string): RawBinding => ({ name, access: 'read', type });
const write = (name: string, type: string): RawBinding => ({ name, access: 'read_write', type });

/**
 * A channel reduction by one workgroup per `group` lanes: each thread sums a
 * strided run of rows, then a tree in workgroup memory adds the runs. With
 * `first`, a first pass sums into `s1` and `between` reads the result (every
 * thread, for its lane) before the main pass; `accumulate` adds to `a` and
 * `b` for element `i` of lane `l`; `finish` runs once per lane, with n, the
 * row count, and the sums in s1[t] and s2[t].
 */
function reduction(layout: Layout, parts: { setup: string; first?: { accumulate: string; between: string }; accumulate: string; finish: string }): string {
  const { group, t } = layout;
  const rows = (body: string) => `
      if (valid) {
        for (var r = t / ${group}; r < u.rows; r += ${REDUCE / group}) {
          let i = r * u.lanes + l;
          ${body}
        }
      }`;
  const tree = (names: string[]) => `
      workgroupBarrier();
      for (var s = ${REDUCE / 2}; s >= ${group}; s = s / 2) {
        if (t < s) {
          ${names.map((n) => `${n}[t] += ${n}[t + s];`).join('\n          ')}
        }
        workgroupBarrier();
      }`;
  const first = parts.first
    ? `
      var a0 = ${t}(0.0);
      ${rows(parts.first.accumulate)}
      s1[t] = a0;
      ${tree(['s1'])}
      ${parts.first.between}
      workgroupBarrier();`
    : '';
  return `
    var<workgroup> s1 : array<${t}, ${REDUCE}>;
    var<workgroup> s2 : array<${t}, ${REDUCE}>;
    @compute @workgroup_size(${REDUCE})
    fn main(@builtin(local_invocation_index) li : u32, @builtin(workgroup_id) wid : vec3<u32>) {
      let t = i32(li);
      let lane = i32(wid.x) * ${group} + t % ${group};
      let valid = lane < u.lanes;
      let l = min(lane, u.lanes - 1);
      let n = f32(u.rows);
      ${parts.setup}
      ${first}
      var a = ${t}(0.0);
      var b = ${t}(0.0);
      ${rows(parts.accumulate)}
      s1[t] = a;
      s2[t] = b;
      ${tree(['s1', 's2'])}
      if (t < ${group} && valid) {
        ${parts.finish}
      }
    }`;
}

/** An elementwise pass over every element (grid-stride, so any size fits the dispatch limit). */
function elementwise(body: string): string {
  return `
    @compute @workgroup_size(${FLAT})
    fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
      for (var i = i32(gid.x); i < u.size; i += i32(groups.x) * ${FLAT}) {
        let c = i % u.lanes;
        ${body}
      }
    }`;
}

function statsProgram(layout: Layout): RawProgram {
  const { t, group, components } = layout;
  return {
    key: `classwiseBnStats_${components}_${group}`,
    name: 'BatchNormStats',
    bindings: [read('x', t), write('stats', t), write('runMean', t), write('runVar', t)],
    uniforms: 'lanes : i32, rows : i32, eps : f32, momentum : f32,',
    // Two passes, as tf.moments: the mean, then the mean squared deviation from it.
    code: reduction(layout, {
      setup: '',
      first: { accumulate: 'a0 += x[i];', between: 'let mean = s1[t % ' + layout.group + '] / n;' },
      accumulate: `let d = x[i] - mean;
          b += d * d;`,
      finish: `let variance = s2[t] / n;
        stats[l] = mean;
        stats[u.lanes + l] = inverseSqrt(variance + u.eps);
        runMean[l] = runMean[l] * (1.0 - u.momentum) + mean * u.momentum;
        runVar[l] = runVar[l] * (1.0 - u.momentum) + variance * (u.momentum * n / max(n - 1.0, 1.0));`,
    }),
  };
}

function normalizeProgram(layout: Layout, residual: boolean, relu: boolean): RawProgram {
  const { t, components } = layout;
  return {
    key: `classwiseBnNormalize_${components}_${residual}_${relu}`,
    name: 'BatchNormNormalize',
    bindings: [write('y', t), read('x', t), read('stats', t), read('gamma', t), read('beta', t), ...(residual ? [read('r', t)] : [])],
    uniforms: 'lanes : i32, size : i32,',
    code: elementwise(`
        var v = (x[i] - stats[c]) * stats[u.lanes + c] * gamma[c] + beta[c];
        ${residual ? 'v += r[i];' : ''}
        ${relu ? `v = max(v, ${t}(0.0));` : ''}
        y[i] = v;`),
  };
}

/** dz: dy, masked where ReLU cut the output. */
const masked = (relu: boolean, t: string) => (relu ? `select(${t}(0.0), dy[i], y[i] > ${t}(0.0))` : 'dy[i]');

function gradReduceProgram(layout: Layout, relu: boolean): RawProgram {
  const { t, group, components } = layout;
  return {
    key: `classwiseBnGradReduce_${components}_${group}_${relu}`,
    name: 'BatchNormGradReduce',
    bindings: [write('dgamma', t), write('dbeta', t), write('coef', t), read('dy', t), read('x', t), read('stats', t), read('gamma', t), ...(relu ? [read('y', t)] : [])],
    uniforms: 'lanes : i32, rows : i32,',
    code: reduction(layout, {
      setup: `let mean = stats[l];
      let inv = stats[u.lanes + l];`,
      accumulate: `let dz = ${masked(relu, t)};
          a += dz;
          b += dz * (x[i] - mean) * inv;`,
      finish: `dbeta[l] = s1[t];
        dgamma[l] = s2[t];
        let k = gamma[l] * inv;
        coef[l] = k;
        coef[u.lanes + l] = k * s2[t] / n;
        coef[2 * u.lanes + l] = k * s1[t] / n;`,
    }),
  };
}

function gradApplyProgram(layout: Layout, relu: boolean, residual: boolean): RawProgram {
  const { t, components } = layout;
  return {
    key: `classwiseBnGradApply_${components}_${relu}_${residual}`,
    name: 'BatchNormGradApply',
    bindings: [write('dx', t), ...(residual ? [write('dr', t)] : []), read('dy', t), read('x', t), read('stats', t), read('coef', t), ...(relu ? [read('y', t)] : [])],
    uniforms: 'lanes : i32, size : i32,',
    code: elementwise(`
        let dz = ${masked(relu, t)};
        let xh = (x[i] - stats[c]) * stats[u.lanes + c];
        dx[i] = coef[c] * dz - coef[u.lanes + c] * xh - coef[2 * u.lanes + c];
        ${residual ? 'dr[i] = dz;' : ''}`),
  };
}

interface TrainInputs {
  x: tf.TensorInfo;
  gamma: tf.TensorInfo;
  beta: tf.TensorInfo;
  runningMean: tf.TensorInfo;
  runningVar: tf.TensorInfo;
  residual?: tf.TensorInfo;
}

/** [y, stats]: stats is [2, C], the batch mean and 1/σ, kept for the backward pass. */
function batchNormTrain({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { x, gamma, beta, runningMean, runningVar, residual } = inputs as unknown as TrainInputs;
  const { momentum, epsilon, relu } = attrs as unknown as BatchNormAttrs;
  const gpu = backend as WebGPUBackend;
  const layout = layoutOf(x);
  const stats = newOutput(gpu, [2, layout.channels]);
  runRaw(gpu, statsProgram(layout), [x, stats, runningMean, runningVar], [
    { type: 'int32', data: [layout.lanes] },
    { type: 'int32', data: [layout.rows] },
    { type: 'float32', data: [epsilon] },
    { type: 'float32', data: [momentum] },
  ], [Math.ceil(layout.lanes / layout.group)]);
  const y = newOutput(gpu, x.shape);
  const size = layout.rows * layout.lanes;
  runRaw(gpu, normalizeProgram(layout, residual !== undefined, relu), [y, x, stats, gamma, beta, ...(residual ? [residual] : [])], [
    { type: 'int32', data: [layout.lanes] },
    { type: 'int32', data: [size] },
  ], [flatWorkgroups(size, FLAT)]);
  return [y, stats];
}

interface GradInputs {
  dy: tf.TensorInfo;
  x: tf.TensorInfo;
  gamma: tf.TensorInfo;
  stats: tf.TensorInfo;
  y: tf.TensorInfo;
}

/** [dx, dγ, dβ] and, with a residual, its gradient. */
function batchNormGrad({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { dy, x, gamma, stats, y } = inputs as unknown as GradInputs;
  const { relu, residual } = attrs as unknown as { relu: boolean; residual: boolean };
  const gpu = backend as WebGPUBackend;
  const layout = layoutOf(x);
  const dgamma = newOutput(gpu, [layout.channels]);
  const dbeta = newOutput(gpu, [layout.channels]);
  const coef = newOutput(gpu, [3, layout.channels]);
  runRaw(gpu, gradReduceProgram(layout, relu), [dgamma, dbeta, coef, dy, x, stats, gamma, ...(relu ? [y] : [])], [
    { type: 'int32', data: [layout.lanes] },
    { type: 'int32', data: [layout.rows] },
  ], [Math.ceil(layout.lanes / layout.group)]);
  const dx = newOutput(gpu, x.shape);
  const dr = residual ? newOutput(gpu, x.shape) : null;
  const size = layout.rows * layout.lanes;
  runRaw(gpu, gradApplyProgram(layout, relu, residual), [dx, ...(dr ? [dr] : []), dy, x, stats, coef, ...(relu ? [y] : [])], [
    { type: 'int32', data: [layout.lanes] },
    { type: 'int32', data: [size] },
  ], [flatWorkgroups(size, FLAT)]);
  gpu.disposeData(coef.dataId);
  return dr ? [dx, dgamma, dbeta, dr] : [dx, dgamma, dbeta];
}

let registered = false;

/** Registers both kernels for the webgpu backend and the forward kernel's gradient (once). */
export function registerBatchNorm(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: BATCH_NORM_TRAIN, backendName: 'webgpu', kernelFunc: batchNormTrain as tf.KernelFunc });
  tf.registerKernel({ kernelName: BATCH_NORM_GRAD, backendName: 'webgpu', kernelFunc: batchNormGrad as tf.KernelFunc });
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dy] = dys as tf.Tensor[];
      const [x, gamma, y, stats] = saved;
      const residual = 'residualGiven' in attrs && attrs.residualGiven === true;
      const grads = tf.engine().runKernel(BATCH_NORM_GRAD, { dy: dy!, x: x!, gamma: gamma!, stats: stats!, y: y! }, { relu: (attrs as unknown as BatchNormAttrs).relu, residual }) as tf.Tensor[];
      const [dx, dgamma, dbeta, dr] = grads;
      return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta!, ...(dr ? { residual: () => dr } : {}) };
    },
  });
}

/**
 * BatchNorm in training mode on WebGPU, with the residual add and ReLU that
 * follow it: returns the output and updates the running statistics.
 */
export function batchNormTrainFused(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  runningMean: tf.Variable,
  runningVar: tf.Variable,
  options: { momentum: number; epsilon: number; relu: boolean; residual?: tf.Tensor4D },
): tf.Tensor4D {
  registerBatchNorm();
  exclusive(runningMean);
  exclusive(runningVar);
  const inputs: Record<string, tf.Tensor> = { x, gamma, beta, runningMean, runningVar };
  if (options.residual) inputs.residual = options.residual;
  const attrs = { momentum: options.momentum, epsilon: options.epsilon, relu: options.relu, residualGiven: options.residual !== undefined };
  const [y, stats] = tf.engine().runKernel(BATCH_NORM_TRAIN, inputs as tf.NamedTensorMap, attrs) as tf.Tensor[];
  stats!.dispose();
  return y as tf.Tensor4D;
}
