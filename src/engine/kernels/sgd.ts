/**
 * torch.optim.SGD's update (dampening 0) as one dispatch per parameter, in
 * place: weight decay added to the gradient, the momentum buffer updated,
 * nesterov's look-ahead, and the step, with the hyper-parameters in the
 * dispatch's uniforms. The composite ops take six kernels per parameter and
 * upload three scalar tensors, and allocate a new parameter and momentum
 * tensor every step.
 */
import type * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { flatWorkgroups, runRaw, type RawProgram } from './raw';

const FLAT = 64;

export interface SgdHyper {
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

export interface SgdSlot {
  param: tf.TensorInfo;
  /** The momentum buffer; absent for plain SGD. */
  momentum?: tf.TensorInfo;
  grad: tf.TensorInfo;
  decayed: boolean;
}

function program(withMomentum: boolean, decayed: boolean): RawProgram {
  return {
    key: `classwiseSgd_${withMomentum}_${decayed}`,
    name: 'SgdUpdate',
    bindings: [
      { name: 'p', access: 'read_write', type: 'f32' },
      ...(withMomentum ? [{ name: 'm', access: 'read_write' as const, type: 'f32' }] : []),
      { name: 'g', access: 'read', type: 'f32' },
    ],
    uniforms: 'size : i32, lr : f32, momentum : f32, weightDecay : f32, nesterov : i32,',
    code: `
      @compute @workgroup_size(${FLAT})
      fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
        for (var i = i32(gid.x); i < u.size; i += i32(groups.x) * ${FLAT}) {
          var d = g[i];
          ${decayed ? 'd += u.weightDecay * p[i];' : ''}
          ${
            withMomentum
              ? `let b = u.momentum * m[i] + d;
          m[i] = b;
          d = select(b, d + u.momentum * b, u.nesterov != 0);`
              : ''
          }
          p[i] = p[i] - u.lr * d;
        }
      }`,
  };
}

/** One SGD step over every slot, in place. */
export function sgdUpdate(backend: WebGPUBackend, slots: SgdSlot[], hyper: SgdHyper): void {
  for (const slot of slots) {
    const size = slot.param.shape.reduce((a, b) => a * b, 1);
    const decayed = slot.decayed && hyper.weightDecay > 0;
    runRaw(backend, program(slot.momentum !== undefined, decayed), [slot.param, ...(slot.momentum ? [slot.momentum] : []), slot.grad], [
      { type: 'int32', data: [size] },
      { type: 'float32', data: [hyper.lr] },
      { type: 'float32', data: [hyper.momentum] },
      { type: 'float32', data: [hyper.weightDecay] },
      { type: 'int32', data: [hyper.nesterov ? 1 : 0] },
    ], [flatWorkgroups(size, FLAT)]);
  }
}
