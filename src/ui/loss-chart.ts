/**
 * Each run's training loss, or its test top-1 at each evaluation, against the
 * step: hand-drawn SVG polylines (a few runs, a few hundred points), drawn at
 * the element's own width so that its text keeps its size in a narrow column.
 */
import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { RunView } from '../app/state';
import { num, percent } from './format';

export const RUN_COLOURS = ['#2458d6', '#d9480f', '#2b8a3e', '#862e9c', '#c2255c', '#0b7285', '#5c940d', '#e67700'];

export function runColour(index: number): string {
  return RUN_COLOURS[index % RUN_COLOURS.length]!;
}

const H = 190;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

@customElement('cw-loss-chart')
export class LossChart extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    svg {
      width: 100%;
      height: 190px;
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
      font: 12px system-ui, sans-serif;
      fill: #5b6578;
    }
    polyline {
      fill: none;
      stroke-width: 2;
      stroke-linejoin: round;
      stroke-linecap: round;
    }
    .empty {
      margin: 0.2rem 0 0;
      font-size: 0.8rem;
      color: #5b6578;
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
  @property() metric: 'loss' | 'top1' = 'loss';
  @state() private width = 0;
  private readonly resizeObserver = new ResizeObserver((entries) => {
    const width = Math.floor(entries[0]?.contentRect.width ?? 0);
    if (width > 0 && width !== this.width) this.width = width;
  });

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver.disconnect();
  }

  override render() {
    const W = Math.max(240, this.width || 360);
    const accuracy = this.metric === 'top1';
    const series = (run: RunView) => (accuracy ? run.accuracies.map((a) => ({ step: a.step, value: a.top1 })) : run.losses.map((p) => ({ step: p.step, value: p.loss })));
    const drawn = this.runs.map((run) => ({ run, points: series(run) })).filter((d) => d.points.length > 0);
    const maxStep = Math.max(1, ...this.runs.map((r) => r.totalSteps ?? 0), ...drawn.flatMap((d) => d.points.map((p) => p.step)));
    const maxValue = accuracy ? 1 : drawn.length ? Math.max(1e-6, ...drawn.flatMap((d) => d.points.map((p) => p.value))) * 1.05 : 1;
    const x = (step: number) => PAD.left + (step / maxStep) * (W - PAD.left - PAD.right);
    const y = (value: number) => PAD.top + (1 - Math.min(value, maxValue) / maxValue) * (H - PAD.top - PAD.bottom);
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * maxValue);
    const name = accuracy ? 'test top-1' : 'loss';
    return html`
      <svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${accuracy ? 'Test top-1 per run at each evaluation' : 'Training loss per run against step'} data-testid=${accuracy ? 'accuracy-chart' : 'loss-chart'}>
        ${ticks.map(
          (t) => svg`<line class="grid" x1=${PAD.left} x2=${W - PAD.right} y1=${y(t)} y2=${y(t)}></line>
            <text x=${PAD.left - 6} y=${y(t) + 4} text-anchor="end">${accuracy ? percent(t) : num(t)}</text>`,
        )}
        <line class="axis" x1=${PAD.left} x2=${PAD.left} y1=${PAD.top} y2=${H - PAD.bottom}></line>
        <line class="axis" x1=${PAD.left} x2=${W - PAD.right} y1=${H - PAD.bottom} y2=${H - PAD.bottom}></line>
        <text x=${PAD.left + 6} y=${PAD.top + 10} text-anchor="start">${name}</text>
        <text x=${PAD.left} y=${H - 8} text-anchor="start">0</text>
        <text x=${W - PAD.right} y=${H - 8} text-anchor="end">${drawn.length ? `${maxStep} steps` : ''}</text>
        <text x=${(PAD.left + W - PAD.right) / 2} y=${H - 8} text-anchor="middle">step</text>
        ${drawn.map(
          ({ run, points }) => svg`<polyline data-testid=${accuracy ? 'accuracy-line' : 'loss-line'} stroke=${runColour(run.index)}
              points=${points.map((p) => `${x(p.step).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ')}>
              <title>${run.label}</title>
            </polyline>
            <circle cx=${x(points.at(-1)!.step)} cy=${y(points.at(-1)!.value)} r="3" fill=${runColour(run.index)}></circle>`,
        )}
      </svg>
      ${drawn.length === 0
        ? html`<p class="empty">${accuracy ? 'Test accuracy appears here after each evaluation.' : 'The loss appears here once a run starts.'}</p>`
        : nothing}
      ${drawn.length && !accuracy
        ? html`<div class="legend">
            ${drawn.map(({ run }) => html`<span><span class="swatch" style="background:${runColour(run.index)}"></span>${run.index + 1}. ${run.label}</span>`)}
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
