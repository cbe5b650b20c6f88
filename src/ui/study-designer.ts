/**
 * The study designer: a form over a copy of the chosen study's spec. Every
 * change rebuilds the spec and validates it with the study schema; a valid
 * spec goes to the controller (design-study), an invalid one stays here with
 * its messages next to the fields that hold the bad values. It also shows the
 * planned runs and the estimated time, and sends the preset, load, save,
 * measure and run intents. It renders properties and sends intents, nothing
 * more: no worker, no storage.
 */
import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { z } from 'zod';
import type { SelectedStudy } from '../app/workbench';
import type { CachedDataset, DatasetSummary } from '../../workers/api';
import { FASHION_MNIST_MANIFEST_PATH } from '../data/fashion-mnist';
import { ARCHS, type CropConfig, type DatasetConfig } from '../study/config';
import { estimateStudy, type StepEstimate } from '../study/estimate';
import { PRESETS } from '../study/presets';
import { describeCrop, planRuns, STUDY_SCHEMA, studySpecSchema, type StudySpec, type StudySpecInput } from '../study/study';
import { canonicalJson } from '../util/hash';
import { seconds } from './format';
import { sendIntent } from './intents';
import { panelStyles } from './styles';

/** Every value of the form, as typed: text stays text until the spec is built, so a bad entry can be shown as it is. */
export interface Draft {
  name: string;
  description: string;
  /** 'builtin:fashion-mnist', 'synthetic', 'teaching' or 'manifest:<url>'. */
  dataset: string;
  synSize: string;
  synChannels: '1' | '3';
  synClasses: string;
  synTrain: string;
  synTest: string;
  synSeed: string;
  teachSize: string;
  teachTrain: string;
  teachTest: string;
  teachSeed: string;
  arch: string;
  width: string;
  stem: 'auto' | 'imagenet' | 'small';
  epochs: string;
  batchSize: string;
  lr: string;
  momentum: string;
  nesterov: boolean;
  schedule: 'constant' | 'step' | 'cosine';
  warmup: string;
  milestones: string;
  gamma: string;
  minLr: string;
  evalEvery: string;
  bnMomentum: string;
  baseCrop: CropConfig['kind'];
  baseScale: string;
  basePadding: string;
  flip: boolean;
  weightDecay: string;
  decayNormAndBias: boolean;
  sweepScales: string;
  sweepPaddings: string;
  /** Also run without a crop (only meaningful when the baseline crops). */
  sweepNoCrop: boolean;
  sweepDecays: string;
  seedMode: 'count' | 'list';
  seeds: string;
}

export type FieldKey = keyof Draft;

/** What the spec holds that the form does not show, carried over unchanged into the specs it builds. */
interface Carried {
  lossReadEvery: number;
  /** Aspect-ratio ranges of the loaded spec's resized crops, by scale (the form edits scales only). */
  ratios: Map<number, [number, number]>;
}

/** Defaults for a dataset kind the loaded spec did not use (README's example sizes). */
const SYNTHETIC_DEFAULTS = { size: 16, channels: 3 as const, classes: 10, trainPerClass: 100, testPerClass: 50, seed: 0 };
const TEACHING_DEFAULTS = { size: 32, trainPerClass: 50, testPerClass: 20, seed: 0 };

/** Above this many runs the plan lists the configurations once instead of every run. */
const LIST_EVERY_RUN_UP_TO = 30;
/** A seed count is expanded into a list; beyond this, write the list. */
const MAX_SEED_COUNT = 1000;

const list = (values: readonly number[]) => values.join(', ');

export function draftFromSpec(spec: StudySpec): { draft: Draft; carried: Carried } {
  const { model, dataset, augmentation, training } = spec.baseline;
  const { optimizer, schedule } = training;
  const syn = dataset.kind === 'synthetic' ? dataset : SYNTHETIC_DEFAULTS;
  const teach = dataset.kind === 'teaching' ? dataset : TEACHING_DEFAULTS;
  const crop = augmentation.crop;
  const sweptCrops = spec.sweep.crop;
  const ratios = new Map<number, [number, number]>();
  for (const c of [crop, ...sweptCrops]) if (c.kind === 'resized') ratios.set(c.scale, c.ratio);
  const isRange = spec.seeds.every((seed, i) => seed === i);
  const draft: Draft = {
    name: spec.name,
    description: spec.description,
    dataset: datasetChoice(dataset),
    synSize: String(syn.size),
    synChannels: syn.channels === 1 ? '1' : '3',
    synClasses: String(syn.classes),
    synTrain: String(syn.trainPerClass),
    synTest: String(syn.testPerClass),
    synSeed: String(syn.seed),
    teachSize: String(teach.size),
    teachTrain: String(teach.trainPerClass),
    teachTest: String(teach.testPerClass),
    teachSeed: String(teach.seed),
    arch: model.arch,
    width: String(model.width),
    stem: model.stem,
    epochs: String(training.epochs),
    batchSize: String(training.batchSize),
    lr: String(optimizer.lr),
    momentum: String(optimizer.momentum),
    nesterov: optimizer.nesterov,
    schedule: schedule.kind,
    warmup: String(schedule.warmupEpochs),
    milestones: schedule.kind === 'step' ? list(schedule.milestones) : '',
    gamma: String(schedule.kind === 'step' ? schedule.gamma : 0.1),
    minLr: String(schedule.kind === 'cosine' ? schedule.minLr : 0),
    evalEvery: String(training.evalEvery),
    bnMomentum: String(training.bnMomentum),
    baseCrop: crop.kind,
    baseScale: crop.kind === 'resized' ? String(crop.scale) : '0.5',
    basePadding: crop.kind === 'translate' ? String(crop.padding) : '4',
    flip: augmentation.flip,
    weightDecay: String(optimizer.weightDecay),
    decayNormAndBias: optimizer.decayNormAndBias,
    sweepScales: list(sweptCrops.flatMap((c) => (c.kind === 'resized' ? [c.scale] : []))),
    sweepPaddings: list(sweptCrops.flatMap((c) => (c.kind === 'translate' ? [c.padding] : []))),
    sweepNoCrop: sweptCrops.some((c) => c.kind === 'none'),
    sweepDecays: list(spec.sweep.weightDecay),
    seedMode: isRange ? 'count' : 'list',
    seeds: isRange ? String(spec.seeds.length) : list(spec.seeds),
  };
  return { draft, carried: { lossReadEvery: training.lossReadEvery, ratios } };
}

function datasetChoice(dataset: DatasetConfig): string {
  switch (dataset.kind) {
    case 'builtin':
      return `builtin:${dataset.name}`;
    case 'manifest':
      return `manifest:${dataset.url}`;
    default:
      return dataset.kind;
  }
}

export interface DraftCheck {
  /** The validated spec, when every field is valid. */
  spec: StudySpec | null;
  /** Messages by field. */
  fields: Partial<Record<FieldKey, string[]>>;
  /** Messages no field holds (`path: message`). */
  general: string[];
}

/**
 * Builds the spec the draft describes and validates it with the study schema.
 * Text that is not a number is reported here; everything else is the
 * schema's own message, moved to the field its path names.
 */
export function checkDraft(d: Draft, carried: Carried): DraftCheck {
  const fields: Partial<Record<FieldKey, string[]>> = {};
  const complain = (key: FieldKey, message: string) => (fields[key] ??= []).push(message);

  // A field that does not parse keeps its text in the spec: the schema then fails there too, and that
  // second message is dropped below in favour of this one.
  const number = (key: FieldKey): number | string => {
    const text = String(d[key]).trim();
    if (text === '') {
      complain(key, 'required');
      return text;
    }
    const value = Number(text);
    if (Number.isNaN(value)) {
      complain(key, `“${text}” is not a number`);
      return text;
    }
    return value;
  };
  const numbers = (key: FieldKey): number[] => {
    const tokens = String(d[key])
      .split(/[\s,;]+/)
      .filter((t) => t !== '');
    const bad = tokens.filter((t) => Number.isNaN(Number(t)));
    if (bad.length) complain(key, `${bad.map((t) => `“${t}”`).join(', ')} ${bad.length === 1 ? 'is not a number' : 'are not numbers'}`);
    return tokens.filter((t) => !Number.isNaN(Number(t))).map(Number);
  };

  const dataset = datasetFromDraft(d, number);
  const ratioOf = (scale: number) => {
    const ratio = carried.ratios.get(scale);
    return ratio ? { ratio } : {};
  };
  let baseCrop: Record<string, unknown> = { kind: 'none' };
  if (d.baseCrop === 'resized') {
    const scale = number('baseScale');
    baseCrop = { kind: 'resized', scale, ...(typeof scale === 'number' ? ratioOf(scale) : {}) };
  } else if (d.baseCrop === 'translate') {
    baseCrop = { kind: 'translate', padding: number('basePadding') };
  }
  const scales = numbers('sweepScales');
  const paddings = numbers('sweepPaddings');
  const noCrop = d.sweepNoCrop && d.baseCrop !== 'none' ? [{ kind: 'none' as const }] : [];
  const sweptCrops = [
    ...noCrop,
    ...scales.map((scale) => ({ kind: 'resized' as const, scale, ...ratioOf(scale) })),
    ...paddings.map((padding) => ({ kind: 'translate' as const, padding })),
  ];

  let seeds: number[] | string = [];
  if (d.seedMode === 'count') {
    const count = number('seeds');
    if (typeof count === 'number') {
      if (!Number.isInteger(count) || count < 1) complain('seeds', 'the number of seeds must be a whole number ≥ 1');
      else if (count > MAX_SEED_COUNT) complain('seeds', `at most ${MAX_SEED_COUNT} seeds by count; write a list for more`);
      else seeds = Array.from({ length: count }, (_, i) => i);
    }
  } else {
    seeds = numbers('seeds');
    if (seeds.length === 0 && !fields.seeds) complain('seeds', 'at least one seed');
  }

  const schedule =
    d.schedule === 'step'
      ? { kind: 'step' as const, warmupEpochs: number('warmup'), milestones: numbers('milestones'), gamma: number('gamma') }
      : d.schedule === 'cosine'
        ? { kind: 'cosine' as const, warmupEpochs: number('warmup'), minLr: number('minLr') }
        : { kind: 'constant' as const, warmupEpochs: number('warmup') };

  const input = {
    schema: STUDY_SCHEMA,
    name: d.name.trim(),
    description: d.description.trim(),
    baseline: {
      model: { arch: d.arch, width: number('width'), stem: d.stem },
      dataset,
      augmentation: { crop: baseCrop, flip: d.flip },
      training: {
        epochs: number('epochs'),
        batchSize: number('batchSize'),
        optimizer: {
          lr: number('lr'),
          momentum: number('momentum'),
          nesterov: d.nesterov,
          weightDecay: number('weightDecay'),
          decayNormAndBias: d.decayNormAndBias,
        },
        schedule,
        bnMomentum: number('bnMomentum'),
        evalEvery: number('evalEvery'),
        lossReadEvery: carried.lossReadEvery,
      },
    },
    sweep: { crop: sweptCrops, weightDecay: numbers('sweepDecays') },
    seeds,
  };

  const result = studySpecSchema.safeParse(input);
  const general: string[] = [];
  if (!result.success) {
    const typed = new Set(Object.keys(fields));
    for (const issue of result.error.issues) {
      const key = fieldOfPath(issue.path, d, noCrop.length, scales);
      const message = issueMessage(issue, key, sweptCrops, input.sweep.weightDecay);
      if (key === null) general.push(`${issue.path.map(String).join('.') || '(top level)'}: ${message}`);
      else if (!typed.has(key)) complain(key, message);
    }
  }
  const valid = result.success && Object.keys(fields).length === 0;
  return { spec: valid ? result.data : null, fields, general };
}

function datasetFromDraft(d: Draft, number: (key: FieldKey) => number | string): unknown {
  if (d.dataset === 'synthetic') {
    return {
      kind: 'synthetic',
      size: number('synSize'),
      channels: Number(d.synChannels),
      classes: number('synClasses'),
      trainPerClass: number('synTrain'),
      testPerClass: number('synTest'),
      seed: number('synSeed'),
    };
  }
  if (d.dataset === 'teaching') {
    return { kind: 'teaching', size: number('teachSize'), trainPerClass: number('teachTrain'), testPerClass: number('teachTest'), seed: number('teachSeed') };
  }
  if (d.dataset.startsWith('builtin:')) return { kind: 'builtin', name: d.dataset.slice('builtin:'.length) };
  return { kind: 'manifest', url: d.dataset.slice('manifest:'.length) };
}

/** The form field that holds the value at a schema path; null for what no field holds. */
function fieldOfPath(path: readonly PropertyKey[], d: Draft, noCropCount: number, scales: number[]): FieldKey | null {
  const p = path.map(String);
  const at = (...prefix: string[]) => prefix.every((part, i) => p[i] === part);
  if (at('name')) return 'name';
  if (at('description')) return 'description';
  if (at('seeds')) return 'seeds';
  if (at('sweep', 'weightDecay')) return 'sweepDecays';
  if (at('sweep', 'crop')) {
    const index = Number(p[2]);
    if (!Number.isInteger(index)) return null;
    if (index < noCropCount) return 'sweepNoCrop';
    return index < noCropCount + scales.length ? 'sweepScales' : 'sweepPaddings';
  }
  if (!at('baseline')) return null;
  const [, group, key, sub] = p;
  if (group === 'model') return key === 'arch' ? 'arch' : key === 'width' ? 'width' : key === 'stem' ? 'stem' : null;
  if (group === 'dataset') {
    const synthetic: Record<string, FieldKey> = { size: 'synSize', channels: 'synChannels', classes: 'synClasses', trainPerClass: 'synTrain', testPerClass: 'synTest', seed: 'synSeed' };
    const teaching: Record<string, FieldKey> = { size: 'teachSize', trainPerClass: 'teachTrain', testPerClass: 'teachTest', seed: 'teachSeed' };
    const table = d.dataset === 'synthetic' ? synthetic : d.dataset === 'teaching' ? teaching : {};
    return (key !== undefined ? table[key] : undefined) ?? 'dataset';
  }
  if (group === 'augmentation') {
    if (key === 'flip') return 'flip';
    if (key === 'crop') return sub === 'padding' ? 'basePadding' : sub === 'scale' ? 'baseScale' : 'baseCrop';
    return null;
  }
  if (group === 'training') {
    if (key === 'optimizer') {
      const optimizer: Record<string, FieldKey> = { lr: 'lr', momentum: 'momentum', nesterov: 'nesterov', weightDecay: 'weightDecay', decayNormAndBias: 'decayNormAndBias' };
      return (sub !== undefined ? optimizer[sub] : undefined) ?? null;
    }
    if (key === 'schedule') {
      const schedule: Record<string, FieldKey> = { warmupEpochs: 'warmup', milestones: 'milestones', gamma: 'gamma', minLr: 'minLr' };
      return (sub !== undefined ? schedule[sub] : undefined) ?? null;
    }
    const training: Record<string, FieldKey> = { epochs: 'epochs', batchSize: 'batchSize', bnMomentum: 'bnMomentum', evalEvery: 'evalEvery' };
    return (key !== undefined ? training[key] : undefined) ?? null;
  }
  return null;
}

/** The schema's message; in a list field it names the entry it is about, since the field holds several. */
function issueMessage(issue: z.core.$ZodIssue, key: FieldKey | null, crops: CropConfig[] | { kind: string }[], decays: number[]): string {
  const base = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message;
  const index = Number(issue.path[2]);
  if ((key === 'sweepScales' || key === 'sweepPaddings') && Number.isInteger(index)) {
    const crop = crops[index] as { scale?: number; padding?: number } | undefined;
    const value = crop?.scale ?? crop?.padding;
    if (value !== undefined) return `${value}: ${base}`;
  }
  if (key === 'sweepDecays' && Number.isInteger(Number(issue.path[2]))) return `${decays[Number(issue.path[2])]}: ${base}`;
  if (key === 'milestones' && issue.path.length > 5) return `entry ${Number(issue.path[5]) + 1}: ${base}`;
  return base;
}

@customElement('cw-study-designer')
export class StudyDesigner extends LitElement {
  static override styles = [
    panelStyles,
    css`
      section > header {
        margin-bottom: 0.75rem;
      }
      .files {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: end;
      }
      .files .field {
        margin: 0;
      }
      /* Columns, not a grid: the groups differ in height, and columns pack them without empty rows. */
      .grid {
        columns: 17rem 3;
        column-gap: 0.75rem;
      }
      .grid > fieldset {
        break-inside: avoid;
        display: inline-block;
        width: 100%;
        box-sizing: border-box;
        margin-bottom: 0.75rem;
      }
      fieldset {
        border: 1px solid var(--cw-border, #d9dee7);
        border-radius: 6px;
        padding: 0.5rem 0.8rem 0.6rem;
        margin: 0;
        min-width: 0;
      }
      fieldset.all {
        border: 0;
        padding: 0;
      }
      legend {
        font-weight: 600;
        font-size: 0.95rem;
        padding: 0 0.3rem;
      }
      .row {
        display: flex;
        gap: 0.6rem;
        flex-wrap: wrap;
      }
      .row > .field {
        flex: 1 1 6rem;
        min-width: 0;
      }
      .field {
        display: grid;
        gap: 0.2rem;
        margin-bottom: 0.5rem;
        align-content: start;
      }
      .field > label {
        font-weight: 600;
        font-size: 0.85rem;
      }
      .check {
        display: flex;
        gap: 0.4rem;
        align-items: center;
        font-size: 0.9rem;
        margin-bottom: 0.5rem;
      }
      input[type='text'],
      select {
        font: inherit;
        padding: 0.3rem 0.4rem;
        border-radius: 6px;
        border: 1px solid var(--cw-border, #d9dee7);
        min-width: 0;
        width: 100%;
        box-sizing: border-box;
        background: #fff;
      }
      input[type='file'] {
        font: inherit;
        max-width: 100%;
      }
      input[aria-invalid='true'],
      select[aria-invalid='true'] {
        border-color: #c62828;
        background: #fff7f7;
      }
      .err {
        color: #b71c1c;
        font-size: 0.8rem;
        margin: 0;
      }
      .hint {
        color: var(--cw-muted, #5b6578);
        font-size: 0.8rem;
        margin: 0;
      }
      .plan {
        margin-top: 1rem;
        display: grid;
        gap: 0.5rem;
      }
      .figures {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1.5rem;
        align-items: baseline;
      }
      .big {
        font-size: 1.1rem;
        font-weight: 700;
        font-variant-numeric: tabular-nums;
      }
      .seed-group {
        margin: 0.2rem 0;
      }
      .seed-group ol {
        display: inline;
        padding: 0;
        margin: 0;
        list-style: none;
      }
      .seed-group li {
        display: inline;
      }
      .seed-group li + li::before {
        content: ' · ';
        color: var(--cw-muted, #5b6578);
      }
      .configs {
        margin: 0.25rem 0;
        padding-left: 1.4rem;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
      }
      details > summary {
        cursor: pointer;
      }
    `,
  ];

  /** The study currently chosen: the form shows its spec and edits a copy. */
  @property({ attribute: false }) study: SelectedStudy | null = null;
  /** Datasets in the cache (downloaded or imported); complete ones can be chosen. */
  @property({ attribute: false }) datasets: CachedDataset[] = [];
  /** Counts and shape of the chosen dataset, when the controller knows them. */
  @property({ attribute: false }) datasetSummary: DatasetSummary | null = null;
  /** The last measured warm-up step. */
  @property({ attribute: false }) estimate: StepEstimate | null = null;
  @property({ type: Boolean }) measuring = false;
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
    this.draft = { ...this.draft, [key]: value };
    if (key === 'seedMode') this.draft.seeds = convertSeeds(this.draft.seeds, value as Draft['seedMode']);
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
      ${this.locked ? html`<p class="muted" data-testid="designer-locked">A study is running: its design is locked until it stops.</p>` : nothing}
      <form novalidate @submit=${(e: Event) => e.preventDefault()}>
        <fieldset class="all" ?disabled=${this.locked}>
          <div class="grid">
            ${this.renderStudyFields()} ${this.renderDataFields(d)} ${this.renderModelFields()} ${this.renderTrainingFields(d)}
            ${this.renderBaselineFields(d)} ${this.renderSweepFields(d)}
          </div>
        </fieldset>
      </form>
      ${this.renderPlan(check)}
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

  /** A text input: numbers are typed as text so that a wrong entry stays visible with its message. */
  private text(key: FieldKey, label: string, options: { hint?: string; numeric?: boolean; placeholder?: string } = {}) {
    const d = this.draft!;
    const bad = this.errorsOf(key).length > 0;
    const described = [bad ? `err-${key}` : '', options.hint ? `hint-${key}` : ''].filter(Boolean).join(' ');
    return html`<div class="field">
      <label for="f-${key}">${label}</label>
      <input
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
        @input=${(e: Event) => this.edit(key, (e.target as HTMLInputElement).value as Draft[typeof key])}
      />
      ${options.hint ? html`<p class="hint" id="hint-${key}">${options.hint}</p>` : nothing} ${this.errorLine(key)}
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
      ${this.text('name', 'Name', { numeric: false })} ${this.text('description', 'Description', { numeric: false })}
    </fieldset>`;
  }

  private datasetOptions(d: Draft): [string, string][] {
    const options: [string, string][] = [
      ['builtin:fashion-mnist', 'Fashion-MNIST (built in)'],
      ['synthetic', 'Generated: synthetic (smoke tests)'],
      ['teaching', 'Generated: teaching set'],
    ];
    // The built-in set is cached under its own manifest URL too: it is already offered above.
    const cached = this.datasets.filter((c) => c.complete && !c.id.endsWith(FASHION_MNIST_MANIFEST_PATH));
    for (const c of cached) options.push([`manifest:${c.id}`, `${c.name ?? c.id} (${c.id.startsWith('import:') ? 'imported' : 'cached'})`]);
    // A spec may name shards that are not (or not yet) in the cache: keep them choosable.
    if (d.dataset.startsWith('manifest:') && !options.some(([value]) => value === d.dataset)) {
      options.push([d.dataset, `${d.dataset.slice('manifest:'.length)} (not in the cache yet)`]);
    }
    return options;
  }

  private renderDataFields(d: Draft) {
    const summary = this.datasetSummary;
    let sizeNote: TemplateResult | typeof nothing = nothing;
    if (d.dataset.startsWith('builtin:')) {
      sizeNote = html`<p class="hint" data-testid="input-size">Input 28 × 28 × 1: Fashion-MNIST's own size. 60,000 training and 10,000 test images.</p>`;
    } else if (d.dataset.startsWith('manifest:')) {
      sizeNote = summary
        ? html`<p class="hint" data-testid="input-size">
            Input ${summary.shape.join(' × ')}: the dataset's own size (set when it was imported). ${summary.trainCount.toLocaleString('en')} training and
            ${summary.testCount.toLocaleString('en')} test images.
          </p>`
        : html`<p class="hint" data-testid="input-size">Input size: the dataset's own (set when it was imported); shown once it is loaded.</p>`;
    }
    return html`<fieldset>
      <legend>Data</legend>
      ${this.select('dataset', 'Dataset', this.datasetOptions(d), sizeNote)}
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
    </fieldset>`;
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

  // ——— plan and estimate ———

  private renderPlan(check: DraftCheck) {
    const spec = check.spec;
    const runButton = html`<button
      class="primary"
      data-testid="run-button"
      ?disabled=${!this.canRun || !spec || this.locked}
      @click=${() => sendIntent(this, { kind: 'run' })}
    >
      Run study
    </button>`;
    if (!spec) {
      return html`<div class="plan" data-testid="plan">
        <p class="muted" data-testid="plan-invalid">Fix the marked fields to see the planned runs and the estimate.</p>
        <div class="actions">${runButton}</div>
      </div>`;
    }
    const estimate = estimateStudy(spec, this.datasetSummary, this.estimate);
    return html`<div class="plan" data-testid="plan">
      <h3>Plan</h3>
      <div class="figures">
        <span
          ><span class="big" data-testid="run-count">${estimate.runs}</span> run${estimate.runs === 1 ? '' : 's'}
          <span class="muted">(${estimate.configurations} configuration${estimate.configurations === 1 ? '' : 's'} × ${estimate.seeds} seed${estimate.seeds === 1 ? '' : 's'})</span></span
        >
        ${estimate.stepsPerRun !== null
          ? html`<span
              ><span class="big" data-testid="steps-per-run">${estimate.stepsPerRun.toLocaleString('en')}</span> steps a run
              <span class="muted">(⌊train / batch⌋ × epochs)</span></span
            >`
          : nothing}
        <span data-testid="estimate" aria-live="polite"
          >${estimate.seconds !== null
            ? html`≈ <span class="big" data-testid="estimate-total">${seconds(estimate.seconds)}</span> in all`
            : html`<span class="muted">no time estimate yet</span>`}</span
        >
      </div>
      <p class="hint" data-testid="estimate-note">${estimate.note}</p>
      <div class="actions">
        <button data-testid="measure-step" ?disabled=${this.measuring || this.locked} @click=${() => sendIntent(this, { kind: 'measure-step' })}>
          ${this.measuring ? 'Measuring…' : estimate.measurement === 'stale' ? 'Re-measure a warm-up step' : 'Measure a warm-up step'}
        </button>
        ${runButton}
      </div>
      ${this.renderRuns(spec)}
    </div>`;
  }

  private renderRuns(spec: StudySpec) {
    const runs = planRuns(spec);
    const baseline = canonicalJson(spec.baseline);
    const configs = runs.filter((r) => r.seed === spec.seeds[0]).map((r) => r.config);
    const label = (config: StudySpec['baseline']) =>
      `${describeCrop(config.augmentation.crop)}${config.augmentation.flip ? ' + flip' : ''}, wd ${config.training.optimizer.weightDecay}`;
    const tag = (config: StudySpec['baseline']) => (canonicalJson(config) === baseline ? html` <span class="tag">baseline</span>` : nothing);
    if (runs.length <= LIST_EVERY_RUN_UP_TO) {
      return html`<details open>
        <summary>Planned runs, seed by seed</summary>
        <div data-testid="planned-runs">
          ${spec.seeds.map(
            (seed) => html`<div class="seed-group" data-testid="seed-group">
              <strong>seed ${seed}:</strong>
              <ol>
                ${runs.filter((r) => r.seed === seed).map((r) => html`<li data-testid="planned-run">${label(r.config)}${tag(r.config)}</li>`)}
              </ol>
            </div>`,
          )}
        </div>
      </details>`;
    }
    return html`<details>
      <summary data-testid="planned-runs-collapsed">${runs.length} runs: these ${configs.length} configurations for each of ${spec.seeds.length} seeds</summary>
      <div data-testid="planned-runs">
        <ol class="configs">
          ${configs.map((config) => html`<li data-testid="planned-config">${label(config)}${tag(config)}</li>`)}
        </ol>
        <p class="muted">Seeds: ${spec.seeds.length > 40 ? `${spec.seeds.slice(0, 40).join(', ')}, … (${spec.seeds.length})` : spec.seeds.join(', ')}</p>
      </div>
    </details>`;
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

/** The seeds text rewritten for the other mode, so switching modes keeps the same seeds where it can. */
function convertSeeds(text: string, mode: Draft['seedMode']): string {
  if (mode === 'list') {
    const count = Number(text.trim());
    return Number.isInteger(count) && count >= 1 && count <= MAX_SEED_COUNT ? list(Array.from({ length: count }, (_, i) => i)) : text;
  }
  const seeds = text.split(/[\s,;]+/).filter((t) => t !== '').map(Number);
  return seeds.length > 0 && seeds.every((seed, i) => seed === i) ? String(seeds.length) : text;
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
