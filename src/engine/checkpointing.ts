/**
 * Moving a run's state between the GPU and a Checkpoint: parameters,
 * BatchNorm running statistics and momentum buffers, by name.
 */
import * as tf from '@tensorflow/tfjs';
import type { SavedTensor } from '../training/checkpoint';
import type { ParameterStore } from './layers';
import type { Sgd } from './optimizer';

function namedVariables(store: ParameterStore, sgd: Sgd): [string, tf.Variable][] {
  return [
    ...[...store.params].map(([name, v]) => [`param:${name}`, v] as [string, tf.Variable]),
    ...[...store.buffers].map(([name, v]) => [`buffer:${name}`, v] as [string, tf.Variable]),
    ...[...sgd.buffers].map(([name, v]) => [`momentum:${name}`, v] as [string, tf.Variable]),
  ];
}

export async function saveTensors(store: ParameterStore, sgd: Sgd): Promise<SavedTensor[]> {
  return Promise.all(
    namedVariables(store, sgd).map(async ([name, v]) => ({ name, shape: [...v.shape], data: (await v.data()) as Float32Array })),
  );
}

/** Every variable must be present with its shape: a checkpoint of another architecture is refused. */
export function restoreTensors(store: ParameterStore, sgd: Sgd, saved: SavedTensor[]): void {
  const byName = new Map(saved.map((t) => [t.name, t]));
  const variables = namedVariables(store, sgd);
  for (const [name, v] of variables) {
    const t = byName.get(name);
    if (!t) throw new Error(`the checkpoint has no tensor ${name}`);
    if (t.shape.join('x') !== v.shape.join('x')) throw new Error(`the checkpoint's ${name} has shape [${t.shape}], the model needs [${v.shape}]`);
  }
  if (byName.size !== variables.length) throw new Error(`the checkpoint has ${byName.size} tensors, the model ${variables.length}`);
  tf.tidy(() => {
    for (const [name, v] of variables) {
      const t = byName.get(name)!;
      v.assign(tf.tensor(t.data, t.shape));
    }
  });
}
