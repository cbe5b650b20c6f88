/**
 * One drawing vocabulary for the charts, with two back ends: a canvas (what
 * the page shows, and the PNG export) and an SVG string (the vector export).
 * Each chart draws once, through this interface, so its PNG and SVG are the
 * same picture as the one on screen.
 */

export interface TextStyle {
  size?: number;
  weight?: 'normal' | 'bold';
  fill?: string;
  align?: 'left' | 'center' | 'right';
  baseline?: 'top' | 'middle' | 'bottom';
  /** Degrees, clockwise, about the anchor. */
  rotate?: number;
}

export interface Painter {
  rect(x: number, y: number, w: number, h: number, fill: string, alpha?: number): void;
  strokeRect(x: number, y: number, w: number, h: number, stroke: string, width?: number): void;
  line(x1: number, y1: number, x2: number, y2: number, stroke: string, width?: number, dash?: number[]): void;
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, stroke: string, width?: number, alpha?: number): void;
  circle(cx: number, cy: number, r: number, fill: string, stroke?: string): void;
  text(s: string, x: number, y: number, style?: TextStyle): void;
  /** A raster (the heatmap), scaled without smoothing. */
  image(source: HTMLCanvasElement, x: number, y: number, w: number, h: number): void;
}

export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const font = (size: number, weight: 'normal' | 'bold') => `${weight === 'bold' ? 600 : 400} ${size}px ${FONT_FAMILY}`;

let measureContext: CanvasRenderingContext2D | null = null;
/** Text width in CSS pixels, for margins that fit the class names. */
export function textWidth(s: string, size = 11, weight: 'normal' | 'bold' = 'normal'): number {
  measureContext ??= document.createElement('canvas').getContext('2d');
  if (!measureContext) return s.length * size * 0.6;
  measureContext.font = font(size, weight);
  return measureContext.measureText(s).width;
}

export class CanvasPainter implements Painter {
  constructor(private readonly ctx: CanvasRenderingContext2D) {}

  rect(x: number, y: number, w: number, h: number, fill: string, alpha = 1): void {
    const c = this.ctx;
    c.globalAlpha = alpha;
    c.fillStyle = fill;
    c.fillRect(x, y, w, h);
    c.globalAlpha = 1;
  }

  strokeRect(x: number, y: number, w: number, h: number, stroke: string, width = 1): void {
    const c = this.ctx;
    c.strokeStyle = stroke;
    c.lineWidth = width;
    c.strokeRect(x, y, w, h);
  }

  line(x1: number, y1: number, x2: number, y2: number, stroke: string, width = 1, dash: number[] = []): void {
    const c = this.ctx;
    c.strokeStyle = stroke;
    c.lineWidth = width;
    c.setLineDash(dash);
    c.beginPath();
    c.moveTo(x1, y1);
    c.lineTo(x2, y2);
    c.stroke();
    c.setLineDash([]);
  }

  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, stroke: string, width = 1, alpha = 1): void {
    const c = this.ctx;
    if (xs.length === 0) return;
    c.globalAlpha = alpha;
    c.strokeStyle = stroke;
    c.lineWidth = width;
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(xs[0]!, ys[0]!);
    for (let i = 1; i < xs.length; i++) c.lineTo(xs[i]!, ys[i]!);
    c.stroke();
    c.globalAlpha = 1;
  }

  circle(cx: number, cy: number, r: number, fill: string, stroke?: string): void {
    const c = this.ctx;
    c.beginPath();
    c.arc(cx, cy, r, 0, Math.PI * 2);
    c.fillStyle = fill;
    c.fill();
    if (stroke) {
      c.strokeStyle = stroke;
      c.lineWidth = 1;
      c.stroke();
    }
  }

  text(s: string, x: number, y: number, { size = 11, weight = 'normal', fill = '#1d2433', align = 'left', baseline = 'middle', rotate = 0 }: TextStyle = {}): void {
    const c = this.ctx;
    c.save();
    c.font = font(size, weight);
    c.fillStyle = fill;
    c.textAlign = align;
    c.textBaseline = baseline;
    c.translate(x, y);
    if (rotate) c.rotate((rotate * Math.PI) / 180);
    c.fillText(s, 0, 0);
    c.restore();
  }

  image(source: HTMLCanvasElement, x: number, y: number, w: number, h: number): void {
    const c = this.ctx;
    c.imageSmoothingEnabled = false;
    c.drawImage(source, x, y, w, h);
    c.imageSmoothingEnabled = true;
  }
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const n = (v: number) => (Math.round(v * 100) / 100).toString();

export class SvgPainter implements Painter {
  private readonly parts: string[] = [];

  constructor(
    private readonly width: number,
    private readonly height: number,
  ) {}

  rect(x: number, y: number, w: number, h: number, fill: string, alpha = 1): void {
    this.parts.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${fill}"${alpha < 1 ? ` fill-opacity="${n(alpha)}"` : ''}/>`);
  }

  strokeRect(x: number, y: number, w: number, h: number, stroke: string, width = 1): void {
    this.parts.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="none" stroke="${stroke}" stroke-width="${n(width)}"/>`);
  }

  line(x1: number, y1: number, x2: number, y2: number, stroke: string, width = 1, dash: number[] = []): void {
    const d = dash.length ? ` stroke-dasharray="${dash.join(' ')}"` : '';
    this.parts.push(`<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}" stroke-width="${n(width)}"${d}/>`);
  }

  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, stroke: string, width = 1, alpha = 1): void {
    const points: string[] = [];
    for (let i = 0; i < xs.length; i++) points.push(`${n(xs[i]!)},${n(ys[i]!)}`);
    const a = alpha < 1 ? ` stroke-opacity="${n(alpha)}"` : '';
    this.parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${stroke}" stroke-width="${n(width)}" stroke-linejoin="round"${a}/>`);
  }

  circle(cx: number, cy: number, r: number, fill: string, stroke?: string): void {
    this.parts.push(`<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(r)}" fill="${fill}"${stroke ? ` stroke="${stroke}"` : ''}/>`);
  }

  text(s: string, x: number, y: number, { size = 11, weight = 'normal', fill = '#1d2433', align = 'left', baseline = 'middle', rotate = 0 }: TextStyle = {}): void {
    const anchor = align === 'left' ? 'start' : align === 'center' ? 'middle' : 'end';
    const dominant = baseline === 'top' ? 'hanging' : baseline === 'middle' ? 'central' : 'text-after-edge';
    const transform = rotate ? ` transform="rotate(${n(rotate)} ${n(x)} ${n(y)})"` : '';
    this.parts.push(
      `<text x="${n(x)}" y="${n(y)}" font-size="${size}" font-weight="${weight === 'bold' ? 600 : 400}" fill="${fill}" text-anchor="${anchor}" dominant-baseline="${dominant}"${transform}>${escapeXml(s)}</text>`,
    );
  }

  image(source: HTMLCanvasElement, x: number, y: number, w: number, h: number): void {
    this.parts.push(
      `<image x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" preserveAspectRatio="none" style="image-rendering:pixelated" href="${source.toDataURL('image/png')}"/>`,
    );
  }

  toString(): string {
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}" font-family='${FONT_FAMILY}'>`,
      `<rect width="100%" height="100%" fill="#fff"/>`,
      ...this.parts,
      '</svg>',
    ].join('\n');
  }
}

/** Another painter, everything moved by (dx, dy): a chart drawn below its exported title. */
export class OffsetPainter implements Painter {
  constructor(
    private readonly inner: Painter,
    private readonly dx: number,
    private readonly dy: number,
  ) {}

  rect(x: number, y: number, w: number, h: number, fill: string, alpha?: number): void {
    this.inner.rect(x + this.dx, y + this.dy, w, h, fill, alpha);
  }

  strokeRect(x: number, y: number, w: number, h: number, stroke: string, width?: number): void {
    this.inner.strokeRect(x + this.dx, y + this.dy, w, h, stroke, width);
  }

  line(x1: number, y1: number, x2: number, y2: number, stroke: string, width?: number, dash?: number[]): void {
    this.inner.line(x1 + this.dx, y1 + this.dy, x2 + this.dx, y2 + this.dy, stroke, width, dash);
  }

  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, stroke: string, width?: number, alpha?: number): void {
    this.inner.polyline(Array.from(xs, (x) => x + this.dx), Array.from(ys, (y) => y + this.dy), stroke, width, alpha);
  }

  circle(cx: number, cy: number, r: number, fill: string, stroke?: string): void {
    this.inner.circle(cx + this.dx, cy + this.dy, r, fill, stroke);
  }

  text(s: string, x: number, y: number, style?: TextStyle): void {
    this.inner.text(s, x + this.dx, y + this.dy, style);
  }

  image(source: HTMLCanvasElement, x: number, y: number, w: number, h: number): void {
    this.inner.image(source, x + this.dx, y + this.dy, w, h);
  }
}

/** Draws `paint` at `width`×`height` CSS pixels into a Blob: PNG at `scale` device pixels per CSS pixel, or SVG. */
export async function paintToBlob(
  paint: (p: Painter) => void,
  width: number,
  height: number,
  format: 'png' | 'svg',
  scale = 2,
): Promise<Blob> {
  if (format === 'svg') {
    const svg = new SvgPainter(width, height);
    paint(svg);
    return new Blob([svg.toString()], { type: 'image/svg+xml' });
  }
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context to draw the PNG with');
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  paint(new CanvasPainter(ctx));
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the canvas produced no PNG'))), 'image/png'),
  );
}
