/**
 * Datasets: how much this origin stores and whether the browser may evict it,
 * the datasets the cache holds (delete, use in a study), and imports of a
 * CIFAR-10/100 binary archive (picked or at a URL) or an image folder (picked
 * or dropped), with their progress, errors and a summary of what came in.
 * Renders the Workbench's dataset state and sends dataset intents, nothing more.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { DatasetsState, ImportView, SelectedStudy } from '../app/state';
import type { CachedDataset, ImageFolderFile, ImportedDataset } from '../../workers/api';
import type { StorageStatus } from '../storage/status';
import { sendIntent } from './intents';
import { percent } from './format';
import { panelStyles } from './styles';
import { formatBytes } from '../util/units';

const ARCHIVE_EXTENSIONS = ['.tar.gz', '.tgz', '.tar'];
const DEFAULT_SIZE = 32;
const DEFAULT_TEST_FRACTION = 0.2;

const STAGE_TEXT: Record<NonNullable<ImportView['progress']>['stage'], string> = {
  reading: 'Reading',
  decoding: 'Decoding',
  sharding: 'Writing shards',
  storing: 'Storing',
};

/** A timestamp as local "YYYY-MM-DD HH:MM", the same in every locale. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}`;
}

function isArchiveName(name: string): boolean {
  const lower = name.toLowerCase();
  return ARCHIVE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** A folder the user picked or dropped, waiting for its import. */
interface PendingFolder {
  /** The top folder's name ('' when loose folders were dropped). */
  name: string;
  files: ImageFolderFile[];
  bytes: number;
}

/** All entries of a dropped directory (readEntries answers in batches until it answers none). */
async function readAllEntries(directory: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = directory.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

/** The files under a dropped entry, with paths relative to the dropped folder (`prefix` + their path below it). */
async function collectFiles(entry: FileSystemEntry, prefix: string, out: ImageFolderFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path: prefix + entry.name, file });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) {
      await collectFiles(child, `${prefix}${entry.name}/`, out);
    }
  }
}

@customElement('cw-dataset-panel')
export class DatasetPanel extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .storage {
        display: grid;
        gap: 0.3rem;
      }
      .storage .line {
        display: flex;
        align-items: center;
        flex-wrap: wrap;
        gap: 0.6rem;
        margin: 0;
      }
      .dot {
        width: 0.6rem;
        height: 0.6rem;
        border-radius: 50%;
        background: #d89b00;
        flex: none;
      }
      .dot.ok {
        background: #1f9d55;
      }
      meter {
        width: 10rem;
        height: 0.7rem;
      }
      table {
        width: 100%;
      }
      th,
      td {
        text-align: left;
        vertical-align: middle;
      }
      td.num,
      th.num {
        text-align: right;
      }
      td.name {
        white-space: normal;
      }
      .id {
        display: block;
        font-size: 0.75rem;
        color: var(--cw-muted, #5b6578);
        word-break: break-all;
      }
      td.actions {
        text-align: right;
      }
      td.actions button {
        padding: 0.2rem 0.6rem;
        font-size: 0.85rem;
      }
      td.actions button + button {
        margin-left: 0.3rem;
      }
      button.danger:not(:disabled) {
        border-color: #c62828;
        color: #c62828;
      }
      .tag.incomplete {
        background: #fff3d6;
        color: #6b4e00;
      }
      .tag.complete {
        background: #e3f4e8;
        color: #1b6b3a;
      }
      .imports {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr));
        gap: 1rem;
      }
      fieldset {
        border: 1px solid var(--cw-border, #d9dee7);
        border-radius: 6px;
        padding: 0.6rem 0.9rem 0.8rem;
        margin: 0;
        min-width: 0;
      }
      legend {
        font-weight: 600;
        font-size: 0.95rem;
        padding: 0 0.3rem;
      }
      .field {
        display: grid;
        gap: 0.25rem;
        margin-bottom: 0.6rem;
      }
      .field > label,
      .field > .label {
        font-weight: 600;
        font-size: 0.9rem;
      }
      .row {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        flex-wrap: wrap;
      }
      .row > input[type='url'] {
        flex: 1;
        min-width: 10rem;
      }
      .options {
        display: flex;
        gap: 1rem;
        flex-wrap: wrap;
      }
      .options .field {
        flex: 1;
        min-width: 7rem;
      }
      input[type='file'] {
        font: inherit;
        max-width: 100%;
      }
      input[type='url'],
      input[type='text'],
      input[type='number'] {
        font: inherit;
        padding: 0.3rem 0.4rem;
        border-radius: 6px;
        border: 1px solid var(--cw-border, #d9dee7);
        min-width: 0;
      }
      input[aria-invalid='true'] {
        border-color: #c62828;
      }
      .radios {
        display: flex;
        gap: 1rem;
        font-size: 0.9rem;
      }
      .drop {
        border: 2px dashed var(--cw-border, #d9dee7);
        border-radius: 8px;
        padding: 0.8rem;
        text-align: center;
        margin-bottom: 0.6rem;
        transition: background 0.1s;
      }
      .drop.over {
        border-color: var(--cw-accent, #2458d6);
        background: #eef3fd;
      }
      .drop p {
        margin: 0 0 0.4rem;
      }
      .progress {
        display: flex;
        align-items: center;
        gap: 0.6rem;
        margin: 0.6rem 0;
      }
      .progress progress {
        flex: 1;
        height: 0.8rem;
      }
      .summary {
        border: 1px solid #b9d8c3;
        background: #f1faf4;
        border-radius: 6px;
        padding: 0.6rem 0.8rem;
        margin: 0.6rem 0;
      }
      .summary dl {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(8rem, 1fr));
        gap: 0.4rem 1rem;
        margin: 0.5rem 0;
      }
      .summary dt {
        font-size: 0.75rem;
        color: var(--cw-muted, #5b6578);
      }
      .summary dd {
        margin: 0;
        font-variant-numeric: tabular-nums;
        font-weight: 600;
      }
      .classes {
        font-size: 0.85rem;
        color: var(--cw-muted, #5b6578);
      }
    `,
  ];

  @property({ attribute: false }) datasets!: DatasetsState;
  @property({ attribute: false }) study: SelectedStudy | null = null;
  /** A study is running: nothing that changes the cache or the study. */
  @property({ type: Boolean }) locked = false;
  /** The worker can take an import now. */
  @property({ type: Boolean }) canImport = false;

  @state() private archive: File | null = null;
  @state() private url = '';
  @state() private labels: 'fine' | 'coarse' = 'fine';
  @state() private folder: PendingFolder | null = null;
  @state() private folderName = '';
  @state() private size = String(DEFAULT_SIZE);
  @state() private testFraction = String(DEFAULT_TEST_FRACTION);
  @state() private dragging = false;
  @state() private dropError: string | null = null;

  override render() {
    const d = this.datasets;
    if (!d) return nothing;
    return html`<section aria-labelledby="datasets-heading" data-testid="dataset-panel">
      <header>
        <h2 id="datasets-heading">Datasets</h2>
        <button data-testid="refresh-datasets" aria-label="Refresh the dataset list and storage figures" @click=${() => sendIntent(this, { kind: 'refresh-datasets' })}>
          Refresh
        </button>
      </header>
      ${this.renderStorage(d.storage, d.persistRequest)}
      <h3>Cached datasets</h3>
      ${d.listError ? html`<div class="alert error" role="alert" data-testid="dataset-list-error">${d.listError}</div>` : nothing}
      ${this.renderList(d.list, d.deleting)}
      <h3>Import</h3>
      ${this.renderImportStatus(d)}
      <div class="imports">${this.renderArchiveImport()} ${this.renderFolderImport()}</div>
    </section>`;
  }

  private renderStorage(storage: StorageStatus | null, request: DatasetsState['persistRequest']) {
    if (!storage) return html`<div class="storage"><p class="muted" data-testid="storage-usage">Reading storage figures…</p></div>`;
    const { usage, quota, persisted } = storage;
    const usageText =
      usage !== null && quota !== null
        ? `${formatBytes(usage)} of ${formatBytes(quota)}`
        : usage !== null
          ? `${formatBytes(usage)} (the browser does not say how much it allows)`
          : 'The browser does not say how much is stored.';
    return html`<div class="storage" data-testid="storage">
      <p class="line">
        <strong>Storage:</strong>
        <span data-testid="storage-usage">${usageText}</span>
        ${usage !== null && quota
          ? html`<meter aria-label="Share of the storage quota in use" min="0" max=${quota} value=${usage}></meter>
              <span class="muted">${percent(usage / quota, 2)} used</span>`
          : nothing}
      </p>
      <p class="line">
        <span class="dot ${persisted ? 'ok' : ''}"></span>
        <span data-testid="storage-persistence"
          >${persisted
            ? 'Persistent: the browser keeps these datasets and checkpoints when the disk runs low.'
            : 'Not persistent: the browser may clear these datasets and checkpoints when the disk runs low.'}</span
        >
        ${persisted
          ? nothing
          : html`<button data-testid="persist-button" @click=${() => sendIntent(this, { kind: 'keep-persistent' })}>Keep data persistent</button>`}
      </p>
      ${request
        ? html`<p class="muted" role="status" data-testid="persist-result">
            ${request.automatic ? 'Asked the browser, after the first import or download, to keep the data: ' : 'Asked the browser to keep the data: '}${request.granted
              ? 'granted.'
              : 'not granted (browsers grant it to sites you use often, or ask you; you can try again later).'}
          </p>`
        : nothing}
    </div>`;
  }

  private renderList(list: CachedDataset[] | null, deleting: string[]) {
    if (list === null) return html`<p class="muted" data-testid="datasets-loading">Listing the cache…</p>`;
    if (list.length === 0) return html`<p class="muted" data-testid="datasets-empty">No datasets are cached yet.</p>`;
    const inUse = this.study?.spec.baseline.dataset;
    const usedUrl = inUse?.kind === 'manifest' ? inUse.url : null;
    return html`<div class="scroll">
      <table data-testid="dataset-list">
        <caption class="muted" style="text-align:left">
          ${list.length} dataset${list.length === 1 ? '' : 's'} in this browser's cache
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" class="num">Size</th>
            <th scope="col">State</th>
            <th scope="col">Added</th>
            <th scope="col"><span class="muted">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${list.map((dataset) => {
            const name = dataset.name ?? dataset.id;
            const busy = deleting.includes(dataset.id);
            return html`<tr data-testid="dataset-row" data-id=${dataset.id}>
              <td class="name">
                <strong data-testid="dataset-name">${name}</strong>
                ${usedUrl === dataset.id ? html` <span class="tag" data-testid="dataset-in-use">in the selected study</span>` : nothing}
                ${dataset.name ? html`<span class="id">${dataset.id}</span>` : nothing}
              </td>
              <td class="num" data-testid="dataset-size">${formatBytes(dataset.bytes)}</td>
              <td>
                <span class="tag ${dataset.complete ? 'complete' : 'incomplete'}" data-testid="dataset-state"
                  >${dataset.complete ? 'complete' : 'incomplete'}</span
                >
              </td>
              <td data-testid="dataset-added">${formatDate(dataset.addedAt)}</td>
              <td class="actions">
                ${dataset.complete
                  ? html`<button
                      data-testid="use-row-button"
                      aria-label="Use ${name} in the selected study"
                      ?disabled=${this.locked || !this.study || usedUrl === dataset.id}
                      @click=${() => sendIntent(this, { kind: 'use-dataset', url: dataset.id, name })}
                    >
                      Use
                    </button>`
                  : nothing}
                <button
                  class="danger"
                  data-testid="delete-dataset"
                  aria-label="Delete ${name}"
                  ?disabled=${busy || this.locked || this.datasets.importing !== null}
                  @click=${() => sendIntent(this, { kind: 'delete-dataset', id: dataset.id })}
                >
                  ${busy ? 'Deleting…' : 'Delete'}
                </button>
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  }

  private renderImportStatus(d: DatasetsState) {
    return html`
      ${this.locked ? html`<p class="muted">Imports and deletes wait until the study stops.</p>` : nothing}
      ${d.importing ? this.renderProgress(d.importing) : nothing}
      ${d.importError
        ? html`<div class="alert error" role="alert" data-testid="import-error">
            <strong>The import failed.</strong>
            <pre>${d.importError}</pre>
          </div>`
        : nothing}
      ${d.imported && !d.importing ? this.renderSummary(d.imported) : nothing}
    `;
  }

  private renderProgress({ what, progress }: ImportView) {
    const value = progress && progress.total > 0 ? progress.done / progress.total : null;
    // Reading counts bytes (total 0: the server did not say how many); the later stages count images or shards.
    const count = (n: number) => (progress?.stage === 'reading' ? formatBytes(n) : n.toLocaleString('en'));
    const text = progress
      ? `${STAGE_TEXT[progress.stage]} ${count(progress.done)}${progress.total > 0 ? ` / ${count(progress.total)}` : ''}`
      : 'Starting…';
    return html`<div data-testid="import-progress" role="status" aria-live="polite">
      <p>Importing <strong>${what}</strong></p>
      <div class="progress">
        <progress data-testid="import-progress-bar" aria-label="Import progress" max="1" .value=${value ?? 0}></progress>
        <span class="muted" data-testid="import-stage">${text}${value !== null ? ` (${percent(value, 0)})` : ''}</span>
      </div>
    </div>`;
  }

  private renderSummary(imported: ImportedDataset) {
    const { summary, config } = imported;
    const [h, w, c] = summary.shape;
    const batch = this.study?.spec.baseline.training.batchSize;
    const inUse = this.study?.spec.baseline.dataset;
    const used = inUse?.kind === 'manifest' && inUse.url === config.url;
    const shown = summary.classNames.slice(0, 20);
    return html`<div class="summary" data-testid="import-summary" role="status">
      <strong>Imported ${summary.name}.</strong>
      <dl>
        <div><dt>Classes</dt><dd data-testid="summary-classes">${summary.classNames.length}</dd></div>
        <div><dt>Training images</dt><dd data-testid="summary-train">${summary.trainCount.toLocaleString('en')}</dd></div>
        <div><dt>Test images</dt><dd data-testid="summary-test">${summary.testCount.toLocaleString('en')}</dd></div>
        <div><dt>Shape (h × w × c)</dt><dd data-testid="summary-shape">${h} × ${w} × ${c}</dd></div>
      </dl>
      <p class="classes">
        ${shown.join(', ')}${summary.classNames.length > shown.length ? `, … (${summary.classNames.length - shown.length} more)` : ''}
      </p>
      ${batch !== undefined && batch > summary.trainCount
        ? html`<div class="alert warning" data-testid="batch-warning">
            The selected study's batch size (${batch}) is larger than this dataset's ${summary.trainCount} training images: its runs would
            be refused. Choose a study with a smaller batch, or import more data.
          </div>`
        : nothing}
      <div class="row">
        <button
          class="primary"
          data-testid="use-dataset-button"
          ?disabled=${this.locked || !this.study || used}
          @click=${() => sendIntent(this, { kind: 'use-dataset', url: config.url, name: summary.name })}
        >
          Use in a study
        </button>
        <span class="muted" data-testid="use-dataset-note">
          ${used
            ? `The selected study (${this.study?.spec.name}) trains on it.`
            : this.study
              ? `Trains the selected study (${this.study.spec.name}) on ${summary.name} instead of its own dataset.`
              : 'Choose a study first.'}
        </span>
      </div>
    </div>`;
  }

  private renderArchiveImport() {
    const blocked = !this.canImport;
    return html`<fieldset data-testid="archive-import">
      <legend>CIFAR-10 / CIFAR-100 binary archive</legend>
      <div class="field">
        <label for="archive-file">Archive file (.tar.gz, .tgz, .tar)</label>
        <div class="row">
          <input id="archive-file" type="file" accept=".tar.gz,.tgz,.tar" data-testid="archive-file" ?disabled=${blocked} @change=${this.onArchiveFile} />
          <button class="primary" data-testid="import-archive-file" ?disabled=${blocked || !this.archive} @click=${this.importArchiveFile}>Import file</button>
        </div>
      </div>
      <div class="field">
        <label for="archive-url">Or its URL</label>
        <div class="row">
          <input
            id="archive-url"
            type="url"
            placeholder="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
            data-testid="archive-url"
            .value=${this.url}
            ?disabled=${blocked}
            @input=${(e: Event) => (this.url = (e.target as HTMLInputElement).value)}
            @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.importArchiveUrl()}
          />
          <button data-testid="import-archive-url" ?disabled=${blocked || !this.url.trim()} @click=${this.importArchiveUrl}>Import from URL</button>
        </div>
        <span class="muted">The server must allow cross-origin downloads (CORS).</span>
      </div>
      <div class="field" role="radiogroup" aria-labelledby="labels-label">
        <span class="label" id="labels-label">CIFAR-100 labels</span>
        <div class="radios">
          <label><input type="radio" name="labels" value="fine" data-testid="labels-fine" .checked=${this.labels === 'fine'} @change=${() => (this.labels = 'fine')} /> fine (100 classes)</label>
          <label
            ><input type="radio" name="labels" value="coarse" data-testid="labels-coarse" .checked=${this.labels === 'coarse'} @change=${() => (this.labels = 'coarse')} /> coarse (20
            superclasses)</label
          >
        </div>
      </div>
    </fieldset>`;
  }

  private renderFolderImport() {
    const blocked = !this.canImport;
    const size = this.parsedSize();
    const fraction = this.parsedFraction();
    const folder = this.folder;
    const name = this.folderName.trim() || folder?.name || '';
    const ready = folder !== null && folder.files.length > 0 && size !== undefined && fraction !== undefined && name !== '';
    return html`<fieldset data-testid="folder-import">
      <legend>Image folder</legend>
      <div
        class="drop ${this.dragging ? 'over' : ''}"
        data-testid="folder-drop"
        role="region"
        aria-label="Drop an image folder here"
        @dragenter=${this.onDragOver}
        @dragover=${this.onDragOver}
        @dragleave=${this.onDragLeave}
        @drop=${this.onDrop}
      >
        <p>Drop a folder here: one sub-folder per class, or <code>train/</code> and <code>test/</code> each holding them.</p>
        <label for="folder-input" class="muted">Or choose one:</label>
        <input id="folder-input" type="file" webkitdirectory multiple data-testid="folder-input" ?disabled=${blocked} @change=${this.onFolderPicked} />
      </div>
      ${this.dropError ? html`<div class="alert error" role="alert" data-testid="drop-error">${this.dropError}</div>` : nothing}
      ${folder
        ? html`<p data-testid="folder-pending">
            <strong>${folder.name || 'Dropped folders'}</strong>: ${folder.files.length.toLocaleString('en')} file${folder.files.length === 1 ? '' : 's'},
            ${formatBytes(folder.bytes)}
          </p>`
        : nothing}
      <div class="options">
        <div class="field">
          <label for="folder-name">Name</label>
          <input
            id="folder-name"
            type="text"
            data-testid="folder-name"
            placeholder=${folder?.name || 'the folder name'}
            .value=${this.folderName}
            @input=${(e: Event) => (this.folderName = (e.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for="folder-size">Resolution (px)</label>
          <input
            id="folder-size"
            type="number"
            min="4"
            max="512"
            step="1"
            data-testid="folder-size"
            aria-describedby="folder-size-help"
            aria-invalid=${size === undefined ? 'true' : 'false'}
            .value=${this.size}
            @input=${(e: Event) => (this.size = (e.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for="folder-test-fraction">Test share</label>
          <input
            id="folder-test-fraction"
            type="number"
            min="0.01"
            max="0.99"
            step="0.05"
            data-testid="folder-test-fraction"
            aria-describedby="folder-fraction-help"
            aria-invalid=${fraction === undefined ? 'true' : 'false'}
            .value=${this.testFraction}
            @input=${(e: Event) => (this.testFraction = (e.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      <p class="muted">
        <span id="folder-size-help">Every image is resized to this size squared (empty: keep the images' own size, which must then all agree).</span>
        <span id="folder-fraction-help">The test share is held out of each class when there are no train/ and test/ folders.</span>
      </p>
      <button class="primary" data-testid="import-folder" ?disabled=${blocked || !ready} @click=${this.importFolder}>Import folder</button>
    </fieldset>`;
  }

  /** The resolution field: a number, null for "keep the images' size", undefined when invalid. */
  private parsedSize(): number | null | undefined {
    const text = this.size.trim();
    if (text === '') return null;
    const value = Number(text);
    return Number.isInteger(value) && value >= 4 && value <= 512 ? value : undefined;
  }

  private parsedFraction(): number | undefined {
    const value = Number(this.testFraction.trim());
    return this.testFraction.trim() !== '' && value > 0 && value < 1 ? value : undefined;
  }

  private onArchiveFile(event: Event): void {
    this.archive = (event.target as HTMLInputElement).files?.[0] ?? null;
  }

  private importArchiveFile(): void {
    const file = this.archive;
    if (!file) return;
    sendIntent(this, { kind: 'import-archive', source: { file, name: file.name }, labels: this.labels });
    // Cleared, so the same file (after fixing it) can be picked again.
    this.archive = null;
    const input = this.renderRoot.querySelector<HTMLInputElement>('#archive-file');
    if (input) input.value = '';
  }

  private importArchiveUrl(): void {
    const url = this.url.trim();
    if (!url || !this.canImport) return;
    sendIntent(this, { kind: 'import-archive', source: { url }, labels: this.labels });
  }

  private onFolderPicked(event: Event): void {
    const input = event.target as HTMLInputElement;
    const picked = [...(input.files ?? [])];
    input.value = '';
    this.dropError = null;
    if (picked.length === 0) return;
    // webkitRelativePath is "<picked folder>/<path inside it>": the folder names the dataset.
    const first = (picked[0]!.webkitRelativePath || picked[0]!.name).split('/')[0] ?? '';
    const files = picked.map((file) => {
      const relative = file.webkitRelativePath || file.name;
      const slash = relative.indexOf('/');
      return { path: slash >= 0 ? relative.slice(slash + 1) : relative, file };
    });
    this.setFolder(first, files);
  }

  private onDragOver(event: DragEvent): void {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = this.canImport ? 'copy' : 'none';
    this.dragging = true;
  }

  private onDragLeave(event: DragEvent): void {
    // Moving over the zone's own children fires dragleave too: only leaving the zone counts.
    const zone = event.currentTarget as Element;
    if (!(event.relatedTarget instanceof Node && zone.contains(event.relatedTarget))) this.dragging = false;
  }

  private onDrop(event: DragEvent): void {
    event.preventDefault();
    this.dragging = false;
    if (!this.canImport) return;
    this.dropError = null;
    // Entries must be taken during the event: the item list is emptied after it.
    const entries = [...(event.dataTransfer?.items ?? [])].flatMap((item) => {
      const entry = item.kind === 'file' ? item.webkitGetAsEntry() : null;
      return entry ? [entry] : [];
    });
    const loose = [...(event.dataTransfer?.files ?? [])];
    void this.readDropped(entries, loose);
  }

  private async readDropped(entries: FileSystemEntry[], loose: File[]): Promise<void> {
    try {
      // One archive dropped here is taken for the archive import.
      if (entries.length === 1 && entries[0]!.isFile && isArchiveName(entries[0]!.name)) {
        const file = loose[0] ?? (await new Promise<File>((resolve, reject) => (entries[0] as FileSystemFileEntry).file(resolve, reject)));
        sendIntent(this, { kind: 'import-archive', source: { file, name: file.name }, labels: this.labels });
        return;
      }
      if (entries.length === 0) {
        this.dropError = 'Nothing to import was dropped: drop a folder of images (this browser may not support dropping folders; choose it instead).';
        return;
      }
      const files: ImageFolderFile[] = [];
      if (entries.length === 1 && entries[0]!.isDirectory) {
        // One folder: it is the dataset, its name the dataset's name, paths are relative to it.
        for (const child of await readAllEntries(entries[0] as FileSystemDirectoryEntry)) await collectFiles(child, '', files);
        this.setFolder(entries[0]!.name, files);
      } else {
        // Several class folders (or train/ and test/) dropped together: they are the folder's contents.
        for (const entry of entries) await collectFiles(entry, '', files);
        this.setFolder('', files);
      }
    } catch (error) {
      this.dropError = `The dropped files could not be read: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  private setFolder(name: string, files: ImageFolderFile[]): void {
    if (files.length === 0) {
      this.folder = null;
      this.dropError = `${name || 'The dropped folder'} holds no files.`;
      return;
    }
    this.folder = { name, files, bytes: files.reduce((n, f) => n + f.file.size, 0) };
  }

  private importFolder(): void {
    const folder = this.folder;
    const size = this.parsedSize();
    const testFraction = this.parsedFraction();
    const name = this.folderName.trim() || folder?.name || '';
    if (!folder || size === undefined || testFraction === undefined || !name) return;
    sendIntent(this, {
      kind: 'import-folder',
      files: folder.files,
      options: { name, testFraction, ...(size !== null ? { size } : {}) },
    });
    this.folder = null;
    this.folderName = '';
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-dataset-panel': DatasetPanel;
  }
}
