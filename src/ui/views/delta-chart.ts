/**
 * (a) Every class's accuracy change against the baseline, sorted from most
 * hurt to most helped, with its 95% interval; classes the verdicts call hurt
 * red, helped blue (model vs model: no verdicts, every class grey), the mean
 * change (and its interval) marked; each row with the planning aid's
 * smallest detectable drop. Up to 40 classes each get
 * a named row; beyond that the classes become columns, a pixel or so each, so
 * all 1,000 still fit one canvas, and the table below lists the k most hurt or
 * helped, or the classes a search finds (never 1,000 DOM rows).
 */
import { css, html, nothing, unsafeCSS } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ClassDelta, Comparison } from '../../study/analysis';
import { PLANNED_DROP, TARGET_POWER } from '../../study/planning';
import { percent, pointsDelta } from '../format';
import { ChartElement, COLOURS, niceTicks, chartStyles, type Hit, type KeyTarget } from './chart-element';
import { textWidth, type Painter } from './painter';
import { intervalPoints, qValue, signedPoints } from './text';

/** Up to this many classes get a row each, with their names. */
export const ROWS_UP_TO = 40;
const ROW_H = 22;
const COLUMNS_H = 320;
/** The table lists at most this many search matches. */
const MATCH_LIMIT = 50;

export interface DeltaMark {
  classIndex: number;
  /** The centre of the estimate's mark, in CSS pixels. */
  x: number;
  y: number;
  colour: string;
}

/** Where the last draw put things; hover and click use it, and tests check pixels against it. */
export interface DeltaGeometry {
  orientation: 'rows' | 'columns';
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  /** Class indices in drawing order (most hurt first). */
  order: number[];
  marks: DeltaMark[];
  /** The position of the mean line and the zero line along the value axis (x for rows, y for columns). */
  mean: number;
  zero: number;
  /** Row height or column width. */
  band: number;
}

export function classColour(c: ClassDelta): string {
  return c.verdict === 'hurt' ? COLOURS.hurt : c.verdict === 'helped' ? COLOURS.helped : COLOURS.neutral;
}

const finite = (v: number, fallback: number) => (Number.isFinite(v) ? v : fallback);

@customElement('cw-delta-chart')
export class DeltaChart extends ChartElement {
  static override styles = [
    ...chartStyles,
    css`
      table {
        width: 100%;
      }
      tr.selected {
        background: #fff6cc;
      }
      .hurt {
        color: ${unsafeCSS(COLOURS.hurt)};
        font-weight: 600;
      }
      .helped {
        color: ${unsafeCSS(COLOURS.helped)};
        font-weight: 600;
      }
      button.link {
        border: none;
        background: none;
        padding: 0;
        color: inherit;
        font: inherit;
        text-align: left;
        cursor: pointer;
      }
      input[type='number'] {
        width: 4.5rem;
      }
      input[type='search'] {
        min-width: 12rem;
      }
      .sub {
        font-size: 0.85em;
      }
      .plan-seeds {
        color: var(--cw-muted, #5b6578);
        font-size: 0.85em;
      }
    `,
  ];

  @property({ attribute: false }) comparison: Comparison | null = null;
  /** Search text: matching classes are highlighted and listed. */
  @state() private query = '';
  @state() private mode: 'hurt' | 'helped' = 'hurt';
  @state() private k = 10;

  /** The last draw's geometry (see DeltaGeometry). */
  geometry: DeltaGeometry | null = null;

  private sortedFor: Comparison | null = null;
  private sortedOrder: number[] = [];

  /** Class indices from most hurt to most helped (ties by index), cached per comparison object. */
  private order(): number[] {
    const c = this.comparison;
    if (!c) return [];
    if (this.sortedFor !== c) {
      this.sortedOrder = c.classes.map((_, i) => i).sort((a, b) => c.classes[a]!.delta.estimate - c.classes[b]!.delta.estimate || a - b);
      this.sortedFor = c;
    }
    return this.sortedOrder;
  }

  private searchMatches(): number[] {
    const q = this.query.trim().toLowerCase();
    const c = this.comparison;
    if (!q || !c) return [];
    return this.order().filter((k) => c.classes[k]!.className.toLowerCase().includes(q));
  }

  /** The rows of the table: the search's matches, or the k most hurt / most helped. */
  private listed(): number[] {
    if (this.query.trim()) return this.searchMatches().slice(0, MATCH_LIMIT);
    const order = this.order();
    const k = Math.max(1, Math.min(this.k, order.length));
    return this.mode === 'hurt' ? order.slice(0, k) : order.slice(-k).reverse();
  }

  protected hasChart(): boolean {
    return !!this.comparison && this.comparison.classes.length > 0;
  }

  private orientation(): 'rows' | 'columns' {
    return (this.comparison?.classes.length ?? 0) <= ROWS_UP_TO ? 'rows' : 'columns';
  }

  protected chartHeight(): number {
    const n = this.comparison?.classes.length ?? 0;
    return this.orientation() === 'rows' ? 34 + n * ROW_H + 42 : COLUMNS_H;
  }

  protected fileStem(): string {
    return `classwise-delta-${slug(this.comparison?.treatment.label ?? 'comparison')}`;
  }

  /** The value range drawn: every interval, the mean's and zero, with a little room. */
  private domain(): [number, number] {
    const c = this.comparison!;
    let lo = Math.min(0, finite(c.summary.meanDelta.low, 0));
    let hi = Math.max(0, finite(c.summary.meanDelta.high, 0));
    for (const d of c.classes) {
      lo = Math.min(lo, finite(d.delta.low, d.delta.estimate), d.delta.estimate);
      hi = Math.max(hi, finite(d.delta.high, d.delta.estimate), d.delta.estimate);
    }
    if (hi - lo < 0.01) {
      lo -= 0.005;
      hi += 0.005;
    }
    const pad = (hi - lo) * 0.04;
    return [lo - pad, hi + pad];
  }

  protected paint(p: Painter, width: number, height: number): void {
    const c = this.comparison!;
    const order = this.order();
    const highlighted = new Set([...this.searchMatches(), ...this.selectedClasses]);
    const selected = new Set(this.selectedClasses);
    const [lo, hi] = this.domain();
    const ticks = niceTicks(lo, hi, this.orientation() === 'rows' ? 6 : 5);
    const meanValue = c.summary.meanDelta;
    const marks: DeltaMark[] = [];

    if (this.orientation() === 'rows') {
      const nameWidth = Math.min(220, Math.max(60, ...c.classes.map((d) => textWidth(d.className, 12, 'bold'))));
      const plot = { left: nameWidth + 16, top: 34, right: width - 74, bottom: 34 + order.length * ROW_H };
      const x = (v: number) => plot.left + ((v - lo) / (hi - lo)) * (plot.right - plot.left);
      // Grid and ticks first, so that the marks lie over them.
      for (const t of ticks) {
        p.line(x(t), plot.top, x(t), plot.bottom, COLOURS.grid);
        p.text(signedPoints(t, Math.abs(hi - lo) < 0.05 ? 1 : 0), x(t), plot.bottom + 6, { align: 'center', baseline: 'top', fill: COLOURS.muted });
      }
      p.text('accuracy change, treatment − baseline (percentage points)', (plot.left + plot.right) / 2, plot.bottom + 24, { align: 'center', baseline: 'top', fill: COLOURS.muted });
      p.rect(x(meanValue.low), plot.top, Math.max(1, x(meanValue.high) - x(meanValue.low)), plot.bottom - plot.top, COLOURS.mean, 0.07);
      order.forEach((k, row) => {
        const d = c.classes[k]!;
        const cy = plot.top + row * ROW_H + ROW_H / 2;
        if (highlighted.has(k)) p.rect(0, cy - ROW_H / 2, width, ROW_H, COLOURS.highlight, 0.35);
        const colour = classColour(d);
        p.text(d.className, plot.left - 10, cy, { align: 'right', size: 12, weight: selected.has(k) ? 'bold' : 'normal', fill: COLOURS.text });
        const est = x(d.delta.estimate);
        p.rect(Math.min(x(0), est), cy - 4, Math.max(1, Math.abs(est - x(0))), 8, colour, 0.35);
        p.line(x(finite(d.delta.low, d.delta.estimate)), cy, x(finite(d.delta.high, d.delta.estimate)), cy, colour, 1.5);
        for (const end of [d.delta.low, d.delta.high]) if (Number.isFinite(end)) p.line(x(end), cy - 4, x(end), cy + 4, colour, 1.5);
        p.circle(est, cy, 4.5, colour);
        p.text(pointsDelta(d.delta.estimate), width - 6, cy, { align: 'right', size: 11, fill: d.verdict ? colour : COLOURS.muted, weight: d.verdict ? 'bold' : 'normal' });
        marks.push({ classIndex: k, x: est, y: cy, colour });
      });
      p.line(x(0), plot.top - 4, x(0), plot.bottom, COLOURS.zero, 1);
      p.line(x(meanValue.estimate), plot.top - 4, x(meanValue.estimate), plot.bottom, COLOURS.mean, 2, [5, 3]);
      const meanAnchor = x(meanValue.estimate) > (plot.left + plot.right) / 2 ? 'right' : 'left';
      p.text(`mean ${pointsDelta(meanValue.estimate)} ${intervalPoints(meanValue)}`, x(meanValue.estimate) + (meanAnchor === 'left' ? 4 : -4), plot.top - 12, {
        align: meanAnchor,
        weight: 'bold',
        fill: COLOURS.mean,
      });
      this.geometry = { orientation: 'rows', width, height, plot, order, marks, mean: x(meanValue.estimate), zero: x(0), band: ROW_H };
      return;
    }

    const plot = { left: 58, top: 26, right: width - 12, bottom: height - 52 };
    const y = (v: number) => plot.bottom - ((v - lo) / (hi - lo)) * (plot.bottom - plot.top);
    const colW = (plot.right - plot.left) / order.length;
    for (const t of ticks) {
      p.line(plot.left, y(t), plot.right, y(t), COLOURS.grid);
      p.text(`${signedPoints(t, Math.abs(hi - lo) < 0.05 ? 1 : 0)} pp`, plot.left - 6, y(t), { align: 'right', fill: COLOURS.muted });
    }
    p.rect(plot.left, y(meanValue.high), plot.right - plot.left, Math.max(1, y(meanValue.low) - y(meanValue.high)), COLOURS.mean, 0.07);
    const barW = Math.max(1, colW * 0.8);
    // Highlight bands behind the marks: the search's matches and the selection.
    for (let r = 0; r < order.length; r++) {
      if (highlighted.has(order[r]!)) p.rect(plot.left + r * colW + colW / 2 - Math.max(2, colW / 2), plot.top, Math.max(4, colW), plot.bottom - plot.top, COLOURS.highlight, 0.6);
    }
    for (let r = 0; r < order.length; r++) {
      const k = order[r]!;
      const d = c.classes[k]!;
      const colour = classColour(d);
      const cx = plot.left + (r + 0.5) * colW;
      const top = y(finite(d.delta.high, d.delta.estimate));
      const bottom = y(finite(d.delta.low, d.delta.estimate));
      p.rect(cx - barW / 2, top, barW, Math.max(1, bottom - top), colour, 0.3);
      const cy = y(d.delta.estimate);
      p.rect(cx - Math.max(1.5, barW / 2), cy - 1.5, Math.max(3, barW), 3, colour);
      marks.push({ classIndex: k, x: cx, y: cy, colour });
    }
    p.line(plot.left, y(0), plot.right, y(0), COLOURS.zero, 1);
    p.line(plot.left, y(meanValue.estimate), plot.right, y(meanValue.estimate), COLOURS.mean, 2, [5, 3]);
    p.text(`mean ${pointsDelta(meanValue.estimate)} ${intervalPoints(meanValue)}`, plot.right - 4, y(meanValue.estimate) + (meanValue.estimate < 0 ? 12 : -12), {
      align: 'right',
      weight: 'bold',
      fill: COLOURS.mean,
    });
    // Selected classes by name, above their intervals (a few, or they would overlap).
    const named = [...selected].filter((k) => k < c.classes.length).slice(0, 6);
    for (const k of named) {
      const r = order.indexOf(k);
      const d = c.classes[k]!;
      const cx = plot.left + (r + 0.5) * colW;
      p.line(cx, plot.bottom + 2, cx, plot.bottom + 10, COLOURS.text, 2);
      p.text(d.className, cx, y(finite(d.delta.high, d.delta.estimate)) - 6, { align: r < order.length / 2 ? 'left' : 'right', weight: 'bold', fill: COLOURS.text, size: 11 });
    }
    p.text(`${order.length} classes, sorted by change: most hurt on the left`, (plot.left + plot.right) / 2, plot.bottom + 16, { align: 'center', baseline: 'top', fill: COLOURS.muted });
    p.text(`accuracy change (pp)`, plot.left, 10, { align: 'left', fill: COLOURS.muted });
    this.geometry = { orientation: 'columns', width, height, plot, order, marks, mean: y(meanValue.estimate), zero: y(0), band: colW };
  }

  protected exportTitle(): string {
    const c = this.comparison;
    return c ? `Accuracy change per class: ${c.treatment.label} − ${c.baseline.label}` : 'Accuracy change per class';
  }

  /** Every class's mark, most hurt first, as drawn. */
  protected keyTargets(): KeyTarget[] {
    const g = this.geometry;
    if (!g) return [];
    const marks = new Map(g.marks.map((m) => [m.classIndex, m]));
    return g.order.flatMap((k) => {
      const m = marks.get(k);
      const hit = m && this.hit(m.x, m.y);
      return m && hit ? [{ x: m.x, y: m.y, hit }] : [];
    });
  }

  /** The class under a point, from the last draw's geometry. */
  classAt(x: number, y: number): number | null {
    const g = this.geometry;
    if (!g) return null;
    if (g.orientation === 'rows') {
      if (y < g.plot.top || y >= g.plot.bottom) return null;
      return g.order[Math.floor((y - g.plot.top) / g.band)] ?? null;
    }
    if (x < g.plot.left || x >= g.plot.right || y < g.plot.top - 10 || y > g.plot.bottom + 12) return null;
    return g.order[Math.floor((x - g.plot.left) / g.band)] ?? null;
  }

  protected hit(x: number, y: number): Hit | null {
    const k = this.classAt(x, y);
    const d = k === null ? undefined : this.comparison?.classes[k];
    if (k === null || !d) return null;
    const rank = this.order().indexOf(k) + 1;
    return {
      lines: [
        d.className,
        `${percent(d.baseline.estimate)} → ${percent(d.treatment.estimate)}`,
        `Δ ${pointsDelta(d.delta.estimate)} ${intervalPoints(d.delta)} (95%)`,
        `q = ${qValue(d.q)}${d.verdict ? ` · ${d.verdict}` : d.modelDifference ? ` · these two models differ (${d.modelDifference})` : ' · no verdict'}`,
        ...planLines(d),
        `rank ${rank} of ${this.order().length}`,
      ],
      classes: [k],
    };
  }

  override render() {
    const c = this.comparison;
    if (!c || c.classes.length === 0) return html`<p class="muted">No per-class changes to show yet.</p>`;
    const n = c.classes.length;
    const listed = this.listed();
    const searching = this.query.trim() !== '';
    const matchCount = searching ? this.searchMatches().length : 0;
    const s = c.summary;
    const calls =
      c.method === 'model-vs-model'
        ? `model vs model with one seed a side, no verdicts (${s.lower + s.higher} classes where the two models differ)`
        : `${s.hurt} hurt (red), ${s.helped} helped (blue)`;
    const label = `Accuracy change per class for ${n} classes, sorted from most hurt to most helped: ${calls}, mean ${pointsDelta(s.meanDelta.estimate)}. The table below lists them.`;
    return html`
      <div class="toolbar">
        <label>Find a class <input type="search" data-testid="class-search" placeholder="class name" .value=${this.query} @input=${(e: Event) => (this.query = (e.target as HTMLInputElement).value)} /></label>
        <span role="group" aria-label="List the classes">
          <button data-testid="top-hurt" aria-pressed=${String(!searching && this.mode === 'hurt')} @click=${() => this.setMode('hurt')}>Most hurt</button>
          <button data-testid="top-helped" aria-pressed=${String(!searching && this.mode === 'helped')} @click=${() => this.setMode('helped')}>Most helped</button>
        </span>
        <label>k <input type="number" data-testid="top-k" min="1" max=${Math.min(n, 200)} .value=${String(this.k)} @input=${this.onK} /></label>
        <span class="spacer"></span>
        ${this.renderExportButtons('per-class change chart')}
      </div>
      ${this.renderCanvas(label)}
      <p class="muted" data-testid="delta-table-caption">
        ${searching
          ? `${matchCount === 1 ? '1 class matches' : `${matchCount} classes match`} “${this.query.trim()}”${matchCount > MATCH_LIMIT ? ` (the first ${MATCH_LIMIT} by change)` : ''}; highlighted in the chart.`
          : `The ${listed.length} most ${this.mode} of ${n} classes. Click a class, in the chart or here, to highlight it and inspect it.`}
      </p>
      <div class="scroll">
        <table data-testid="delta-table">
          <thead>
            <tr>
              <th scope="col" title="Position in the chart, 1 = most hurt">Rank</th>
              <th scope="col" class="name">Class</th>
              <th scope="col">Baseline</th>
              <th scope="col">Treatment</th>
              <th scope="col">Δ (95% interval, pp)</th>
              <th scope="col">q</th>
              <th scope="col" title="The smallest drop these seeds detect on this class with ${TARGET_POWER * 100}% power, and the seeds a side a ${PLANNED_DROP * 100}-point drop needs">Detectable</th>
            </tr>
          </thead>
          <tbody>
            ${listed.map((k) => this.renderRow(k))}
          </tbody>
        </table>
      </div>
    `;
  }

  private renderRow(k: number) {
    const d = this.comparison!.classes[k]!;
    const tone = d.verdict ?? '';
    return html`<tr data-testid="delta-row" data-class=${k} class=${this.selectedClasses.includes(k) ? 'selected' : ''} @click=${(e: MouseEvent) => this.pick([k], e.shiftKey || e.ctrlKey || e.metaKey)}>
      <td>${this.order().indexOf(k) + 1}</td>
      <td class="name"><button class="link" data-testid="delta-row-name">${d.className}</button></td>
      <td>${percent(d.baseline.estimate)}</td>
      <td>${percent(d.treatment.estimate)}</td>
      <td class=${tone}>${pointsDelta(d.delta.estimate)}<br /><span class="sub">${intervalPoints(d.delta)}</span></td>
      <td class=${tone}>${qValue(d.q)}${d.verdict
          ? html`<br /><span class="sub">${d.verdict}</span>`
          : d.modelDifference
            ? html`<br /><span class="sub" title="these two trained models differ on this class; no verdict on the regularizer with one seed">models differ</span>`
            : nothing}</td>
      <td data-testid="delta-row-plan">${planCell(d)}</td>
    </tr>`;
  }

  private setMode(mode: 'hurt' | 'helped'): void {
    this.mode = mode;
    this.query = '';
  }

  private readonly onK = (e: Event): void => {
    const value = Number((e.target as HTMLInputElement).value);
    if (Number.isInteger(value) && value >= 1) this.k = Math.min(value, 200);
  };
}

const points = (v: number) => `${(v * 100).toFixed(1)} pp`;
const seedsFor = (d: ClassDelta) => (d.plan?.seedsForPlannedDrop == null ? 'over 50 seeds' : `${d.plan.seedsForPlannedDrop} seeds`);

/** The table's planning cell: "4.2 pp" over "10 pp: 5 seeds" (model vs model: "—" over "10 pp: ≥ 5 seeds", a lower bound). */
function planCell(d: ClassDelta) {
  if (!d.plan) return '—';
  const detectable = d.plan.detectable === null ? (d.plan.measured ? 'none ≤ 100 pp' : '—') : points(d.plan.detectable);
  return html`${detectable}<br /><span class="plan-seeds">${PLANNED_DROP * 100} pp: ${d.plan.measured ? '' : '≥ '}${seedsFor(d)}</span>`;
}

/** The tooltip's planning lines. */
function planLines(d: ClassDelta): string[] {
  if (!d.plan) return [];
  if (!d.plan.measured) return [`one seed a side: a ${PLANNED_DROP * 100} pp drop needs at least ${seedsFor(d)} a side`];
  const detectable = d.plan.detectable === null ? 'no drop up to 100 pp' : `drops of ${points(d.plan.detectable)}`;
  return [`these seeds detect ${detectable} (${TARGET_POWER * 100}% power)`, `a ${PLANNED_DROP * 100} pp drop needs ${seedsFor(d)} a side`];
}

export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-|-$/g, '') || 'chart';
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-delta-chart': DeltaChart;
  }
}
