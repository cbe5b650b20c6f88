/**
 * The guided demo, for a projector: the cards of src/study/demo.ts in large
 * type, one at a time (arrow keys, Page Up/Down or a presenter's clicker,
 * Home/End), with an example image of every class of the teaching set, what
 * the crop does to some of them, and, once the demo study has run, its
 * per-class changes as bars. Renders its properties and sends intents.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { RunView, StudyPhase } from '../app/state';
import type { TeachingClass } from '../data/teaching';
import type { Comparison } from '../study/analysis';
import type { CropConfig } from '../study/config';
import type { DemoCard } from '../study/demo';
import { seconds } from './format';
import { sendIntent } from './intents';
import { panelStyles } from './styles';
import { paintImage } from './views/class-inspector';
import type { InspectorImage } from './views/types';

/** The classes the crop card shows: one mark, one disc, one texture (by index in the teaching set). */
const CROP_EXAMPLES = 3;
/** The side of the crop card's images, in CSS pixels (its window is drawn to scale). */
const CROP_PX = 128;

@customElement('cw-demo')
export class DemoMode extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host {
        font-size: 1.45rem;
        line-height: 1.4;
      }
      section {
        padding: 1.5rem 2rem;
        min-height: 70vh;
        display: grid;
        grid-template-rows: auto 1fr auto;
        gap: 1rem;
      }
      h2 {
        font-size: 2.3rem;
        line-height: 1.15;
        margin: 0;
      }
      .count {
        font-size: 1.1rem;
        color: var(--cw-muted, #5b6578);
      }
      p {
        margin: 0 0 0.7rem;
        max-width: 60rem;
      }
      button {
        font-size: 1.15rem;
        padding: 0.5rem 1.2rem;
      }
      nav {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem;
        align-items: center;
      }
      .dots {
        display: flex;
        gap: 0.4rem;
        margin: 0 auto;
      }
      .dots button {
        width: 1.1rem;
        height: 1.1rem;
        padding: 0;
        border-radius: 50%;
      }
      .dots button[aria-current='step'] {
        background: var(--cw-accent, #2458d6);
      }
      .classes {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr));
        gap: 0.8rem 1rem;
      }
      .group {
        margin-bottom: 1rem;
      }
      .group h3 {
        font-size: 1.3rem;
        margin: 0 0 0.5rem;
      }
      figure {
        margin: 0;
        font-size: 1.05rem;
      }
      figure strong {
        display: block;
      }
      figure span {
        color: var(--cw-muted, #5b6578);
        font-size: 0.85rem;
        line-height: 1.3;
        display: block;
      }
      canvas {
        width: 80px;
        height: 80px;
        image-rendering: pixelated;
        border: 1px solid var(--cw-border, #d9dee7);
        border-radius: 4px;
        display: block;
        margin-bottom: 0.3rem;
      }
      .crop-row {
        display: flex;
        flex-wrap: wrap;
        gap: 2rem;
        margin-top: 1rem;
      }
      .crop-row canvas {
        width: 128px;
        height: 128px;
      }
      .pair {
        display: flex;
        gap: 0.8rem;
        align-items: center;
      }
      .frame {
        position: relative;
      }
      .window {
        position: absolute;
        border: 3px dashed #e8590c;
        box-sizing: border-box;
        pointer-events: none;
      }
      .arrow {
        font-size: 2rem;
        color: var(--cw-muted, #5b6578);
      }
      .bars {
        display: grid;
        grid-template-columns: minmax(10rem, max-content) 1fr 8rem;
        gap: 0.35rem 1rem;
        align-items: center;
        max-width: 56rem;
        font-size: 1.15rem;
      }
      .track {
        position: relative;
        height: 1.1rem;
      }
      .track .zero {
        position: absolute;
        left: 50%;
        top: -0.2rem;
        bottom: -0.2rem;
        border-left: 2px solid #5b6578;
      }
      .track .bar {
        position: absolute;
        top: 0;
        bottom: 0;
        background: #8a94a6;
        border-radius: 3px;
      }
      .track .bar.hurt {
        background: #c92a2a;
      }
      .track .bar.helped {
        background: #1c6dd0;
      }
      .num {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      .status {
        font-size: 1.15rem;
        color: var(--cw-muted, #5b6578);
      }
    `,
  ];

  @property({ attribute: false }) cards: DemoCard[] = [];
  @property({ attribute: false }) classes: readonly TeachingClass[] = [];
  /** One training image per class, in class order. */
  @property({ attribute: false }) examples: InspectorImage[] = [];
  @property({ attribute: false }) crop: Exclude<CropConfig, { kind: 'none' }> | null = null;
  @property({ attribute: false }) comparison: Comparison | null = null;
  @property() phase: StudyPhase = 'idle';
  @property({ attribute: false }) runs: RunView[] = [];
  @property({ attribute: false }) current: number | null = null;
  @property({ attribute: false }) studyEtaSec: number | null = null;
  @property({ type: Boolean }) canRun = false;

  @state() private index = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    // On the window: a presenter's clicker sends Page Down to whatever has focus.
    addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('keydown', this.onKey);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('cards')) this.index = Math.min(this.index, Math.max(0, this.cards.length - 1));
  }

  override updated(): void {
    for (const canvas of this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-example]')) {
      const image = this.examples[Number(canvas.dataset.example)];
      if (image) paintImage(canvas, image);
    }
    for (const canvas of this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-cropped]')) {
      const image = this.examples[Number(canvas.dataset.cropped)];
      if (image) this.paintCropped(canvas, image);
    }
  }

  override render() {
    const card = this.cards[this.index];
    if (!card) return nothing;
    const last = this.cards.length - 1;
    return html`<section aria-roledescription="slide" aria-label=${`${this.index + 1} of ${this.cards.length}: ${card.title}`} data-testid="demo-card" data-kind=${card.kind}>
      <header>
        <h2 data-testid="demo-title">${card.title}</h2>
        <span class="count">${this.index + 1} / ${this.cards.length}</span>
      </header>
      <div>
        ${card.lines.map((line) => html`<p>${line}</p>`)} ${this.renderVisual(card)}
      </div>
      <nav aria-label="Demo">
        <button data-testid="demo-prev" ?disabled=${this.index === 0} @click=${() => this.go(this.index - 1)}>← Back</button>
        <span class="dots">
          ${this.cards.map(
            (c, i) => html`<button aria-label=${`Card ${i + 1}: ${c.title}`} aria-current=${i === this.index ? 'step' : 'false'} @click=${() => this.go(i)}></button>`,
          )}
        </span>
        <button class="primary" data-testid="demo-next" ?disabled=${this.index === last} @click=${() => this.go(this.index + 1)}>Next →</button>
        <button data-testid="demo-fullscreen" @click=${() => void this.closest('cw-app')?.requestFullscreen?.()}>Full screen</button>
      </nav>
    </section>`;
  }

  private renderVisual(card: DemoCard) {
    switch (card.kind) {
      case 'classes':
        return html`${this.renderGroup('A crop can destroy the cue', false)} ${this.renderGroup('Every crop keeps the cue', true)}`;
      case 'crop':
        return this.renderCrops();
      case 'result':
        return this.renderResult();
      default:
        return nothing;
    }
  }

  private renderGroup(title: string, survives: boolean) {
    const members = this.classes.map((c, i) => ({ c, i })).filter(({ c }) => c.survivesCrop === survives);
    return html`<div class="group">
      <h3>${title}</h3>
      <div class="classes">
        ${members.map(
          ({ c, i }) => html`<figure data-testid="demo-class">
            <canvas data-example=${i} role="img" aria-label=${`An example of ${c.name}`}></canvas>
            <strong>${c.name}</strong><span>${c.cue}</span>
          </figure>`,
        )}
      </div>
    </div>`;
  }

  /** A mark, a disc and a texture: each image with the crop's smallest window drawn on it, and what training sees there. */
  private renderCrops() {
    const crop = this.crop;
    if (!crop || crop.kind !== 'resized') return nothing;
    const picks = this.examplesForCrop();
    const side = Math.sqrt(crop.scale) * CROP_PX;
    const offset = (CROP_PX - side) / 2;
    return html`<div class="crop-row">
      ${picks.map(
        (i) => html`<figure>
          <div class="pair">
            <div class="frame">
              <canvas data-example=${i} role="img" aria-label=${`${this.classes[i]?.name}: the whole image`}></canvas>
              <div class="window" style="left:${offset}px;top:${offset}px;width:${side}px;height:${side}px"></div>
            </div>
            <span class="arrow" aria-hidden="true">→</span>
            <canvas data-cropped=${i} role="img" aria-label=${`${this.classes[i]?.name}: the window, as training sees it`}></canvas>
          </div>
          <strong>${this.classes[i]?.name}</strong><span>${this.classes[i]?.survivesCrop ? 'cue kept' : 'cue lost'}</span>
        </figure>`,
      )}
    </div>
    <p class="status">The dashed square is the smallest window (${Math.round(crop.scale * 100)}% of the area), here in the centre; training places it at random.</p>`;
  }

  private examplesForCrop(): number[] {
    const lost = this.classes.map((c, i) => ({ c, i })).filter(({ c }) => !c.survivesCrop);
    const kept = this.classes.map((c, i) => ({ c, i })).find(({ c }) => c.survivesCrop);
    const picks = [lost[0]?.i, lost.find(({ c }) => /disc/.test(c.name))?.i ?? lost[1]?.i, kept?.i];
    return [...new Set(picks.filter((i): i is number => i !== undefined))].slice(0, CROP_EXAMPLES);
  }

  /** The centre window of the crop's smallest area, scaled back to full size (nearest pixel: the pixels stay visible). */
  private paintCropped(canvas: HTMLCanvasElement, image: InspectorImage): void {
    const crop = this.crop;
    if (!crop || crop.kind !== 'resized') return;
    const source = document.createElement('canvas');
    paintImage(source, image);
    const side = Math.max(1, Math.round(Math.sqrt(crop.scale) * image.width));
    const start = Math.floor((image.width - side) / 2);
    canvas.width = image.width;
    canvas.height = image.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(source, start, start, side, side, 0, 0, image.width, image.height);
  }

  private renderResult() {
    const c = this.comparison;
    const running = this.phase === 'running' || this.phase === 'pausing' || this.phase === 'paused' || this.phase === 'cancelling';
    const run = this.current !== null ? this.runs[this.current] : undefined;
    const status = running
      ? html`<p class="status" role="status" data-testid="demo-status">
          Training run ${(this.current ?? 0) + 1} of ${this.runs.length}${run?.totalSteps ? `, step ${run.stepsDone} of ${run.totalSteps}` : ''}${this.studyEtaSec !== null ? `; about ${seconds(this.studyEtaSec)} left` : ''}.
        </p>`
      : nothing;
    if (!c) {
      return html`${status}
        <button class="primary" data-testid="demo-run" ?disabled=${!this.canRun || running} @click=${this.runDemo}>Run the demo study</button>`;
    }
    const sorted = [...c.classes].sort((a, b) => a.delta.estimate - b.delta.estimate);
    const span = Math.max(0.05, ...sorted.map((d) => Math.abs(d.delta.estimate)));
    return html`${status}
      <div class="bars" data-testid="demo-bars" role="list">
        ${sorted.map((d) => {
          const width = (Math.abs(d.delta.estimate) / span) * 50;
          const left = d.delta.estimate < 0 ? 50 - width : 50;
          return html`<span role="listitem">${d.className}</span>
            <span class="track" aria-hidden="true"><span class="zero"></span><span class="bar ${d.verdict ?? ''}" style="left:${left}%;width:${width}%"></span></span>
            <span class="num">${d.delta.estimate > 0 ? '+' : d.delta.estimate < 0 ? '−' : '±'}${Math.abs(d.delta.estimate * 100).toFixed(1)} pp</span>`;
        })}
      </div>`;
  }

  private readonly runDemo = (): void => {
    sendIntent(this, { kind: 'run-demo' });
  };

  private go(index: number): void {
    this.index = Math.max(0, Math.min(this.cards.length - 1, index));
  }

  private readonly onKey = (event: KeyboardEvent): void => {
    const target = event.composedPath()[0] as HTMLElement | undefined;
    const to = { ArrowRight: this.index + 1, PageDown: this.index + 1, ArrowLeft: this.index - 1, PageUp: this.index - 1, Home: 0, End: this.cards.length - 1 }[event.key];
    if (to === undefined) return;
    // Fields have their own use for every one of these keys, a tab list for all but Page Up/Down (a clicker's).
    if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return;
    if (target?.getAttribute('role') === 'tab' && !event.key.startsWith('Page')) return;
    event.preventDefault();
    this.go(to);
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-demo': DemoMode;
  }
}
