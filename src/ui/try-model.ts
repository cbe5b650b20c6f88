/**
 * Try the model: pick or drop an image and see what the baseline's and the
 * treatment's trained models predict for it, side by side (their top classes
 * and probabilities), with the image as the models saw it. The image is
 * decoded here and scaled down to at most 512 px a side; the worker resizes
 * it to the models' input and converts its channels. Renders its properties
 * and sends intents, nothing more.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { TrialState } from '../app/model-trial';
import type { ImagePixels, PredictOutcome } from '../../workers/api';
import { percent } from './format';
import { sendIntent } from './intents';
import { panelStyles } from './styles';
import { paintImage } from './views/class-inspector';
import { formatBytes } from '../util/units';

/** The long side an image is scaled down to before it goes to the worker. */
const SEND_SIDE = 512;
/** Files larger than this are refused before decoding. */
const MAX_FILE_BYTES = 30e6;
const TOP = 5;

@customElement('cw-try-model')
export class TryModel extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .drop {
        border: 2px dashed var(--cw-border, #d9dee7);
        border-radius: 8px;
        padding: 0.8rem 1rem;
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
      }
      .drop.over {
        border-color: var(--cw-accent, #2458d6);
        background: #eef3fd;
      }
      input[type='file'] {
        font: inherit;
        max-width: 100%;
      }
      .trial {
        display: grid;
        grid-template-columns: auto auto minmax(12rem, 1fr) minmax(12rem, 1fr);
        gap: 1rem;
        align-items: start;
        margin-top: 0.8rem;
      }
      @media (max-width: 60rem) {
        .trial {
          grid-template-columns: repeat(2, minmax(0, 1fr));
        }
      }
      figure {
        margin: 0;
        text-align: center;
        font-size: 0.85rem;
        color: var(--cw-muted, #5b6578);
      }
      canvas {
        display: block;
        width: 112px;
        height: 112px;
        object-fit: contain;
        border: 1px solid var(--cw-border, #d9dee7);
        border-radius: 4px;
        background: #f5f7fa;
        margin: 0 auto 0.3rem;
      }
      canvas.seen {
        image-rendering: pixelated;
      }
      h3 {
        margin: 0 0 0.4rem;
        font-size: 0.95rem;
      }
      ol {
        list-style: none;
        padding: 0;
        margin: 0;
        display: grid;
        gap: 0.25rem;
      }
      li {
        display: grid;
        grid-template-columns: minmax(5rem, 1fr) 5rem 3.5rem;
        gap: 0.4rem;
        align-items: center;
        font-size: 0.9rem;
      }
      li.top {
        font-weight: 600;
      }
      .bar {
        height: 0.6rem;
        background: #e6e9ef;
        border-radius: 3px;
        overflow: hidden;
      }
      .bar span {
        display: block;
        height: 100%;
        background: var(--cw-accent, #2458d6);
      }
      .treatment .bar span {
        background: #d9480f;
      }
      .num {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      .verdict {
        margin-top: 0.6rem;
        font-weight: 600;
      }
    `,
  ];

  @property({ attribute: false }) trial: TrialState | null = null;
  /** Why no image can be tried now (null: one can). */
  @property({ attribute: false }) unavailable: string | null = null;

  @state() private over = false;
  @state() private readError: string | null = null;
  /** The picked image, drawn as given, and the channels it was sent with. */
  private picked: ImageBitmap | null = null;
  private sentChannels: 1 | 3 = 3;

  override updated(): void {
    const original = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.original');
    if (original && this.picked) {
      original.width = this.picked.width;
      original.height = this.picked.height;
      original.getContext('2d')?.drawImage(this.picked, 0, 0);
    }
    const seen = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.seen');
    if (seen && this.trial?.outcome?.seen) paintImage(seen, { ...this.trial.outcome.seen, caption: '' });
  }

  override render() {
    const trial = this.trial;
    return html`<section aria-labelledby="try-heading" data-testid="try-model">
      <header>
        <h2 id="try-heading">Try the model</h2>
        ${trial?.pair ? html`<span class="muted">seed ${trial.pair.seed}: the baseline's and the treatment's trained models</span>` : nothing}
      </header>
      ${this.unavailable
        ? html`<p class="muted" data-testid="try-unavailable">${this.unavailable}</p>`
        : html`<div
            class="drop ${this.over ? 'over' : ''}"
            @dragover=${(e: DragEvent) => {
              e.preventDefault();
              this.over = true;
            }}
            @dragleave=${() => (this.over = false)}
            @drop=${this.onDrop}
          >
            <label for="try-file">Pick an image</label>
            <input id="try-file" type="file" accept="image/*" data-testid="try-file" @change=${this.onPick} />
            <span class="muted">or drop one here. It is resized to the models' input, and made grey or colour as they take it.</span>
          </div>`}
      ${this.readError ? html`<div class="alert error" role="alert" data-testid="try-error">${this.readError}</div>` : nothing}
      ${trial?.status === 'failed' && !this.readError ? html`<div class="alert error" role="alert" data-testid="try-error">${trial.error}</div>` : nothing}
      ${trial?.status === 'running' ? html`<p class="muted" role="status" data-testid="try-running">Classifying ${trial.image?.name}…</p>` : nothing}
      ${trial?.status === 'ready' && trial.outcome && trial.pair && !this.readError ? this.renderOutcome(trial) : nothing}
    </section>`;
  }

  private renderOutcome(trial: TrialState) {
    const outcome = trial.outcome!;
    const pair = trial.pair!;
    const [baseline, treatment] = outcome.runs;
    const seen = outcome.seen;
    const given = trial.image!;
    const adapted: string[] = [];
    if (seen && (seen.width !== given.width || seen.height !== given.height)) adapted.push(`resized from ${given.width}×${given.height} to ${seen.width}×${seen.height}`);
    if (seen && seen.channels !== this.sentChannels) adapted.push(seen.channels === 1 ? 'made grey' : 'given three equal colour channels');
    const top = (side: typeof baseline) => (side?.ok ? side.classNames[argmax(side.probabilities)] : null);
    const a = top(baseline);
    const b = top(treatment);
    return html`<div class="trial" data-testid="trial">
        <figure><canvas class="original"></canvas>${given.name}, ${given.width}×${given.height}</figure>
        <figure>
          <canvas class="seen"></canvas>as the models see it${seen ? html`: ${seen.width}×${seen.height} ${seen.channels === 1 ? 'grey' : 'colour'}` : nothing}
        </figure>
        ${this.renderSide('baseline', `Baseline: ${pair.baseline}`, baseline)} ${this.renderSide('treatment', `Treatment: ${pair.treatment}`, treatment)}
      </div>
      ${adapted.length ? html`<p class="muted" data-testid="try-adapted">The image was ${adapted.join(' and ')}: the models take what they were trained on.</p>` : nothing}
      ${a && b
        ? html`<p class="verdict" data-testid="try-verdict">${a === b ? `Both predict ${a}.` : `They disagree: the baseline predicts ${a}, the treatment ${b}.`}</p>`
        : nothing}`;
  }

  private renderSide(which: 'baseline' | 'treatment', title: string, side: PredictOutcome['runs'][number] | undefined) {
    if (!side) return nothing;
    if (!side.ok) {
      return html`<div class=${which} data-testid="trial-${which}">
        <h3>${title}</h3>
        <p class="muted">No prediction: ${side.reason}.</p>
      </div>`;
    }
    const order = side.probabilities.map((p, k) => [p, k] as const).sort((x, y) => y[0] - x[0]);
    return html`<div class=${which} data-testid="trial-${which}">
      <h3>${title}</h3>
      <ol aria-label="${which} top classes">
        ${order.slice(0, TOP).map(
          ([p, k], i) => html`<li class=${i === 0 ? 'top' : ''} data-testid="trial-class">
            <span>${side.classNames[k]}</span><span class="bar" aria-hidden="true"><span style="width:${(p * 100).toFixed(1)}%"></span></span
            ><span class="num">${percent(p)}</span>
          </li>`,
        )}
      </ol>
    </div>`;
  }

  private readonly onPick = (event: Event): void => {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (file) void this.read(file);
  };

  private readonly onDrop = (event: DragEvent): void => {
    event.preventDefault();
    this.over = false;
    const file = event.dataTransfer?.files[0];
    if (file) void this.read(file);
  };

  /** Decodes the image and sends it, scaled down; a file that is not an image is refused here. */
  private async read(file: File): Promise<void> {
    this.readError = null;
    if (file.size > MAX_FILE_BYTES) {
      this.readError = `${file.name} is ${formatBytes(file.size)}: at most ${formatBytes(MAX_FILE_BYTES)} is read.`;
      return;
    }
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      this.readError = `${file.name} is not an image this browser can read (PNG, JPEG, GIF, WebP or BMP).`;
      return;
    }
    this.picked?.close();
    this.picked = bitmap;
    const original = { width: bitmap.width, height: bitmap.height };
    const image = pixelsOf(bitmap);
    this.sentChannels = image.channels;
    sendIntent(this, { kind: 'try-image', name: file.name, image, original });
  }
}

/** The bitmap's pixels, scaled down to SEND_SIDE at most; grey when every pixel is. */
function pixelsOf(bitmap: ImageBitmap): ImagePixels {
  const scale = Math.min(1, SEND_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0, width, height);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const n = width * height;
  let grey = true;
  for (let i = 0; i < n && grey; i++) grey = rgba[i * 4] === rgba[i * 4 + 1] && rgba[i * 4] === rgba[i * 4 + 2];
  const channels = grey ? 1 : 3;
  const pixels = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) pixels[i * channels + c] = rgba[i * 4 + c]!;
  return { width, height, channels, pixels };
}

function argmax(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-try-model': TryModel;
  }
}
