/**
 * What every per-class chart shares: a canvas sized to the element (device
 * pixels, so lines stay sharp), drawn once per Lit update (Lit batches
 * property changes, so a burst of live evaluations costs one draw), a hover
 * tooltip that touches no reactive state (hovering never redraws 1,000
 * classes), click-to-select, and export as PNG or SVG through the same
 * drawing code, with the chart's title above it. From the keyboard, the
 * canvas takes focus: the arrow keys step through its classes (the tooltip
 * and a live region say which), Enter or Space selects and inspects one.
 */
import { LitElement, css, html } from 'lit';
import { property, state } from 'lit/decorators.js';
import { sendIntent } from '../intents';
import { panelStyles } from '../styles';
import { CanvasPainter, OffsetPainter, paintToBlob, type Painter } from './painter';

/** What lies under the pointer. */
export interface Hit {
  /** The tooltip, one line each. */
  lines: string[];
  /** Classes a click selects (the first is the one inspected). */
  classes: number[];
}

/** A stop of the keyboard cursor: where its tooltip goes, and what it says and selects. */
export interface KeyTarget {
  x: number;
  y: number;
  hit: Hit;
}

/** Height of the title band above an exported chart. */
const TITLE_H = 30;

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
    canvas.chart:focus-visible {
      outline: 2px solid var(--cw-accent, #2458d6);
      outline-offset: 2px;
    }
    .sr-only {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
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
  /** The title an exported image carries, saying what the chart shows. */
  protected abstract exportTitle(): string;
  /** The keyboard cursor's stops, in the order the arrow keys visit them (computed after a draw). */
  protected abstract keyTargets(): KeyTarget[];

  /** Where the keyboard cursor is, among keyTargets(); -1 before the first arrow key. */
  private keyIndex = -1;

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

  /** The chart as an image file, drawn at the on-screen size (PNG at 2× for print), under its title. */
  async toBlob(format: 'png' | 'svg'): Promise<Blob> {
    if (!this.hasChart()) throw new Error('there is no chart to export yet');
    const w = this.chartWidth();
    const h = this.chartHeight(w);
    const scale = 2;
    const paint = (p: Painter) => {
      p.text(this.exportTitle(), 8, TITLE_H / 2, { size: 14, weight: 'bold', fill: COLOURS.text });
      this.pixelScale = scale;
      try {
        this.paint(new OffsetPainter(p, 0, TITLE_H), w, h);
      } finally {
        this.pixelScale = window.devicePixelRatio || 1;
      }
    };
    return paintToBlob(paint, w, h + TITLE_H, format, scale);
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
      <canvas
        class="chart"
        role="img"
        tabindex="0"
        aria-label=${`${label} Arrow keys step through the classes; Enter inspects one.`}
        @pointermove=${this.onMove}
        @pointerleave=${this.onLeave}
        @click=${this.onClick}
        @keydown=${this.onKey}
        @blur=${this.onLeave}
      ></canvas>
      <div class="tooltip" data-testid="tooltip" hidden></div>
      <div class="sr-only" aria-live="polite" data-testid="chart-cursor"></div>
    </div>`;
  }

  private showTooltip(hit: Hit, x: number, y: number): void {
    const tooltip = this.renderRoot.querySelector<HTMLElement>('.tooltip');
    if (!tooltip) return;
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
  }

  private readonly onKey = (event: KeyboardEvent): void => {
    const targets = this.keyTargets();
    if (targets.length === 0) return;
    const last = targets.length - 1;
    const at = Math.min(this.keyIndex, last);
    const moves: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowRight: at + 1,
      ArrowUp: at - 1,
      ArrowLeft: at - 1,
      Home: 0,
      End: last,
      PageDown: at + 10,
      PageUp: at - 10,
    };
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      const target = targets[Math.max(0, at)]!;
      this.pick(target.hit.classes, event.shiftKey || event.ctrlKey || event.metaKey);
      return;
    }
    if (event.key === 'Escape') return this.onLeave();
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    this.keyIndex = Math.max(0, Math.min(last, to));
    const target = targets[this.keyIndex]!;
    this.showTooltip(target.hit, target.x, target.y);
    const live = this.renderRoot.querySelector<HTMLElement>('[data-testid=chart-cursor]');
    if (live) live.textContent = target.hit.lines.join('; ');
  };

  private local(event: MouseEvent): { x: number; y: number } {
    const rect = (event.currentTarget as HTMLElement).getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  private readonly onMove = (event: PointerEvent): void => {
    const { x, y } = this.local(event);
    const hit = this.hit(x, y);
    if (hit) this.showTooltip(hit, x, y);
    else this.onLeave();
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
