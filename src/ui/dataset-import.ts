/**
 * The Datasets panel's import forms: a CIFAR-10/100 binary archive (picked, at
 * a URL, or dropped) and an image folder (picked or dropped) with its name,
 * resolution and test share. What the user has chosen is held here until it
 * is sent as an import intent; the import's progress and outcome are the
 * panel's to show.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ImageFolderFile } from '../../workers/api';
import { formatBytes } from '../util/units';
import { collectFiles, isArchiveName, readAllEntries, type PendingFolder } from './dropped-files';
import { sendIntent } from './intents';
import { panelStyles } from './styles';

const DEFAULT_SIZE = 32;
const DEFAULT_TEST_FRACTION = 0.2;

@customElement('cw-dataset-import')
export class DatasetImport extends LitElement {
  static override styles = [
    panelStyles,
    css`
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
    `,
  ];

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
    return html`<div class="imports">${this.renderArchiveImport()} ${this.renderFolderImport()}</div>`;
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
    'cw-dataset-import': DatasetImport;
  }
}
