/**
 * The workbench page: owns the Workbench controller, re-renders on its state,
 * and hands the components' intents to it (intent-router.ts). Its own state is
 * only where the user is looking: which mode, which tab, and whether the
 * screen is narrow. The run monitor sits beside every tab (on top when
 * narrow), sticky while a study runs, so progress stays in view.
 */
import { LitElement, css, html, nothing, unsafeCSS } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { Workbench } from '../app/workbench';
import { isActive, type WorkbenchState } from '../app/state';
import { missingDataset } from '../app/study-selection';
import { isContributing } from '../app/contributor';
import { canonicalJson } from '../util/hash';
import { TEACHING_CLASSES } from '../data/teaching';
import { demoCards, demoCrop, demoExamples, DEMO_PRESET } from '../study/demo';
import { PRESETS } from '../study/presets';
import { parseStudySpec, type StudySpec } from '../study/study';
import type { InspectorImage } from './views/types';
import { INTENT_EVENT, type Intent } from './intents';
import { routeIntent } from './intent-router';
import { pageStyles, panelStyles } from './styles';
import { tabStyles, TabList, type Tab } from './tabs';
import './backend-status';
import './interrupted-study';
import './study-designer';
import './study-library';
import './run-monitor';
import './results-table';
import './try-model';
import './dataset-panel';
import './views/class-views';
import './contribute-panel';
import './demo-mode';

type Mode = 'workbench' | 'contribute' | 'demo';

const MODE_HASH: Record<Mode, string> = { workbench: '', contribute: '#contribute', demo: '#demo' };
const modeOf = (hash: string): Mode => (hash === '#contribute' ? 'contribute' : hash === '#demo' ? 'demo' : 'workbench');
type View = 'design' | 'results' | 'library' | 'datasets';

/** Below this width the monitor goes above the tabs, compact while a study runs. */
const NARROW = '(max-width: 60rem)';

@customElement('cw-app')
export class App extends LitElement {
  static override styles = [
    panelStyles,
    pageStyles,
    tabStyles,
    css`
      :host {
        max-width: 92rem;
      }
      header {
        margin-bottom: 1rem;
      }
      header p {
        margin: 0.25rem 0 0;
        color: var(--cw-muted, #5b6578);
      }
      .workspace {
        display: grid;
        grid-template-columns: minmax(0, 1fr) 24rem;
        gap: 1rem;
        align-items: start;
      }
      .workspace > aside {
        position: sticky;
        top: 0.75rem;
        max-height: calc(100vh - 1.5rem);
        overflow-y: auto;
      }
      .panels {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        gap: 1rem;
        min-width: 0;
      }
      .alert {
        margin: 0;
      }
      @media ${unsafeCSS(NARROW)} {
        .workspace {
          grid-template-columns: minmax(0, 1fr);
        }
        .workspace > aside {
          position: static;
          max-height: none;
          overflow: visible;
        }
        .workspace > aside.active {
          order: -1;
          position: sticky;
          top: 0;
          z-index: 2;
        }
      }
    `,
  ];

  private readonly workbench = new Workbench();
  private unsubscribe: (() => void) | null = null;
  private readonly narrowQuery = matchMedia(NARROW);
  @state() private view: WorkbenchState = this.workbench.state;
  /** Which face of the page: its own studies, or units for a shared one (`#contribute` links straight there). */
  @state() private mode: Mode = modeOf(location.hash);
  /** The demo's study and its example images, made once. */
  private demo: { spec: StudySpec; examples: InspectorImage[] } | null = null;
  @state() private tab: View = 'design';
  @state() private narrow = this.narrowQuery.matches;

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = this.workbench.subscribe((s) => {
      // A study coming on screen (run, reopened, or back after a reload) is what the user wants to see.
      if (s.shown && s.shown !== this.view.shown && !this.view.shown) this.tab = 'results';
      this.view = s;
    });
    this.addEventListener(INTENT_EVENT, this.onIntent);
    this.narrowQuery.addEventListener('change', this.onNarrow);
    addEventListener('beforeunload', this.onBeforeUnload);
    void this.workbench.init();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener(INTENT_EVENT, this.onIntent);
    this.narrowQuery.removeEventListener('change', this.onNarrow);
    removeEventListener('beforeunload', this.onBeforeUnload);
    this.unsubscribe?.();
    this.workbench.dispose();
  }

  private readonly onNarrow = (event: MediaQueryListEvent): void => {
    this.narrow = event.matches;
  };

  /** Closing the tab mid-run loses at most a checkpoint's worth of steps, but the browser asks first. */
  private readonly onBeforeUnload = (event: BeforeUnloadEvent): void => {
    if (!isActive(this.view.phase) && !isContributing(this.view.contribute.phase)) return;
    event.preventDefault();
    event.returnValue = '';
  };

  private readonly onIntent = (event: CustomEvent<Intent>): void => {
    event.stopPropagation();
    const intent = event.detail;
    if (intent.kind === 'run' || intent.kind === 'open-study' || intent.kind === 'resume-interrupted') this.tab = 'results';
    if (intent.kind === 'use-dataset') this.tab = 'design';
    routeIntent(this.workbench, intent);
  };

  override render() {
    const s = this.view;
    return html`
      <header>
        <h1>Classwise workbench</h1>
        <p>Train small ResNets on your GPU and see how random crop and weight decay change accuracy class by class.</p>
        ${TabList<Mode>({
          label: 'Mode',
          id: 'mode',
          selected: this.mode,
          tabs: [
            { value: 'workbench', label: 'My studies', testId: 'mode-workbench' },
            { value: 'contribute', label: 'Contribute', testId: 'mode-contribute' },
            { value: 'demo', label: 'Demo', testId: 'mode-demo' },
          ],
          onSelect: (mode) => this.setMode(mode),
        })}
      </header>
      <div class="stack">
        <cw-backend-status .backend=${s.backend}></cw-backend-status>
        ${this.mode === 'contribute'
          ? html`<cw-contribute-panel .contribution=${s.contribute} .blocked=${this.workbench.contributeBlocked}></cw-contribute-panel>`
          : this.mode === 'demo'
            ? this.renderDemo(s)
            : this.renderWorkbench(s)}
      </div>
    `;
  }

  private setMode(mode: Mode): void {
    this.mode = mode;
    history.replaceState(null, '', MODE_HASH[mode] || location.pathname + location.search);
  }

  /** The guided demo over the teaching preset; its results once the demo study is the one shown. */
  private renderDemo(s: WorkbenchState) {
    this.demo ??= (() => {
      const spec = parseStudySpec(PRESETS[DEMO_PRESET]);
      return { spec, examples: demoExamples(spec, TEACHING_CLASSES.length).map((image) => ({ ...image, caption: '' })) };
    })();
    const { spec, examples } = this.demo;
    const analysis = s.shown && canonicalJson(s.shown.spec) === canonicalJson(spec) ? s.comparison.analysis : null;
    const crop = demoCrop(spec);
    const comparison = analysis?.comparisons.find((c) => c.treatment.config.augmentation.crop.kind !== 'none') ?? null;
    return html`<cw-demo
      .cards=${demoCards(spec, TEACHING_CLASSES, analysis)}
      .classes=${TEACHING_CLASSES}
      .examples=${examples}
      .crop=${crop}
      .comparison=${comparison}
      .phase=${s.phase}
      .runs=${s.runs}
      .current=${s.current}
      .studyEtaSec=${s.studyEtaSec}
      ?canRun=${s.backend.status === 'ready' && !isActive(s.phase) && !isContributing(s.contribute.phase)}
    ></cw-demo>`;
  }

  private renderWorkbench(s: WorkbenchState) {
    const running = isActive(s.phase);
    const studies = s.library.studies?.length ?? 0;
    const tabs: Tab<View>[] = [
      { value: 'design', label: 'Design', testId: 'tab-design' },
      { value: 'results', label: running ? 'Results · live' : 'Results', testId: 'tab-results' },
      { value: 'library', label: studies ? `Past studies (${studies})` : 'Past studies', testId: 'tab-library' },
      { value: 'datasets', label: 'Datasets', testId: 'tab-datasets' },
    ];
    return html`
      ${s.interrupted ? html`<cw-interrupted-study .study=${s.interrupted} ?canResume=${s.backend.status === 'ready'}></cw-interrupted-study>` : nothing}
      ${TabList<View>({ label: 'Workbench', id: 'view', selected: this.tab, tabs, onSelect: (tab) => (this.tab = tab), panel: true })}
      <div class="workspace">
        <div class="panels" role="tabpanel" id="view-panel" aria-labelledby="view-tab-${this.tab}">${this.renderTab(s)}</div>
        <aside class=${running ? 'active' : ''} aria-label="Run monitor">
          <cw-run-monitor
            .runs=${s.runs}
            .current=${s.current}
            .phase=${s.phase}
            .studyEtaSec=${s.studyEtaSec}
            .error=${s.error}
            .backend=${s.backend}
            ?compact=${this.narrow && running}
          ></cw-run-monitor>
        </aside>
      </div>
    `;
  }

  private renderTab(s: WorkbenchState) {
    switch (this.tab) {
      case 'design':
        return html`${this.renderDraftNote(s, 'design')}
          <cw-study-designer
            .study=${s.study}
            .datasets=${s.datasets.list ?? []}
            .datasetSummary=${s.design.datasetSummary}
            .estimate=${s.design.estimate}
            ?measuring=${s.design.measuring}
            .measureProgress=${s.design.measureProgress}
            ?measureCancelling=${s.design.measureCancelling}
            .error=${s.studyError ?? s.design.problem}
            ?locked=${isActive(s.phase)}
            ?canRun=${this.workbench.canRun}
          ></cw-study-designer>`;
      case 'results': {
        const missing = missingDataset(s.shown, s.datasets.list);
        return html`${this.renderDraftNote(s, 'results')}
          ${missing ? html`<div class="alert warning" role="status" data-testid="dataset-missing">${missing}</div>` : nothing}
          ${s.comparison.problem ? html`<div class="alert error" role="alert" data-testid="comparison-problem">${s.comparison.problem}</div>` : nothing}
          ${s.shown || s.comparison.analysis
            ? nothing
            : html`<p class="muted" data-testid="results-empty">Nothing shown yet: run a study from the Design tab, or open one under Past studies.</p>`}
          <cw-class-views
            .analysis=${s.comparison.analysis}
            .selectedComparison=${s.comparison.selectedComparison}
            .selectedClasses=${s.comparison.selectedClasses}
            .inspected=${s.comparison.inspected}
            .mitigation=${s.mitigation}
            ?canRun=${this.workbench.canRun}
          ></cw-class-views>
          ${s.comparison.analysis ? html`<cw-try-model .trial=${s.trial} .unavailable=${this.workbench.trial.unavailable}></cw-try-model>` : nothing}
          <cw-results-table .runs=${s.runs} .comparison=${s.comparison} ?canExport=${s.phase === 'finished' && s.results !== null}></cw-results-table>`;
      }
      case 'library':
        return html`<cw-study-library .library=${s.library} ?locked=${isActive(s.phase)}></cw-study-library>`;
      case 'datasets':
        return html`<cw-dataset-panel .datasets=${s.datasets} .study=${s.study} ?locked=${isActive(s.phase)} ?canImport=${this.workbench.canImport}></cw-dataset-panel>`;
    }
  }

  /** The designer holds an edited design while the results of another are shown: say which is which. */
  private renderDraftNote(s: WorkbenchState, where: 'design' | 'results') {
    if (!s.shown || !s.study || canonicalJson(s.shown.spec) === canonicalJson(s.study.spec)) return nothing;
    const shown = html`<strong>${s.shown.spec.name}</strong>`;
    return html`<div class="alert warning" role="status" data-testid="draft-note">
      ${where === 'design'
        ? html`You are editing a new design. The results on screen are still those of ${shown}; they stay until you run this one, and remain under Past studies.`
        : html`These are the results of ${shown}. The Design tab holds an edited design, <strong>${s.study.spec.name}</strong>, not run yet.`}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-app': App;
  }
}
