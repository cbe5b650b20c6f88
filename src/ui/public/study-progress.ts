/**
 * A study's progress as the coordinator reports it: units by state with a
 * bar, active leases, results by validation state, the contributors and the
 * units. Renders the study detail it is given; nothing to ask for.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { StudyDetail } from '../../app/coordinator-client';
import { panelStyles } from '../styles';

/** Unit states in the order the bar stacks them: decided first, then what still waits. */
export const UNIT_STATES = ['done', 'held', 'inconclusive', 'open'] as const;
/** Withdrawn: the organiser revoked the volunteer who sent them; they count for nothing. */
export const RESULT_STATES = ['valid', 'pending', 'held', 'invalid', 'withdrawn'] as const;

const UNIT_WORDS: Record<(typeof UNIT_STATES)[number], string> = {
  done: 'done (validated)',
  held: 'waiting for another replica',
  inconclusive: 'inconclusive',
  open: 'open',
};

@customElement('cw-study-progress')
export class StudyProgress extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .stacked {
        display: flex;
        height: 0.9rem;
        border-radius: 999px;
        overflow: hidden;
        background: var(--cw-border, #d9dee7);
        margin: 0.5rem 0;
      }
      .stacked span {
        display: block;
        height: 100%;
      }
      .swatch {
        display: inline-block;
        width: 0.7rem;
        height: 0.7rem;
        border-radius: 2px;
        margin-right: 0.3rem;
        vertical-align: -0.05rem;
      }
      .done {
        background: #2e8b57;
      }
      .held {
        background: #e0a100;
      }
      .inconclusive {
        background: #c0392b;
      }
      .open {
        background: #c3cad6;
      }
      ul.legend {
        list-style: none;
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1.2rem;
        padding: 0;
        margin: 0.3rem 0;
        font-size: 0.9rem;
      }
      .counts {
        font-variant-numeric: tabular-nums;
      }
      code {
        font: 0.85rem ui-monospace, SFMono-Regular, Menlo, monospace;
      }
      td.n {
        text-align: right;
      }
    `,
  ];

  @property({ attribute: false }) detail: StudyDetail | null = null;

  override render() {
    const d = this.detail;
    if (!d) return nothing;
    const p = d.progress;
    const n = (state: string) => p.byState[state] ?? 0;
    const r = (state: string) => p.results[state] ?? 0;
    const decided = n('done') + n('inconclusive');
    const share = (k: number) => (p.units ? (100 * k) / p.units : 0);
    const words = UNIT_STATES.map((s) => `${n(s)} ${s}`).join(', ');
    return html`<section aria-labelledby="progress-heading">
      <header>
        <h2 id="progress-heading">Progress</h2>
        <span class="counts" data-testid="units-decided">${decided} of ${p.units} units decided</span>
      </header>
      <div class="stacked" role="img" aria-label=${`Units: ${words}, of ${p.units}`} data-testid="progress-bar">
        ${UNIT_STATES.map((s) => (n(s) ? html`<span class=${s} style=${`width: ${share(n(s))}%`} title=${`${n(s)} ${UNIT_WORDS[s]}`}></span>` : nothing))}
      </div>
      <ul class="legend counts" data-testid="unit-states">
        ${UNIT_STATES.map((s) => html`<li data-state=${s}><span class=${`swatch ${s}`}></span>${UNIT_WORDS[s]}: <b>${n(s)}</b></li>`)}
      </ul>
      <p class="counts" data-testid="active-leases">
        Active leases: <b>${p.activeLeases}</b> <span class="muted">(units being trained by a volunteer now)</span>
      </p>
      <p class="counts" data-testid="result-states">
        Results: ${RESULT_STATES.map((s, i) => html`${i ? ', ' : ''}<b>${r(s)}</b> ${s}`)}
        <span class="muted">(a unit's result counts once ${d.quorum} volunteers on different networks agree on its test images)</span>
      </p>

      <h3 id="contributors-heading">Contributors (${d.contributors.length})</h3>
      ${d.contributors.length === 0
        ? html`<p class="muted" data-testid="no-contributors">No volunteer has returned a result yet.</p>`
        : html`<div class="scroll">
            <table aria-labelledby="contributors-heading" data-testid="contributors">
              <thead>
                <tr>
                  <th>Volunteer</th>
                  ${RESULT_STATES.map((s) => html`<th>${s}</th>`)}
                </tr>
              </thead>
              <tbody>
                ${d.contributors.map(
                  (c) => html`<tr data-testid="contributor-row">
                    <td>
                      <span data-testid="contributor-name">${c.displayName ?? html`<span class="muted">anonymous</span>`}</span>
                      ${c.revoked ? html` <span class="tag" data-testid="contributor-revoked" title="the organiser revoked this volunteer: their results are withdrawn">revoked</span>` : nothing}
                      <br /><code class="muted" title="pseudonym">${c.contributor}</code>
                    </td>
                    ${RESULT_STATES.map((s) => html`<td class="n" data-state=${s}>${c.results[s] ?? 0}</td>`)}
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}

      <details>
        <summary>Units (${d.units.length})</summary>
        <div class="scroll">
          <table data-testid="units">
            <thead>
              <tr>
                <th>Unit</th>
                <th>State</th>
                <th>Agreeing replicas</th>
              </tr>
            </thead>
            <tbody>
              ${d.units.map(
                (u) => html`<tr data-testid="unit-row" data-state=${u.state}>
                  <td>${u.label}</td>
                  <td><span class=${`swatch ${u.state}`}></span>${u.state}</td>
                  <td>${u.validReplicas.length ? u.validReplicas.map((v, i) => html`${i ? ', ' : ''}<code>${v}</code>`) : html`<span class="muted">—</span>`}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </details>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-study-progress': StudyProgress;
  }
}
