/** Choose a study (a preset or a spec file), see the runs it plans, and start it. */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { SelectedStudy } from '../app/workbench';
import { PRESETS } from '../study/presets';
import { sendIntent } from './intents';
import { panelStyles } from './styles';

@customElement('cw-study-picker')
export class StudyPicker extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .field {
        display: grid;
        gap: 0.25rem;
        margin-bottom: 0.75rem;
      }
      label {
        font-weight: 600;
        font-size: 0.9rem;
      }
      select,
      input[type='file'] {
        font: inherit;
        max-width: 100%;
      }
      select {
        width: 100%;
        padding: 0.3rem 0.4rem;
        border-radius: 6px;
        border: 1px solid var(--cw-border, #d9dee7);
      }
      ol {
        margin: 0.25rem 0 1rem;
        padding-left: 1.6rem;
      }
      li {
        margin: 0.15rem 0;
      }
      .summary {
        font-size: 0.9rem;
      }
    `,
  ];

  @property({ attribute: false }) study: SelectedStudy | null = null;
  @property({ attribute: false }) error: string | null = null;
  /** A study is running: the choice is locked. */
  @property({ type: Boolean }) locked = false;
  @property({ type: Boolean }) canRun = false;

  override render() {
    const { study } = this;
    const presetValue = study?.source.kind === 'preset' ? study.source.name : '';
    return html`<section aria-labelledby="study-heading">
      <h2 id="study-heading">Study</h2>
      <div class="field">
        <label for="preset">Preset</label>
        <select id="preset" data-testid="preset-select" .value=${presetValue} ?disabled=${this.locked} @change=${this.onPreset}>
          <option value="" ?selected=${presetValue === ''} disabled>
            ${study?.source.kind === 'file' ? `from file: ${study.source.fileName}` : '— choose a preset —'}
          </option>
          ${Object.entries(PRESETS).map(([name, spec]) => html`<option value=${name} ?selected=${name === presetValue} title=${spec.description}>${name}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="spec-file">Or load a study spec (JSON)</label>
        <input id="spec-file" type="file" accept=".json,application/json" data-testid="spec-file" ?disabled=${this.locked} @change=${this.onFile} />
      </div>
      ${this.error
        ? html`<div class="alert error" role="alert" data-testid="study-error">
            <strong>Study refused.</strong>
            <pre>${this.error}</pre>
          </div>`
        : nothing}
      ${study ? this.renderPlan(study) : html`<p class="muted">No study selected.</p>`}
      <button class="primary" data-testid="run-button" ?disabled=${!this.canRun} @click=${() => sendIntent(this, { kind: 'run' })}>
        Run study
      </button>
    </section>`;
  }

  private renderPlan(study: SelectedStudy) {
    const { spec, planned } = study;
    const seeds = spec.seeds.length;
    return html`
      <p class="summary"><strong>${spec.name}</strong>${spec.description ? html` — ${spec.description}` : nothing}</p>
      <p class="muted">
        ${spec.baseline.model.arch} (width ${spec.baseline.model.width}), ${spec.baseline.training.epochs} epochs, batch
        ${spec.baseline.training.batchSize}, ${seeds} seed${seeds === 1 ? '' : 's'}
      </p>
      <h3>Planned runs (${planned.length})</h3>
      <ol data-testid="planned-runs">
        ${planned.map((run) => html`<li>${run.label} ${run.baseline ? html`<span class="tag">baseline</span>` : nothing}</li>`)}
      </ol>
    `;
  }

  private onPreset(event: Event): void {
    const name = (event.target as HTMLSelectElement).value;
    if (name) sendIntent(this, { kind: 'select-preset', name });
  }

  private async onFile(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    const text = await file.text();
    // Cleared, so choosing the same file again (after fixing it) loads it again.
    input.value = '';
    sendIntent(this, { kind: 'load-spec', fileName: file.name, text });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-study-picker': StudyPicker;
  }
}
