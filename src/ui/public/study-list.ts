/** The coordinator's studies, each linking to its public page with its progress. */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { StudySummary } from '../../app/coordinator-client';
import { panelStyles } from '../styles';

/** The public page of one study (this page, with its id). */
export function studyHref(id: string): string {
  return `study.html?id=${encodeURIComponent(id)}`;
}

@customElement('cw-study-list')
export class StudyList extends LitElement {
  static override styles = [
    panelStyles,
    css`
      td.n {
        text-align: right;
      }
      a {
        color: var(--cw-accent, #2458d6);
      }
    `,
  ];

  /** null while the first answer is awaited. */
  @property({ attribute: false }) studies: StudySummary[] | null = null;

  override render() {
    const studies = this.studies;
    return html`<section aria-labelledby="list-heading">
      <h2 id="list-heading">Studies</h2>
      ${studies === null
        ? html`<p class="muted" data-testid="list-loading">Asking the coordinator for its studies…</p>`
        : studies.length === 0
          ? html`<p class="muted" data-testid="list-empty">The coordinator has no study yet.</p>`
          : html`<div class="scroll">
              <table data-testid="study-list">
                <thead>
                  <tr>
                    <th>Study</th>
                    <th>Published</th>
                    <th>Units decided</th>
                    <th>Valid results</th>
                    <th>Active leases</th>
                  </tr>
                </thead>
                <tbody>
                  ${studies.map((s) => {
                    const decided = (s.progress.byState.done ?? 0) + (s.progress.byState.inconclusive ?? 0);
                    return html`<tr data-testid="study-row">
                      <td><a href=${studyHref(s.id)}>${s.name}</a></td>
                      <td>${new Date(s.createdAt).toLocaleString()}</td>
                      <td class="n">${decided} / ${s.progress.units}</td>
                      <td class="n">${s.progress.results.valid ?? 0}</td>
                      <td class="n">${s.progress.activeLeases}</td>
                    </tr>`;
                  })}
                </tbody>
              </table>
            </div>`}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-study-list': StudyList;
  }
}
