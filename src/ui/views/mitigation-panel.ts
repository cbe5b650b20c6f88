/**
 * Class-conditional augmentation in the per-class view: the "mitigate" action
 * for a comparison with hurt classes (it designs the follow-up; Run trains
 * it), and, once a follow-up's runs are on screen, each hurt class's change
 * with the crop for every class beside its change without the crop for it,
 * and what the average pays. Renders what it is given and sends intents.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { MitigationState } from '../../app/state';
import type { Comparison, StudyAnalysis } from '../../study/analysis';
import { mitigationOffer, mitigationSummaries, mitigationWords, type MitigationSummary } from '../../study/mitigation';
import { pointsDelta } from '../format';
import { sendIntent } from '../intents';
import { panelStyles } from '../styles';
import { intervalPoints } from './text';

@customElement('cw-mitigation-panel')
export class MitigationPanel extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host {
        margin: 0.6rem 0;
      }
      .offer {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.4rem 0.8rem;
      }
      .offer p {
        flex: 1 1 20rem;
      }
      table {
        max-width: 44rem;
      }
      td.verdict-hurt {
        color: #b3261e;
        font-weight: 600;
      }
      h3 {
        margin-top: 1rem;
      }
    `,
  ];

  @property({ attribute: false }) analysis: StudyAnalysis | null = null;
  @property({ attribute: false }) comparison: Comparison | null = null;
  @property({ attribute: false }) mitigation: MitigationState = { followUp: null, problem: null };
  /** Whether Run would start now (the backend is up, nothing else holds the GPU). */
  @property({ type: Boolean }) canRun = false;

  override render() {
    const summaries = this.analysis ? mitigationSummaries(this.analysis) : [];
    // A comparison whose mitigation is on screen already is not offered again.
    const mitigated = summaries.some((s) => s.original.treatment.configHash === this.comparison?.treatment.configHash);
    return html`${this.renderOffer(mitigated)} ${summaries.map((s) => this.renderSummary(s))}`;
  }

  private renderOffer(mitigated: boolean) {
    const c = mitigated ? null : this.comparison;
    const { followUp, problem } = this.mitigation;
    const offer = c ? mitigationOffer(c) : null;
    const designed = followUp
      ? html`<div class="alert" role="status" data-testid="mitigation-designed">
          Follow-up designed: <strong>${followUp.name}</strong>, ${followUp.of} with the crop turned off for ${followUp.classes.join(', ')}; ${followUp.newRuns}
          new run${followUp.newRuns === 1 ? '' : 's'} (the others are this study's, already stored).
          <button class="primary" data-testid="run-follow-up" ?disabled=${!this.canRun} @click=${this.onRun}>Run the follow-up</button>
        </div>`
      : nothing;
    const failed = problem ? html`<div class="alert error" role="alert" data-testid="mitigation-problem">${problem}</div>` : nothing;
    if (!c || !offer || 'none' in offer) return html`${designed}${failed}`;
    return html`<div class="offer">
        <p class="muted">
          Class-conditional augmentation (Kirichenko et al., NeurIPS 2023): train again with the crop turned off for the hurt classes only, beside this
          study's runs, to see whether they recover and what the average pays.
        </p>
        <button data-testid="mitigate-button" @click=${this.onMitigate}>Mitigate: no crop for ${offer.classes.join(', ')}</button>
      </div>
      ${designed}${failed}`;
  }

  private renderSummary(s: MitigationSummary) {
    return html`<h3>Class-conditional crop: ${s.mitigated.treatment.label}</h3>
      <p data-testid="mitigation-summary">${mitigationWords(s)}</p>
      <table>
        <thead>
          <tr>
            <th class="left">Class</th>
            <th>With ${s.original.treatment.label}</th>
            <th>Without the crop for it</th>
          </tr>
        </thead>
        <tbody>
          ${s.classes.map(
            (k) => html`<tr data-testid="mitigation-row">
              <td class="left">${k.className}</td>
              <td class=${k.originalVerdict === 'hurt' ? 'verdict-hurt' : ''}>
                ${pointsDelta(k.original.estimate)} ${intervalPoints(k.original)}${k.originalVerdict ? ` ${k.originalVerdict}` : ''}
              </td>
              <td class=${k.mitigatedVerdict === 'hurt' ? 'verdict-hurt' : ''}>
                ${pointsDelta(k.mitigated.estimate)} ${intervalPoints(k.mitigated)}${k.mitigatedVerdict ? ` ${k.mitigatedVerdict}` : ''}
              </td>
            </tr>`,
          )}
          <tr data-testid="mitigation-mean">
            <td class="left">Mean over classes</td>
            <td>${pointsDelta(s.original.summary.meanDelta.estimate)} ${intervalPoints(s.original.summary.meanDelta)}</td>
            <td>${pointsDelta(s.mitigated.summary.meanDelta.estimate)} ${intervalPoints(s.mitigated.summary.meanDelta)}</td>
          </tr>
        </tbody>
      </table>`;
  }

  private readonly onMitigate = (): void => {
    if (this.comparison) sendIntent(this, { kind: 'mitigate', treatmentHash: this.comparison.treatment.configHash });
  };

  private readonly onRun = (): void => {
    sendIntent(this, { kind: 'run' });
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-mitigation-panel': MitigationPanel;
  }
}
