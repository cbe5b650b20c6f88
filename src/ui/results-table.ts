/**
 * Results in and out: the finished runs (top-1 against the baseline of the
 * same seed, wall time, the trained model to export), the results file and
 * the per-class CSV, and results files imported to compare with. The
 * per-class numbers themselves are in the per-class views.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ComparisonState, RunView } from '../app/state';
import type { RunResult } from '../study/results';
import { runLabel } from '../study/study';
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
        flex-wrap: wrap;
      }
      .import {
        display: flex;
        align-items: center;
        gap: 0.6rem;
        flex-wrap: wrap;
        margin-bottom: 0.75rem;
      }
      .import label {
        font-weight: 600;
        font-size: 0.9rem;
      }
      .import ul {
        flex-basis: 100%;
        margin: 0.2rem 0;
      }
    `,
  ];

  @property({ attribute: false }) runs: RunView[] = [];
  @property({ attribute: false }) comparison: ComparisonState | null = null;
  /** The results file exists: every planned run has finished. */
  @property({ type: Boolean }) canExport = false;

  override render() {
    const finished = finishedRuns(this.runs);
    return html`<section aria-labelledby="results-heading">
      <header>
        <h2 id="results-heading">Results</h2>
        <div class="export">
          ${this.canExport ? nothing : html`<span class="muted">The results file is ready once the whole study has finished.</span>`}
          <button data-testid="export-button" ?disabled=${!this.canExport} @click=${() => sendIntent(this, { kind: 'export' })}>
            Export results
          </button>
          <button
            data-testid="export-csv-button"
            ?disabled=${!this.hasFinalComparison()}
            title=${this.hasFinalComparison() ? 'Every comparison, class by class, as CSV' : 'Ready once a baseline and a treatment run have finished'}
            @click=${() => sendIntent(this, { kind: 'export-csv' })}
          >
            Per-class CSV
          </button>
        </div>
      </header>
      ${this.renderImport()}
      ${this.comparison?.exportError ? html`<div class="alert error" role="alert" data-testid="model-export-error">${this.comparison.exportError}</div>` : nothing}
      ${finished.length === 0 && !this.comparison?.importedRuns.length ? html`<p class="muted">No finished runs yet.</p>` : this.renderRuns(finished)}
    </section>`;
  }

  /** The CSV holds final numbers only: not before one comparison has finished runs on both sides. */
  private hasFinalComparison(): boolean {
    return this.comparison?.analysis?.comparisons.some((c) => !c.baseline.provisional && !c.treatment.provisional) ?? false;
  }

  private renderImport() {
    const comparison = this.comparison;
    const imported = comparison?.imported ?? [];
    return html`<div class="import">
      <label for="import-results">Compare with results files</label>
      <input id="import-results" data-testid="import-results" type="file" accept=".json,application/json" multiple @change=${this.onImport} />
      ${imported.length
        ? html`<ul data-testid="imported-list">
              ${imported.map((f) => html`<li>${f.fileName}: ${f.studyName}, ${f.runs} run${f.runs === 1 ? '' : 's'}</li>`)}
            </ul>
            <button data-testid="clear-imported" @click=${() => sendIntent(this, { kind: 'clear-imported' })}>Remove imported results</button>`
        : nothing}
      ${comparison?.importError ? html`<div class="alert error" role="alert" data-testid="import-results-error"><pre>${comparison.importError}</pre></div>` : nothing}
      ${comparison?.importNote ? html`<p class="muted" role="status" data-testid="import-results-note">${comparison.importNote}</p>` : nothing}
    </div>`;
  }

  private async onImport(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const files = await Promise.all([...(input.files ?? [])].map(async (f) => ({ name: f.name, text: await f.text() })));
    input.value = '';
    if (files.length) sendIntent(this, { kind: 'import-results', files });
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
              <th scope="col">Trained model</th>
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
                <td>
                  <button data-testid="export-model" title="model.json and its weights, for tf.loadLayersModel" @click=${() => sendIntent(this, { kind: 'export-model', runIndex: run.index })}>
                    Export
                  </button>
                </td>
              </tr>`,
            )}
            ${(this.comparison?.importedRuns ?? []).map(
              ({ fileName, result }) => html`<tr data-testid="imported-run-row">
                <td class="left">${runLabel(result.config, result.seed)} <span class="tag" title="imported from ${fileName}">imported</span></td>
                <td>${result.seed}</td>
                <td>${percent(result.top1)}</td>
                <td>—</td>
                <td>${result.steps}</td>
                <td>${seconds(result.wallTimeSec)}</td>
                <td><span class="muted" title="Models travel in their own files (Export), not in results files">not in the file</span></td>
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
