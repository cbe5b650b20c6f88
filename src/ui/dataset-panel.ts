/**
 * Datasets: how much this origin stores and whether the browser may evict it,
 * the datasets the cache holds (delete, use in a study), and imports (the
 * forms are cw-dataset-import) with their progress, errors and a summary of
 * what came in. Renders the Workbench's dataset state and sends dataset
 * intents, nothing more.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { DatasetsState, ImportView, SelectedStudy } from '../app/state';
import type { CachedDataset, ImportedDataset } from '../../workers/api';
import type { StorageStatus } from '../storage/status';
import { formatBytes } from '../util/units';
import './dataset-import';
import { sendIntent } from './intents';
import { percent } from './format';
import { panelStyles } from './styles';

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
      .use {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        flex-wrap: wrap;
      }
    `,
  ];

  @property({ attribute: false }) datasets!: DatasetsState;
  @property({ attribute: false }) study: SelectedStudy | null = null;
  /** A study is running: nothing that changes the cache or the study. */
  @property({ type: Boolean }) locked = false;
  /** The worker can take an import now. */
  @property({ type: Boolean }) canImport = false;

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
      <cw-dataset-import ?canImport=${this.canImport}></cw-dataset-import>
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
      <div class="use">
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
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-dataset-panel': DatasetPanel;
  }
}
