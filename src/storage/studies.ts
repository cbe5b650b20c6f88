/**
 * The workbench's past studies in IndexedDB: one record per design run here
 * (see StudyRecord), listed newest first. A study's results are its runs'
 * stored results (runResults), read back by run key; deleting a study deletes
 * the results, trained models and checkpoints of its runs that no other stored
 * study shares.
 */
import type { RunResult } from '../study/results';
import { openClasswiseDb, writeTransaction, type ClasswiseDb, type StudyRecord } from './db';

export type { StudyRecord } from './db';

/** Where past studies are kept: IndexedDB in the page (StudyLibrary), memory in tests. */
export interface StudyArchive {
  /** Every study, most recently updated first. */
  list(): Promise<StudyRecord[]>;
  get(id: string): Promise<StudyRecord | undefined>;
  put(record: StudyRecord): Promise<void>;
  /** Removes the study, and the stored runs of it that no other study lists. */
  delete(id: string): Promise<void>;
  /** The stored results of these runs (null where a run has none), unchecked: the caller validates them. */
  results(runKeys: readonly string[]): Promise<(RunResult | null)[]>;
}

export class StudyLibrary implements StudyArchive {
  constructor(private readonly dbName?: string) {}

  private async use<T>(body: (db: ClasswiseDb) => Promise<T>): Promise<T> {
    const db = await openClasswiseDb(this.dbName);
    try {
      return await body(db);
    } finally {
      db.close();
    }
  }

  list(): Promise<StudyRecord[]> {
    return this.use(async (db) => (await db.getAll('studies')).sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0)));
  }

  get(id: string): Promise<StudyRecord | undefined> {
    return this.use((db) => db.get('studies', id));
  }

  put(record: StudyRecord): Promise<void> {
    return this.use((db) => writeTransaction(db, ['studies'], async (tx) => void (await tx.objectStore('studies').put(record))));
  }

  delete(id: string): Promise<void> {
    return this.use((db) =>
      writeTransaction(db, ['studies', 'runResults', 'trainedModels', 'checkpoints', 'checkpointInfo'], async (tx) => {
        const studies = tx.objectStore('studies');
        const record = await studies.get(id);
        if (!record) return;
        await studies.delete(id);
        const kept = new Set((await studies.getAll()).flatMap((other) => other.runKeys));
        for (const key of record.runKeys) {
          if (kept.has(key)) continue;
          await tx.objectStore('runResults').delete(key);
          await tx.objectStore('trainedModels').delete(key);
          await tx.objectStore('checkpoints').delete(key);
          await tx.objectStore('checkpointInfo').delete(key);
        }
      }),
    );
  }

  results(runKeys: readonly string[]): Promise<(RunResult | null)[]> {
    return this.use(async (db) => {
      const tx = db.transaction('runResults');
      const records = await Promise.all(runKeys.map((key) => tx.store.get(key)));
      return records.map((record) => record?.result ?? null);
    });
  }
}
