/** Offers to resume a study that was running when the page went away. */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { SelectedStudy } from '../app/state';
import { sendIntent } from './intents';
import { panelStyles } from './styles';

@customElement('cw-interrupted-study')
export class InterruptedStudy extends LitElement {
  static override styles = [
    panelStyles,
    css`
      section {
        border-color: #d89b00;
        background: #fff8e6;
      }
      .actions {
        display: flex;
        gap: 0.5rem;
        margin-top: 0.6rem;
      }
    `,
  ];

  @property({ attribute: false }) study!: SelectedStudy;
  @property({ type: Boolean }) canResume = false;

  override render() {
    const runs = this.study.planned.length;
    return html`<section data-testid="interrupted-study" aria-live="polite">
      <h2>Interrupted study</h2>
      <p>
        <strong>${this.study.spec.name}</strong> (${runs} run${runs === 1 ? '' : 's'}) was running when this page was closed or
        reloaded. Resuming returns the finished runs from this browser's storage and continues the run in progress from its
        last checkpoint.
      </p>
      <div class="actions">
        <button class="primary" data-testid="resume-interrupted" ?disabled=${!this.canResume} @click=${() => sendIntent(this, { kind: 'resume-interrupted' })}>
          Resume study
        </button>
        <button data-testid="discard-interrupted" @click=${() => sendIntent(this, { kind: 'discard-interrupted' })}>Dismiss</button>
      </div>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-interrupted-study': InterruptedStudy;
  }
}
