/**
 * Runs in the per-class views' test page. It builds StudyAnalysis objects
 * itself (a seeded generator with realistic accuracies, binomial intervals
 * and Benjamini–Hochberg q-values), independent of the statistics code, so
 * that the views are tested against numbers the test knows; views.test.ts
 * drives it through page.evaluate.
 */
import type { ClassDelta, Comparison, ComparisonMethod, ConfigGroup, StrengthAxis, StudyAnalysis } from '../../src/study/analysis';
import { parseRunConfig } from '../../src/study/config';
import { INTENT_EVENT, type Intent } from '../../src/ui/intents';
import '../../src/ui/views/class-views';
import type { ClassViews } from '../../src/ui/views/class-views';
import type { ClassInspection, InspectorImage } from '../../src/ui/views/types';

const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const ADJECTIVES = ['barn', 'red', 'great', 'common', 'little', 'grey', 'spotted', 'golden', 'black', 'white', 'giant', 'crested', 'wild', 'tiger', 'snow', 'sea', 'rock', 'marsh', 'wood', 'desert', 'river', 'mountain', 'garden', 'night', 'silver'];
const NOUNS = ['spider', 'fox', 'owl', 'heron', 'beetle', 'shark', 'lizard', 'snake', 'finch', 'moth', 'frog', 'crab', 'eel', 'hawk', 'wren', 'bat', 'newt', 'toad', 'swan', 'goose', 'duck', 'crane', 'stork', 'trout', 'perch', 'pike', 'carp', 'seal', 'otter', 'mole', 'vole', 'shrew', 'hare', 'deer', 'elk', 'ibex', 'lynx', 'puma', 'wolf', 'bear'];

export function classNames(k: number): string[] {
  if (k === FASHION.length) return [...FASHION];
  // Unique two-word names: adjective varies fastest, so "barn spider" is class 0.
  return Array.from({ length: k }, (_, i) => `${ADJECTIVES[i % ADJECTIVES.length]} ${NOUNS[Math.floor(i / ADJECTIVES.length) % NOUNS.length]}${i >= ADJECTIVES.length * NOUNS.length ? ` ${i}` : ''}`);
}

/** mulberry32: a small seeded generator, so a (classes, seed) pair always gives the same analysis. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 through erf). */
function phi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Benjamini–Hochberg q-values, in the input's order. */
function bh(p: number[]): number[] {
  const order = p.map((_, i) => i).sort((a, b) => p[a]! - p[b]!);
  const q = new Array<number>(p.length);
  let running = 1;
  for (let r = order.length - 1; r >= 0; r--) {
    const i = order[r]!;
    running = Math.min(running, (p[i]! * p.length) / (r + 1));
    q[i] = running;
  }
  return q;
}

const clamp01 = (v: number) => Math.min(0.999, Math.max(0.001, v));

export interface AnalysisSpec {
  classes: number;
  /** Varies the noise: successive live evaluations. */
  seed?: number;
  method?: ComparisonMethod;
  /** Treatment runs still training (no confusion matrix then). */
  provisional?: boolean;
  /** How far training has gone, 0–1: accuracies rise from chance towards their final values. */
  progress?: number;
  /** Include confusion deltas (default: unless provisional). */
  confusion?: boolean;
}

/** Crop strengths swept at wd 0 (s: RandomResizedCrop's lower bound), and how much of each class's effect each shows. */
const CROPS = [
  { scale: 0.8, effect: 0.25 },
  { scale: 0.5, effect: 0.55 },
  { scale: 0.25, effect: 1 },
  { scale: 0.08, effect: 1.5 },
];

export function makeAnalysis({ classes: k, seed = 0, method = 'moderated-paired', provisional = false, progress = 1, confusion = !provisional }: AnalysisSpec): StudyAnalysis {
  const names = classNames(k);
  const fixed = rng(1234 + k); // the "true" per-class numbers: the same in every update
  const noise = rng(99 + seed * 7919 + k);
  const perClassTest = k === 10 ? 1000 : 50;
  const chance = 1 / k;
  const rise = 1 - Math.exp(-4 * progress) * (1 - progress);
  const final = names.map(() => 0.6 + 0.38 * fixed());
  // Per-class effect of the strongest crop: most classes barely move, some fall a lot, a few gain.
  const effect = names.map((_, i) => {
    if (k === 10) return [-0.01, 0.004, -0.03, -0.23, -0.07, 0.06, -0.09, 0.002, 0.001, -0.005][i]!;
    const u = fixed();
    if (u < 0.05) return -(0.1 + 0.2 * fixed());
    if (u < 0.08) return 0.06 + 0.08 * fixed();
    return 0.012 * normal(fixed) - 0.003;
  });
  const confusers = names.map((_, i) => [(i + 1 + Math.floor(fixed() * (k - 1))) % k, (i + 1 + Math.floor(fixed() * (k - 1))) % k].map((j) => (j === i ? (i + 1) % k : j)));
  const baselineAcc = final.map((f) => chance + (f - chance) * rise + 0.005 * normal(noise));
  const accAt = (i: number, strength: number) => clamp01(baselineAcc[i]! + effect[i]! * strength * rise + 0.004 * normal(noise));

  const config = (crop: number | null, wd: number) =>
    parseRunConfig({
      model: { arch: 'resnet20', width: 0.5 },
      dataset: { kind: 'synthetic', size: 16, classes: k, trainPerClass: 20, testPerClass: perClassTest },
      augmentation: { crop: crop === null ? { kind: 'none' } : { kind: 'resized', scale: crop }, flip: false },
      training: { epochs: 10, batchSize: 16, optimizer: { lr: 0.1, weightDecay: wd } },
    });
  const seeds = method === 'model-vs-model' ? [0] : [0, 1, 2];
  const model = method === 'model-vs-model';
  const group = (hash: string, label: string, crop: number | null, wd: number, acc: number[], isProvisional: boolean): ConfigGroup => ({
    configHash: hash,
    config: config(crop, wd),
    label,
    seeds,
    perClassMean: acc,
    meanAccuracy: acc.reduce((s, v) => s + v, 0) / acc.length,
    provisional: isProvisional,
  });
  const baseAcc = baselineAcc.map(clamp01);
  const baseline = group('base', 'no crop, wd 0', null, 0, baseAcc, false);
  const treatments = [
    ...CROPS.map((c) => ({ group: group(`crop-${c.scale}`, `resized crop s=${c.scale}, wd 0`, c.scale, 0, names.map((_, i) => accAt(i, c.effect)), provisional), strength: c.effect })),
    { group: group('wd-5e-4', 'no crop, wd 0.0005', null, 5e-4, names.map((_, i) => accAt(i, 0.2)), provisional), strength: 0.2 },
  ];

  const compare = (t: ConfigGroup): Comparison => {
    const deltas = names.map((_, i) => t.perClassMean[i]! - baseAcc[i]!);
    const se = names.map((_, i) => {
      const b = baseAcc[i]!;
      const a = t.perClassMean[i]!;
      return Math.sqrt((b * (1 - b) + a * (1 - a)) / (perClassTest * seeds.length));
    });
    const p = deltas.map((d, i) => 2 * (1 - phi(Math.abs(d) / se[i]!)));
    const q = bh(p);
    const classesOut: ClassDelta[] = names.map((className, i) => {
      const d = deltas[i]!;
      const sig = q[i]! < 0.05 ? (d < 0 ? 'hurt' : 'helped') : null;
      const detectable = 2.8 * se[i]! + 0.04;
      const acc = (v: number) => ({ estimate: v, low: clamp01(v - 1.96 * Math.sqrt((v * (1 - v)) / perClassTest)), high: clamp01(v + 1.96 * Math.sqrt((v * (1 - v)) / perClassTest)), seeds: seeds.length });
      return {
        classIndex: i,
        className,
        baseline: acc(baseAcc[i]!),
        treatment: acc(t.perClassMean[i]!),
        delta: { estimate: d, low: d - 1.96 * se[i]!, high: d + 1.96 * se[i]! },
        p: p[i]!,
        q: q[i]!,
        testImages: perClassTest,
        verdict: model ? null : sig,
        modelDifference: model && sig ? (sig === 'hurt' ? 'lower' : 'higher') : null,
        se: se[i]!,
        df: model ? Infinity : 18,
        seedSd: model ? null : se[i]! * Math.sqrt(seeds.length),
        discordant: model ? Math.round(perClassTest * 0.1) : null,
        plan: { detectable: model ? null : detectable, seedsForPlannedDrop: Math.max(2, Math.ceil(seeds.length * (detectable / 0.1) ** 2)), measured: !model },
      };
    });
    const mean = deltas.reduce((s, v) => s + v, 0) / k;
    const sd = Math.sqrt(deltas.reduce((s, v) => s + (v - mean) ** 2, 0) / (k - 1));
    const hurt = classesOut.filter((c) => c.verdict === 'hurt').length;
    const helped = classesOut.filter((c) => c.verdict === 'helped').length;
    const lower = classesOut.filter((c) => c.modelDifference === 'lower').length;
    const higher = classesOut.filter((c) => c.modelDifference === 'higher').length;
    const worstB = baseAcc.indexOf(Math.min(...baseAcc));
    const worstT = t.perClassMean.indexOf(Math.min(...t.perClassMean));
    const mostHurt = deltas.indexOf(Math.min(...deltas));
    let confusionDelta: number[][] | null = null;
    if (confusion) {
      // Each class's lost (or won) correct predictions go mostly to two confusers, the rest spread thin; rows sum to zero.
      confusionDelta = names.map((_, i) => {
        const row = new Array<number>(k).fill(0);
        const moved = deltas[i]! * perClassTest;
        row[i] = moved;
        const [c1, c2] = confusers[i]!;
        row[c1!]! -= moved * 0.6;
        row[c2!]! -= moved * 0.25;
        for (let s = 0; s < 3; s++) {
          const j = Math.floor(noise() * k);
          const j2 = Math.floor(noise() * k);
          if (j === i || j2 === i || j === j2) continue;
          const x = normal(noise) * 0.02 * perClassTest * 0.1;
          row[j]! += x;
          row[j2]! -= x;
        }
        const rest = -row.reduce((s, v) => s + v, 0);
        row[(i + 2) % k]! += rest;
        return row;
      });
    }
    return {
      baseline,
      treatment: t,
      method,
      evidence: provisional ? 'counts' : 'images',
      baselineSeeds: seeds,
      treatmentSeeds: seeds,
      pairedSeeds: seeds,
      moderation: model ? null : { priorDf: Infinity, priorScale: 1.4, seedDf: 2 * k },
      classes: classesOut,
      summary: {
        meanDelta: { estimate: mean, low: mean - 1.96 * (sd / Math.sqrt(k)), high: mean + 1.96 * (sd / Math.sqrt(k)) },
        baselineMeanAccuracy: baseline.meanAccuracy,
        treatmentMeanAccuracy: t.meanAccuracy,
        hurt,
        helped,
        lower,
        higher,
        detectable: model ? null : classesOut.map((c) => c.plan!.detectable!).sort((a, b) => a - b)[k >> 1]!,
        worstClass: { baseline: { className: names[worstB]!, accuracy: baseAcc[worstB]! }, treatment: { className: names[worstT]!, accuracy: t.perClassMean[worstT]! } },
        mostHurt: deltas[mostHurt]! < 0 ? { className: names[mostHurt]!, before: baseAcc[mostHurt]!, after: t.perClassMean[mostHurt]! } : null,
      },
      confusionDelta,
    };
  };

  // The s=0.25 comparison first: the default view shows a clear effect.
  const order = [2, 0, 1, 3, 4];
  const comparisons = order.map((i) => compare(treatments[i]!.group));
  const cropGroups = [baseline, ...CROPS.map((_, i) => treatments[i]!.group)];
  const axis = (regularizer: 'crop' | 'weightDecay', fixedLabel: string, groups: ConfigGroup[], labels: string[], strengths: number[]): StrengthAxis => ({
    regularizer,
    fixed: fixedLabel,
    points: groups.map((g, i) => ({ label: labels[i]!, strength: strengths[i]!, configHash: g.configHash })),
    perClass: names.map((_, c) => groups.map((g) => g.perClassMean[c]!)),
    mean: groups.map((g) => g.meanAccuracy),
  });
  return {
    dataset: { name: k === 10 ? 'fashion-mnist' : `generated-${k}`, classNames: names, testCount: perClassTest * k, contentHash: `hash-${k}` },
    classTestCounts: names.map(() => perClassTest),
    baseline,
    groups: [baseline, ...treatments.map((t) => t.group)],
    comparisons,
    notComparable: [],
    multiplicity: {
      fdr: 0.05,
      tests: model ? 0 : comparisons.length * k,
      flagged: model ? 0 : comparisons.reduce((n, c) => n + c.summary.hurt + c.summary.helped, 0),
      modelTests: model ? comparisons.length * k : 0,
      modelFlagged: model ? comparisons.reduce((n, c) => n + c.summary.lower + c.summary.higher, 0) : 0,
    },
    duplicates: [],
    axes: [
      { ...axis('crop', 'wd 0', cropGroups, ['no crop', ...CROPS.map((c) => `s=${c.scale}`)], [0, ...CROPS.map((c) => 1 - c.scale)]), cropKind: 'resized' },
      axis('weightDecay', 'no crop', [baseline, treatments[4]!.group], ['wd 0', 'wd 0.0005'], [0, 5e-4]),
    ],
  };
}

/** A recognisable test image: a bright shape on a dark ground, varied by index. */
function makeImage(size: number, channels: 1 | 3, index: number, caption: string): InspectorImage {
  const pixels = new Uint8Array(size * size * channels);
  const r = rng(index + 17);
  const cx = size * (0.35 + 0.3 * r());
  const cy = size * (0.35 + 0.3 * r());
  const rad = size * (0.18 + 0.15 * r());
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < rad * rad || (Math.abs(x - cx) < rad * 0.4 && y > cy);
      const base = inside ? 200 + 40 * r() : 20 + 30 * r();
      for (let ch = 0; ch < channels; ch++) pixels[(y * size + x) * channels + ch] = channels === 3 ? base * [1, 0.7, 0.35][ch]! : base;
    }
  }
  return { width: size, height: size, channels, pixels, caption };
}

export function makeInspection(status: ClassInspection['status'], classIndex = 3, names = FASHION): ClassInspection {
  return {
    classIndex,
    className: names[classIndex] ?? `class ${classIndex}`,
    treatmentLabel: 'resized crop s=0.25, wd 0',
    status,
    ...(status === 'unavailable' ? { reason: 'the baseline run of seed 0 kept no predictions' } : {}),
    wrong: status === 'ready' ? Array.from({ length: 6 }, (_, i) => makeImage(28, 1, i, `predicted ${names[(classIndex + 1 + i) % names.length]}`)) : [],
    crops: status === 'ready' ? Array.from({ length: 8 }, (_, i) => makeImage(32, 3, 100 + i, `crop ${i + 1}`)) : [],
  };
}

const views = document.querySelector('cw-class-views') as ClassViews;

/** Intents the views sent, as plain data (a blob as its type, size and first bytes). */
const intents: unknown[] = [];
document.addEventListener(INTENT_EVENT, (event) => {
  const intent = (event as CustomEvent<Intent>).detail;
  if (intent.kind === 'save-chart') {
    void intent.blob.arrayBuffer().then((buffer) => intents.push({ kind: intent.kind, fileName: intent.fileName, type: intent.blob.type, size: intent.blob.size, head: [...new Uint8Array(buffer.slice(0, 8))] }));
  } else intents.push(intent);
});

function chart<T extends Element>(tag: string): T {
  const el = views.shadowRoot?.querySelector(tag);
  if (!el) throw new Error(`no ${tag} in the views`);
  return el as T;
}

const CHARTS = ['cw-delta-chart', 'cw-strength-chart', 'cw-confusion-diff', 'cw-class-inspector'] as const;

/** Waits until the views and every chart inside have rendered (and drawn: charts draw in updated()). */
async function settled(): Promise<void> {
  await views.updateComplete;
  for (const tag of CHARTS) {
    const el = views.shadowRoot?.querySelector(tag) as { updateComplete?: Promise<unknown> } | null;
    await el?.updateComplete;
  }
}

let current: StudyAnalysis | null = null;

async function show(spec: AnalysisSpec | null): Promise<void> {
  current = spec ? makeAnalysis(spec) : null;
  views.analysis = current;
  await settled();
}

async function setProps(props: { selectedClasses?: number[]; selectedComparison?: string | null; inspected?: ClassInspection['status'] | null; inspectedClass?: number; noComparisons?: boolean }): Promise<void> {
  if (props.selectedClasses) views.selectedClasses = props.selectedClasses;
  if (props.selectedComparison !== undefined) views.selectedComparison = props.selectedComparison;
  if (props.inspected !== undefined) views.inspected = props.inspected ? makeInspection(props.inspected, props.inspectedClass ?? 3, current?.dataset.classNames) : null;
  if (props.noComparisons && current) views.analysis = { ...current, comparisons: [], axes: [] };
  await settled();
}

/** The analysis on show, without its confusion matrices (five of 1,000 × 1,000 would take seconds to hand to Node). */
function analysis(): StudyAnalysis | null {
  return current && { ...current, comparisons: current.comparisons.map((c) => ({ ...c, confusionDelta: null })) };
}

/** The confusion change of the comparison shown first. */
function confusionDelta(): number[][] | null {
  return current?.comparisons[0]?.confusionDelta ?? null;
}

/** Pixels of a chart's canvas: how many match each colour (within `tolerance` per channel). */
function countColours(tag: string, colours: [number, number, number][], tolerance = 12): number[] {
  const canvas = chart(tag).shadowRoot!.querySelector('canvas.chart') as HTMLCanvasElement;
  const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
  const counts = colours.map(() => 0);
  for (let o = 0; o < data.length; o += 4) {
    colours.forEach(([r, g, b], i) => {
      if (Math.abs(data[o]! - r) <= tolerance && Math.abs(data[o + 1]! - g) <= tolerance && Math.abs(data[o + 2]! - b) <= tolerance) counts[i]!++;
    });
  }
  return counts;
}

/** The colour at a point of a chart's canvas, in CSS pixels. */
function pixelAt(tag: string, x: number, y: number): [number, number, number] {
  const canvas = chart(tag).shadowRoot!.querySelector('canvas.chart') as HTMLCanvasElement;
  const scale = canvas.width / canvas.getBoundingClientRect().width;
  const d = canvas.getContext('2d')!.getImageData(Math.floor(x * scale), Math.floor(y * scale), 1, 1).data;
  return [d[0]!, d[1]!, d[2]!];
}

function geometry(tag: string): unknown {
  return (chart(tag) as unknown as { geometry: unknown }).geometry;
}

async function exportChart(tag: string, format: 'png' | 'svg'): Promise<{ type: string; size: number; head: number[]; text: string; width: number; height: number }> {
  const blob = await (chart(tag) as unknown as { toBlob(f: 'png' | 'svg'): Promise<Blob> }).toBlob(format);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let width = 0;
  let height = 0;
  if (format === 'png') {
    // Decoding it is the proof that it is a valid PNG.
    const bitmap = await createImageBitmap(blob);
    [width, height] = [bitmap.width, bitmap.height];
  }
  return { type: blob.type, size: blob.size, head: [...bytes.slice(0, 8)], text: format === 'svg' ? new TextDecoder().decode(bytes) : '', width, height };
}

/** Elements in the views' shadow trees: what a re-render could touch. */
function domSize(): number {
  let count = 0;
  const walk = (root: ParentNode) => {
    for (const el of root.querySelectorAll('*')) {
      count++;
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(views.shadowRoot!);
  return count;
}

export interface UpdateTiming {
  /** From setting the new analysis until every view has rendered and drawn (synchronous work, ms). */
  update: number;
  /** Until the next frame with it has been produced (includes waiting for that frame). */
  frame: number;
  /** Each chart's own canvas drawing time. */
  draws: Record<string, number>;
}

/** `count` new analyses in a row, as live evaluations bring them; builds each before the clock starts. */
async function timeUpdates(classes: number, count: number): Promise<UpdateTiming[]> {
  const timings: UpdateTiming[] = [];
  for (let i = 0; i < count; i++) {
    const next = makeAnalysis({ classes, seed: 1000 + i, progress: (i + 1) / count });
    const t0 = performance.now();
    views.analysis = next;
    await settled();
    const t1 = performance.now();
    await new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const t2 = performance.now();
    const draws: Record<string, number> = {};
    for (const tag of ['cw-delta-chart', 'cw-strength-chart', 'cw-confusion-diff']) draws[tag] = (chart(tag) as unknown as { lastDrawMs: number }).lastDrawMs;
    timings.push({ update: t1 - t0, frame: t2 - t0, draws });
    current = next;
  }
  return timings;
}

function takeIntents(): unknown[] {
  return intents.splice(0);
}

const harness = { show, setProps, analysis, confusionDelta, countColours, pixelAt, geometry, exportChart, domSize, timeUpdates, takeIntents, settled, classNames };
export type ViewsHarness = typeof harness;
(window as unknown as { viewsHarness: ViewsHarness }).viewsHarness = harness;
