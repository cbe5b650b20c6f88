/**
 * A checkpoint: everything a run needs to continue exactly where it stopped —
 * weights, BatchNorm statistics, momentum buffers, generator states, the
 * position in the epoch, and what the run has recorded so far. Stored whole
 * or not at all (one IndexedDB transaction), and refused when its config hash
 * or schema does not match the run that asks for it.
 */
import type { Evaluation, HistoryEntry } from '../study/results';

export const CHECKPOINT_SCHEMA = 'classwise.checkpoint/1';

export interface SavedTensor {
  /** `param:conv1.weight`, `buffer:bn1.running_mean`, `momentum:conv1.weight`. */
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface Checkpoint {
  schema: typeof CHECKPOINT_SCHEMA;
  /** The run it belongs to: `${configHash}:${seed}`. */
  runKey: string;
  configHash: string;
  seed: number;
  /** Steps completed; the run continues with step `step`. */
  step: number;
  epoch: number;
  /** Generator states: shuffle as it was before this epoch's permutation was drawn; augment as it is now. */
  rng: { shuffle: number[]; augment: number[] };
  tensors: SavedTensor[];
  history: HistoryEntry[];
  evaluations: Evaluation[];
  savedAt: string;
}

export function runKey(configHash: string, seed: number): string {
  return `${configHash}:${seed}`;
}

export class CheckpointMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointMismatch';
  }
}

/** Throws CheckpointMismatch unless `checkpoint` was saved by this very run (config and seed) in this format. */
export function checkCheckpoint(checkpoint: Checkpoint, configHash: string, seed: number): void {
  if (checkpoint.schema !== CHECKPOINT_SCHEMA) {
    throw new CheckpointMismatch(`the checkpoint has schema "${String(checkpoint.schema)}", this version reads "${CHECKPOINT_SCHEMA}"`);
  }
  if (checkpoint.configHash !== configHash) {
    throw new CheckpointMismatch(`the checkpoint was saved by another config (hash ${checkpoint.configHash.slice(0, 12)}…, this run is ${configHash.slice(0, 12)}…)`);
  }
  if (checkpoint.seed !== seed) throw new CheckpointMismatch(`the checkpoint was saved with seed ${checkpoint.seed}, this run uses seed ${seed}`);
}
