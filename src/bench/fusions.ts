/**
 * The fused BatchNorm and SGD against the composite ops they replace, on the
 * same inputs and the active WebGPU backend: every output and gradient of a
 * BatchNorm (with and without its residual and ReLU), the running
 * statistics it updates, and two SGD steps' parameters and momentum. For the
 * kernel tests in Chromium and in Node on Dawn.
 */
import * as tf from '@tensorflow/tfjs';
import { fusionsOn, setFusions } from '../engine/kernels';
import { addBatchNorm, batchNorm, ownedVariable, ParameterStore } from '../engine/layers';
import { Sgd } from '../engine/optimizer';
import type { OptimizerConfig } from '../study/config';

export interface FusedBatchNormCase {
  x: number[];
  relu: boolean;
  residual: boolean;
}

export interface SgdCase {
  name: string;
  optimizer: OptimizerConfig;
}

export interface FusionAgreement {
  name: string;
  /** Largest error over the outputs compared, each relative to its own scale (max |composite|). */
  relativeError: number;
  /** Which output that was. */
  worst: string;
  /** The fused path ran (the fused kernels or the in-place update, not the composite ops). */
  fusedRan: boolean;
  gpuError: string | null;
  leaked: number;
}

export function fusedCaseName(c: FusedBatchNormCase): string {
  return `BatchNorm ${c.x.join('×')}${c.residual ? ' + residual' : ''}${c.relu ? ' + ReLU' : ''}`;
}

function relativeError(composite: ArrayLike<number>, fused: ArrayLike<number>): number {
  if (composite.length !== fused.length) return Infinity;
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < composite.length; i++) {
    scale = Math.max(scale, Math.abs(composite[i]!));
    diff = Math.max(diff, Math.abs(composite[i]! - fused[i]!));
  }
  return Number.isNaN(diff) ? Infinity : diff / Math.max(scale, 1e-30);
}

/** Runs `measure` composite then fused, and compares every named output. */
async function agree(name: string, measure: (fused: boolean) => Promise<Record<string, Float32Array | Int32Array | Uint8Array>>, ranFused: () => boolean): Promise<FusionAgreement> {
  const before = tf.memory().numTensors;
  const previous = fusionsOn();
  const device = (tf.backend() as unknown as { device: GPUDevice }).device;
  try {
    setFusions(false);
    const composite = await measure(false);
    setFusions(true);
    device.pushErrorScope('validation');
    const fused = await measure(true);
    const gpuError = await device.popErrorScope();
    let worst = '';
    let error = 0;
    for (const [key, values] of Object.entries(composite)) {
      const e = relativeError(values, fused[key]!);
      if (e >= error) [error, worst] = [e, key];
    }
    return { name, relativeError: error, worst, fusedRan: ranFused(), gpuError: gpuError ? gpuError.message : null, leaked: tf.memory().numTensors - before };
  } finally {
    setFusions(previous);
  }
}

const random = (shape: number[], seed: number, low = -1, high = 1) => tf.randomUniform(shape, low, high, 'float32', seed);

/** y, the running statistics after one step, and the gradients of Σ y·w for x, γ, β and the residual. */
export async function compareBatchNorm(c: FusedBatchNormCase): Promise<FusionAgreement> {
  const channels = c.x[c.x.length - 1]!;
  let fusedKernels = 0;
  const measure = async (fused: boolean) => {
    const store = new ParameterStore();
    addBatchNorm(store, { name: 'bn', channels });
    const x = ownedVariable(random(c.x, 1, -2, 3), true);
    const r = ownedVariable(random(c.x, 2), true);
    const w = random(c.x, 3);
    tf.tidy(() => {
      store.param('bn.weight').assign(random([channels], 4, 0.5, 1.5));
      store.param('bn.bias').assign(random([channels], 5));
      store.buffer('bn.running_mean').assign(random([channels], 6));
      store.buffer('bn.running_var').assign(random([channels], 7, 0.5, 2));
    });
    const spec = { name: 'bn', channels };
    let y: tf.Tensor | null = null;
    const variables = [x, store.param('bn.weight'), store.param('bn.bias'), ...(c.residual ? [r] : [])];
    const profile = await tf.profile(() => {
      const { grads, value } = tf.variableGrads(() => {
        const out = batchNorm(store, spec, x as tf.Variable<tf.Rank.R4>, { training: true, bnMomentum: 0.1 }, { relu: c.relu, residual: c.residual ? (r as tf.Variable<tf.Rank.R4>) : undefined });
        y = tf.keep(out);
        return tf.sum(tf.mul(out, w)) as tf.Scalar;
      }, variables);
      value.dispose();
      return grads as unknown as tf.Tensor;
    });
    if (fused) fusedKernels = profile.kernels.filter((k) => k.name.startsWith('ClasswiseBatchNorm')).length;
    const grads = profile.result as unknown as Record<string, tf.Tensor>;
    const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
    const out: Record<string, Float32Array> = {
      y: await read(y!),
      running_mean: await read(store.buffer('bn.running_mean')),
      running_var: await read(store.buffer('bn.running_var')),
      dx: await read(grads[x.name]!),
      dgamma: await read(grads[store.param('bn.weight').name]!),
      dbeta: await read(grads[store.param('bn.bias').name]!),
    };
    if (c.residual) out.dresidual = await read(grads[r.name]!);
    tf.dispose([y!, x, r, w, ...Object.values(grads)]);
    store.dispose();
    return out;
  };
  return agree(fusedCaseName(c), measure, () => fusedKernels === 2);
}

/** Two SGD steps (different learning rates, so momentum carries over) on a convolution kernel and a BatchNorm γ. */
export async function compareSgd(c: SgdCase): Promise<FusionAgreement> {
  let dispatchedInPlace = false;
  const measure = async (fused: boolean) => {
    const store = new ParameterStore();
    store.addParam('conv.weight', 'conv-kernel', random([3, 3, 4, 8], 11));
    store.addParam('bn.weight', 'bn-gamma', random([6], 12));
    const sgd = new Sgd(store, c.optimizer);
    const identity = new Map([...store.params].map(([n, p]) => [n, p.dataId]));
    for (const [step, lr] of [0.1, 0.05].entries()) {
      const grads = new Map([...store.params].map(([n, p], i) => [n, random(p.shape, 20 + 2 * step + i)]));
      sgd.apply(grads, lr);
      tf.dispose([...grads.values()]);
    }
    // In place: the variables keep their buffers.
    if (fused) dispatchedInPlace = [...store.params].every(([n, p]) => p.dataId === identity.get(n));
    const out: Record<string, Float32Array> = {};
    for (const [n, p] of store.params) out[n] = (await p.data()) as Float32Array;
    for (const [n, m] of sgd.buffers) out[`momentum ${n}`] = (await m.data()) as Float32Array;
    sgd.dispose();
    store.dispose();
    return out;
  };
  return agree(`SGD ${c.name}`, measure, () => dispatchedInPlace);
}

export const FUSED_BATCH_NORM_CASES: FusedBatchNormCase[] = [
  { x: [2, 5, 5, 8], relu: true, residual: true },
  { x: [3, 4, 4, 6], relu: true, residual: false },
  { x: [2, 3, 3, 4], relu: false, residual: false },
  { x: [4, 7, 7, 12], relu: false, residual: true },
  { x: [1, 2, 2, 3], relu: true, residual: true },
];

export const SGD_CASES: SgdCase[] = [
  { name: 'momentum, weight decay on kernels only', optimizer: { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 5e-2, decayNormAndBias: false } },
  { name: 'nesterov, weight decay on all', optimizer: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-2, decayNormAndBias: true } },
  { name: 'plain, weight decay', optimizer: { lr: 0.1, momentum: 0, nesterov: false, weightDecay: 1e-2, decayNormAndBias: true } },
  { name: 'momentum, no weight decay', optimizer: { lr: 0.1, momentum: 0.5, nesterov: false, weightDecay: 0, decayNormAndBias: true } },
];

export async function compareFusions(): Promise<FusionAgreement[]> {
  const results: FusionAgreement[] = [];
  for (const c of FUSED_BATCH_NORM_CASES) results.push(await compareBatchNorm(c));
  for (const c of SGD_CASES) results.push(await compareSgd(c));
  return results;
}
