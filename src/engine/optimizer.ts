/**
 * SGD with torch.optim.SGD's semantics (dampening 0): weight decay is added to
 * the gradient before momentum (coupled L2), and nesterov looks ahead along
 * the momentum buffer. Reproduced to 1e-4 against PyTorch in the tests.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../study/config';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { fusionsOn } from './kernels';
import { exclusive } from './kernels/raw';
import { sgdUpdate } from './kernels/sgd';
import { ownedVariable, type ParameterStore } from './layers';

export class Sgd {
  /** Momentum buffers by parameter name; they start at zero, as torch's first step implies. */
  readonly buffers = new Map<string, tf.Variable>();

  constructor(
    private readonly store: ParameterStore,
    private readonly config: OptimizerConfig,
  ) {
    if (config.momentum > 0) {
      for (const [name, p] of store.params) this.buffers.set(name, ownedVariable(tf.zerosLike(p), false));
    }
  }

  isDecayed(name: string): boolean {
    const role = this.store.roles.get(name);
    return this.config.decayNormAndBias || role === 'conv-kernel' || role === 'fc-kernel';
  }

  /**
   * `grads` are keyed by parameter name. On WebGPU with the fusions on, one
   * dispatch per parameter updates it and its momentum in place; elsewhere,
   * the same arithmetic in composite ops.
   */
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    const { momentum, nesterov, weightDecay } = this.config;
    const gradOf = (name: string) => {
      const g = grads.get(name);
      if (!g) throw new Error(`no gradient for ${name}`);
      return g;
    };
    if (fusionsOn()) {
      for (const v of [...this.store.params.values(), ...this.buffers.values()]) exclusive(v);
      const slots = [...this.store.params].map(([name, p]) => ({ param: p, momentum: this.buffers.get(name), grad: gradOf(name), decayed: this.isDecayed(name) }));
      sgdUpdate(tf.backend() as WebGPUBackend, slots, { lr, momentum, nesterov, weightDecay });
      return;
    }
    tf.tidy(() => {
      for (const [name, p] of this.store.params) {
        let g = gradOf(name);
        if (weightDecay > 0 && this.isDecayed(name)) g = tf.add(g, tf.mul(p, weightDecay));
        const buffer = this.buffers.get(name);
        if (buffer) {
          buffer.assign(tf.add(tf.mul(buffer, momentum), g));
          g = nesterov ? tf.add(g, tf.mul(buffer, momentum)) : buffer;
        }
        p.assign(tf.sub(p, tf.mul(g, lr)));
      }
    });
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}

/**
 * One optimisation step: forward in training mode, mean cross-entropy,
 * gradients of every parameter, SGD update. Returns the loss, still on the
 * GPU: the caller reads losses back in groups.
 */
export function trainStep(
  store: ParameterStore,
  sgd: Sgd,
  loss: () => tf.Scalar,
  lr: number,
): tf.Scalar {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(loss, [...store.params.values()]);
    const byName = new Map(Object.entries(grads).map(([variableName, g]) => [store.nameOf(variableName), g]));
    sgd.apply(byName, lr);
    return value;
  });
}
