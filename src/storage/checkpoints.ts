/**
 * Training checkpoints in IndexedDB, one per run (the latest saved), and the
 * results and trained models of finished runs. Checkpoints are written
 * in one transaction with their list entry, so a checkpoint is there whole or
 * not at all, and a failed save leaves the previous one as it was. A run's
 * result and trained model are likewise written, and deleted, together.
 */
import type { RunResult } from '../study/results';
import type { Checkpoint, SavedTensor } from '../training/checkpoint';
import { openClasswiseDb, writeTransaction, type CheckpointInfo, type ClasswiseDb, type ModelInput, type TrainedModelRecord } from './db';
import { isQuotaExceeded, StorageFullError } from './errors';
import { storageStatus } from './status';

export type { CheckpointInfo, ModelInput, TrainedModelRecord } from './db';

export interface CheckpointStoreOptions {
  /**
   * Test hook: called inside the save transaction after the checkpoint is
   * written and before it commits. Throwing aborts the save. Must be
   * synchronous (awaiting would let the transaction commit).
   */
  beforeCommit?: (checkpoint: Checkpoint) => void;
}

/** Approximate bytes a checkpoint occupies: its tensors plus the JSON size of everything else. */
export function checkpointBytes(checkpoint: Checkpoint): number {
  const tensorBytes = checkpoint.tensors.reduce((n, t) => n + t.data.byteLength, 0);
  let rest = 0;
  try {
    rest = JSON.stringify({ ...checkpoint, tensors: checkpoint.tensors.map(({ name, shape }) => ({ name, shape })) }).length;
  } catch {
    // Not JSON-able (the save will fail on cloning and say why); count the tensors alone.
  }
  return tensorBytes + rest;
}

/** Every tensor owning exactly its data, so a view into a larger buffer does not store the whole buffer. */
function compact(tensors: SavedTensor[]): SavedTensor[] {
  return tensors.map((t) => (t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength ? t : { ...t, data: t.data.slice() }));
}

function compactTensors(checkpoint: Checkpoint): Checkpoint {
  return { ...checkpoint, tensors: compact(checkpoint.tensors) };
}

export class CheckpointStore {
  constructor(
    readonly db: ClasswiseDb,
    private readonly options: CheckpointStoreOptions = {},
  ) {}

  static async open(name?: string, options?: CheckpointStoreOptions): Promise<CheckpointStore> {
    return new CheckpointStore(await openClasswiseDb(name), options);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Saves the checkpoint as its run's only one, replacing the previous, in
   * one transaction. On any failure — a full quota (StorageFullError), a value
   * that cannot be stored (DataCloneError) — nothing changes.
   */
  async save(checkpoint: Checkpoint): Promise<CheckpointInfo> {
    const record = compactTensors(checkpoint);
    const info: CheckpointInfo = {
      runKey: record.runKey,
      step: record.step,
      epoch: record.epoch,
      savedAt: record.savedAt,
      bytes: checkpointBytes(record),
    };
    try {
      await writeTransaction(this.db, ['checkpoints', 'checkpointInfo'], async (tx) => {
        await tx.objectStore('checkpoints').put(record);
        await tx.objectStore('checkpointInfo').put(info);
        this.options.beforeCommit?.(record);
      });
    } catch (error) {
      if (!isQuotaExceeded(error)) throw error;
      throw new StorageFullError(`the checkpoint of run ${record.runKey} at step ${record.step}`, info.bytes, await storageStatus(), { cause: error });
    }
    return info;
  }

  async load(runKey: string): Promise<Checkpoint | undefined> {
    return this.db.get('checkpoints', runKey);
  }

  /** True when there was a checkpoint to delete. */
  async delete(runKey: string): Promise<boolean> {
    return writeTransaction(this.db, ['checkpoints', 'checkpointInfo'], async (tx) => {
      const existed = (await tx.objectStore('checkpointInfo').count(runKey)) > 0;
      await tx.objectStore('checkpoints').delete(runKey);
      await tx.objectStore('checkpointInfo').delete(runKey);
      return existed;
    });
  }

  /**
   * Ends a run: its result and trained model (`weights`: parameters and
   * BatchNorm statistics; `input`: what exporting it needs of its dataset)
   * are stored and its checkpoint dropped in one transaction, so at any
   * moment the run has its checkpoint or both of the others. On any failure
   * — a full quota (StorageFullError) — nothing changes and the checkpoint
   * stays to resume from. A model stored without `input` exports only while
   * its dataset is cached.
   */
  async complete(runKey: string, result: RunResult, weights: SavedTensor[], input?: ModelInput): Promise<void> {
    const savedAt = new Date().toISOString();
    const model: TrainedModelRecord = { runKey, tensors: compact(weights), ...(input && { input }), savedAt };
    try {
      await writeTransaction(this.db, ['runResults', 'trainedModels', 'checkpoints', 'checkpointInfo'], async (tx) => {
        await tx.objectStore('runResults').put({ runKey, result, savedAt });
        await tx.objectStore('trainedModels').put(model);
        await tx.objectStore('checkpoints').delete(runKey);
        await tx.objectStore('checkpointInfo').delete(runKey);
      });
    } catch (error) {
      if (!isQuotaExceeded(error)) throw error;
      const bytes = JSON.stringify(result).length + model.tensors.reduce((n, t) => n + t.data.byteLength, 0);
      throw new StorageFullError(`the result and trained model of run ${runKey}`, bytes, await storageStatus(), { cause: error });
    }
  }

  /** The stored result of a finished run, if any. */
  async result(runKey: string): Promise<RunResult | undefined> {
    return (await this.db.get('runResults', runKey))?.result;
  }

  /**
   * The trained model of a finished run, if kept: runs that finished before
   * the database kept models (schema v3) have a result and no model.
   */
  async trainedModel(runKey: string): Promise<TrainedModelRecord | undefined> {
    return this.db.get('trainedModels', runKey);
  }

  /**
   * Forgets a finished run: its result and trained model go together, so
   * neither is left without the other. True when there was a result. (A
   * checkpoint never has a model beside it: `complete` replaces the one with
   * the other, so `delete` has no model to remove.)
   */
  async deleteResult(runKey: string): Promise<boolean> {
    return writeTransaction(this.db, ['runResults', 'trainedModels'], async (tx) => {
      const existed = (await tx.objectStore('runResults').count(runKey)) > 0;
      await tx.objectStore('runResults').delete(runKey);
      await tx.objectStore('trainedModels').delete(runKey);
      return existed;
    });
  }

  /** Every saved checkpoint, newest first, without reading any weights. */
  async list(): Promise<CheckpointInfo[]> {
    const infos = await this.db.getAll('checkpointInfo');
    return infos.sort((a, b) => (a.savedAt < b.savedAt ? 1 : a.savedAt > b.savedAt ? -1 : 0));
  }
}
