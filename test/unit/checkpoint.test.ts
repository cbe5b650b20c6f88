import { describe, expect, it } from 'vitest';
import { CHECKPOINT_SCHEMA, checkCheckpoint, CheckpointMismatch, runKey, type Checkpoint } from '../../src/training/checkpoint';

const hash = 'a'.repeat(64);
const checkpoint: Checkpoint = {
  schema: CHECKPOINT_SCHEMA,
  runKey: runKey(hash, 3),
  configHash: hash,
  seed: 3,
  step: 10,
  epoch: 1,
  rng: { shuffle: [1, 2, 3, 4], augment: [5, 6, 7, 8] },
  tensors: [],
  history: [],
  evaluations: [],
  savedAt: '2026-11-24T12:00:00.000Z',
};

describe('checkCheckpoint', () => {
  it('accepts the checkpoint of the same config and seed', () => {
    expect(() => checkCheckpoint(checkpoint, hash, 3)).not.toThrow();
  });

  it('refuses another config, another seed or another schema, saying which', () => {
    expect(() => checkCheckpoint(checkpoint, 'b'.repeat(64), 3)).toThrow(/saved by another config \(hash aaaaaaaaaaaa…, this run is bbbbbbbbbbbb…\)/);
    expect(() => checkCheckpoint(checkpoint, hash, 4)).toThrow(/saved with seed 3, this run uses seed 4/);
    const old = { ...checkpoint, schema: 'classwise.checkpoint/0' } as unknown as Checkpoint;
    expect(() => checkCheckpoint(old, hash, 3)).toThrow(CheckpointMismatch);
    expect(() => checkCheckpoint(old, hash, 3)).toThrow(/schema "classwise.checkpoint\/0", this version reads "classwise.checkpoint\/1"/);
  });
});
