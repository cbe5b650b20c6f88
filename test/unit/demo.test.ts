import { describe, expect, it } from 'vitest';
import { TEACHING_CLASSES } from '../../src/data/teaching';
import { analyzeRuns, type RunOutcome } from '../../src/study/analysis';
import { configHash } from '../../src/study/config';
import { demoCards, demoCrop, demoExamples, DEMO_PRESET } from '../../src/study/demo';
import { PRESETS } from '../../src/study/presets';
import { parseStudySpec, planRuns } from '../../src/study/study';

const spec = parseStudySpec(PRESETS[DEMO_PRESET]);

describe('the guided demo', () => {
  it("tells the preset's story from its own spec and the teaching set's classes", () => {
    const cards = demoCards(spec, TEACHING_CLASSES, null);
    expect(cards.map((c) => c.kind)).toEqual(['question', 'classes', 'crop', 'result', 'takeaway']);
    expect(cards[0]!.lines).toContain(spec.description);
    // Said as many times as the preset trains each arm: one run a seed.
    expect(cards[0]!.lines[1]).toContain(`without and with resized crop s=0.15, ${spec.seeds.length} times each (one seed a run)`);
    const lost = TEACHING_CLASSES.filter((c) => !c.survivesCrop).map((c) => c.name);
    for (const name of lost) expect(cards[1]!.lines.join(' ')).toContain(name);
    const crop = demoCrop(spec)!;
    expect(crop).toEqual(spec.sweep.crop.find((c) => c.kind !== 'none'));
    expect(cards[3]!.lines.join(' ')).toMatch(/Run the demo study/);
  });

  it('draws one example image per class, of the set the preset trains on', () => {
    const examples = demoExamples(spec, TEACHING_CLASSES.length);
    expect(examples).toHaveLength(TEACHING_CLASSES.length);
    const size = spec.baseline.dataset.kind === 'teaching' ? spec.baseline.dataset.size : 0;
    for (const image of examples) expect(image.pixels.length).toBe(size * size * 3);
  });

  it('says which classes the study found hurt once it has run, and whether they are the crop-destroyed ones', async () => {
    const dataset = { name: 'teaching', classNames: TEACHING_CLASSES.map((c) => c.name), testCount: 200, contentHash: 'a'.repeat(64) };
    const outcomes: RunOutcome[] = [];
    for (const run of planRuns(spec)) {
      const cropped = run.config.augmentation.crop.kind !== 'none';
      // Planted: the crop costs the first mark class 60 points on every seed, nothing elsewhere (with a little seed noise).
      const correct = TEACHING_CLASSES.map((_, k) => (cropped && k === 0 ? 6 : 19) - ((run.seed + k) % 2));
      outcomes.push({
        config: run.config,
        configHash: await configHash(run.config),
        seed: run.seed,
        dataset,
        perClass: correct.map((c, k) => ({ class: dataset.classNames[k]!, correct: c, total: 20 })),
        confusion: null,
      });
    }
    const analysis = analyzeRuns(outcomes, spec.baseline);
    const result = demoCards(spec, TEACHING_CLASSES, analysis).find((c) => c.kind === 'result')!;
    expect(result.lines[0]).toMatch(/^Mean over classes: −8\.1 points\. Worst class: one-edge-mark/);
    // A 65-point drop on every seed is significant under any of the statistics' methods.
    expect(result.lines[1]).toMatch(/^Significantly hurt: one-edge-mark \(−65\.0 points\): all of them classes whose cue the crop can destroy\.$/);
  });
});
