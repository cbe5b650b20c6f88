/**
 * Class-conditional augmentation (Kirichenko et al., NeurIPS 2023), the
 * follow-up to a study that found classes hurt by a crop: the same treatment
 * with the crop turned off for the hurt classes, run beside that treatment and
 * the baseline on the same seeds, so the views answer "do the hurt classes
 * recover, and what does the average pay?". Pure: no DOM, no tfjs.
 */
import { canonicalJson } from '../util/hash';
import type { Comparison, StudyAnalysis } from './analysis';
import type { CropConfig, RunConfig } from './config';
import type { Interval } from './comparison-stats';
import { describeAugmentationCrop, parseStudySpec, planRuns, STUDY_SCHEMA, type StudySpec } from './study';

/** What the per-class view offers for a comparison: the classes to turn the crop off for, or why it offers nothing. */
export type MitigationOffer = { classes: string[] } | { none: string };

/** The hurt classes of a comparison whose treatment crops them; why not otherwise. */
export function mitigationOffer(comparison: Comparison): MitigationOffer {
  const hurt = comparison.classes.filter((c) => c.verdict === 'hurt');
  if (hurt.length === 0) return { none: comparison.method === 'model-vs-model' ? 'one seed a side gives no verdicts to act on' : 'no class is hurt' };
  const { augmentation } = comparison.treatment.config;
  const cropped = hurt.filter((c) => cropOf(augmentation, c.className).kind !== 'none').map((c) => c.className);
  if (cropped.length === 0) return { none: 'the hurt classes are not cropped in this treatment: its crop is not what hurt them' };
  return { classes: cropped };
}

/**
 * The follow-up study for a comparison of `spec`: its baseline, the
 * treatment's crop swept with and without the crop for the hurt classes, the
 * same seeds. Its baseline and the treatment keep their configs, hence their
 * hashes, so the runs already stored are reused and only the new variant
 * trains. Throws, saying why, when the comparison offers nothing to mitigate
 * or its treatment is not one of the study's planned configs (a treatment
 * from an imported file the spec cannot reproduce).
 */
export function mitigationStudy(spec: StudySpec, comparison: Comparison): StudySpec {
  const offer = mitigationOffer(comparison);
  if ('none' in offer) throw new Error(`nothing to mitigate: ${offer.none}`);
  const treatment = comparison.treatment.config;
  const planned = new Set(planRuns(spec).map((run) => canonicalJson(run.config)));
  if (!planned.has(canonicalJson(treatment))) {
    throw new Error(`${comparison.treatment.label} is not one of ${spec.name}'s planned configs, so its follow-up cannot be designed from that study`);
  }
  const off = Object.fromEntries(offer.classes.map((name) => [name, { kind: 'none' as const }]));
  const own = treatment.augmentation.perClass;
  const { weightDecay } = treatment.training.optimizer;
  const label = comparison.treatment.label;
  return parseStudySpec({
    schema: STUDY_SCHEMA,
    name: `${spec.name} · mitigated`,
    description:
      `Follow-up of ${spec.name}: ${label} with the crop turned off for the classes it hurt (${offer.classes.join(', ')}), ` +
      `class-conditional augmentation after Kirichenko et al. (NeurIPS 2023), beside ${label} for every class and ${comparison.baseline.label}, on the same seeds.`,
    baseline: spec.baseline,
    sweep: {
      crop: [treatment.augmentation.crop],
      weightDecay: weightDecay === spec.baseline.training.optimizer.weightDecay ? [] : [weightDecay],
      // The treatment's own per-class crops first, when it has some, so that it is planned as it was.
      perClass: own ? [own, { ...own, ...off }] : [off],
    },
    seeds: spec.seeds,
  });
}

/** One class a follow-up turned the crop off for: its change under the treatment, and under the treatment without its crop. */
export interface MitigatedClass {
  className: string;
  original: Interval;
  mitigated: Interval;
  originalVerdict: 'hurt' | 'helped' | null;
  mitigatedVerdict: 'hurt' | 'helped' | null;
}

/** A treatment and its class-conditional variant, both against the baseline. */
export interface MitigationSummary {
  original: Comparison;
  mitigated: Comparison;
  /** The classes whose crop the variant turned off, in class order. */
  classes: MitigatedClass[];
}

/**
 * Every pair of comparisons in the analysis where one treatment is the other
 * with some classes' crop changed (and nothing else): what the mitigate action
 * designs, and the views show side by side.
 */
export function mitigationSummaries(analysis: StudyAnalysis): MitigationSummary[] {
  const summaries: MitigationSummary[] = [];
  for (const mitigated of analysis.comparisons) {
    const changed = (original: Comparison) => changedClasses(original.treatment.config, mitigated.treatment.config);
    // The variant turns the crop off where the original crops: the other way round is not a mitigation.
    const turnsOff = (original: Comparison) => {
      const names = changed(original);
      const off = (c: Comparison, name: string) => cropOf(c.treatment.config.augmentation, name).kind === 'none';
      return names.length > 0 && names.every((name) => off(mitigated, name) && !off(original, name));
    };
    const original = analysis.comparisons.find((o) => o !== mitigated && sameApartFromPerClass(o.treatment.config, mitigated.treatment.config) && turnsOff(o));
    if (!original) continue;
    const names = new Set(changed(original));
    const classes = mitigated.classes
      .filter((c) => names.has(c.className))
      .map((m) => {
        const o = original.classes[m.classIndex]!;
        return { className: m.className, original: o.delta, mitigated: m.delta, originalVerdict: o.verdict, mitigatedVerdict: m.verdict };
      });
    summaries.push({ original, mitigated, classes });
  }
  return summaries;
}

/** The summary in words: whether the classes recover, and what the average pays for it. */
export function mitigationWords(summary: MitigationSummary): string {
  const pp = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v * 100).toFixed(1)} pp`;
  const { original, mitigated } = summary;
  const recovered = summary.classes.filter((c) => c.originalVerdict === 'hurt' && c.mitigatedVerdict !== 'hurt').length;
  const stillHurt = summary.classes.filter((c) => c.mitigatedVerdict === 'hurt').length;
  const cost = mitigated.summary.meanDelta.estimate - original.summary.meanDelta.estimate;
  return (
    `${describeAugmentationCrop(mitigated.treatment.config.augmentation)} against ${original.treatment.label}: ` +
    `${recovered} of ${summary.classes.length} class${summary.classes.length === 1 ? '' : 'es'} no longer hurt, ${stillHurt} still hurt; ` +
    `mean change ${pp(original.summary.meanDelta.estimate)} with the crop for every class, ${pp(mitigated.summary.meanDelta.estimate)} without it for these ` +
    `(the average ${cost >= 0 ? 'gains' : 'pays'} ${Math.abs(cost * 100).toFixed(1)} pp).`
  );
}

function cropOf(augmentation: RunConfig['augmentation'], className: string): CropConfig {
  return augmentation.perClass?.[className] ?? augmentation.crop;
}

/** Classes whose crop differs between two configs (by their per-class crops). */
function changedClasses(a: RunConfig, b: RunConfig): string[] {
  const names = new Set([...Object.keys(a.augmentation.perClass ?? {}), ...Object.keys(b.augmentation.perClass ?? {})]);
  return [...names].filter((name) => canonicalJson(cropOf(a.augmentation, name)) !== canonicalJson(cropOf(b.augmentation, name)));
}

function sameApartFromPerClass(a: RunConfig, b: RunConfig): boolean {
  const strip = (c: RunConfig) => {
    const { perClass: _perClass, ...augmentation } = c.augmentation;
    return canonicalJson({ ...c, augmentation });
  };
  return strip(a) === strip(b);
}
