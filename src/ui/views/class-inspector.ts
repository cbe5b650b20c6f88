/**
 * (d) One class up close: the test images the treatment now gets wrong
 * (right under the baseline), captioned with what it predicted, and random
 * crops of the class's training images as the treatment draws them. Images
 * arrive as raw pixels; each is put on a small canvas at its own size and
 * upscaled by CSS with pixelated rendering, so small images stay crisp.
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { panelStyles } from '../styles';
import type { ClassInspection, InspectorImage } from './types';

/** Writes an HWC image (1 or 3 channels) into a canvas of its size. */
export function paintImage(canvas: HTMLCanvasElement, image: InspectorImage): void {
  const { width, height, channels, pixels } = image;
  if (pixels.length < width * height * channels) throw new Error(`an inspector image of ${width}×${height}×${channels} has only ${pixels.length} bytes`);
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const data = ctx.createImageData(width, height);
  const rgba = data.data;
  for (let i = 0, n = width * height; i < n; i++) {
    const o = i * 4;
    if (channels === 1) {
      const v = pixels[i]!;
      rgba[o] = v;
      rgba[o + 1] = v;
      rgba[o + 2] = v;
    } else {
      rgba[o] = pixels[i * 3]!;
      rgba[o + 1] = pixels[i * 3 + 1]!;
      rgba[o + 2] = pixels[i * 3 + 2]!;
    }
    rgba[o + 3] = 255;
  }
  ctx.putImageData(data, 0, 0);
}

@customElement('cw-class-inspector')
export class ClassInspector extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(84px, 1fr));
        gap: 0.6rem;
        margin: 0.4rem 0 0.8rem;
      }
      figure {
        margin: 0;
        text-align: center;
      }
      canvas {
        width: 100%;
        aspect-ratio: 1;
        image-rendering: pixelated;
        border: 1px solid var(--cw-border, #d9dee7);
        border-radius: 4px;
        background: #f5f7fa;
        display: block;
      }
      figcaption {
        font-size: 0.78rem;
        color: var(--cw-muted, #5b6578);
        margin-top: 0.2rem;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      h4 {
        font-size: 0.92rem;
        margin: 0.7rem 0 0;
      }
      h4.title {
        margin: 0.2rem 0;
      }
      .head {
        display: flex;
        align-items: baseline;
        justify-content: space-between;
        gap: 0.5rem;
      }
    `,
  ];

  @property({ attribute: false }) inspection: ClassInspection | null = null;

  /** Which image each canvas holds, so that an update repaints only the canvases whose image changed. */
  private readonly painted = new WeakMap<HTMLCanvasElement, InspectorImage>();

  override updated(): void {
    const i = this.inspection;
    if (!i || i.status !== 'ready') return;
    for (const canvas of this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-set]')) {
      const set = canvas.dataset.set === 'wrong' ? i.wrong : i.crops;
      const image = set[Number(canvas.dataset.index)];
      if (image && this.painted.get(canvas) !== image) {
        paintImage(canvas, image);
        this.painted.set(canvas, image);
      }
    }
  }

  private grid(set: 'wrong' | 'crops', images: InspectorImage[], what: string) {
    return html`<div class="grid" data-testid=${`inspector-${set}`}>
      ${images.map(
        (image, index) => html`<figure data-testid="inspector-image">
          <canvas data-set=${set} data-index=${index} role="img" aria-label=${`${what} ${index + 1}: ${image.caption}`}></canvas>
          <figcaption title=${image.caption}>${image.caption}</figcaption>
        </figure>`,
      )}
    </div>`;
  }

  override render() {
    const i = this.inspection;
    if (!i) return html`<p class="muted" data-testid="inspector-empty">Click a class in the charts or the table to see the test images it now gets wrong and what its training crops look like.</p>`;
    const title = html`<div class="head">
      <h4 class="title">${i.className} <span class="muted">under ${i.treatmentLabel}</span></h4>
    </div>`;
    if (i.status === 'loading') return html`${title}<p class="muted" data-testid="inspector-loading" aria-live="polite">Loading the images of ${i.className}…</p>`;
    if (i.status === 'unavailable')
      return html`${title}<p class="muted" data-testid="inspector-unavailable">The images cannot be shown: ${i.reason ?? 'the run did not keep its predictions'}.</p>`;
    return html`${title}
      <h4>Test images it now gets wrong (${i.wrong.length})</h4>
      <p class="muted">Right under the baseline, wrong under the treatment; the caption is what the treatment predicted.</p>
      ${i.wrong.length ? this.grid('wrong', i.wrong, 'Misclassified test image') : html`<p data-testid="inspector-none-wrong">None: every test image of ${i.className} the baseline got right, the treatment still gets right.</p>`}
      <h4>Random crops of its training images at this strength (${i.crops.length})</h4>
      ${i.crops.length ? this.grid('crops', i.crops, 'Training crop') : html`<p class="muted">No crops: this treatment does not crop.</p>`}
`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-class-inspector': ClassInspector;
  }
}
