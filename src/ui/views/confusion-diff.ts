/**
 * (c) How the treatment moved predictions: treatment confusion − baseline
 * confusion (counts averaged over seeds), rows the true class, columns the
 * predicted one. Diverging colours on a symmetric scale set by the
 * off-diagonal cells (where the confusions are; the diagonal is each class's
 * change in correct predictions, which chart (a) shows, and is clipped to the
 * scale). The cells are written into ImageData once per matrix and scaled
 * without smoothing, so 1,000 × 1,000 is one drawImage; when the canvas has
 * fewer pixels than classes, each pixel keeps its block's largest change, so
 * a strong confusion never disappears between pixels.
 */
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Comparison } from '../../study/analysis';
import { ChartElement, COLOURS, chartStyles, type Hit, type KeyTarget } from './chart-element';
import { textWidth, type Painter } from './painter';
import { slug } from './delta-chart';
import { signedPoints } from './text';

/** Up to this many classes are named along the axes. */
const NAMED_UP_TO = 30;
const LEGEND_W = 104;

/** Purple (fewer) – near-white – orange (more): colour-blind safe, and free of the red that means "hurt" in (a). */
const STOPS: [number, [number, number, number]][] = [
  [-1, [84, 39, 136]],
  [-0.5, [153, 142, 195]],
  [0, [247, 247, 247]],
  [0.5, [241, 163, 64]],
  [1, [179, 88, 6]],
];
const LUT_SIZE = 511;
const LUT = (() => {
  const lut = new Uint8ClampedArray(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const t = (i / (LUT_SIZE - 1)) * 2 - 1;
    let s = 0;
    while (s < STOPS.length - 2 && t > STOPS[s + 1]![0]) s++;
    const [t0, c0] = STOPS[s]!;
    const [t1, c1] = STOPS[s + 1]!;
    const f = (t - t0) / (t1 - t0);
    for (let ch = 0; ch < 3; ch++) lut[i * 3 + ch] = c0[ch]! + (c1[ch]! - c0[ch]!) * f;
  }
  return lut;
})();

/** The LUT as packed RGBA pixels for a Uint32Array view of ImageData (byte order: little-endian, as every browser platform is). */
const LUT32 = (() => {
  const out = new Uint32Array(LUT_SIZE);
  const bytes = new Uint8Array(out.buffer);
  for (let i = 0; i < LUT_SIZE; i++) bytes.set([LUT[i * 3]!, LUT[i * 3 + 1]!, LUT[i * 3 + 2]!, 255], i * 4);
  return out;
})();

/** The colour of a value on a symmetric scale of ±`scale`, as CSS. */
export function divergingColour(value: number, scale: number): string {
  const i = lutIndex(value, scale);
  return `rgb(${LUT[i * 3]}, ${LUT[i * 3 + 1]}, ${LUT[i * 3 + 2]})`;
}

function lutIndex(value: number, scale: number): number {
  const t = scale > 0 ? Math.max(-1, Math.min(1, value / scale)) : 0;
  return Math.round(((t + 1) / 2) * (LUT_SIZE - 1));
}

export interface ConfusionGeometry {
  left: number;
  top: number;
  side: number;
  classes: number;
  /** The colour scale: ±scale (in images, or in fractions of the class when row-normalized). */
  scale: number;
  normalized: boolean;
  /** Pixels of the raster (bins × bins); fewer than classes when pooled. */
  bins: number;
}

@customElement('cw-confusion-diff')
export class ConfusionDiff extends ChartElement {
  static override styles = [
    ...chartStyles,
    css`
      h4.list-title {
        font-size: 0.9rem;
        margin: 0.8rem 0 0.2rem;
      }
      button.link {
        border: none;
        background: none;
        padding: 0;
        color: inherit;
        font: inherit;
        cursor: pointer;
      }
    `,
  ];

  @property({ attribute: false }) comparison: Comparison | null = null;
  @property({ attribute: false }) classNames: string[] = [];
  /** Test images of each class: row-normalizing divides each true class's row by its own count. */
  @property({ attribute: false }) classTestCounts: number[] = [];
  @state() private normalized = false;

  geometry: ConfusionGeometry | null = null;

  private raster: { key: unknown[]; canvas: HTMLCanvasElement } | null = null;
  private top: { matrix: number[][]; cells: { i: number; j: number; v: number }[] } | null = null;
  private image: ImageData | null = null;
  private rowShares: { source: number[][]; counts: number[]; matrix: number[][] } | null = null;

  private matrix(): number[][] | null {
    return this.comparison?.confusionDelta ?? null;
  }

  protected hasChart(): boolean {
    return (this.matrix()?.length ?? 0) > 0;
  }

  /** The matrix as drawn: in images, or each row as a share of its true class's test images. */
  private shown(): number[][] | null {
    const m = this.matrix();
    if (!m || !this.normalized) return m;
    const cached = this.rowShares;
    if (cached?.source === m && cached.counts === this.classTestCounts) return cached.matrix;
    const matrix = m.map((row, i) => {
      const n = this.classTestCounts[i] ?? 0;
      return row.map((v) => (n > 0 ? v / n : 0));
    });
    this.rowShares = { source: m, counts: this.classTestCounts, matrix };
    return matrix;
  }

  private named(): boolean {
    return (this.matrix()?.length ?? 0) <= NAMED_UP_TO;
  }

  private margins(): { left: number; bottom: number } {
    if (!this.named()) return { left: 34, bottom: 34 };
    const longest = Math.max(...this.names().map((s) => textWidth(s)));
    return { left: Math.min(160, longest + 12), bottom: Math.min(130, longest * 0.72 + 30) };
  }

  private names(): string[] {
    const k = this.matrix()?.length ?? 0;
    return Array.from({ length: k }, (_, i) => this.classNames[i] ?? this.comparison?.classes[i]?.className ?? `class ${i}`);
  }

  private side(width: number): number {
    const { left } = this.margins();
    return Math.max(120, Math.min(640, width - left - LEGEND_W - 16));
  }

  protected chartHeight(width: number): number {
    return 26 + this.side(width) + this.margins().bottom;
  }

  protected fileStem(): string {
    return `classwise-confusion-change-${slug(this.comparison?.treatment.label ?? 'comparison')}${this.normalized ? '-row-normalized' : ''}`;
  }

  /** Largest |change| off the diagonal (the diagonal when there is none). */
  private scale(m: number[][]): number {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < m.length; i++) {
      const row = m[i]!;
      for (let j = 0; j < row.length; j++) {
        const v = Math.abs(row[j]!);
        if (!Number.isFinite(v)) continue;
        if (i === j) diag = Math.max(diag, v);
        else off = Math.max(off, v);
      }
    }
    return off > 0 ? off : diag > 0 ? diag : 1;
  }

  /** The matrix as pixels, one per cell (or per block of cells when pooled), rebuilt only when it changes. */
  private rasterFor(m: number[][], bins: number, scale: number): HTMLCanvasElement {
    const key = [m, bins, scale, this.normalized];
    if (this.raster && this.raster.key.every((v, i) => v === key[i])) return this.raster.canvas;
    const k = m.length;
    const canvas = this.raster?.canvas ?? document.createElement('canvas');
    if (canvas.width !== bins || canvas.height !== bins) [canvas.width, canvas.height] = [bins, bins];
    const ctx = canvas.getContext('2d')!;
    // One ImageData reused while the size holds: a 1,000-class matrix is 4 MB of pixels, not worth reallocating per update.
    const image = this.image && this.image.width === bins ? this.image : (this.image = ctx.createImageData(bins, bins));
    const px = new Uint32Array(image.data.buffer);
    // value → LUT index as one multiply-add, clamped: this loop runs a million times for 1,000 classes.
    const mid = (LUT_SIZE - 1) / 2;
    const f = mid / scale;
    const top = LUT_SIZE - 1;
    if (bins === k) {
      for (let i = 0; i < k; i++) {
        const row = m[i]!;
        const o = i * k;
        for (let j = 0; j < k; j++) {
          const t = (row[j] ?? 0) * f + mid + 0.5;
          px[o + j] = LUT32[t <= 0 ? 0 : t >= top ? top : t | 0]!;
        }
      }
    } else {
      // Pooled: each pixel shows the largest change (by magnitude, with its sign) of its block.
      const pooled = new Float64Array(bins * bins);
      const columnBin = Int32Array.from({ length: k }, (_, j) => Math.floor((j * bins) / k));
      for (let i = 0; i < k; i++) {
        const row = m[i]!;
        const bi = Math.floor((i * bins) / k) * bins;
        for (let j = 0; j < k; j++) {
          const v = row[j] ?? 0;
          const b = bi + columnBin[j]!;
          const old = pooled[b]!;
          if ((v < 0 ? -v : v) > (old < 0 ? -old : old)) pooled[b] = v;
        }
      }
      for (let b = 0; b < pooled.length; b++) {
        const t = pooled[b]! * f + mid + 0.5;
        px[b] = LUT32[t <= 0 ? 0 : t >= top ? top : t | 0]!;
      }
    }
    ctx.putImageData(image, 0, 0);
    this.raster = { key, canvas };
    return canvas;
  }

  /**
   * The largest new confusions (off-diagonal increases), largest first: with
   * 1,000 classes a cell is under a pixel, so the heatmap shows where and this
   * list says which.
   */
  private largestIncreases(m: number[][], n = 8): { i: number; j: number; v: number }[] {
    if (this.top?.matrix === m) return this.top.cells;
    const cells: { i: number; j: number; v: number }[] = [];
    let floor = 0;
    for (let i = 0; i < m.length; i++) {
      const row = m[i]!;
      for (let j = 0; j < row.length; j++) {
        const v = row[j]!;
        if (i === j || !(v > floor)) continue;
        cells.push({ i, j, v });
        cells.sort((a, b) => b.v - a.v);
        if (cells.length > n) cells.pop();
        if (cells.length === n) floor = cells[n - 1]!.v;
      }
    }
    this.top = { matrix: m, cells };
    return cells;
  }

  private format(value: number): string {
    if (this.normalized) return `${signedPoints(value)} pp`;
    const rounded = Math.abs(value) >= 10 ? value.toFixed(0) : value.toFixed(1);
    return `${value > 0 ? '+' : value < 0 ? '−' : '±'}${rounded.replace('-', '')}`;
  }

  protected paint(p: Painter, width: number): void {
    const m = this.shown()!;
    const k = m.length;
    const { left } = this.margins();
    const top = 26;
    const side = this.side(width);
    const scale = this.scale(m);
    // One raster pixel per device pixel at most: scaling down further would drop whole rows.
    const bins = Math.min(k, Math.floor(side * this.pixelScale));
    p.image(this.rasterFor(m, bins, scale), left, top, side, side);
    p.strokeRect(left, top, side, side, COLOURS.zero, 1);
    const cell = side / k;
    const names = this.names();
    if (this.named()) {
      names.forEach((name, i) => {
        p.text(name, left - 6, top + (i + 0.5) * cell, { align: 'right', size: 11 });
        p.text(name, left + (i + 0.5) * cell, top + side + 6, { align: 'right', size: 11, rotate: -45 });
        // Outline the diagonal: those cells are correct predictions, not confusions.
        p.strokeRect(left + i * cell, top + i * cell, cell, cell, '#adb5bd', 1);
      });
      p.text('predicted →', left + side, top + side + this.margins().bottom - 6, { align: 'right', baseline: 'bottom', fill: COLOURS.muted });
    } else {
      p.text(`predicted class (0 → ${k - 1}) →`, left + side / 2, top + side + 8, { align: 'center', baseline: 'top', fill: COLOURS.muted });
      p.text(`true class ↓`, left - 8, top + side / 2, { align: 'center', baseline: 'bottom', fill: COLOURS.muted, rotate: -90 });
    }
    p.text(this.normalized ? 'change in share of the true class (rows), treatment − baseline' : 'change in images, treatment − baseline (mean over seeds)', left, 10, {
      align: 'left',
      fill: COLOURS.muted,
    });

    // The legend: the colour ramp with its symmetric ends and zero.
    const lx = left + side + 22;
    const lh = Math.min(side, 240);
    const steps = 48;
    for (let s = 0; s < steps; s++) {
      const v = scale * (1 - (2 * (s + 0.5)) / steps);
      p.rect(lx, top + (s * lh) / steps, 14, lh / steps + 0.5, divergingColour(v, scale));
    }
    p.strokeRect(lx, top, 14, lh, COLOURS.zero, 1);
    const end = (v: number) => (this.normalized ? `${signedPoints(v, 1)} pp` : this.format(v));
    p.text(`${end(scale)} more`, lx + 18, top + 5, { align: 'left', size: 11 });
    p.text('0', lx + 18, top + lh / 2, { align: 'left', size: 11 });
    p.text(`${end(-scale)} fewer`, lx + 18, top + lh - 5, { align: 'left', size: 11 });
    this.geometry = { left, top, side, classes: k, scale, normalized: this.normalized, bins };
  }

  protected exportTitle(): string {
    const c = this.comparison;
    const what = this.normalized ? 'Confusion change, row-normalized' : 'Confusion change (images)';
    return c ? `${what}: ${c.treatment.label} − ${c.baseline.label}` : what;
  }

  /** The diagonal, one cell per class. */
  protected keyTargets(): KeyTarget[] {
    const g = this.geometry;
    if (!g) return [];
    const cell = g.side / g.classes;
    return Array.from({ length: g.classes }, (_, i) => {
      const x = g.left + (i + 0.5) * cell;
      const y = g.top + (i + 0.5) * cell;
      const hit = this.hit(x, y);
      return hit ? [{ x, y, hit }] : [];
    }).flat();
  }

  /** The cell under a point: [true, predicted]. */
  cellAt(x: number, y: number): [number, number] | null {
    const g = this.geometry;
    if (!g || x < g.left || y < g.top || x >= g.left + g.side || y >= g.top + g.side) return null;
    return [Math.floor(((y - g.top) / g.side) * g.classes), Math.floor(((x - g.left) / g.side) * g.classes)];
  }

  protected hit(x: number, y: number): Hit | null {
    const cell = this.cellAt(x, y);
    const m = this.shown();
    if (!cell || !m) return null;
    const [i, j] = cell;
    const names = this.names();
    const v = m[i]?.[j] ?? 0;
    return {
      lines: [
        `true ${names[i]} → predicted ${names[j]}`,
        this.normalized ? `${this.format(v)} of ${names[i]}’s test images` : `${this.format(v)} images (treatment − baseline, mean over seeds)`,
        ...(i === j ? ['the diagonal: correct predictions'] : []),
      ],
      classes: i === j ? [i] : [i, j],
    };
  }

  private renderLargest(cells: { i: number; j: number; v: number }[]) {
    if (cells.length === 0) return html`<p class="muted">No pair of classes is confused more often under the treatment.</p>`;
    const names = this.names();
    return html`<h4 class="list-title">Largest new confusions</h4>
      <div class="scroll">
        <table data-testid="confusion-top">
          <thead>
            <tr>
              <th scope="col" class="name">True class</th>
              <th scope="col" class="name">Now predicted as</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            ${cells.map(
              ({ i, j, v }) => html`<tr data-testid="confusion-top-row" @click=${(e: MouseEvent) => this.pick([i, j], e.shiftKey || e.ctrlKey || e.metaKey)}>
                <td class="name"><button class="link">${names[i]}</button></td>
                <td class="name">${names[j]}</td>
                <td>${this.normalized ? this.format(v) : `${this.format(v)} images`}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
  }

  override render() {
    const c = this.comparison;
    if (!c) return html`<p class="muted">No comparison to show.</p>`;
    if (!this.matrix()) {
      return html`<p class="muted" data-testid="confusion-pending">
        The confusion matrix arrives with the run's final evaluation${c.baseline.provisional || c.treatment.provisional ? ': runs of this comparison are still training' : ''}.
      </p>`;
    }
    const k = this.matrix()!.length;
    return html`
      <div class="toolbar">
        <label
          ><input type="checkbox" data-testid="confusion-normalize" .checked=${this.normalized} @change=${(e: Event) => (this.normalized = (e.target as HTMLInputElement).checked)} />
          Row-normalized (share of each true class's test images)</label
        >
        <span class="spacer"></span>
        ${this.renderExportButtons('confusion change heatmap')}
      </div>
      ${this.renderCanvas(
        `Change in the confusion matrix for ${k} classes, ${c.treatment.label} minus ${c.baseline.label}: orange where the treatment predicts a pair more often, purple where less. Hover for a cell's value.`,
      )}
      ${this.renderLargest(this.largestIncreases(this.shown()!))}
      ${this.normalized ? html`<p class="muted">Row-normalized: each true class's row is divided by its own number of test images.</p>` : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-confusion-diff': ConfusionDiff;
  }
}
