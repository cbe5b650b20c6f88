/**
 * Moving a run's state between the GPU and a Checkpoint: parameters,
 * BatchNorm running statistics and momentum buffers, by name.
 */
import * as tf from '@tensorflow/tfjs';
import type { SavedTensor } from '../training/checkpoint';
import type { ParameterStore } from './layers';
import type { Sgd } from './optimizer';

function modelVariables(store: ParameterStore): [string, tf.Variable][] {
  return [
    ...[...store.params].map(([name, v]) => [`param:${name}`, v] as [string, tf.Variable]),
    ...[...store.buffers].map(([name, v]) => [`buffer:${name}`, v] as [string, tf.Variable]),
  ];
}

function namedVariables(store: ParameterStore, sgd: Sgd): [string, tf.Variable][] {
  return [...modelVariables(store), ...[...sgd.buffers].map(([name, v]) => [`momentum:${name}`, v] as [string, tf.Variable])];
}

async function readBack(variables: [string, tf.Variable][]): Promise<SavedTensor[]> {
  return Promise.all(variables.map(async ([name, v]) => ({ name, shape: [...v.shape], data: (await v.data()) as Float32Array })));
}

/** Everything a run needs to go on: the model and the optimizer's momentum. */
export function saveTensors(store: ParameterStore, sgd: Sgd): Promise<SavedTensor[]> {
  return readBack(namedVariables(store, sgd));
}

/** The trained model alone: parameters and BatchNorm running statistics. */
export function saveModel(store: ParameterStore): Promise<SavedTensor[]> {
  return readBack(modelVariables(store));
}

/** Every variable must be present with its shape: a checkpoint of another architecture is refused. */
export function restoreTensors(store: ParameterStore, sgd: Sgd, saved: SavedTensor[]): void {
  restore(namedVariables(store, sgd), saved, 'checkpoint');
}

/** A trained model (parameters and BatchNorm statistics) into the network's variables, checked the same way. */
export function restoreModel(store: ParameterStore, saved: SavedTensor[]): void {
  restore(modelVariables(store), saved, 'trained model');
}

function restore(variables: [string, tf.Variable][], saved: SavedTensor[], what: string): void {
  const byName = new Map(saved.map((t) => [t.name, t]));
  for (const [name, v] of variables) {
    const t = byName.get(name);
    if (!t) throw new Error(`the ${what} has no tensor ${name}`);
    if (t.shape.join('x') !== v.shape.join('x')) throw new Error(`the ${what}'s ${name} has shape [${t.shape}], the model needs [${v.shape}]`);
  }
  if (byName.size !== variables.length) throw new Error(`the ${what} has ${byName.size} tensors, the model ${variables.length}`);
  tf.tidy(() => {
    for (const [name, v] of variables) {
      const t = byName.get(name)!;
      v.assign(tf.tensor(t.data, t.shape));
    }
  });
}
