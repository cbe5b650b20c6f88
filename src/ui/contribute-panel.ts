/** Contribute mode: pick a shared study, say how much to give, and watch what trains on this GPU. */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { isComplete, isContributing, type ContributePhase, type ContributeState } from '../app/contributor';
import { num, percent, seconds } from './format';
import { sendIntent } from './intents';
import { panelStyles } from './styles';

const PHASE_TEXT: Record<ContributePhase, string> = {
  idle: 'not started',
  leasing: 'asking for a unit',
  training: 'training',
  pausing: 'pausing…',
  paused: 'paused',
  uploading: 'uploading',
  waiting: 'waiting for a unit',
  stopping: 'stopping…',
  stopped: 'stopped',
  finished: 'finished',
  failed: 'failed',
};

@customElement('cw-contribute-panel')
export class ContributePanel extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .form {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr));
        gap: 0.6rem 1rem;
        align-items: end;
        margin: 0.75rem 0;
        padding: 0;
        border: none;
      }
      label {
        display: grid;
        gap: 0.2rem;
        font-size: 0.9rem;
        font-weight: 600;
      }
      /* A study's name and its count of units done read in full, on a row of their own. */
      label.study {
        grid-column: 1 / -1;
      }
      input,
      select {
        width: 100%;
        min-width: 0;
        box-sizing: border-box;
        font: inherit;
        padding: 0.25rem 0.4rem;
        border: 1px solid var(--cw-border, #d9dee7);
        border-radius: 6px;
      }
      .controls {
        display: flex;
        align-items: center;
        gap: 0.4rem;
        flex-wrap: wrap;
      }
      .controls a {
        margin-left: auto;
      }
    `,
  ];

  @property({ attribute: false }) contribution: ContributeState | null = null;
  /** Why the GPU cannot take a unit now (null when it can), said beside Start. */
  @property({ attribute: false }) blocked: string | null = 'the GPU backend is still starting';
  /** The form's own values until Start: what the volunteer is typing, not yet an intent. */
  @state() private studyId = '';
  @state() private displayName = '';
  @state() private units = '';
  @state() private minutes = '';

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.contribution?.studies) sendIntent(this, { kind: 'list-shared-studies' });
  }

  override render() {
    const c = this.contribution;
    if (!c) return nothing;
    const studies = c.studies ?? [];
    // The volunteer's pick if it is still listed, else the first study that still needs work.
    const chosen = (studies.some((s) => s.id === this.studyId) ? this.studyId : (studies.find((s) => !isComplete(s)) ?? studies[0])?.id) ?? '';
    const running = isContributing(c.phase);
    const complete = studies.find((s) => s.id === chosen && isComplete(s));
    const whyNot = running ? null : this.blocked ?? (complete ? 'every unit of this study is decided: pick another' : !this.budgetValid() ? 'the budget must be whole numbers of units or minutes, 1 or more' : null);
    return html`<section aria-labelledby="contribute-heading">
      <header>
        <h2 id="contribute-heading">Contribute to a shared study <span class="phase" data-testid="contribute-phase">${PHASE_TEXT[c.phase]}</span></h2>
        <button data-testid="refresh-studies" ?disabled=${running} @click=${() => sendIntent(this, { kind: 'list-shared-studies' })}>Refresh studies</button>
      </header>
      <p class="muted">
        Your GPU trains units (one config × one seed) of a study published on this site's coordinator, one after another, and uploads each
        result. Every unit is trained by at least two volunteers on different networks, and a result counts once their per-image predictions
        agree. The coordinator gives your browser a credential that proves your uploads are yours; the study page shows only a pseudonym and
        the name you give.
      </p>
      ${c.listError ? html`<div class="alert error" role="alert" data-testid="contribute-list-error">${c.listError}</div>` : nothing}
      ${c.studies && studies.length === 0 ? html`<p class="muted" data-testid="no-shared-studies">The coordinator has no study to contribute to yet.</p>` : nothing}
      <fieldset class="form" ?disabled=${running}>
        <label class="study"
          >Study
          <select data-testid="shared-study" .value=${chosen} @change=${(e: Event) => (this.studyId = (e.target as HTMLSelectElement).value)}>
            ${studies.map(
              (s) => html`<option value=${s.id} ?selected=${s.id === chosen}>
                ${s.name} (${s.progress.byState['done'] ?? 0}/${s.progress.units} units done${isComplete(s) ? ', complete' : ''})
              </option>`,
            )}
          </select>
        </label>
        <label
          >Name shown (optional)
          <input data-testid="display-name" .value=${this.displayName} maxlength="64" @input=${(e: Event) => (this.displayName = (e.target as HTMLInputElement).value)} />
        </label>
        <label
          >Units at most
          <input data-testid="budget-units" type="number" min="1" step="1" placeholder="no limit" .value=${this.units} @input=${(e: Event) => (this.units = (e.target as HTMLInputElement).value)} />
        </label>
        <label
          >Minutes at most
          <input data-testid="budget-minutes" type="number" min="1" step="1" placeholder="no limit" .value=${this.minutes} @input=${(e: Event) => (this.minutes = (e.target as HTMLInputElement).value)} />
        </label>
      </fieldset>
      <div class="controls">
        <button data-testid="contribute-start" ?disabled=${!chosen || running || whyNot !== null} @click=${() => this.start(chosen)}>
          Start contributing
        </button>
        ${c.phase === 'paused' || c.phase === 'pausing'
          ? html`<button data-testid="contribute-resume" @click=${() => sendIntent(this, { kind: 'resume-contributing' })}>Resume</button>`
          : html`<button data-testid="contribute-pause" ?disabled=${c.phase !== 'training'} @click=${() => sendIntent(this, { kind: 'pause-contributing' })}>Pause</button>`}
        <button data-testid="contribute-stop" ?disabled=${!running || c.phase === 'stopping'} @click=${() => sendIntent(this, { kind: 'stop-contributing' })}>Stop</button>
        ${chosen ? html`<a data-testid="study-page-link" href=${`study.html?id=${encodeURIComponent(chosen)}`} target="_blank" rel="noopener">The study's public page</a>` : nothing}
      </div>
      ${whyNot && chosen ? html`<p class="muted" data-testid="contribute-blocked">Start is not offered now: ${whyNot}.</p>` : nothing}
      ${c.message ? html`<p data-testid="contribute-message">${c.message}</p>` : nothing}
      ${c.error ? html`<div class="alert error" role="alert" data-testid="contribute-error">${c.error}</div>` : nothing}
      ${this.renderCurrent(c)} ${this.renderDone(c)}
    </section>`;
  }

  private renderCurrent(c: ContributeState) {
    const unit = c.current;
    if (!unit) return nothing;
    return html`<h3>On your GPU now</h3>
      <p data-testid="contribute-unit">${unit.label}</p>
      ${unit.resumedFrom !== null ? html`<p class="muted" data-testid="contribute-resumed">Resumed from its checkpoint after step ${unit.resumedFrom}.</p>` : nothing}
      <div class="bar">
        <progress data-testid="contribute-progress" max=${Math.max(unit.totalSteps ?? 0, 1)} .value=${unit.stepsDone}></progress>
        <span class="muted">${unit.totalSteps ? `step ${unit.stepsDone}/${unit.totalSteps}` : 'preparing…'}</span>
      </div>
      <p class="muted">
        loss ${unit.loss === null ? '—' : num(unit.loss)} · ${unit.imagesPerSec === null ? '—' : unit.imagesPerSec.toFixed(0)} images/s · ETA
        ${unit.etaSec === null ? '—' : seconds(unit.etaSec)}
      </p>`;
  }

  private renderDone(c: ContributeState) {
    if (c.done.length === 0) return nothing;
    return html`<h3>Uploaded</h3>
      <table data-testid="contributed-units">
        <thead>
          <tr><th class="left" scope="col">Unit</th><th scope="col">Top-1</th><th scope="col">Validation</th></tr>
        </thead>
        <tbody>
          ${c.done.map(
            (u) => html`<tr data-testid="contributed-unit">
              <td class="left">${u.label}${u.fromStorage ? html` <span class="tag" title="trained here before; only uploaded">from storage</span>` : nothing}</td>
              <td>${percent(u.top1)}</td>
              <td>${u.state}</td>
            </tr>`,
          )}
        </tbody>
      </table>`;
  }

  private budgetValid(): boolean {
    return [this.units, this.minutes].every((v) => v === '' || (Number.isInteger(Number(v)) && Number(v) >= 1));
  }

  private start(studyId: string): void {
    const limit = (v: string) => (v === '' ? null : Number(v));
    sendIntent(this, { kind: 'contribute', studyId, budget: { units: limit(this.units), minutes: limit(this.minutes) }, displayName: this.displayName.trim() });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-contribute-panel': ContributePanel;
  }
}
