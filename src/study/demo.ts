/**
 * The guided demo's story, for a projector: a few cards over the teaching
 * preset, written from the preset's own spec and the teaching set's class
 * metadata (what each class's cue is, whether a crop keeps it), and, once the
 * study has run, from its per-class comparison. Pure: no DOM.
 */
import { generateTeaching, type TeachingClass } from '../data/teaching';
import type { StudyAnalysis } from './analysis';
import type { CropConfig } from './config';
import { describeCrop, type StudySpec } from './study';

/** The preset the demo runs. */
export const DEMO_PRESET = 'teaching-demo';

export type DemoCardKind = 'question' | 'classes' | 'crop' | 'result' | 'takeaway';

export interface DemoCard {
  kind: DemoCardKind;
  title: string;
  /** Short paragraphs, each a sentence or two: large type leaves room for little. */
  lines: string[];
}

/** The crop the study sweeps (its first), or null when it sweeps none. */
export function demoCrop(spec: StudySpec): Exclude<CropConfig, { kind: 'none' }> | null {
  return (spec.sweep.crop.find((c) => c.kind !== 'none') as Exclude<CropConfig, { kind: 'none' }> | undefined) ?? null;
}

/** What a crop keeps, in words. */
function cropInWords(crop: Exclude<CropConfig, { kind: 'none' }>): string {
  return crop.kind === 'resized'
    ? `a window of ${Math.round(crop.scale * 100)}% to 100% of the image's area, at a random place, scaled back up to full size`
    : `the image shifted by up to ${crop.padding} pixels, its edges filled with black`;
}

const names = (classes: readonly { name: string }[]) => classes.map((c) => c.name).join(', ');

export function demoCards(spec: StudySpec, classes: readonly TeachingClass[], analysis: StudyAnalysis | null): DemoCard[] {
  const crop = demoCrop(spec);
  const kept = classes.filter((c) => c.survivesCrop);
  const lost = classes.filter((c) => !c.survivesCrop);
  const cropName = crop ? describeCrop(crop) : 'the crop';
  const cards: DemoCard[] = [
    {
      kind: 'question',
      title: 'Does augmentation help every class?',
      lines: [
        'Random crop raises a classifier’s average accuracy. Balestriero, Bottou & LeCun (2022) showed it can lower it for some classes at the same time.',
        `This demo trains the same small network on a made-up image set, without and with ${cropName}, ${spec.seeds.length === 1 ? 'once each' : `${spec.seeds.length} times each (one seed a run)`}, and compares them class by class.`,
        spec.description,
      ],
    },
    {
      kind: 'classes',
      title: `${classes.length} classes, each with one cue`,
      lines: [`A crop can cut away or rescale the cue of ${lost.length} of them (${names(lost)}); the other ${kept.length} carry theirs everywhere in the image, so every crop keeps it.`],
    },
  ];
  if (crop) {
    cards.push({
      kind: 'crop',
      title: `What ${cropName} does`,
      lines: [
        `Each training image is seen as ${cropInWords(crop)}.`,
        'A mark at the edge can fall outside the window; a small disc, zoomed in, looks like a larger one. Stripes and colour survive any window.',
      ],
    });
  }
  cards.push(resultCard(spec, classes, analysis, cropName), {
    kind: 'takeaway',
    title: 'Look class by class',
    lines: [
      'An average can rise while classes fall. Before adopting a regularizer, check the classes whose cue it can destroy.',
      'The workbench runs the same comparison on Fashion-MNIST or your own images, with seeds enough for honest intervals.',
    ],
  });
  return cards;
}

function resultCard(spec: StudySpec, classes: readonly TeachingClass[], analysis: StudyAnalysis | null, cropName: string): DemoCard {
  const comparison = analysis?.comparisons.find((c) => c.treatment.config.augmentation.crop.kind !== 'none') ?? analysis?.comparisons[0];
  const title = 'What the per-class view shows';
  if (!comparison) {
    return {
      kind: 'result',
      title,
      lines: [
        `One bar per class: its accuracy with ${cropName} minus without, with a 95% interval over ${spec.seeds.length} seeds. Red marks a class significantly hurt.`,
        'Run the demo study to see it here.',
      ],
    };
  }
  const pp = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v * 100).toFixed(1)} points`;
  const hurt = comparison.classes.filter((c) => c.verdict === 'hurt').sort((a, b) => a.delta.estimate - b.delta.estimate);
  const lostNames = new Set(classes.filter((c) => !c.survivesCrop).map((c) => c.name));
  const worst = [...comparison.classes].sort((a, b) => a.delta.estimate - b.delta.estimate)[0]!;
  const lines = [
    `Mean over classes: ${pp(comparison.summary.meanDelta.estimate)}. Worst class: ${worst.className}, ${Math.round(worst.baseline.estimate * 100)}% → ${Math.round(worst.treatment.estimate * 100)}%.`,
    hurt.length
      ? `Significantly hurt: ${hurt.map((c) => `${c.className} (${pp(c.delta.estimate)})`).join(', ')}${hurt.every((c) => lostNames.has(c.className)) ? ': all of them classes whose cue the crop can destroy.' : '.'}`
      : `No class is significantly hurt with ${comparison.pairedSeeds.length || spec.seeds.length} seeds: more seeds narrow the intervals.`,
  ];
  if (comparison.treatment.provisional || comparison.baseline.provisional) lines.push('Provisional: a run is still training.');
  return { kind: 'result', title, lines };
}

/** One training image of every class of the study's teaching set, in class order (labels are interleaved, i % classes). */
export function demoExamples(spec: StudySpec, classes: number): { width: number; height: number; channels: 3; pixels: Uint8Array }[] {
  const dataset = spec.baseline.dataset;
  if (dataset.kind !== 'teaching') return [];
  const { train } = generateTeaching({ size: dataset.size, perClassTrain: 1, perClassTest: 1, seed: dataset.seed });
  const size = dataset.size * dataset.size * 3;
  return Array.from({ length: classes }, (_, k) => {
    const i = Array.from(train.labels).indexOf(k);
    return { width: dataset.size, height: dataset.size, channels: 3 as const, pixels: train.images.slice(i * size, (i + 1) * size) };
  });
}
