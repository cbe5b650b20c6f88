/** The mitigate action's follow-up study, and what the views say about it. */
import { describe, expect, it } from 'vitest';
import { TEACHING_CLASSES } from '../../src/data/teaching';
import { analyzeRuns, type RunOutcome } from '../../src/study/analysis';
import { configHash, type RunConfig } from '../../src/study/config';
import { checkDraft, draftFromSpec } from '../../src/study/draft';
import { canonicalJson } from '../../src/util/hash';
import { mitigationOffer, mitigationStudy, mitigationSummaries, mitigationWords } from '../../src/study/mitigation';
import { PRESETS } from '../../src/study/presets';
import { parseStudySpec, planRuns, type StudySpec } from '../../src/study/study';

const spec = parseStudySpec(PRESETS['teaching-demo']);
const names = TEACHING_CLASSES.map((c) => c.name);
const dataset = { name: 'teaching', classNames: names, testCount: 400, contentHash: 'a'.repeat(64) };
const HURT = ['medium-disc', 'large-disc'];

/** Per-class correct counts out of 50: the crop costs the hurt classes 30 points unless their crop is off; a little seed noise everywhere. */
function correct(config: RunConfig, seed: number): number[] {
  return names.map((name, k) => {
    const cropped = (config.augmentation.perClass?.[name] ?? config.augmentation.crop).kind !== 'none';
    const otherCropped = config.augmentation.crop.kind !== 'none';
    const noise = (seed + k) % 3;
    if (HURT.includes(name) && cropped) return 32 - noise;
    // The crop adds a point to every other class: the average gain that the mitigation may give back.
    return 47 - noise + (otherCropped ? 1 : 0);
  });
}

async function outcomes(study: StudySpec): Promise<RunOutcome[]> {
  return Promise.all(
    planRuns(study).map(async (run) => ({
      config: run.config,
      configHash: await configHash(run.config),
      seed: run.seed,
      dataset,
      perClass: correct(run.config, run.seed).map((c, k) => ({ class: names[k]!, correct: c, total: 50 })),
      confusion: null,
    })),
  );
}

describe('mitigation', () => {
  it('designs the follow-up from the hurt classes: the same crop, off for them, beside the original runs, which keep their hashes', async () => {
    const analysis = analyzeRuns(await outcomes(spec), spec.baseline);
    const comparison = analysis.comparisons[0]!;
    expect(comparison.classes.filter((c) => c.verdict === 'hurt').map((c) => c.className)).toEqual(HURT);
    expect(mitigationOffer(comparison)).toEqual({ classes: HURT });

    const followUp = mitigationStudy(spec, comparison);
    expect(followUp.name).toBe('teaching-demo · mitigated');
    expect(followUp.description).toMatch(/crop turned off for the classes it hurt \(medium-disc, large-disc\).*Kirichenko/);
    expect(followUp.seeds).toEqual(spec.seeds);
    const planned = planRuns(followUp);
    // Three configs a seed: no crop, the crop for every class, the crop but for the hurt classes.
    expect(planned).toHaveLength(3 * spec.seeds.length);
    const hashes = new Set(await Promise.all(planned.map((r) => configHash(r.config))));
    const original = new Set(await Promise.all(planRuns(spec).map((r) => configHash(r.config))));
    expect(hashes.size).toBe(3);
    for (const hash of original) expect(hashes.has(hash)).toBe(true);
    const variant = planned.find((r) => r.config.augmentation.perClass)!;
    expect(variant.config.augmentation.perClass).toEqual({ 'medium-disc': { kind: 'none' }, 'large-disc': { kind: 'none' } });
    expect(variant.label).toBe('resized crop s=0.15, none for medium-disc, large-disc, wd 0, seed 0');
    // The designer's form does not edit per-class crops, and keeps them through an edit.
    const { draft, carried } = draftFromSpec(followUp);
    expect(canonicalJson(checkDraft(draft, carried).spec)).toBe(canonicalJson(followUp));
    expect(checkDraft({ ...draft, epochs: '9' }, carried).spec!.sweep.perClass).toEqual(followUp.sweep.perClass);
  });

  it('shows whether the hurt classes recover and what the average pays', async () => {
    const first = analyzeRuns(await outcomes(spec), spec.baseline);
    const followUp = mitigationStudy(spec, first.comparisons[0]!);
    const analysis = analyzeRuns(await outcomes(followUp), followUp.baseline);
    expect(analysis.comparisons).toHaveLength(2);
    const [summary, ...more] = mitigationSummaries(analysis);
    expect(more).toEqual([]);
    expect(summary!.original.treatment.config.augmentation.perClass).toBeUndefined();
    expect(summary!.classes.map((c) => [c.className, c.originalVerdict, c.mitigatedVerdict])).toEqual([
      ['medium-disc', 'hurt', null],
      ['large-disc', 'hurt', null],
    ]);
    expect(summary!.classes[0]!.original.estimate).toBeCloseTo(-0.3, 5);
    // Its crop off, a hurt class gets the crop's small gain that every other class gets.
    expect(summary!.classes[0]!.mitigated.estimate).toBeCloseTo(0.02, 5);
    // Mean change: (2 × −30 + 6 × +2) / 8 points with the crop everywhere; +2 on every class without it for the two.
    expect(mitigationWords(summary!)).toBe(
      'resized crop s=0.15, none for medium-disc, large-disc against resized crop s=0.15, wd 0: 2 of 2 classes no longer hurt, 0 still hurt; ' +
        'mean change −6.0 pp with the crop for every class, +2.0 pp without it for these (the average gains 8.0 pp).',
    );
  });

  it('offers nothing without hurt classes, or when the crop is not what hurt them, and refuses a treatment the study cannot plan', async () => {
    const none = parseStudySpec({ ...PRESETS['teaching-demo'], sweep: { crop: [{ kind: 'none' }], weightDecay: [0.05] } });
    const analysis = analyzeRuns(await outcomes(spec), spec.baseline);
    const comparison = analysis.comparisons[0]!;
    expect(mitigationOffer({ ...comparison, classes: comparison.classes.map((c) => ({ ...c, verdict: null })) })).toEqual({ none: 'no class is hurt' });
    const decayed = { ...comparison, treatment: { ...comparison.treatment, config: { ...comparison.treatment.config, augmentation: { crop: { kind: 'none' as const }, flip: false } } } };
    expect(mitigationOffer(decayed)).toEqual({ none: 'the hurt classes are not cropped in this treatment: its crop is not what hurt them' });
    expect(() => mitigationStudy(none, comparison)).toThrow(/is not one of teaching-demo's planned configs/);
  });

  it('sweeps per-class variants with every crop, planning once a variant that changes nothing, and names an unknown class', () => {
    const study = parseStudySpec({ ...PRESETS.smoke, sweep: { crop: [{ kind: 'resized', scale: 0.5 }], perClass: [{ 'pattern-1': { kind: 'none' } }] } });
    expect(planRuns(study).map((r) => r.label)).toEqual(['no crop, wd 0, seed 0', 'resized crop s=0.5, wd 0, seed 0', 'resized crop s=0.5, none for pattern-1, wd 0, seed 0']);
    expect(() => parseStudySpec({ ...PRESETS.smoke, sweep: { perClass: [{ blob: { kind: 'none' } }] } })).toThrow(/sweep\.perClass\.0\.blob: no class "blob" in the synthetic set/);
  });
});
