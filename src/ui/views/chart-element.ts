/**
 * What every per-class chart shares: a canvas sized to the element (device
 * pixels, so lines stay sharp), drawn once per Lit update (Lit batches
 * property changes, so a burst of live evaluations costs one draw), a hover
 * tooltip that touches no reactive state (hovering never redraws 1,000
 * classes), click-to-select, and export as PNG or SVG through the same
 * drawing code.
 */
import { LitElement, css, html } from 'lit';
import { property, state } from 'lit/decorators.js';
import { sendIntent } from '../intents';
import { panelStyles } from '../styles';
import { CanvasPainter, paintToBlob, type Painter } from './painter';

/** What lies under the pointer. */
export interface Hit {
  /** The tooltip, one line each. */
  lines: string[];
  /** Classes a click selects (the first is the one inspected). */
  classes: number[];
}

export const chartStyles = [
  panelStyles,
  css`
    /* The charts' tables (a class per row): numbers right-aligned, a row picks its class. */
    td,
    th {
      text-align: right;
    }
    td.name,
    th.name {
      text-align: left;
    }
    tbody tr {
      cursor: pointer;
    }
    tbody tr:hover {
      background: #f5f7fa;
    }
    .frame {
      position: relative;
    }
    canvas.chart {
      display: block;
      cursor: crosshair;
    }
    .tooltip {
      position: absolute;
      pointer-events: none;
      background: rgba(29, 36, 51, 0.94);
      color: #fff;
      font-size: 0.8rem;
      line-height: 1.35;
      padding: 0.35rem 0.55rem;
      border-radius: 5px;
      white-space: nowrap;
      z-index: 2;
      font-variant-numeric: tabular-nums;
    }
    .tooltip div:first-child {
      font-weight: 600;
    }
    .toolbar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.4rem 0.8rem;
      margin: 0.3rem 0 0.5rem;
      font-size: 0.9rem;
    }
    .toolbar .spacer {
      flex: 1;
    }
    .toolbar button {
      padding: 0.2rem 0.6rem;
      font-size: 0.85rem;
    }
    button[aria-pressed='true'] {
      background: var(--cw-accent, #2458d6);
      color: #fff;
    }
    input,
    select {
      font: inherit;
      font-size: 0.9rem;
      padding: 0.2rem 0.4rem;
      border: 1px solid var(--cw-border, #d9dee7);
      border-radius: 5px;
    }
  `,
];

export abstract class ChartElement extends LitElement {
  /** Classes the user highlighted; a click replaces them, shift/ctrl/⌘-click adds or removes one. */
  @property({ attribute: false }) selectedClasses: number[] = [];
  /** The element's content width in CSS pixels, from a ResizeObserver. */
  @state() protected width = 0;

  /** Milliseconds the last on-screen draw took, and how many draws there were (read by the tests). */
  lastDrawMs = 0;
  drawCount = 0;

  /** Device pixels per CSS pixel of the drawing under way (the screen's, or the export's). */
  protected pixelScale = 1;

  private resizeObserver: ResizeObserver | null = null;

  /** The chart's height for a given width. */
  protected abstract chartHeight(width: number): number;
  /** Draws the chart (only called while hasChart() holds). */
  protected abstract paint(p: Painter, width: number, height: number): void;
  protected abstract hasChart(): boolean;
  protected abstract hit(x: number, y: number): Hit | null;
  /** The exported file's name, without extension. */
  protected abstract fileStem(): string;

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (w > 0 && w !== this.width) this.width = w;
    });
    this.resizeObserver.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
  }

  /** Width to draw at: the element's, or a default before the first layout. */
  protected chartWidth(): number {
    return Math.max(240, this.width || this.getBoundingClientRect().width || 640);
  }

  override updated(): void {
    this.draw();
  }

  private canvas(): HTMLCanvasElement | null {
    return this.renderRoot.querySelector('canvas.chart');
  }

  private draw(): void {
    const canvas = this.canvas();
    if (!canvas || !this.hasChart()) return;
    const t0 = performance.now();
    const w = this.chartWidth();
    const h = this.chartHeight(w);
    const dpr = window.devicePixelRatio || 1;
    const pw = Math.round(w * dpr);
    const ph = Math.round(h * dpr);
    if (canvas.width !== pw) canvas.width = pw;
    if (canvas.height !== ph) canvas.height = ph;
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    this.pixelScale = dpr;
    this.paint(new CanvasPainter(ctx), w, h);
    this.lastDrawMs = performance.now() - t0;
    this.drawCount++;
  }

  /** The chart as an image file, drawn at the on-screen size (PNG at 2× for print). */
  async toBlob(format: 'png' | 'svg'): Promise<Blob> {
    if (!this.hasChart()) throw new Error('there is no chart to export yet');
    const w = this.chartWidth();
    const scale = 2;
    const paint = (p: Painter) => {
      this.pixelScale = scale;
      try {
        this.paint(p, w, this.chartHeight(w));
      } finally {
        this.pixelScale = window.devicePixelRatio || 1;
      }
    };
    return paintToBlob(paint, w, this.chartHeight(w), format, scale);
  }

  protected async save(format: 'png' | 'svg'): Promise<void> {
    const blob = await this.toBlob(format);
    sendIntent(this, { kind: 'save-chart', fileName: `${this.fileStem()}.${format}`, blob });
  }

  /** Select (and inspect) classes: shift/ctrl/⌘ toggles one in the current selection. */
  protected pick(classes: number[], additive: boolean): void {
    const first = classes[0];
    if (first === undefined) return;
    let next = [...new Set(classes)];
    if (additive) {
      const current = new Set(this.selectedClasses);
      for (const k of classes) {
        if (current.has(k)) current.delete(k);
        else current.add(k);
      }
      next = [...current];
    }
    sendIntent(this, { kind: 'select-classes', classes: next });
    sendIntent(this, { kind: 'inspect-class', classIndex: next.includes(first) ? first : (next[0] ?? null) });
  }

  protected renderExportButtons(what: string) {
    return html`<span class="export">
      <button data-testid="save-png" title="Save this chart as a PNG image" aria-label=${`Save the ${what} as PNG`} @click=${() => void this.save('png')}>PNG</button>
      <button data-testid="save-svg" title="Save this chart as an SVG vector image" aria-label=${`Save the ${what} as SVG`} @click=${() => void this.save('svg')}>SVG</button>
    </span>`;
  }

  protected renderCanvas(label: string) {
    return html`<div class="frame">
      <canvas class="chart" role="img" aria-label=${label} @pointermove=${this.onMove} @pointerleave=${this.onLeave} @click=${this.onClick}></canvas>
      <div class="tooltip" data-testid="tooltip" hidden></div>
    </div>`;
  }

  private local(event: MouseEvent): { x: number; y: number } {
    const rect = (event.currentTarget as HTMLElement).getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  private readonly onMove = (event: PointerEvent): void => {
    const tooltip = this.renderRoot.querySelector<HTMLElement>('.tooltip');
    if (!tooltip) return;
    const { x, y } = this.local(event);
    const hit = this.hit(x, y);
    if (!hit) {
      tooltip.hidden = true;
      return;
    }
    tooltip.replaceChildren(
      ...hit.lines.map((line) => {
        const div = document.createElement('div');
        div.textContent = line;
        return div;
      }),
    );
    tooltip.hidden = false;
    const w = this.chartWidth();
    const tw = tooltip.offsetWidth;
    tooltip.style.left = `${x + 14 + tw > w ? Math.max(0, x - 14 - tw) : x + 14}px`;
    tooltip.style.top = `${Math.max(0, y - 10)}px`;
  };

  private readonly onLeave = (): void => {
    const tooltip = this.renderRoot.querySelector<HTMLElement>('.tooltip');
    if (tooltip) tooltip.hidden = true;
  };

  private readonly onClick = (event: MouseEvent): void => {
    const { x, y } = this.local(event);
    const hit = this.hit(x, y);
    if (hit && hit.classes.length) this.pick(hit.classes, event.shiftKey || event.ctrlKey || event.metaKey);
  };
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step - 1e-9) * step; t <= max + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

export const COLOURS = {
  hurt: '#c92a2a',
  helped: '#1c6dd0',
  neutral: '#8a94a6',
  mean: '#1d2433',
  zero: '#5b6578',
  grid: '#e6e9ef',
  text: '#1d2433',
  muted: '#5b6578',
  highlight: '#ffe066',
} as const;

/** Distinct colours for highlighted classes, none of them the red that means "hurt". */
export const SELECTION_COLOURS = ['#e8590c', '#2b8a3e', '#862e9c', '#0b7285', '#d6336c', '#5c940d', '#1c6dd0', '#b08900'];
