/**
 * The designer's plan: how many runs the spec makes and of which
 * configurations, the estimated time (from the dataset's size and a measured
 * warm-up step), and the measure and run buttons. Renders its properties and
 * sends intents, nothing more.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { DatasetSummary } from '../../workers/api';
import { estimateStudy, type StepEstimate } from '../study/estimate';
import { describeCrop, planRuns, type StudySpec } from '../study/study';
import { canonicalJson } from '../util/hash';
import { seconds } from './format';
import { sendIntent } from './intents';
import { panelStyles } from './styles';

/** Above this many runs the plan lists the configurations once instead of every run. */
const LIST_EVERY_RUN_UP_TO = 30;

@customElement('cw-study-plan')
export class StudyPlan extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .hint {
        color: var(--cw-muted, #5b6578);
        font-size: 0.8rem;
        margin: 0;
      }
      .plan {
        margin-top: 1rem;
        display: grid;
        gap: 0.5rem;
      }
      .figures {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1.5rem;
        align-items: baseline;
      }
      .big {
        font-size: 1.1rem;
        font-weight: 700;
        font-variant-numeric: tabular-nums;
      }
      .seed-group {
        margin: 0.2rem 0;
      }
      .seed-group ol {
        display: inline;
        padding: 0;
        margin: 0;
        list-style: none;
      }
      .seed-group li {
        display: inline;
      }
      .seed-group li + li::before {
        content: ' · ';
        color: var(--cw-muted, #5b6578);
      }
      .configs {
        margin: 0.25rem 0;
        padding-left: 1.4rem;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
      }
      details > summary {
        cursor: pointer;
      }
    `,
  ];

  /** The designer's spec, when every field is valid. */
  @property({ attribute: false }) spec: StudySpec | null = null;
  @property({ attribute: false }) datasetSummary: DatasetSummary | null = null;
  @property({ attribute: false }) estimate: StepEstimate | null = null;
  @property({ type: Boolean }) measuring = false;
  @property({ type: Boolean }) locked = false;
  @property({ type: Boolean }) canRun = false;

  override render() {
    const spec = this.spec;
    const runButton = html`<button
      class="primary"
      data-testid="run-button"
      ?disabled=${!this.canRun || !spec || this.locked}
      @click=${() => sendIntent(this, { kind: 'run' })}
    >
      Run study
    </button>`;
    if (!spec) {
      return html`<div class="plan" data-testid="plan">
        <p class="muted" data-testid="plan-invalid">Fix the marked fields to see the planned runs and the estimate.</p>
        <div class="actions">${runButton}</div>
      </div>`;
    }
    const estimate = estimateStudy(spec, this.datasetSummary, this.estimate);
    return html`<div class="plan" data-testid="plan">
      <h3>Plan</h3>
      <div class="figures">
        <span
          ><span class="big" data-testid="run-count">${estimate.runs}</span> run${estimate.runs === 1 ? '' : 's'}
          <span class="muted">(${estimate.configurations} configuration${estimate.configurations === 1 ? '' : 's'} × ${estimate.seeds} seed${estimate.seeds === 1 ? '' : 's'})</span></span
        >
        ${estimate.stepsPerRun !== null
          ? html`<span
              ><span class="big" data-testid="steps-per-run">${estimate.stepsPerRun.toLocaleString('en')}</span> steps a run
              <span class="muted">(⌊train / batch⌋ × epochs)</span></span
            >`
          : nothing}
        <span data-testid="estimate" aria-live="polite"
          >${estimate.seconds !== null
            ? html`≈ <span class="big" data-testid="estimate-total">${seconds(estimate.seconds)}</span> in all`
            : html`<span class="muted">no time estimate yet</span>`}</span
        >
      </div>
      <p class="hint" data-testid="estimate-note">${estimate.note}</p>
      <div class="actions">
        <button data-testid="measure-step" ?disabled=${this.measuring || this.locked} @click=${() => sendIntent(this, { kind: 'measure-step' })}>
          ${this.measuring ? 'Measuring…' : estimate.measurement === 'stale' ? 'Re-measure a warm-up step' : 'Measure a warm-up step'}
        </button>
        ${runButton}
      </div>
      ${this.renderRuns(spec)}
    </div>`;
  }

  private renderRuns(spec: StudySpec) {
    const runs = planRuns(spec);
    const baseline = canonicalJson(spec.baseline);
    const configs = runs.filter((r) => r.seed === spec.seeds[0]).map((r) => r.config);
    const label = (config: StudySpec['baseline']) =>
      `${describeCrop(config.augmentation.crop)}${config.augmentation.flip ? ' + flip' : ''}, wd ${config.training.optimizer.weightDecay}`;
    const tag = (config: StudySpec['baseline']) => (canonicalJson(config) === baseline ? html` <span class="tag">baseline</span>` : nothing);
    if (runs.length <= LIST_EVERY_RUN_UP_TO) {
      return html`<details open>
        <summary>Planned runs, seed by seed</summary>
        <div data-testid="planned-runs">
          ${spec.seeds.map(
            (seed) => html`<div class="seed-group" data-testid="seed-group">
              <strong>seed ${seed}:</strong>
              <ol>
                ${runs.filter((r) => r.seed === seed).map((r) => html`<li data-testid="planned-run">${label(r.config)}${tag(r.config)}</li>`)}
              </ol>
            </div>`,
          )}
        </div>
      </details>`;
    }
    return html`<details>
      <summary data-testid="planned-runs-collapsed">${runs.length} runs: these ${configs.length} configurations for each of ${spec.seeds.length} seeds</summary>
      <div data-testid="planned-runs">
        <ol class="configs">
          ${configs.map((config) => html`<li data-testid="planned-config">${label(config)}${tag(config)}</li>`)}
        </ol>
        <p class="muted">Seeds: ${spec.seeds.length > 40 ? `${spec.seeds.slice(0, 40).join(', ')}, … (${spec.seeds.length})` : spec.seeds.join(', ')}</p>
      </div>
    </details>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-study-plan': StudyPlan;
  }
}
