/**
 * The building blocks of every network the engine trains: a store of named
 * parameters and BatchNorm buffers (torchvision's state_dict names), and the
 * layer functions that read them. Written as plain functions over tensors, as
 * in micrograd, so the training step can be read top to bottom.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchNormSpec, ConvSpec, ParameterRole } from '../model/architecture';
import { fusionsOn } from './kernels';
import { batchNormTrainFused } from './kernels/batch-norm';

export const BN_EPSILON = 1e-5;

export interface ForwardMode {
  training: boolean;
  /** torch's BatchNorm momentum: the weight of the new batch statistic. */
  bnMomentum: number;
}

let nextStoreId = 0;

/**
 * Owns every variable of one network. tfjs variable names are global, so each
 * store prefixes its own; `dispose` frees them all.
 */
export class ParameterStore {
  readonly params = new Map<string, tf.Variable>();
  readonly roles = new Map<string, ParameterRole>();
  /** BatchNorm running statistics: not trained, but saved and restored. */
  readonly buffers = new Map<string, tf.Variable>();
  private readonly prefix = `net${nextStoreId++}/`;

  /** Takes ownership of `initial`: the variable keeps its data, the tensor is disposed. */
  addParam(name: string, role: ParameterRole, initial: tf.Tensor): void {
    this.params.set(name, ownedVariable(initial, true, this.prefix + name));
    this.roles.set(name, role);
  }

  addBuffer(name: string, initial: tf.Tensor): void {
    this.buffers.set(name, ownedVariable(initial, false, this.prefix + name));
  }

  param(name: string): tf.Variable {
    return required(this.params, name);
  }

  buffer(name: string): tf.Variable {
    return required(this.buffers, name);
  }

  /** Variable name → parameter name, to read the gradients tfjs keys by variable. */
  nameOf(variableName: string): string {
    return variableName.slice(this.prefix.length);
  }

  dispose(): void {
    for (const v of [...this.params.values(), ...this.buffers.values()]) v.dispose();
    this.params.clear();
    this.buffers.clear();
  }
}

/**
 * tf.variable shares the initial tensor's data but leaves the tensor itself
 * alive; without this dispose every variable would leak one tensor.
 */
export function ownedVariable(initial: tf.Tensor, trainable: boolean, name?: string): tf.Variable {
  const v = tf.variable(initial, trainable, name);
  initial.dispose();
  return v;
}

function required(map: Map<string, tf.Variable>, name: string): tf.Variable {
  const v = map.get(name);
  if (!v) throw new Error(`no variable named ${name}`);
  return v;
}

/** Registers a BatchNorm's gamma, beta and running statistics (torch's initial values). */
export function addBatchNorm(store: ParameterStore, spec: BatchNormSpec): void {
  store.addParam(`${spec.name}.weight`, 'bn-gamma', tf.ones([spec.channels]));
  store.addParam(`${spec.name}.bias`, 'bn-beta', tf.zeros([spec.channels]));
  store.addBuffer(`${spec.name}.running_mean`, tf.zeros([spec.channels]));
  store.addBuffer(`${spec.name}.running_var`, tf.ones([spec.channels]));
}

export function conv2d(store: ParameterStore, spec: ConvSpec, x: tf.Tensor4D): tf.Tensor4D {
  // A numeric pad is symmetric, as torch's padding=p; 'same' would pad
  // asymmetrically under stride 2 and shift every feature map.
  return tf.conv2d(x, store.param(`${spec.name}.weight`) as tf.Tensor4D, spec.stride, spec.padding);
}

export interface BatchNormTail {
  /** Added after normalising: the shortcut, where a residual block ends. */
  residual?: tf.Tensor4D;
  /** ReLU after the normalisation (and the residual). */
  relu?: boolean;
}

/**
 * BatchNorm as torch computes it: normalise with the biased batch variance,
 * but keep the unbiased one in the running statistics used at evaluation;
 * then the residual and the ReLU that follow it in a ResNet. On WebGPU with
 * the fusions on, training mode is two kernels forward and two backward
 * (src/engine/kernels/batch-norm.ts); elsewhere, the same arithmetic in
 * composite ops.
 */
export function batchNorm(store: ParameterStore, spec: BatchNormSpec, x: tf.Tensor4D, mode: ForwardMode, tail: BatchNormTail = {}): tf.Tensor4D {
  const gamma = store.param(`${spec.name}.weight`) as tf.Tensor1D;
  const beta = store.param(`${spec.name}.bias`) as tf.Tensor1D;
  const runningMean = store.buffer(`${spec.name}.running_mean`);
  const runningVar = store.buffer(`${spec.name}.running_var`);
  if (mode.training && fusionsOn()) {
    return batchNormTrainFused(x, gamma, beta, runningMean, runningVar, { momentum: mode.bnMomentum, epsilon: BN_EPSILON, relu: tail.relu ?? false, residual: tail.residual });
  }
  let y: tf.Tensor4D;
  if (!mode.training) {
    y = tf.batchNorm(x, runningMean, runningVar, beta, gamma, BN_EPSILON) as tf.Tensor4D;
  } else {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const n = x.size / spec.channels;
    const m = mode.bnMomentum;
    // Assigning inside the gradient tape is safe: these ops do not lead to the loss.
    runningMean.assign(tf.add(tf.mul(runningMean, 1 - m), tf.mul(mean, m)));
    runningVar.assign(tf.add(tf.mul(runningVar, 1 - m), tf.mul(variance, (m * n) / Math.max(n - 1, 1))));
    y = tf.batchNorm(x, mean, variance, beta, gamma, BN_EPSILON) as tf.Tensor4D;
  }
  if (tail.residual) y = tf.add(y, tail.residual);
  return tail.relu ? tf.relu(y) : y;
}

export function dense(store: ParameterStore, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, store.param(`${name}.weight`) as tf.Tensor2D), store.param(`${name}.bias`));
}

/** Mean softmax cross-entropy over the batch; labels are class indices. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const logProbabilities = tf.logSoftmax(logits);
  const target = tf.oneHot(labels, logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(target, logProbabilities), 1))) as tf.Scalar;
}
