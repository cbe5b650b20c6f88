/**
 * The designer's plan: how many runs the spec makes and the estimated time
 * (from the dataset's size and a measured warm-up step), the measure and run
 * buttons, what a measurement is doing (and its cancel), and, for a study
 * past an hour, a confirmation that says what an hour of this device can do;
 * below the form, the planned runs themselves. Renders its properties and
 * sends intents, nothing more.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { DatasetSummary, MeasureProgress } from '../../workers/api';
import { formatBytes } from '../util/units';
import { CONFIRM_ABOVE_SECONDS, estimateStudy, hourOnThisDevice, type StepEstimate, type StudyEstimate } from '../study/estimate';
import { designPlan, PLANNED_DROP, TARGET_POWER } from '../study/planning';
import { describeCrop, planRuns, type StudySpec } from '../study/study';
import { canonicalJson } from '../util/hash';
import { num, percent, seconds } from './format';
import { sendIntent } from './intents';
import { panelStyles } from './styles';

/** Above this many runs the plan lists the configurations once instead of every run. */
const LIST_EVERY_RUN_UP_TO = 30;

const planStyles = [
  panelStyles,
  css`
      .hint {
        color: var(--cw-muted, #5b6578);
        font-size: 0.8rem;
        margin: 0;
      }
      .plan {
        display: grid;
        gap: 0.4rem;
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
      .figures .actions {
        margin-left: auto;
      }
      .long .big {
        color: #a61e1e;
      }
      .stage {
        margin: 0;
        font-size: 0.9rem;
      }
      .warn {
        margin: 0;
        font-size: 0.9rem;
        color: #7a4d00;
      }
      .alert p {
        margin: 0.4rem 0 0.6rem;
      }
  `,
];

@customElement('cw-study-plan')
export class StudyPlan extends LitElement {
  static override styles = [planStyles];

  /** The designer's spec, when every field is valid. */
  @property({ attribute: false }) spec: StudySpec | null = null;
  @property({ attribute: false }) datasetSummary: DatasetSummary | null = null;
  @property({ attribute: false }) estimate: StepEstimate | null = null;
  @property({ type: Boolean }) measuring = false;
  @property({ attribute: false }) measureProgress: MeasureProgress | null = null;
  @property({ type: Boolean }) measureCancelling = false;
  @property({ type: Boolean }) locked = false;
  @property({ type: Boolean }) canRun = false;
  /** The Run button was pressed on a study past an hour: it asks first. */
  @state() private confirming = false;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('spec') || changed.has('estimate') || changed.has('locked')) this.confirming = false;
  }

  override render() {
    const spec = this.spec;
    const runButton = (study: StudyEstimate | null) => html`<button
      class="primary"
      data-testid="run-button"
      ?disabled=${!this.canRun || !spec || this.locked}
      @click=${() => (study?.seconds != null && study.seconds > CONFIRM_ABOVE_SECONDS ? (this.confirming = true) : sendIntent(this, { kind: 'run' }))}
    >
      Run study
    </button>`;
    if (!spec) {
      return html`<div class="plan" data-testid="plan">
        <p class="muted" data-testid="plan-invalid">Fix the marked fields to see the planned runs and the estimate.</p>
        <div class="actions">${runButton(null)}</div>
      </div>`;
    }
    const study = estimateStudy(spec, this.datasetSummary, this.estimate);
    const long = study.seconds !== null && study.seconds > CONFIRM_ABOVE_SECONDS;
    return html`<div class="plan" data-testid="plan">
      <div class="figures">
        <span
          ><span class="big" data-testid="run-count">${study.runs}</span> run${study.runs === 1 ? '' : 's'}
          <span class="muted">(${study.configurations} configuration${study.configurations === 1 ? '' : 's'} × ${study.seeds} seed${study.seeds === 1 ? '' : 's'})</span></span
        >
        ${study.stepsPerRun !== null
          ? html`<span
              ><span class="big" data-testid="steps-per-run">${study.stepsPerRun.toLocaleString('en')}</span> steps a run
              <span class="muted">(⌊train / batch⌋ × epochs)</span></span
            >`
          : nothing}
        <span data-testid="estimate" aria-live="polite" class=${long ? 'long' : ''}
          >${study.seconds !== null
            ? html`≈ <span class="big" data-testid="estimate-total">${seconds(study.seconds)}</span> in all`
            : html`<span class="muted">no time estimate yet</span>`}</span
        >
        <span class="actions">
          ${this.measuring
            ? html`<button data-testid="cancel-measure" ?disabled=${this.measureCancelling} @click=${() => sendIntent(this, { kind: 'cancel-measure' })}>
                ${this.measureCancelling ? 'Cancelling…' : 'Cancel measuring'}
              </button>`
            : html`<button data-testid="measure-step" ?disabled=${this.locked} @click=${() => sendIntent(this, { kind: 'measure-step' })}>
                ${study.measurement === 'stale' ? 'Re-measure a warm-up step' : 'Measure a warm-up step'}
              </button>`}
          ${runButton(study)}
        </span>
      </div>
      ${this.measuring
        ? html`<p class="stage" data-testid="measure-stage" role="status">${this.measureCancelling ? CANCELLING : measureStage(this.measureProgress)}</p>`
        : html`<p class="hint" data-testid="estimate-note">${study.note}</p>`}
      ${long && this.estimate && !this.confirming
        ? html`<p class="warn" data-testid="estimate-long">More than an hour on this device: Run asks first, and says what an hour here can do.</p>`
        : nothing}
      ${this.confirming && this.estimate ? this.renderConfirm(spec, study, this.estimate) : nothing}
    </div>`;
  }

  private renderConfirm(spec: StudySpec, study: StudyEstimate, estimate: StepEstimate) {
    const hour = hourOnThisDevice(study, estimate);
    const runs = hour.runsPerHour;
    return html`<div class="alert warning" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-text" data-testid="confirm-long">
      <strong id="confirm-title">This study would take about ${seconds(study.seconds ?? 0)} here.</strong>
      <p id="confirm-text">
        This device trains about ${Math.round(hour.stepsPerHour).toLocaleString('en')} steps an hour (${num(estimate.msPerStep / 1000)} s a step on
        ${estimate.backend}, batch ${estimate.batchSize}): one run of this study takes ≈ ${seconds(hour.secondsPerRun ?? 0)}, so an hour holds
        ${runs === null ? 'no whole run' : runs >= 1 ? `about ${Math.floor(runs)} of its ${study.runs} runs` : `${percent(runs, 0)} of one run`}. To fit an hour, plan
        fewer runs (seeds or strengths), fewer than ${spec.baseline.training.epochs} epochs or a narrower model; or run it on a faster GPU. A closed tab
        loses nothing: every run resumes from its checkpoint.
      </p>
      <div class="actions">
        <button class="primary" data-testid="confirm-run" @click=${() => this.runAnyway()}>Run it anyway</button>
        <button data-testid="cancel-run" @click=${() => (this.confirming = false)}>Back to the design</button>
      </div>
    </div>`;
  }

  private runAnyway(): void {
    this.confirming = false;
    sendIntent(this, { kind: 'run' });
  }
}

const CANCELLING = 'Cancelling: the worker stops after the step it is on, which the GPU cannot interrupt (a first step of a large model can take minutes here).';

/** What a measurement is doing, in words. */
function measureStage(progress: MeasureProgress | null): string {
  if (!progress) return 'Measuring: starting…';
  if (progress.stage === 'dataset') {
    const fetch = progress.fetch;
    return fetch
      ? `Measuring: loading the dataset, shard ${fetch.shard + 1} of ${fetch.shards} (${formatBytes(fetch.loadedBytes)} of ${formatBytes(fetch.totalBytes)})…`
      : 'Measuring: loading the dataset…';
  }
  if (progress.done === 0) return `Measuring: the warm-up step, which compiles the shaders (the slowest; ${progress.total - 1} timed steps follow)…`;
  return `Measuring: step ${progress.done + 1} of ${progress.total} (${progress.done} done)…`;
}

/** The planned runs, seed by seed (or the configurations once, for large studies). */
@customElement('cw-planned-runs')
export class PlannedRuns extends LitElement {
  static override styles = [planStyles];

  @property({ attribute: false }) spec: StudySpec | null = null;
  @property({ attribute: false }) datasetSummary: DatasetSummary | null = null;

  override render() {
    const spec = this.spec;
    if (!spec) return nothing;
    return html`${this.renderPower(spec, planRuns(spec).length / spec.seeds.length)} ${this.renderRuns(spec)}`;
  }

  /** The planning aid: what these seeds can detect on an average class, before anything has run. */
  private renderPower(spec: StudySpec, configurations: number) {
    const d = this.datasetSummary;
    const plan = d ? designPlan(d.classNames.length, d.testCount, configurations - 1, spec.seeds.length) : null;
    if (!plan) return nothing;
    const pp = (v: number) => `${(v * 100).toFixed(1)} pp`;
    const seeds = `${plan.seeds} seed${plan.seeds === 1 ? '' : 's'}`;
    const detectable =
      plan.seeds < 2
        ? `With ${seeds} a side no verdict on a regularizer is possible (only model vs model)`
        : plan.detectable === null
          ? `With ${seeds} a side no drop up to 100 points is reliably detected`
          : `With ${seeds} a side, a class must drop about ${pp(plan.detectable)} to be detected (${TARGET_POWER * 100}% power)`;
    const needed = plan.seedsForPlannedDrop === null ? `more than 50 seeds` : `${plan.seedsForPlannedDrop} seeds`;
    return html`<p class="hint" data-testid="plan-power">
      Power: ${detectable}; a ${PLANNED_DROP * 100}-point drop needs ${needed} a side. For ${plan.classes} classes of about ${Math.round(plan.imagesPerClass)} test images
      and ${plan.tests} tests at a 5% false-discovery rate, assuming models at ${plan.assumedAccuracy * 100}% that err independently and no extra seed-to-seed
      spread: a first guess, which the per-class views replace with what the runs measure.
    </p>`;
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
    'cw-planned-runs': PlannedRuns;
  }
}
