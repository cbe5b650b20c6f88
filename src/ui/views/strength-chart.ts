/**
 * (b) Accuracy against regularization strength along one axis (one
 * regularizer swept, the other fixed): every class a faint line, so 1,000
 * classes read as a density, the selected classes in colour with their names,
 * the mean over classes thick. Hand-drawn on the shared canvas: 1,000
 * polylines of a few points each cost a few milliseconds, and the same code
 * draws the SVG export.
 */
import { css, html, nothing, unsafeCSS } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { StrengthAxis } from '../../study/analysis';
import { percent } from '../format';
import { ChartElement, COLOURS, SELECTION_COLOURS, chartStyles, niceTicks, type Hit, type KeyTarget } from './chart-element';
import { textWidth, type Painter } from './painter';
import { slug } from './delta-chart';

const HEIGHT = 330;

export interface StrengthGeometry {
  plot: { left: number; top: number; right: number; bottom: number };
  /** x of each point of the axis. */
  xs: number[];
  /** The accuracy range drawn, bottom to top. */
  range: [number, number];
}

export function axisName(axis: StrengthAxis): string {
  return `${axis.regularizer === 'crop' ? 'random crop' : 'weight decay'} (${axis.fixed})`;
}

/** What a crop axis's strength is: s is torchvision's own scale, since the crop is its resized_crop. */
const CROP_STRENGTH: Record<NonNullable<StrengthAxis['cropKind']>, string> = {
  resized: "1 − s, s: torchvision's RandomResizedCrop scale",
  translate: 'padding / image side',
};

@customElement('cw-strength-chart')
export class StrengthChart extends ChartElement {
  static override styles = [
    ...chartStyles,
    css`
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 0.2rem 1rem;
        font-size: 0.85rem;
        color: ${unsafeCSS(COLOURS.muted)};
      }
      .swatch {
        display: inline-block;
        width: 1rem;
        height: 3px;
        vertical-align: middle;
        margin-right: 0.3rem;
      }
    `,
  ];

  @property({ attribute: false }) axes: StrengthAxis[] = [];
  @property({ attribute: false }) classNames: string[] = [];
  /** The configHash of the treatment being compared: its point is marked. */
  @property({ attribute: false }) currentHash: string | null = null;
  /** The axis the user picked; null: the one through the compared treatment. */
  @state() private picked: number | null = null;

  geometry: StrengthGeometry | null = null;

  axis(): StrengthAxis | null {
    if (this.axes.length === 0) return null;
    if (this.picked !== null && this.axes[this.picked]) return this.axes[this.picked]!;
    const through = this.axes.findIndex((a) => a.points.some((p, i) => i > 0 && p.configHash === this.currentHash));
    return this.axes[Math.max(0, through)]!;
  }

  protected hasChart(): boolean {
    const a = this.axis();
    return !!a && a.points.length > 0 && a.perClass.length > 0;
  }

  protected chartHeight(): number {
    return HEIGHT;
  }

  protected fileStem(): string {
    const a = this.axis();
    return `classwise-strength-${slug(a ? axisName(a) : 'axis')}`;
  }

  private selected(): number[] {
    const n = this.axis()?.perClass.length ?? 0;
    return this.selectedClasses.filter((k) => k >= 0 && k < n);
  }

  private name(k: number): string {
    return this.classNames[k] ?? `class ${k}`;
  }

  private layout(width: number): StrengthGeometry {
    const a = this.axis()!;
    const labelWidth = Math.max(40, ...this.selected().slice(0, 8).map((k) => textWidth(`${this.name(k)} 100.0%`, 11, 'bold')));
    const plot = { left: 52, top: 18, right: width - Math.min(220, labelWidth + 14), bottom: HEIGHT - 58 };
    let lo = Infinity;
    let hi = -Infinity;
    for (const row of [...a.perClass, a.mean]) {
      for (const v of row) {
        if (!Number.isFinite(v)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
    lo = Math.max(0, Math.floor((lo - 0.02) * 10) / 10);
    hi = Math.min(1, Math.ceil((hi + 0.01) * 10) / 10);
    if (hi <= lo) hi = lo + 0.1;
    const n = a.points.length;
    const xs = a.points.map((_, i) => (n === 1 ? (plot.left + plot.right) / 2 : plot.left + (i / (n - 1)) * (plot.right - plot.left)));
    return { plot, xs, range: [lo, hi] };
  }

  protected paint(p: Painter, width: number): void {
    const a = this.axis()!;
    const g = this.layout(width);
    this.geometry = g;
    const { plot, xs, range } = g;
    const y = (v: number) => plot.bottom - ((v - range[0]) / (range[1] - range[0])) * (plot.bottom - plot.top);
    for (const t of niceTicks(range[0], range[1], 5)) {
      p.line(plot.left, y(t), plot.right, y(t), COLOURS.grid);
      p.text(percent(t, 0), plot.left - 6, y(t), { align: 'right', fill: COLOURS.muted });
    }
    const current = a.points.findIndex((pt) => pt.configHash === this.currentHash);
    if (current >= 0) {
      p.line(xs[current]!, plot.top, xs[current]!, plot.bottom, COLOURS.muted, 1, [3, 3]);
      p.text('compared', xs[current]!, plot.top - 9, { align: 'center', fill: COLOURS.muted, size: 11 });
    }
    // Labels under the points, slanted when they would collide.
    const spacing = xs.length > 1 ? (plot.right - plot.left) / (xs.length - 1) : Infinity;
    const slant = Math.max(...a.points.map((pt) => textWidth(pt.label))) + 8 > spacing;
    a.points.forEach((pt, i) => {
      p.line(xs[i]!, plot.bottom, xs[i]!, plot.bottom + 4, COLOURS.zero);
      p.text(pt.label, xs[i]!, plot.bottom + 8, slant ? { align: 'right', baseline: 'middle', rotate: -30, fill: COLOURS.text } : { align: 'center', baseline: 'top', fill: COLOURS.text });
    });
    p.line(plot.left, plot.bottom, plot.right, plot.bottom, COLOURS.zero);
    const measure = a.cropKind ? ` = ${CROP_STRENGTH[a.cropKind]}` : '';
    p.text(`strength: ${axisName(a)}${measure}`, (plot.left + plot.right) / 2, HEIGHT - 8, { align: 'center', baseline: 'bottom', fill: COLOURS.muted });
    p.text('accuracy', 6, 8, { align: 'left', fill: COLOURS.muted, size: 11 });

    // Every class, faint: lighter the more there are, so that overlaps read as density.
    const k = a.perClass.length;
    const alpha = Math.min(0.45, Math.max(0.06, 2.5 / Math.sqrt(k)));
    const ys = new Float64Array(xs.length);
    for (const row of a.perClass) {
      for (let i = 0; i < xs.length; i++) ys[i] = y(row[i] ?? NaN);
      p.polyline(xs, ys, COLOURS.muted, 1, alpha);
    }
    p.polyline(xs, a.mean.map(y), COLOURS.mean, 3.5);
    p.text('mean', plot.right + 6, y(a.mean.at(-1) ?? 0), { align: 'left', weight: 'bold', fill: COLOURS.mean });

    // The selection on top, named at the right end; labels pushed apart so they do not overlap.
    const labels: { y: number; text: string; colour: string }[] = [];
    this.selected().forEach((cls, j) => {
      const colour = SELECTION_COLOURS[j % SELECTION_COLOURS.length]!;
      const row = a.perClass[cls]!;
      const sy = row.map(y);
      p.polyline(xs, sy, colour, 2.5);
      sy.forEach((v, i) => p.circle(xs[i]!, v, 3, colour));
      labels.push({ y: sy.at(-1) ?? 0, text: `${this.name(cls)} ${percent(row.at(-1) ?? NaN)}`, colour });
    });
    labels.sort((l1, l2) => l1.y - l2.y);
    const meanY = y(a.mean.at(-1) ?? 0);
    let last = -Infinity;
    for (const l of labels) {
      let ly = Math.max(l.y, last + 13);
      if (Math.abs(ly - meanY) < 12) ly = meanY + 12;
      last = ly;
      p.text(l.text, plot.right + 6, ly, { align: 'left', weight: 'bold', fill: l.colour });
    }
  }

  protected exportTitle(): string {
    const a = this.axis();
    return a ? `Accuracy against strength: ${axisName(a)}` : 'Accuracy against strength';
  }

  /** The mean, then each class, at the compared point (the strongest when none is compared). */
  protected keyTargets(): KeyTarget[] {
    const a = this.axis();
    const g = this.geometry;
    if (!a || !g) return [];
    const { plot, xs, range } = g;
    const at = Math.max(0, a.points.findIndex((pt) => pt.configHash === this.currentHash)) || xs.length - 1;
    const y = (v: number) => plot.bottom - ((v - range[0]) / (range[1] - range[0])) * (plot.bottom - plot.top);
    const target = (title: string, row: number[], classes: number[]): KeyTarget => ({ x: xs[at]!, y: y(row[at] ?? range[0]), hit: { lines: this.describe(title, row), classes } });
    return [target('mean over classes', a.mean, []), ...a.perClass.map((row, k) => target(this.name(k), row, [k]))];
  }

  private describe(title: string, row: number[]): string[] {
    return [title, ...this.axis()!.points.map((pt, i) => `${pt.label}: ${percent(row[i] ?? NaN)}`)];
  }

  protected hit(mx: number, my: number): Hit | null {
    const a = this.axis();
    const g = this.geometry;
    if (!a || !g || mx < g.plot.left - 6 || mx > g.plot.right + 6 || my < g.plot.top - 6 || my > g.plot.bottom + 6) return null;
    const { plot, xs, range } = g;
    const y = (v: number) => plot.bottom - ((v - range[0]) / (range[1] - range[0])) * (plot.bottom - plot.top);
    // Where the pointer falls between two points, and each line's height there.
    let seg = 0;
    while (seg < xs.length - 2 && mx > xs[seg + 1]!) seg++;
    const x0 = xs[seg]!;
    const x1 = xs[seg + 1] ?? x0;
    const f = x1 > x0 ? Math.min(1, Math.max(0, (mx - x0) / (x1 - x0))) : 0;
    const at = (row: number[]) => y((row[seg] ?? NaN) * (1 - f) + (row[seg + 1] ?? row[seg] ?? NaN) * f);
    const describe = (title: string, row: number[]) => this.describe(title, row);
    // The selected classes and the mean win over the faint crowd within a few pixels.
    for (const k of this.selected()) if (Math.abs(at(a.perClass[k]!) - my) < 6) return { lines: describe(this.name(k), a.perClass[k]!), classes: [k] };
    if (Math.abs(at(a.mean) - my) < 5) return { lines: describe('mean over classes', a.mean), classes: [] };
    let best = -1;
    let bestDistance = 6;
    a.perClass.forEach((row, k) => {
      const d = Math.abs(at(row) - my);
      if (d < bestDistance) [best, bestDistance] = [k, d];
    });
    return best < 0 ? null : { lines: describe(this.name(best), a.perClass[best]!), classes: [best] };
  }

  override render() {
    if (this.axes.length === 0) return html`<p class="muted" data-testid="strength-empty">No strength axis: the study compares a single strength of each regularizer, so there is no curve to draw.</p>`;
    const a = this.axis()!;
    const k = a.perClass.length;
    const label = `Per-class accuracy against ${axisName(a)} at ${a.points.map((pt) => pt.label).join(', ')}: ${k} classes as faint lines, the mean from ${percent(a.mean[0] ?? NaN)} to ${percent(a.mean.at(-1) ?? NaN)}.`;
    return html`
      <div class="toolbar">
        ${this.axes.length > 1
          ? html`<label
              >Axis
              <select data-testid="strength-axis" @change=${(e: Event) => (this.picked = Number((e.target as HTMLSelectElement).value))}>
                ${this.axes.map((ax, i) => html`<option value=${i} ?selected=${ax === a}>${axisName(ax)}</option>`)}
              </select></label
            >`
          : html`<span>${axisName(a)}</span>`}
        <span class="spacer"></span>
        ${this.renderExportButtons('accuracy-against-strength chart')}
      </div>
      ${this.renderCanvas(label)}
      <div class="legend">
        <span><span class="swatch" style="background:${COLOURS.mean};height:4px"></span>mean over classes</span>
        <span><span class="swatch" style="background:${COLOURS.muted};opacity:0.5"></span>each class (${k})</span>
        ${this.selected().length ? nothing : html`<span>Click a line or a class to highlight it.</span>`}
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-strength-chart': StrengthChart;
  }
}
