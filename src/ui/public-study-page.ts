/**
 * study.html: a study's public page (`study.html?id=<id>`), or without an id
 * the list of the coordinator's studies. Owns the PublicStudy controller,
 * re-renders on its state, and turns the components' intents (the per-class
 * views' `cw-intent`, this page's own `cw-public-intent`) into controller
 * calls. Reads results only: no engine worker, no TensorFlow.js.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { POLL_MS, PublicStudy, type LiveMode, type LoadError, type PublicStudyState, type StudyListState, type StudyPageState } from '../app/public-study';
import { INTENT_EVENT, type Intent } from './intents';
import { PUBLIC_INTENT_EVENT, sendPublicIntent, type PublicIntent } from './public/intents';
import { pageStyles, panelStyles } from './styles';
import './public/study-list';
import './public/study-progress';
import './public/study-spec';
import './views/class-views';

/** The study id in the page's address; null (the list) when absent or empty. */
export function studyIdFromLocation(search: string = location.search): string | null {
  const id = new URLSearchParams(search).get('id');
  return id ? id : null;
}

const LIVE_WORDS: Record<LiveMode, string> = {
  connecting: 'Connecting to the live progress stream…',
  live: 'Live: updates as volunteers lease units and upload results',
  polling: `The live stream is unavailable: asking again every ${POLL_MS / 1000} s`,
  stopped: 'Not following: there is nothing to follow',
};

const time = (ms: number) => new Date(ms).toLocaleTimeString();

@customElement('cw-public-study')
export class PublicStudyPage extends LitElement {
  static override styles = [
    panelStyles,
    pageStyles,
    css`
      :host {
        /* The study's spec beside its progress: a little less room for the wide column than the workbench gives. */
        --cw-wide-column: 1.4fr;
      }
      .top {
        margin-bottom: 1rem;
      }
      nav {
        font-size: 0.9rem;
        margin-bottom: 0.3rem;
      }
      nav a,
      .alert a {
        color: var(--cw-accent, #2458d6);
      }
      .status {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.3rem 0.8rem;
        margin: 0.3rem 0 0;
      }
      .dot {
        display: inline-block;
        width: 0.55rem;
        height: 0.55rem;
        border-radius: 50%;
        background: #c3cad6;
        margin-right: 0.35rem;
      }
      .dot.live {
        background: #2e8b57;
      }
      .dot.polling {
        background: #e0a100;
      }
      .actions {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
      }
      button.small {
        font-size: 0.85rem;
        padding: 0.2rem 0.6rem;
      }
    `,
  ];

  private readonly controller = new PublicStudy(studyIdFromLocation());
  private unsubscribe: (() => void) | null = null;
  @state() private view: PublicStudyState = this.controller.state;

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = this.controller.subscribe((s) => (this.view = s));
    this.addEventListener(INTENT_EVENT, this.onIntent);
    this.addEventListener(PUBLIC_INTENT_EVENT, this.onPublicIntent);
    void this.controller.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener(INTENT_EVENT, this.onIntent);
    this.removeEventListener(PUBLIC_INTENT_EVENT, this.onPublicIntent);
    this.unsubscribe?.();
    this.controller.dispose();
  }

  override updated(): void {
    const s = this.view;
    document.title = s.kind === 'list' ? 'Classwise studies' : `${s.detail?.name ?? 'Study'} — Classwise study`;
  }

  /** The per-class views' intents; the workbench's others (run, import, datasets…) have no meaning here. */
  private readonly onIntent = (event: CustomEvent<Intent>): void => {
    event.stopPropagation();
    const intent = event.detail;
    const c = this.controller;
    switch (intent.kind) {
      case 'select-comparison':
        return c.selectComparison(intent.treatmentHash);
      case 'select-classes':
        return c.selectClasses(intent.classes);
      case 'inspect-class':
        return c.inspectClass(intent.classIndex);
      case 'save-chart':
        return c.saveChart(intent.fileName, intent.blob);
      case 'export-csv':
        return c.downloadCsv();
      default:
        return;
    }
  };

  private readonly onPublicIntent = (event: CustomEvent<PublicIntent>): void => {
    event.stopPropagation();
    const c = this.controller;
    switch (event.detail.kind) {
      case 'refresh':
        return void c.refresh();
      case 'download-results':
        return c.downloadResults();
      case 'download-csv':
        return c.downloadCsv();
    }
  };

  override render() {
    const s = this.view;
    return s.kind === 'list' ? this.renderList(s) : this.renderStudy(s);
  }

  private renderList(s: StudyListState) {
    return html`<header class="top">
        <nav><a href="./">Workbench</a></nav>
        <h1>Classwise studies</h1>
        <p class="muted">Studies that volunteers train together. Each page pools the per-class changes over the study's validated results.</p>
        <p class="status muted" data-testid="list-status">
          ${s.updatedAt !== null ? html`<span>Updated ${time(s.updatedAt)}; refreshed every ${POLL_MS / 1000} s</span>` : nothing}
          <button class="small" data-testid="refresh" @click=${() => sendPublicIntent(this, { kind: 'refresh' })}>Refresh</button>
        </p>
      </header>
      ${s.error ? this.renderError(s.error, s.studies !== null) : nothing}
      <cw-study-list .studies=${s.studies}></cw-study-list>`;
  }

  private renderStudy(s: StudyPageState) {
    const d = s.detail;
    return html`<header class="top">
        <nav><a href="study.html" data-testid="all-studies">All studies</a> · <a href="./">Workbench</a></nav>
        <h1 data-testid="study-name">${d?.name ?? (s.error?.kind === 'not-found' ? 'Unknown study' : 'Study')}</h1>
        ${s.live !== 'stopped'
          ? html`<p class="status muted" data-testid="live-status" data-live=${s.live}>
              <span><span class=${`dot ${s.live}`}></span>${LIVE_WORDS[s.live]}</span>
              ${s.updatedAt !== null ? html`<span data-testid="updated-at" data-updated=${String(s.updatedAt)}>· last updated ${time(s.updatedAt)}</span>` : nothing}
              <button class="small" data-testid="refresh" @click=${() => sendPublicIntent(this, { kind: 'refresh' })}>Refresh</button>
            </p>`
          : nothing}
      </header>
      ${s.error ? this.renderError(s.error, d !== null) : nothing}
      ${d === null
        ? s.error
          ? nothing
          : html`<p class="muted" data-testid="study-loading">Asking the coordinator for study ${s.id}…</p>`
        : html`<div class="stack">
            <div class="columns">
              <cw-study-spec .detail=${d}></cw-study-spec>
              <cw-study-progress .detail=${d}></cw-study-progress>
            </div>
            ${this.renderPooled(s)}
            ${s.analysis
              ? html`<cw-class-views
                  .analysis=${s.analysis}
                  .selectedComparison=${s.selectedComparison}
                  .selectedClasses=${s.selectedClasses}
                  .inspected=${s.inspected}
                ></cw-class-views>`
              : nothing}
          </div>`}`;
  }

  private renderError(error: LoadError, haveOlder: boolean) {
    switch (error.kind) {
      case 'not-found':
        return html`<div class="alert error" role="alert" data-testid="study-not-found">
          This coordinator has no such study (${error.message}). It may have been mistyped in the address.
          <a href="study.html">See the list of studies</a>.
        </div>`;
      case 'unreachable':
        return html`<div class=${`alert ${haveOlder ? 'warning' : 'error'}`} role="alert" data-testid="coordinator-unreachable">
          The coordinator could not be reached: ${error.message}.
          ${haveOlder ? 'The page shows what it last said, and' : 'The page'} keeps trying every ${POLL_MS / 1000} s.
        </div>`;
      case 'refused':
        return html`<div class="alert error" role="alert" data-testid="coordinator-refused">The coordinator's answer could not be used: ${error.message}</div>`;
    }
  }

  /** How much the analysis pools, the downloads, and why there is nothing to pool yet. */
  private renderPooled(s: StudyPageState) {
    const runs = s.results?.runs ?? [];
    const configs = new Set(runs.map((r) => r.configHash)).size;
    const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
    const quorum = s.detail?.quorum ?? 2;
    return html`<section aria-labelledby="pooled-heading">
      <header>
        <h2 id="pooled-heading">Pooled results</h2>
        <span class="actions">
          <button data-testid="download-results" ?disabled=${runs.length === 0} @click=${() => sendPublicIntent(this, { kind: 'download-results' })}>
            Download results
          </button>
          <button data-testid="download-csv" ?disabled=${!s.analysis} @click=${() => sendPublicIntent(this, { kind: 'download-csv' })}>Per-class CSV</button>
        </span>
      </header>
      ${runs.length === 0
        ? html`<p data-testid="no-results">
            No validated results yet: a unit's result counts once ${quorum} volunteers' replicas of it agree. The progress above updates as they come in.
          </p>`
        : html`<p data-testid="pooled-summary">
            Pooled over <b>${runs.length}</b> validated run${runs.length === 1 ? '' : 's'}: ${configs} config${configs === 1 ? '' : 's'}, seed${seeds.length === 1 ? '' : 's'}
            ${seeds.join(', ')}. Each decided unit (config × seed) contributes its canonical result once: replicas of one seed are not independent samples.
          </p>`}
      <p class="muted">
        The results file imports into the <a href="./">workbench</a>, which can load the dataset and show the images behind a class.
      </p>
      ${s.analysisProblem ? html`<div class="alert error" role="alert" data-testid="analysis-problem">${s.analysisProblem}</div>` : nothing}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-public-study': PublicStudyPage;
  }
}
