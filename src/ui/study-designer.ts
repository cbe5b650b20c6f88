/**
 * The study designer: a form over a copy of the chosen study's spec. Every
 * change rebuilds the spec and validates it with the study schema; a valid
 * spec goes to the controller (design-study), an invalid one stays here with
 * its messages next to the fields that hold the bad values (the draft logic is
 * src/study/draft.ts). Above the form, cw-study-plan keeps the runs, the
 * estimate and the Run button in view; below it, the planned runs. It sends
 * the preset, load, save and design intents; it renders properties and sends
 * intents, nothing more: no worker, no storage.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { SelectedStudy } from '../app/state';
import type { CachedDataset, DatasetSummary, MeasureProgress } from '../../workers/api';
import { ARCHS } from '../study/config';
import { checkDraft, datasetOptions, draftFromSpec, editDraft, type Carried, type Draft, type DraftCheck, type FieldKey } from '../study/draft';
import type { StepEstimate } from '../study/estimate';
import { PRESETS } from '../study/presets';
import { studySpecSchema, type StudySpec, type StudySpecInput } from '../study/study';
import { canonicalJson } from '../util/hash';
import { sendIntent } from './intents';
import { panelStyles } from './styles';
import { designerStyles } from './study-designer-styles';
import './study-plan';

@customElement('cw-study-designer')
export class StudyDesigner extends LitElement {
  static override styles = [panelStyles, designerStyles];

  /** The study currently chosen: the form shows its spec and edits a copy. */
  @property({ attribute: false }) study: SelectedStudy | null = null;
  /** Datasets in the cache (downloaded or imported); complete ones can be chosen. */
  @property({ attribute: false }) datasets: CachedDataset[] = [];
  /** Counts and shape of the chosen dataset, when the controller knows them. */
  @property({ attribute: false }) datasetSummary: DatasetSummary | null = null;
  /** The last measured warm-up step. */
  @property({ attribute: false }) estimate: StepEstimate | null = null;
  @property({ type: Boolean }) measuring = false;
  @property({ attribute: false }) measureProgress: MeasureProgress | null = null;
  @property({ type: Boolean }) measureCancelling = false;
  /** A study is running: nothing can be changed. */
  @property({ type: Boolean }) locked = false;
  @property({ type: Boolean }) canRun = false;
  /** The controller's message for a refused spec or file. */
  @property({ attribute: false }) error: string | null = null;

  @state() private draft: Draft | null = null;
  @state() private check: DraftCheck | null = null;
  private carried: Carried = { lossReadEvery: 10, ratios: new Map() };
  /** canonicalJson of the spec the form last showed or sent: the controller echoing it back must not reset the form. */
  private lastSpec: string | null = null;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('study') && this.study) {
      const incoming = canonicalJson(this.study.spec);
      if (incoming !== this.lastSpec) this.loadDraft(this.study.spec);
    }
    if (!this.draft) this.loadDraft(parseSpecOrThrow(Object.values(PRESETS)[0]!));
  }

  private loadDraft(spec: StudySpec): void {
    const { draft, carried } = draftFromSpec(spec);
    this.draft = draft;
    this.carried = carried;
    this.lastSpec = canonicalJson(spec);
    this.check = checkDraft(draft, carried);
  }

  /** One field changed: rebuild the spec, validate it, and send it when it is valid and new. */
  private edit<K extends FieldKey>(key: K, value: Draft[K]): void {
    if (!this.draft || this.locked) return;
    this.draft = editDraft(this.draft, key, value);
    this.check = checkDraft(this.draft, this.carried);
    const spec = this.check.spec;
    if (!spec) return;
    const text = canonicalJson(spec);
    if (text === this.lastSpec) return;
    this.lastSpec = text;
    sendIntent(this, { kind: 'design-study', spec: spec as StudySpecInput });
  }

  override render() {
    const d = this.draft;
    const check = this.check;
    if (!d || !check) return nothing;
    const study = this.study;
    const presetValue = study?.source.kind === 'preset' ? study.source.name : '';
    const presetPlaceholder = !study ? '— choose a preset —' : study.source.kind === 'file' ? `from file: ${study.source.fileName}` : '— designed here —';
    return html`<section aria-labelledby="designer-heading" data-testid="study-designer">
      <header>
        <h2 id="designer-heading">Study design</h2>
      </header>
      <div class="files">
        <div class="field">
          <label for="preset">Preset</label>
          <select id="preset" data-testid="preset-select" ?disabled=${this.locked} @change=${this.onPreset}>
            <option value="" ?selected=${presetValue === ''} disabled>${presetPlaceholder}</option>
            ${Object.entries(PRESETS).map(
              ([name, spec]) => html`<option value=${name} ?selected=${name === presetValue} title=${spec.description}>${name}</option>`,
            )}
          </select>
        </div>
        <div class="field">
          <label for="spec-file">Load spec… (JSON)</label>
          <input id="spec-file" type="file" accept=".json,application/json" data-testid="spec-file" ?disabled=${this.locked} @change=${this.onFile} />
        </div>
        <button
          data-testid="save-spec"
          ?disabled=${this.locked || !check.spec || !study}
          title=${check.spec ? 'Download this study spec as JSON' : 'Fix the marked fields first'}
          @click=${() => sendIntent(this, { kind: 'save-spec' })}
        >
          Save spec
        </button>
      </div>
      ${this.error
        ? html`<div class="alert error" role="alert" data-testid="study-error">
            <strong>Study refused.</strong>
            <pre>${this.error}</pre>
          </div>`
        : nothing}
      ${check.general.length
        ? html`<div class="alert error" role="alert" data-testid="designer-errors">
            <strong>This spec is not valid:</strong>
            <pre>${check.general.join('\n')}</pre>
          </div>`
        : nothing}
      <cw-study-plan
        .spec=${check.spec}
        .datasetSummary=${this.datasetSummary}
        .estimate=${this.estimate}
        ?measuring=${this.measuring}
        .measureProgress=${this.measureProgress}
        ?measureCancelling=${this.measureCancelling}
        ?locked=${this.locked}
        ?canRun=${this.canRun}
      ></cw-study-plan>
      ${this.locked ? html`<p class="muted" data-testid="designer-locked">A study is running: its design is locked until it stops.</p>` : nothing}
      <form novalidate @submit=${(e: Event) => e.preventDefault()}>
        <fieldset class="all" ?disabled=${this.locked}>
          <div class="grid">
            ${this.renderStudyFields()} ${this.renderDataFields(d)} ${this.renderModelFields()} ${this.renderTrainingFields(d)}
            ${this.renderBaselineFields(d)} ${this.renderSweepFields(d)}
          </div>
        </fieldset>
      </form>
      <cw-planned-runs .spec=${check.spec} .datasetSummary=${this.datasetSummary}></cw-planned-runs>
    </section>`;
  }

  // ——— fields ———

  private errorsOf(key: FieldKey): string[] {
    return this.check?.fields[key] ?? [];
  }

  private errorLine(key: FieldKey) {
    const errors = this.errorsOf(key);
    return errors.length ? html`<p class="err" id="err-${key}" data-testid="error-${key}">${errors.join('; ')}</p>` : nothing;
  }

  /**
   * A text input: numbers are typed as text so that a wrong entry stays
   * visible with its message. `multiline` for prose (a description), which
   * would be cut off in one line.
   */
  private text(key: FieldKey, label: string, options: { hint?: string; numeric?: boolean; placeholder?: string; multiline?: boolean } = {}) {
    const d = this.draft!;
    const bad = this.errorsOf(key).length > 0;
    const described = [bad ? `err-${key}` : '', options.hint ? `hint-${key}` : ''].filter(Boolean).join(' ');
    const onInput = (e: Event) => this.edit(key, (e.target as HTMLInputElement | HTMLTextAreaElement).value as Draft[typeof key]);
    const control = options.multiline
      ? html`<textarea
          id="f-${key}"
          rows="4"
          data-testid="field-${key}"
          spellcheck="true"
          placeholder=${options.placeholder ?? ''}
          .value=${String(d[key])}
          aria-invalid=${bad ? 'true' : 'false'}
          aria-describedby=${described || nothing}
          @input=${onInput}
        ></textarea>`
      : html`<input
          id="f-${key}"
          type="text"
          data-testid="field-${key}"
          inputmode=${options.numeric === false ? 'text' : 'decimal'}
          autocomplete="off"
          spellcheck="false"
          placeholder=${options.placeholder ?? ''}
          .value=${String(d[key])}
          aria-invalid=${bad ? 'true' : 'false'}
          aria-describedby=${described || nothing}
          @input=${onInput}
        />`;
    return html`<div class="field">
      <label for="f-${key}">${label}</label>
      ${control} ${options.hint ? html`<p class="hint" id="hint-${key}">${options.hint}</p>` : nothing} ${this.errorLine(key)}
    </div>`;
  }

  private select<K extends FieldKey>(key: K, label: string, options: readonly (readonly [string, string])[], extra: TemplateResult | typeof nothing = nothing) {
    const d = this.draft!;
    const bad = this.errorsOf(key).length > 0;
    return html`<div class="field">
      <label for="f-${key}">${label}</label>
      <select
        id="f-${key}"
        data-testid="field-${key}"
        aria-invalid=${bad ? 'true' : 'false'}
        aria-describedby=${bad ? `err-${key}` : nothing}
        @change=${(e: Event) => this.edit(key, (e.target as HTMLSelectElement).value as Draft[K])}
      >
        ${options.map(([value, text]) => html`<option value=${value} ?selected=${String(d[key]) === value}>${text}</option>`)}
      </select>
      ${extra} ${this.errorLine(key)}
    </div>`;
  }

  private checkbox(key: FieldKey, label: string) {
    const d = this.draft!;
    return html`<div class="check">
        <input
          id="f-${key}"
          type="checkbox"
          data-testid="field-${key}"
          .checked=${Boolean(d[key])}
          @change=${(e: Event) => this.edit(key, (e.target as HTMLInputElement).checked as Draft[typeof key])}
        />
        <label for="f-${key}">${label}</label>
      </div>
      ${this.errorLine(key)}`;
  }

  private renderStudyFields() {
    return html`<fieldset>
      <legend>Study</legend>
      ${this.text('name', 'Name', { numeric: false })} ${this.text('description', 'Description', { multiline: true })}
    </fieldset>`;
  }

  private renderDataFields(d: Draft) {
    const shards = d.dataset.startsWith('builtin:') || d.dataset.startsWith('manifest:');
    return html`<fieldset>
      <legend>Data</legend>
      ${this.select('dataset', 'Dataset', datasetOptions(d, this.datasets), shards ? this.sizeNote(d) : nothing)}
      ${d.dataset === 'synthetic'
        ? html`<div class="row">
              ${this.text('synSize', 'Input size (px)')} ${this.select('synChannels', 'Channels', [['3', '3 (colour)'], ['1', '1 (grey)']])}
              ${this.text('synClasses', 'Classes')}
            </div>
            <div class="row">${this.text('synTrain', 'Train / class')} ${this.text('synTest', 'Test / class')} ${this.text('synSeed', 'Data seed')}</div>`
        : nothing}
      ${d.dataset === 'teaching'
        ? html`<div class="row">${this.text('teachSize', 'Input size (px)', { hint: '16 to 256' })} ${this.text('teachSeed', 'Data seed')}</div>
            <div class="row">${this.text('teachTrain', 'Train / class')} ${this.text('teachTest', 'Test / class')}</div>`
        : nothing}
      ${shards
        ? html`<div class="row">${this.text('sliceTrain', 'Train / class', { placeholder: 'all' })} ${this.text('sliceTest', 'Test / class', { placeholder: 'all' })}</div>
            ${this.text('sliceClasses', 'Classes', { numeric: false, placeholder: 'all', hint: 'names, comma-separated' })}
            <div class="row">
              ${this.text('sliceResize', 'Resize (px)', { placeholder: 'own size', hint: '1 to 512' })} ${this.text('sliceSeed', 'Slice seed', { placeholder: '0' })}
            </div>`
        : nothing}
    </fieldset>`;
  }

  /** What a shard dataset gives the model: its own size until the worker has loaded it (with its slice, if any). */
  private sizeNote(d: Draft) {
    const summary = this.datasetSummary;
    if (summary) {
      return html`<p class="hint" data-testid="input-size">
        Input ${summary.shape.join(' × ')}${summary.slice ? ', as sliced' : ': the dataset’s own size'}. ${summary.trainCount.toLocaleString('en')} training and
        ${summary.testCount.toLocaleString('en')} test images.
      </p>`;
    }
    if (d.dataset.startsWith('builtin:') && [d.sliceTrain, d.sliceTest, d.sliceClasses, d.sliceResize].every((v) => v.trim() === '')) {
      return html`<p class="hint" data-testid="input-size">Input 28 × 28 × 1: Fashion-MNIST’s own size. 60,000 training and 10,000 test images.</p>`;
    }
    return html`<p class="hint" data-testid="input-size">Input size and image counts: shown once the dataset is loaded.</p>`;
  }

  private renderModelFields() {
    return html`<fieldset>
      <legend>Model</legend>
      ${this.select(
        'arch',
        'Architecture',
        ARCHS.map((a) => [a, a.replace('resnet', 'ResNet-')] as const),
      )}
      <div class="row">
        ${this.text('width', 'Width ×', { hint: 'channel multiplier' })}
        ${this.select('stem', 'Stem', [
          ['auto', 'auto'],
          ['small', 'small (3×3)'],
          ['imagenet', 'ImageNet (7×7 + pool)'],
        ])}
      </div>
    </fieldset>`;
  }

  private renderTrainingFields(d: Draft) {
    return html`<fieldset>
      <legend>Training</legend>
      <div class="row">${this.text('epochs', 'Epochs')} ${this.text('batchSize', 'Batch size')} ${this.text('evalEvery', 'Evaluate every (epochs)')}</div>
      <div class="row">${this.text('lr', 'Learning rate')} ${this.text('momentum', 'Momentum')} ${this.text('bnMomentum', 'BN momentum')}</div>
      ${this.checkbox('nesterov', 'Nesterov momentum')}
      <div class="row">
        ${this.select('schedule', 'LR schedule', [
          ['constant', 'constant'],
          ['step', 'step'],
          ['cosine', 'cosine'],
        ])}
        ${this.text('warmup', 'Warm-up (epochs)')}
      </div>
      ${d.schedule === 'step'
        ? html`<div class="row">${this.text('milestones', 'Milestones (epochs)', { placeholder: 'e.g. 30, 60' })} ${this.text('gamma', 'γ at each')}</div>`
        : nothing}
      ${d.schedule === 'cosine' ? html`<div class="row">${this.text('minLr', 'Final learning rate')}</div>` : nothing}
    </fieldset>`;
  }

  private renderBaselineFields(d: Draft) {
    return html`<fieldset>
      <legend>Baseline</legend>
      <div class="row">
        ${this.select('baseCrop', 'Crop', [
          ['none', 'none'],
          ['resized', 'random-resized crop'],
          ['translate', 'pad-and-crop'],
        ])}
        ${d.baseCrop === 'resized' ? this.text('baseScale', 'Scale s', { hint: 'area ∈ [s, 1]' }) : nothing}
        ${d.baseCrop === 'translate' ? this.text('basePadding', 'Padding (px)') : nothing}
      </div>
      ${this.checkbox('flip', 'Horizontal flip')}
      <div class="row">${this.text('weightDecay', 'Weight decay')}</div>
      ${this.checkbox('decayNormAndBias', 'Decay BatchNorm parameters and biases too')}
      <p class="hint">The usual baseline: no crop, no weight decay.</p>
    </fieldset>`;
  }

  private renderSweepFields(d: Draft) {
    return html`<fieldset>
      <legend>Sweep × seeds</legend>
      ${this.text('sweepScales', 'Random-resized crop scales', { placeholder: 'e.g. 0.08, 0.25, 0.5', hint: 'lower bound s of the area kept, each in (0, 1]' })}
      ${this.text('sweepPaddings', 'Pad-and-crop paddings (px)', { placeholder: 'e.g. 2, 4' })}
      ${d.baseCrop !== 'none' ? this.checkbox('sweepNoCrop', 'Also train without a crop') : nothing}
      ${this.text('sweepDecays', 'Weight-decay values', { placeholder: 'e.g. 5e-4', hint: 'each crossed with every crop' })}
      <div class="row">
        ${this.select('seedMode', 'Seeds given as', [
          ['count', 'count'],
          ['list', 'list'],
        ])}
        ${this.text('seeds', d.seedMode === 'count' ? 'Number of seeds' : 'Seeds', {
          placeholder: d.seedMode === 'count' ? '3' : '0, 1, 2',
          hint: d.seedMode === 'count' ? 'seeds 0, 1, …, n − 1' : 'distinct whole numbers',
        })}
      </div>
    </fieldset>`;
  }

  // ——— intents ———

  private onPreset(event: Event): void {
    const name = (event.target as HTMLSelectElement).value;
    if (name) sendIntent(this, { kind: 'select-preset', name });
  }

  private async onFile(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    const text = await file.text();
    // Cleared, so choosing the same file again (after fixing it) loads it again.
    input.value = '';
    sendIntent(this, { kind: 'load-spec', fileName: file.name, text });
  }
}

/** Presets are checked by the unit tests; a failure here is a programming error. */
function parseSpecOrThrow(input: StudySpecInput): StudySpec {
  return studySpecSchema.parse(input);
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-study-designer': StudyDesigner;
  }
}
