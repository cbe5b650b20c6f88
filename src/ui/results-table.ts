/**
 * Finished runs: top-1 and wall time per run, then accuracy per class for
 * each run with its difference from the baseline run of the same seed.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { RunView } from '../app/workbench';
import type { RunResult } from '../study/results';
import { percent, pointsDelta, seconds } from './format';
import { sendIntent } from './intents';
import { runColour } from './loss-chart';
import { panelStyles } from './styles';

interface FinishedRun {
  run: RunView;
  result: RunResult;
  /** The baseline run of the same seed, when it has finished (absent for the baseline itself). */
  baseline: RunResult | null;
}

export function finishedRuns(runs: RunView[]): FinishedRun[] {
  return runs.flatMap((run) => {
    if (!run.result) return [];
    const base = run.baseline ? null : (runs.find((b) => b.baseline && b.seed === run.seed && b.result)?.result ?? null);
    return [{ run, result: run.result, baseline: base }];
  });
}

function classAccuracy(result: RunResult, k: number): number | null {
  const c = result.perClass[k];
  return c && c.total > 0 ? c.correct / c.total : null;
}

@customElement('cw-results-table')
export class ResultsTable extends LitElement {
  static override styles = [
    panelStyles,
    css`
      th,
      td {
        text-align: right;
      }
      th.left,
      td.left {
        text-align: left;
      }
      thead th.run {
        text-align: center;
        border-left: 1px solid var(--cw-border, #d9dee7);
      }
      td.first,
      th.first {
        border-left: 1px solid var(--cw-border, #d9dee7);
      }
      .swatch {
        display: inline-block;
        width: 0.7rem;
        height: 0.7rem;
        border-radius: 2px;
        margin-right: 0.35rem;
        vertical-align: -0.05em;
      }
      .delta.negative {
        color: #c62828;
        font-weight: 600;
      }
      .delta.positive {
        color: #1b6b3a;
      }
      .export {
        display: flex;
        align-items: center;
        gap: 0.6rem;
      }
    `,
  ];

  @property({ attribute: false }) runs: RunView[] = [];
  /** The results file exists: every planned run has finished. */
  @property({ type: Boolean }) canExport = false;

  override render() {
    const finished = finishedRuns(this.runs);
    return html`<section aria-labelledby="results-heading">
      <header>
        <h2 id="results-heading">Results</h2>
        <div class="export">
          ${this.canExport ? nothing : html`<span class="muted">Export is available once the whole study has finished.</span>`}
          <button data-testid="export-button" ?disabled=${!this.canExport} @click=${() => sendIntent(this, { kind: 'export' })}>
            Export results
          </button>
        </div>
      </header>
      ${finished.length === 0
        ? html`<p class="muted">No finished runs yet.</p>`
        : html`${this.renderRuns(finished)} ${this.renderPerClass(finished)}`}
    </section>`;
  }

  private renderRuns(finished: FinishedRun[]) {
    return html`<h3>Runs</h3>
      <div class="scroll">
        <table data-testid="runs-table">
          <thead>
            <tr>
              <th class="left" scope="col">Run</th>
              <th scope="col">Seed</th>
              <th scope="col">Top-1</th>
              <th scope="col">Δ top-1 vs baseline</th>
              <th scope="col">Steps</th>
              <th scope="col">Wall time</th>
            </tr>
          </thead>
          <tbody>
            ${finished.map(
              ({ run, result, baseline }) => html`<tr data-testid="run-row">
                <td class="left">
                  <span class="swatch" style="background:${runColour(run.index)}"></span>${run.index + 1}. ${run.label}
                  ${run.baseline ? html`<span class="tag">baseline</span>` : nothing}
                </td>
                <td>${result.seed}</td>
                <td>${percent(result.top1)}</td>
                <td>${baseline ? this.delta(result.top1 - baseline.top1) : '—'}</td>
                <td>${result.steps}</td>
                <td>${seconds(result.wallTimeSec)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
  }

  private renderPerClass(finished: FinishedRun[]) {
    const classNames = finished[0]!.result.dataset.classNames;
    return html`<h3>Per-class accuracy</h3>
      <p class="muted">Δ: accuracy minus the baseline run of the same seed, in percentage points; drops are red.</p>
      <div class="scroll">
        <table data-testid="per-class-table">
          <thead>
            <tr>
              <th class="left" scope="col" rowspan="2">Class</th>
              ${finished.map(
                ({ run }) => html`<th class="run" scope="colgroup" colspan=${run.baseline ? 1 : 2} title=${run.label}>
                  <span class="swatch" style="background:${runColour(run.index)}"></span>${run.index + 1}. ${run.label}
                </th>`,
              )}
            </tr>
            <tr>
              ${finished.map(
                ({ run }) => html`<th class="first" scope="col">${run.baseline ? 'accuracy (baseline)' : 'accuracy'}</th>
                  ${run.baseline ? nothing : html`<th scope="col" data-testid="delta-header">Δ vs baseline</th>`}`,
              )}
            </tr>
          </thead>
          <tbody>
            ${classNames.map(
              (name, k) => html`<tr data-testid="class-row">
                <th class="left" scope="row">${name}</th>
                ${finished.map(({ run, result, baseline }) => {
                  const acc = classAccuracy(result, k);
                  const c = result.perClass[k];
                  const base = baseline ? classAccuracy(baseline, k) : null;
                  return html`<td class="first" title=${c ? `${c.correct}/${c.total} correct` : ''}>${acc === null ? '—' : percent(acc)}</td>
                    ${run.baseline
                      ? nothing
                      : html`<td>${acc !== null && base !== null ? this.delta(acc - base) : html`<span title="the baseline of this seed has not finished">—</span>`}</td>`}`;
                })}
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
  }

  private delta(value: number) {
    const sign = Math.abs(value) < 5e-4 ? 'zero' : value < 0 ? 'negative' : 'positive';
    return html`<span class="delta ${sign}" data-testid="delta">${pointsDelta(value)}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-results-table': ResultsTable;
  }
}
