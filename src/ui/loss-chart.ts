/** The training loss of each run against its step, as hand-drawn SVG polylines. */
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { RunView } from '../app/workbench';
import { num } from './format';

export const RUN_COLOURS = ['#2458d6', '#d9480f', '#2b8a3e', '#862e9c', '#c2255c', '#0b7285', '#5c940d', '#e67700'];

export function runColour(index: number): string {
  return RUN_COLOURS[index % RUN_COLOURS.length]!;
}

const W = 560;
const H = 200;
const PAD = { left: 52, right: 12, top: 10, bottom: 26 };

@customElement('cw-loss-chart')
export class LossChart extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    svg {
      width: 100%;
      height: auto;
      display: block;
    }
    .axis {
      stroke: #9aa3b2;
      stroke-width: 1;
    }
    .grid {
      stroke: #e6e9ef;
      stroke-width: 1;
    }
    text {
      font: 11px system-ui, sans-serif;
      fill: #5b6578;
    }
    polyline {
      fill: none;
      stroke-width: 2;
      stroke-linejoin: round;
      stroke-linecap: round;
    }
    .legend {
      display: flex;
      flex-wrap: wrap;
      gap: 0.3rem 1rem;
      font-size: 0.8rem;
      margin-top: 0.3rem;
      color: #5b6578;
    }
    .swatch {
      display: inline-block;
      width: 0.9rem;
      height: 3px;
      vertical-align: middle;
      margin-right: 0.3rem;
    }
  `;

  @property({ attribute: false }) runs: RunView[] = [];

  override render() {
    const drawn = this.runs.filter((r) => r.losses.length > 0);
    const maxStep = Math.max(1, ...this.runs.map((r) => r.totalSteps ?? 0), ...drawn.flatMap((r) => r.losses.map((p) => p.step)));
    const maxLoss = drawn.length ? Math.max(1e-6, ...drawn.flatMap((r) => r.losses.map((p) => p.loss))) * 1.05 : 1;
    const x = (step: number) => PAD.left + (step / maxStep) * (W - PAD.left - PAD.right);
    const y = (loss: number) => PAD.top + (1 - Math.min(loss, maxLoss) / maxLoss) * (H - PAD.top - PAD.bottom);
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * maxLoss);
    return html`
      <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Training loss per run against step" data-testid="loss-chart">
        ${ticks.map(
          (t) => svg`<line class="grid" x1=${PAD.left} x2=${W - PAD.right} y1=${y(t)} y2=${y(t)}></line>
            <text x=${PAD.left - 6} y=${y(t) + 4} text-anchor="end">${num(t)}</text>`,
        )}
        <line class="axis" x1=${PAD.left} x2=${PAD.left} y1=${PAD.top} y2=${H - PAD.bottom}></line>
        <line class="axis" x1=${PAD.left} x2=${W - PAD.right} y1=${H - PAD.bottom} y2=${H - PAD.bottom}></line>
        <text x=${PAD.left + 6} y=${PAD.top + 10} text-anchor="start">loss</text>
        <text x=${PAD.left} y=${H - 8} text-anchor="start">0</text>
        <text x=${W - PAD.right} y=${H - 8} text-anchor="end">${drawn.length ? `${maxStep} steps` : ''}</text>
        <text x=${(PAD.left + W - PAD.right) / 2} y=${H - 8} text-anchor="middle">step</text>
        ${drawn.map(
          (run) => svg`<polyline data-testid="loss-line" stroke=${runColour(run.index)}
              points=${run.losses.map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ')}>
              <title>${run.label}</title>
            </polyline>
            <circle cx=${x(run.losses.at(-1)!.step)} cy=${y(run.losses.at(-1)!.loss)} r="3" fill=${runColour(run.index)}></circle>`,
        )}
        ${drawn.length === 0 ? svg`<text x=${W / 2} y=${H / 2} text-anchor="middle">The loss appears here once a run starts.</text>` : nothing}
      </svg>
      ${drawn.length
        ? html`<div class="legend">
            ${drawn.map((run) => html`<span><span class="swatch" style="background:${runColour(run.index)}"></span>${run.index + 1}. ${run.label}</span>`)}
          </div>`
        : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-loss-chart': LossChart;
  }
}
