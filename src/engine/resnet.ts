/**
 * A ResNet instantiated from its pure architecture description: parameters
 * initialised as torchvision does, and the forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { parameterSpecs, type ArchitectureSpec, type BlockSpec, type ParameterSpec } from '../model/architecture';
import type { Rng } from '../util/rng';
import { addBatchNorm, batchNorm, conv2d, dense, ParameterStore, type ForwardMode } from './layers';

export interface ResNet {
  spec: ArchitectureSpec;
  store: ParameterStore;
  forward(x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D;
  dispose(): void;
}

export function createResNet(spec: ArchitectureSpec, rng: Rng): ResNet {
  const store = new ParameterStore();
  for (const p of parameterSpecs(spec)) {
    if (p.role === 'bn-gamma') {
      addBatchNorm(store, { name: p.name.replace(/\.weight$/, ''), channels: p.shape[0]! });
    } else if (p.role !== 'bn-beta') {
      store.addParam(p.name, p.role, tf.tensor(initialValues(p, rng), p.shape));
    }
  }
  return {
    spec,
    store,
    forward: (x, mode) => forward(spec, store, x, mode),
    dispose: () => store.dispose(),
  };
}

/**
 * torchvision's ResNet init: kaiming-normal (fan_out, ReLU gain) convolutions;
 * nn.Linear's default U(±1/√fan_in) for the classifier. Drawn from the run's
 * own generator so a seed fixes the whole network.
 */
function initialValues(p: ParameterSpec, rng: Rng): Float32Array {
  const size = p.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  if (p.role === 'conv-kernel') {
    const std = Math.sqrt(2 / p.fanOut);
    for (let i = 0; i < size; i++) values[i] = std * rng.normal();
  } else {
    const bound = 1 / Math.sqrt(p.fanIn);
    for (let i = 0; i < size; i++) values[i] = rng.uniform(-bound, bound);
  }
  return values;
}

function forward(spec: ArchitectureSpec, store: ParameterStore, x: tf.Tensor4D, mode: ForwardMode): tf.Tensor2D {
  return tf.tidy(() => {
    let h = batchNorm(store, spec.stem.bn, conv2d(store, spec.stem.conv, x), mode, { relu: true });
    if (spec.stem.maxPool) h = tf.maxPool(h, 3, 2, 1);
    for (const block of spec.blocks) h = residualBlock(store, block, h, mode);
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    return dense(store, spec.fc.name, pooled);
  });
}

/** Basic and bottleneck blocks alike: conv-BN-ReLU layers, the last one adding the shortcut before its ReLU. */
function residualBlock(store: ParameterStore, block: BlockSpec, x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
  const last = block.layers.length - 1;
  let h = x;
  for (const [i, { conv, bn }] of block.layers.entries()) {
    h = batchNorm(store, bn, conv2d(store, conv, h), mode, i < last ? { relu: true } : { relu: true, residual: shortcut(store, block, x, mode) });
  }
  return h;
}

function shortcut(store: ParameterStore, block: BlockSpec, x: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
  const s = block.shortcut;
  switch (s.kind) {
    case 'identity':
      return x;
    case 'projection':
      return batchNorm(store, s.bn, conv2d(store, s.conv, x), mode);
    case 'zero-pad': {
      // He et al.'s option A: a 1×1 pool of stride s keeps every s-th pixel,
      // and the new channels are zeros split around the old ones.
      const subsampled = s.stride > 1 ? tf.avgPool(x, 1, s.stride, 'valid') : x;
      const before = Math.floor(s.extraChannels / 2);
      return tf.pad(subsampled, [[0, 0], [0, 0], [0, 0], [before, s.extraChannels - before]]) as tf.Tensor4D;
    }
  }
}
