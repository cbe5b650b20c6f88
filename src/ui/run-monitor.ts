/**
 * The study in progress: which run, how far, its loss, rate, speed and ETA,
 * and the pause/resume/cancel controls. Compact (on a narrow screen while a
 * study runs, where it stays on top): the controls, the run and its bar only.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { BackendState, RunView, StudyPhase } from '../app/state';
import { num, percent, seconds } from './format';
import { sendIntent } from './intents';
import { panelStyles } from './styles';
import './loss-chart';

const PHASE_TEXT: Record<StudyPhase, string> = {
  idle: 'not started',
  running: 'running',
  pausing: 'pausing…',
  paused: 'paused',
  cancelling: 'cancelling…',
  finished: 'finished',
  cancelled: 'cancelled',
  failed: 'failed',
};

@customElement('cw-run-monitor')
export class RunMonitor extends LitElement {
  static override styles = [
    panelStyles,
    css`
      header {
        margin-bottom: 0.5rem;
      }
      .controls {
        display: flex;
        gap: 0.4rem;
      }
      .phase.running {
        background: #e3f4e8;
        color: #1b6b3a;
      }
      .phase.paused,
      .phase.pausing,
      .phase.cancelling,
      .phase.cancelled {
        background: #fff3d6;
        color: #6b4e00;
      }
      .phase.failed {
        background: #fdecec;
        color: #7d1616;
      }
      .current {
        font-weight: 600;
        margin: 0.3rem 0;
      }
      .curves {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr));
        gap: 0.5rem;
      }
      dl {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(7.5rem, 1fr));
        gap: 0.5rem 1rem;
        margin: 0.8rem 0;
      }
      dt {
        font-size: 0.75rem;
        color: var(--cw-muted, #5b6578);
        text-transform: uppercase;
        letter-spacing: 0.04em;
      }
      dd {
        margin: 0;
        font-variant-numeric: tabular-nums;
        font-size: 1.05rem;
      }
      :host([compact]) section {
        padding: 0.5rem 0.8rem;
        box-shadow: 0 2px 6px rgba(29, 36, 51, 0.15);
      }
      :host([compact]) dl,
      :host([compact]) .curves {
        display: none;
      }
    `,
  ];

  @property({ attribute: false }) runs: RunView[] = [];
  @property({ attribute: false }) current: number | null = null;
  @property() phase: StudyPhase = 'idle';
  @property({ attribute: false }) studyEtaSec: number | null = null;
  @property({ attribute: false }) error: string | null = null;
  @property({ attribute: false }) backend: BackendState = { status: 'starting' };
  @property({ type: Boolean, reflect: true }) compact = false;

  override render() {
    const run = this.current === null ? undefined : this.runs[this.current];
    const finished = this.runs.filter((r) => r.status === 'done').length;
    return html`<section aria-labelledby="progress-heading">
      <header>
        <h2 id="progress-heading">
          Progress <span class="phase ${this.phase}" data-testid="study-phase">${PHASE_TEXT[this.phase]}</span>
        </h2>
        <div class="controls">${this.renderControls()}</div>
      </header>
      ${this.renderNotice(finished)}
      ${run ? this.renderRun(run) : html`<p class="muted">Choose a study and press “Run study”. Runs train one after another in a background worker.</p>`}
      <div class="curves">
        <cw-loss-chart .runs=${this.runs} metric="loss"></cw-loss-chart>
        <cw-loss-chart .runs=${this.runs} metric="top1"></cw-loss-chart>
      </div>
    </section>`;
  }

  private backendText(): string {
    const { backend } = this;
    if (backend.status !== 'ready' && backend.status !== 'lost') return '—';
    const adapter = backend.report.adapter;
    return [backend.report.backend, adapter?.vendor, adapter?.architecture].filter(Boolean).join(' · ');
  }

  /** The adapter, as far as the browser tells it. */
  private adapterText(): string {
    const { backend } = this;
    if (backend.status !== 'ready' && backend.status !== 'lost') return '';
    const adapter = backend.report.adapter;
    return adapter ? [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' · ') : backend.report.backend;
  }

  private renderControls() {
    const { phase } = this;
    const paused = phase === 'paused' || phase === 'pausing';
    const active = phase === 'running' || paused;
    return html`
      ${paused
        ? html`<button data-testid="resume-button" @click=${() => sendIntent(this, { kind: 'resume' })}>Resume</button>`
        : html`<button data-testid="pause-button" ?disabled=${phase !== 'running'} @click=${() => sendIntent(this, { kind: 'pause' })}>Pause</button>`}
      <button data-testid="cancel-button" ?disabled=${!active} @click=${() => sendIntent(this, { kind: 'cancel' })}>Cancel</button>
    `;
  }

  private renderNotice(finished: number) {
    const kept = finished ? `${finished} finished run${finished === 1 ? ' is' : 's are'} kept in the results below.` : 'No run had finished.';
    switch (this.phase) {
      case 'cancelled':
        return html`<div class="alert warning" role="status" data-testid="study-notice">Study cancelled. ${kept}</div>`;
      case 'failed':
        return html`<div class="alert error" role="alert" data-testid="run-error">
          <strong>A run failed in the engine worker.</strong> ${kept}
          <pre>${this.error ?? 'unknown error'}</pre>
        </div>`;
      case 'finished':
        return html`<p class="muted" data-testid="study-notice">All ${this.runs.length} runs finished.</p>`;
      case 'idle':
        // A past study reopened before all its runs had finished.
        return finished
          ? html`<p class="muted" data-testid="study-notice">
              ${finished} of ${this.runs.length} runs are stored. Run the study again to train the rest; the stored ones come back at once.
            </p>`
          : nothing;
      default:
        return nothing;
    }
  }

  private renderRun(run: RunView) {
    const total = run.totalSteps ?? 0;
    const latest = run.latest;
    return html`
      <p class="current" data-testid="current-run">Run ${run.index + 1}/${this.runs.length}: ${run.label}</p>
      ${run.resumedFrom !== null
        ? html`<p class="muted" data-testid="resumed-note">Resumed from its checkpoint after step ${run.resumedFrom}.</p>`
        : nothing}
      <div class="bar">
        <progress data-testid="progress-bar" max=${Math.max(total, 1)} .value=${run.stepsDone} aria-label="Steps of this run"></progress>
        <span class="muted" data-testid="step-count">${total ? `step ${run.stepsDone}/${total}` : 'preparing…'}</span>
      </div>
      ${this.compact && run.status === 'running' && this.studyEtaSec !== null ? html`<p class="muted">Study: ≈ ${seconds(this.studyEtaSec)} left</p>` : nothing}
      <dl>
        <div><dt>Loss</dt><dd data-testid="loss">${latest ? num(latest.loss) : '—'}</dd></div>
        <div><dt>Learning rate</dt><dd data-testid="lr">${latest ? num(latest.lr) : '—'}</dd></div>
        <div><dt>Images/s</dt><dd data-testid="images-per-sec">${latest ? latest.imagesPerSec.toFixed(0) : '—'}</dd></div>
        <div><dt>On</dt><dd data-testid="run-backend" title=${this.adapterText()}>${this.backendText()}</dd></div>
        <div>
          <dt>Epoch</dt>
          <dd data-testid="epoch">${latest && run.epochs ? `${latest.epoch + 1}/${run.epochs}` : '—'}</dd>
        </div>
        <div><dt>ETA (run)</dt><dd data-testid="eta">${run.status === 'running' && latest ? seconds(latest.etaSec) : '—'}</dd></div>
        <div>
          <dt>ETA (study)</dt>
          <dd data-testid="study-eta">${run.status === 'running' && this.studyEtaSec !== null ? `≈ ${seconds(this.studyEtaSec)}` : '—'}</dd>
        </div>
        <div>
          <dt>Latest eval top-1</dt>
          <dd data-testid="eval-top1">
            ${run.evaluation ? html`${percent(run.evaluation.top1)} <span class="muted">(epoch ${run.evaluation.epoch + 1})</span>` : '—'}
          </dd>
        </div>
      </dl>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-run-monitor': RunMonitor;
  }
}
