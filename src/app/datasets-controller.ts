/**
 * The dataset cache as the Datasets panel shows it: what it holds (listed by
 * the worker), this origin's storage figures and persistence (the Storage API
 * on the main thread), imports with their progress, and deletes.
 */
import { proxy } from 'comlink';
import type { ArchiveSource, EngineApi, ImageFolderFile, ImageFolderOptions, ImportedDataset, ImportProgress } from '../../workers/api';
import type { Remote } from 'comlink';
import { requestPersistence, storageStatus } from '../storage/status';
import { messageOf } from '../util/errors';
import { isActive } from './state';
import type { EngineRef, Store } from './store';

export class DatasetsController {
  /** Persistence is asked for automatically at most once, after the first import or download. */
  private autoPersistAsked = false;
  /** Ids of the complete datasets at the last listing, to notice a download a study made. */
  private knownComplete: Set<string> | null = null;

  constructor(
    private readonly store: Store,
    private readonly engine: EngineRef,
    /** Told after a dataset is deleted, so a study that trained on it can step back. */
    private readonly onDeleted: (id: string) => void,
  ) {}

  get canImport(): boolean {
    return this.engine() !== null && this.store.state.datasets.importing === null && !isActive(this.store.state.phase);
  }

  /** Reads usage, quota and persistence again (main thread: the Storage API as the page sees it). */
  async refreshStorage(): Promise<void> {
    const storage = await storageStatus();
    this.store.patch('datasets', { storage });
  }

  /**
   * Lists the cached datasets (and reads the storage figures again). After a
   * study, a complete dataset that was not there before is a download: the
   * first one asks for persistent storage.
   */
  async refreshDatasets(options: { afterRun?: boolean } = {}): Promise<void> {
    const refreshed = this.refreshStorage();
    const engine = this.engine();
    if (!engine) return refreshed;
    try {
      const list = await engine.listDatasets();
      const complete = new Set(list.filter((d) => d.complete).map((d) => d.id));
      const downloaded = options.afterRun && this.knownComplete !== null && [...complete].some((id) => !this.knownComplete!.has(id));
      this.knownComplete = complete;
      this.store.patch('datasets', { list, listError: null });
      if (downloaded) await this.askPersistenceOnce();
    } catch (error) {
      this.store.patch('datasets', { listError: `The cached datasets could not be listed: ${messageOf(error)}` });
    }
    await refreshed;
  }

  /** Asks the browser to keep this origin's data; the answer is shown. */
  async keepPersistent(): Promise<void> {
    await this.persist(false);
  }

  /** A CIFAR-10/100 binary archive, picked or at a URL, into the cache. */
  async importArchive(source: ArchiveSource, labels: 'fine' | 'coarse' = 'fine'): Promise<void> {
    const what = 'url' in source ? source.url : source.name;
    await this.runImport(what, (engine, onProgress) => engine.importArchive(source, { labels }, onProgress));
  }

  /** An image folder (paths relative to the folder, one sub-folder per class, or train/ and test/). */
  async importImageFolder(files: ImageFolderFile[], options: ImageFolderOptions): Promise<void> {
    await this.runImport(options.name, (engine, onProgress) => engine.importImageFolder(files, options, onProgress));
  }

  /** Removes a dataset from the cache, then lists again. Not while a study runs (it may be reading it). */
  async deleteDataset(id: string): Promise<void> {
    const { datasets, phase } = this.store.state;
    const engine = this.engine();
    if (!engine || isActive(phase) || datasets.importing || datasets.deleting.includes(id)) return;
    this.store.patch('datasets', { deleting: [...datasets.deleting, id], listError: null });
    try {
      await engine.deleteDataset(id);
      if (this.store.state.datasets.imported?.config.url === id) this.store.patch('datasets', { imported: null });
      this.onDeleted(id);
    } catch (error) {
      this.store.patch('datasets', { listError: `The dataset could not be deleted: ${messageOf(error)}` });
    } finally {
      this.store.patch('datasets', { deleting: this.store.state.datasets.deleting.filter((d) => d !== id) });
      this.knownComplete?.delete(id);
      await this.refreshDatasets();
    }
  }

  private async runImport(
    what: string,
    start: (engine: Remote<EngineApi>, onProgress: (progress: ImportProgress) => void) => Promise<ImportedDataset>,
  ): Promise<void> {
    const engine = this.engine();
    if (!this.canImport || !engine) return;
    this.store.patch('datasets', { importing: { what, progress: null }, importError: null });
    const onProgress = proxy((progress: ImportProgress) => {
      if (this.store.state.datasets.importing?.what === what) this.store.patch('datasets', { importing: { what, progress } });
    });
    try {
      const imported = await start(engine, onProgress);
      this.store.patch('datasets', { importing: null, imported });
      await this.refreshDatasets();
      await this.askPersistenceOnce();
    } catch (error) {
      this.store.patch('datasets', { importing: null, importError: messageOf(error) });
      await this.refreshDatasets();
    }
  }

  private async askPersistenceOnce(): Promise<void> {
    if (this.autoPersistAsked) return;
    this.autoPersistAsked = true;
    if (this.store.state.datasets.storage?.persisted) return;
    await this.persist(true);
  }

  private async persist(automatic: boolean): Promise<void> {
    const granted = await requestPersistence();
    this.store.patch('datasets', { persistRequest: { granted, automatic } });
    await this.refreshStorage();
  }
}
