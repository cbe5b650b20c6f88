/**
 * The workbench page: owns the Workbench controller, re-renders on its state,
 * and turns the components' intents into controller calls.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { Workbench } from '../app/workbench';
import { isActive, type WorkbenchState } from '../app/state';
import { INTENT_EVENT, type Intent } from './intents';
import { pageStyles, panelStyles } from './styles';
import './backend-status';
import './interrupted-study';
import './study-designer';
import './run-monitor';
import './results-table';
import './dataset-panel';
import './views/class-views';
import './contribute-panel';

@customElement('cw-app')
export class App extends LitElement {
  static override styles = [
    panelStyles,
    pageStyles,
    css`
      header {
        margin-bottom: 1rem;
      }
      .tabs {
        display: flex;
        gap: 0.3rem;
        margin-top: 0.6rem;
      }
      .tabs button[aria-selected='true'] {
        background: var(--cw-accent, #2458d6);
        color: #fff;
        border-color: transparent;
      }
      header p {
        margin: 0.25rem 0 0;
        color: var(--cw-muted, #5b6578);
      }
    `,
  ];

  private readonly workbench = new Workbench();
  private unsubscribe: (() => void) | null = null;
  @state() private view: WorkbenchState = this.workbench.state;
  /** Which face of the page: its own studies, or units for a shared one (`#contribute` links straight there). */
  @state() private mode: 'workbench' | 'contribute' = location.hash === '#contribute' ? 'contribute' : 'workbench';

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = this.workbench.subscribe((s) => (this.view = s));
    this.addEventListener(INTENT_EVENT, this.onIntent);
    void this.workbench.init();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener(INTENT_EVENT, this.onIntent);
    this.unsubscribe?.();
    this.workbench.dispose();
  }

  private readonly onIntent = (event: CustomEvent<Intent>): void => {
    event.stopPropagation();
    const intent = event.detail;
    const wb = this.workbench;
    switch (intent.kind) {
      case 'select-preset':
        return wb.design.selectPreset(intent.name);
      case 'load-spec':
        return wb.design.loadSpecFile(intent.fileName, intent.text);
      case 'design-study':
        return wb.design.designStudy(intent.spec);
      case 'measure-step':
        return void wb.design.measureStep();
      case 'save-spec':
        return wb.design.saveSpec();
      case 'run':
        return void wb.runs.run();
      case 'pause':
        return wb.runs.pause();
      case 'resume':
        return wb.runs.resume();
      case 'cancel':
        return wb.runs.cancel();
      case 'export':
        return wb.exports.exportResults();
      case 'resume-interrupted':
        return void wb.runs.resumeInterrupted();
      case 'discard-interrupted':
        return wb.runs.discardInterrupted();
      case 'refresh-datasets':
        return void wb.datasets.refreshDatasets();
      case 'keep-persistent':
        return void wb.datasets.keepPersistent();
      case 'import-archive':
        return void wb.datasets.importArchive(intent.source, intent.labels);
      case 'import-folder':
        return void wb.datasets.importImageFolder(intent.files, intent.options);
      case 'delete-dataset':
        return void wb.datasets.deleteDataset(intent.id);
      case 'use-dataset':
        return wb.design.useDataset({ url: intent.url, name: intent.name });
      case 'export-csv':
        return wb.exports.exportCsv();
      case 'save-chart':
        return wb.exports.saveChart(intent.fileName, intent.blob);
      case 'export-model':
        return void wb.exports.exportModel(intent.runIndex);
      case 'import-results':
        return void wb.comparison.importResults(intent.files);
      case 'clear-imported':
        return wb.comparison.clearImported();
      case 'select-comparison':
        return wb.comparison.selectComparison(intent.treatmentHash);
      case 'select-classes':
        return wb.comparison.selectClasses(intent.classes);
      case 'inspect-class':
        return void wb.inspector.inspectClass(intent.classIndex);
      case 'list-shared-studies':
        return void wb.listSharedStudies();
      case 'contribute':
        return void wb.contribute(intent.studyId, intent.budget, intent.displayName);
      case 'pause-contributing':
        return wb.pauseContributing();
      case 'resume-contributing':
        return wb.resumeContributing();
      case 'stop-contributing':
        return wb.stopContributing();
    }
  };

  override render() {
    const s = this.view;
    return html`
      <header>
        <h1>Classwise workbench</h1>
        <p>Train small ResNets on your GPU and see how random crop and weight decay change accuracy class by class.</p>
        <nav class="tabs" aria-label="Mode">
          ${(['workbench', 'contribute'] as const).map(
            (mode) => html`<button
              role="tab"
              data-testid=${`mode-${mode}`}
              aria-selected=${this.mode === mode ? 'true' : 'false'}
              @click=${() => this.setMode(mode)}
            >
              ${mode === 'workbench' ? 'My studies' : 'Contribute'}
            </button>`,
          )}
        </nav>
      </header>
      <div class="stack">
        <cw-backend-status .backend=${s.backend}></cw-backend-status>
        ${this.mode === 'contribute'
          ? html`<cw-contribute-panel .contribution=${s.contribute} ?canStart=${this.workbench.canContribute}></cw-contribute-panel>`
          : this.renderWorkbench(s)}
      </div>
    `;
  }

  private setMode(mode: 'workbench' | 'contribute'): void {
    this.mode = mode;
    history.replaceState(null, '', mode === 'contribute' ? '#contribute' : location.pathname + location.search);
  }

  private renderWorkbench(s: WorkbenchState) {
    return html`
      ${s.interrupted ? html`<cw-interrupted-study .study=${s.interrupted} ?canResume=${s.backend.status === 'ready'}></cw-interrupted-study>` : nothing}
      <div class="columns">
        <cw-study-designer
          .study=${s.study}
          .datasets=${s.datasets.list ?? []}
          .datasetSummary=${s.design.datasetSummary}
          .estimate=${s.design.estimate}
          ?measuring=${s.design.measuring}
          .error=${s.studyError ?? s.design.problem}
          ?locked=${isActive(s.phase)}
          ?canRun=${this.workbench.canRun}
        ></cw-study-designer>
        <cw-run-monitor
          .runs=${s.runs}
          .current=${s.current}
          .phase=${s.phase}
          .studyEtaSec=${s.studyEtaSec}
          .error=${s.error}
          .backend=${s.backend}
        ></cw-run-monitor>
      </div>
      ${s.comparison.problem ? html`<div class="alert error" role="alert" data-testid="comparison-problem">${s.comparison.problem}</div>` : nothing}
      <cw-class-views
        .analysis=${s.comparison.analysis}
        .selectedComparison=${s.comparison.selectedComparison}
        .selectedClasses=${s.comparison.selectedClasses}
        .inspected=${s.comparison.inspected}
      ></cw-class-views>
      <cw-results-table .runs=${s.runs} .comparison=${s.comparison} ?canExport=${s.phase === 'finished' && s.results !== null}></cw-results-table>
      <cw-dataset-panel .datasets=${s.datasets} .study=${s.study} ?locked=${isActive(s.phase)} ?canImport=${this.workbench.canImport}></cw-dataset-panel>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-app': App;
  }
}
