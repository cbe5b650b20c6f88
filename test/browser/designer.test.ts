/**
 * The study designer alone (test/browser/designer-harness.html), in headless
 * Chromium: presets, edits and the spec they send, refused values shown at
 * their fields (and not sent), spec files, the plan and the time estimate,
 * the locked state, and a screenshot.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openHarness, until, type HarnessSession } from './session';
import type { Intent } from '../../src/ui/intents';
import type { StepEstimate } from '../../src/study/estimate';
import { designPlan } from '../../src/study/planning';
import { estimateStudy, stepKey } from '../../src/study/estimate';
import { PRESETS } from '../../src/study/presets';
import { parseStudySpec, type StudySpec } from '../../src/study/study';
import { seconds } from '../../src/ui/format';

type DesignIntent = Extract<Intent, { kind: 'design-study' }>;

describe('the study designer', () => {
  let s: HarnessSession;
  let page: Page;
  const byId = (id: string) => page.getByTestId(id);
  const field = (key: string) => byId(`field-${key}`);
  const take = () => page.evaluate(() => window.designer.take());
  /** The specs sent since the last take(), validated as the controller would. */
  const designs = async (): Promise<StudySpec[]> =>
    (await take()).filter((i): i is DesignIntent => i.kind === 'design-study').map((i) => parseStudySpec(i.spec));
  const runCount = async () => Number(await byId('run-count').textContent());

  beforeAll(async () => {
    s = await openHarness({ page: 'test/browser/designer-harness.html', ready: 'designer' });
    page = s.page;
    await page.setViewportSize({ width: 1200, height: 1000 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('gives every input a label and sends nothing before an edit', async () => {
    await byId('study-designer').waitFor();
    const unlabelled = await byId('study-designer').evaluate((section) => {
      const root = section.getRootNode() as ShadowRoot;
      return [...root.querySelectorAll('input, select')].filter((el) => !el.id || !root.querySelector(`label[for="${el.id}"]`)).map((el) => el.outerHTML);
    });
    expect(unlabelled).toEqual([]);
    expect(await take()).toEqual([]);
  });

  it('asks for a preset and shows the one it is given', async () => {
    await byId('preset-select').selectOption('teaching-demo');
    expect(await take()).toEqual([{ kind: 'select-preset', name: 'teaching-demo' }]);
    await page.evaluate(() => window.designer.usePreset('teaching-demo'));
    expect(await field('width').inputValue()).toBe('0.25');
    expect(await field('epochs').inputValue()).toBe('8');
    expect(await field('dataset').inputValue()).toBe('teaching');
    // No crop and s = 0.15, 5 seeds.
    expect(await runCount()).toBe(10);
    expect(await byId('planned-run').count()).toBe(10);
    expect(await byId('seed-group').count()).toBe(5);
    // Eight teaching classes × 60 images / batch 32 = 15 steps an epoch, 8 epochs.
    expect(await byId('steps-per-run').textContent()).toBe('120');
    expect(await take()).toEqual([]);
  });

  it('sends the spec each edit makes, and the plan follows it', async () => {
    await field('width').fill('0.5');
    let sent = await designs();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.baseline.model.width).toBe(0.5);
    expect(sent[0]!.name).toBe('teaching-demo');

    await field('epochs').fill('10');
    sent = await designs();
    expect(sent.at(-1)!.baseline.training.epochs).toBe(10);
    expect(await byId('steps-per-run').textContent()).toBe('150');

    await field('sweepScales').fill('0.08, 0.25, 0.5');
    sent = await designs();
    expect(sent.at(-1)!.sweep.crop).toEqual([0.08, 0.25, 0.5].map((scale) => ({ kind: 'resized', scale, ratio: [3 / 4, 4 / 3] })));
    expect(await runCount()).toBe(20);

    await field('sweepDecays').fill('5e-4');
    sent = await designs();
    expect(sent.at(-1)!.sweep.weightDecay).toEqual([5e-4]);
    expect(await runCount()).toBe(40);

    await field('seeds').fill('3');
    sent = await designs();
    expect(sent.at(-1)!.seeds).toEqual([0, 1, 2]);
    expect(await runCount()).toBe(24);
    expect(await byId('seed-group').count()).toBe(3);
    expect(await byId('planned-run').filter({ hasText: 'resized crop s=0.08, wd 0.0005' }).count()).toBe(3);

    // The workbench accepts it and hands it back: the form keeps what was typed.
    const last = sent.at(-1)!;
    await page.evaluate((spec) => window.designer.useSpec('designed', spec), last);
    expect(await field('sweepDecays').inputValue()).toBe('5e-4');
    expect(await take()).toEqual([]);
  });

  it('shows refused values at their fields and sends no spec for them', async () => {
    await field('sweepScales').fill('0.08, 1.5');
    expect(await byId('error-sweepScales').textContent()).toContain('1.5: a crop scale must be in (0, 1]');
    expect(await field('sweepScales').getAttribute('aria-invalid')).toBe('true');
    expect(await byId('plan-invalid').count()).toBe(1);
    expect(await byId('run-count').count()).toBe(0);
    expect(await designs()).toEqual([]);

    await field('batchSize').fill('0');
    expect(await byId('error-batchSize').textContent()).toBe('must be more than 0');
    // Both stay marked: each message sits at its own field.
    expect(await byId('error-sweepScales').count()).toBe(1);
    await field('sweepScales').fill('0.08, 0.5');
    await field('batchSize').fill('abc');
    expect(await byId('error-batchSize').textContent()).toContain('“abc” is not a number');
    // Eight classes × 60 teaching images: a batch of 1000 is refused by the schema's own check.
    await field('batchSize').fill('1000');
    expect(await byId('error-batchSize').textContent()).toContain('batch size 1000 is larger than the 480 training images');
    expect(await designs()).toEqual([]);

    await field('seedMode').selectOption('list');
    expect(await field('seeds').inputValue()).toBe('0, 1, 2');
    await field('batchSize').fill('30');
    expect((await designs()).at(-1)!.sweep.crop.map((c) => (c.kind === 'resized' ? c.scale : null))).toEqual([0.08, 0.5]);
    await field('seeds').fill('0, 1, 1');
    expect(await byId('error-seeds').textContent()).toContain('seeds must be distinct');
    await field('width').fill('-1');
    expect(await byId('error-width').count()).toBe(1);
    await byId('study-designer').screenshot({ path: await screenshotPath('designer-errors.png') });
    expect(await designs()).toEqual([]);

    await field('width').fill('0.75');
    await field('seeds').fill('0, 1, 2');
    expect(await byId('error-seeds').count()).toBe(0);
    const back = (await designs()).at(-1)!;
    expect(back.seeds).toEqual([0, 1, 2]);
    expect(back.baseline.training.batchSize).toBe(30);
    expect(back.baseline.model.width).toBe(0.75);
    // (none, 0.08, 0.5) × (0, 5e-4) × 3 seeds.
    expect(await runCount()).toBe(18);
  });

  it('loads a spec file as its text', async () => {
    const text = JSON.stringify(PRESETS['fashion-crop-sweep'], null, 2);
    await byId('spec-file').setInputFiles({ name: 'sweep.json', mimeType: 'application/json', buffer: Buffer.from(text) });
    // The designer sends the file once it has read its text (asynchronously): no render tells when, so wait for the intent.
    const intents: Intent[] = [];
    await until(async () => intents.push(...(await take())), () => intents.length > 0, 10_000, 'the spec file read and sent');
    expect(intents).toEqual([{ kind: 'load-spec', fileName: 'sweep.json', text }]);

    await page.evaluate((spec) => window.designer.useSpec('sweep.json', spec), PRESETS['fashion-crop-sweep']);
    expect(await field('dataset').inputValue()).toBe('builtin:fashion-mnist');
    expect(await byId('input-size').textContent()).toContain('28 × 28 × 1');
    // 42 runs: listed as 14 configurations for 3 seeds.
    expect(await runCount()).toBe(42);
    expect(await byId('planned-config').count()).toBe(14);
    expect(await byId('planned-runs-collapsed').textContent()).toContain('42 runs');
    await page.evaluate(() => window.designer.set({ error: 'other.json was refused: seeds: seeds must be distinct' }));
    expect(await byId('study-error').textContent()).toContain('seeds must be distinct');
    await page.evaluate(() => window.designer.set({ error: null }));

    // A slice of a shard dataset is edited in its own fields, each mistake at its field.
    await page.evaluate((spec) => window.designer.useSpec('fashion-quick.json', spec), PRESETS['fashion-quick']);
    expect(await field('sliceTrain').inputValue()).toBe('1000');
    expect(await field('sliceTest').inputValue()).toBe('300');
    expect(await field('sliceClasses').inputValue()).toBe('');
    expect(await byId('input-size').textContent()).toContain('shown once the dataset is loaded');
    await field('sliceClasses').fill('Shirt, Sock');
    expect(await byId('error-sliceClasses').textContent()).toContain('no class "Sock" in fashion-mnist');
    await field('sliceClasses').fill('Shirt, T-shirt/top');
    await field('sliceResize').fill('14');
    expect(await byId('error-sliceClasses').count()).toBe(0);
    expect((await designs()).at(-1)!.baseline.dataset).toEqual({ kind: 'builtin', name: 'fashion-mnist', trainPerClass: 1000, testPerClass: 300, classes: ['Shirt', 'T-shirt/top'], resize: 14 });
    await page.evaluate((spec) => window.designer.useSpec('sweep.json', spec), PRESETS['fashion-crop-sweep']);
  });

  it('estimates the time from a measured step, and asks again when the model changes', async () => {
    expect(await byId('estimate-total').count()).toBe(0);
    expect(await byId('estimate-note').textContent()).toMatch(/Measure a warm-up step/);
    await byId('measure-step').click();
    expect(await take()).toEqual([{ kind: 'measure-step' }]);
    // While it measures: what it is doing, and a cancel in place of the button.
    await page.evaluate(() => window.designer.set({ measuring: true }));
    expect(await byId('measure-step').count()).toBe(0);
    expect(await byId('measure-stage').textContent()).toBe('Measuring: starting…');
    const fetch = { loadedBytes: 7 * 2 ** 20, totalBytes: 52 * 2 ** 20, shard: 2, shards: 14, fromCache: false };
    await page.evaluate((p) => window.designer.set({ measureProgress: { stage: 'dataset', fetch: p } }), fetch);
    expect(await byId('measure-stage').textContent()).toBe('Measuring: loading the dataset, shard 3 of 14 (7.34 MB of 54.5 MB)…');
    await page.evaluate(() => window.designer.set({ measureProgress: { stage: 'steps', done: 0, total: 4 } }));
    expect(await byId('measure-stage').textContent()).toMatch(/^Measuring: the warm-up step, which compiles the shaders/);
    await page.evaluate(() => window.designer.set({ measureProgress: { stage: 'steps', done: 2, total: 4 } }));
    expect(await byId('measure-stage').textContent()).toBe('Measuring: step 3 of 4 (2 done)…');
    await byId('cancel-measure').click();
    expect(await take()).toEqual([{ kind: 'cancel-measure' }]);

    const spec = parseStudySpec(PRESETS['fashion-crop-sweep']);
    const step: StepEstimate = { configHash: 'measured', msPerStep: 85, backend: 'webgpu', batchSize: 128, stepKey: stepKey(spec.baseline) };
    await page.evaluate((estimate) => window.designer.set({ measuring: false, measureProgress: null, estimate }), step);
    const expected = estimateStudy(spec, null, step);
    expect(expected.seconds).not.toBeNull();
    expect(await byId('estimate-total').textContent()).toBe(seconds(expected.seconds!));
    // ⌊60000 / 128⌋ × 15 epochs.
    expect(await byId('steps-per-run').textContent()).toBe((468 * 15).toLocaleString('en'));
    expect(await byId('estimate-note').textContent()).toContain('85 ms');

    await s.page.screenshot({ path: await screenshotPath(), fullPage: true });

    await field('width').fill('1');
    expect((await designs()).at(-1)!.baseline.model.width).toBe(1);
    expect(await byId('estimate-total').count()).toBe(0);
    expect(await byId('estimate-note').textContent()).toContain('re-measure');
    expect(await byId('measure-step').textContent()).toContain('Re-measure');
  });

  it('offers cached datasets, with their size and counts once known', async () => {
    const datasets = [
      { id: 'import:cifar-10', name: 'CIFAR-10', bytes: 184_000_000, complete: true, addedAt: '2025-01-01T00:00:00Z' },
      { id: 'https://example.org/half/manifest.json', name: 'half', bytes: 10, complete: false, addedAt: '2025-01-01T00:00:00Z' },
    ];
    await page.evaluate((list) => window.designer.set({ datasets: list }), datasets);
    const options = await field('dataset').locator('option').allTextContents();
    expect(options).toContain('CIFAR-10 (imported)');
    expect(options.some((o) => o.includes('half'))).toBe(false);

    await field('dataset').selectOption('manifest:import:cifar-10');
    expect((await designs()).at(-1)!.baseline.dataset).toEqual({ kind: 'manifest', url: 'import:cifar-10' });
    expect(await byId('steps-per-run').count()).toBe(0);
    expect(await byId('estimate-note').textContent()).toMatch(/once the dataset has been loaded/);
    const summary = { name: 'CIFAR-10', classNames: [], testCount: 10_000, contentHash: 'x', shape: [32, 32, 3], trainCount: 50_000 };
    await page.evaluate((value) => window.designer.set({ datasetSummary: value as never }), summary);
    expect(await byId('input-size').textContent()).toContain('32 × 32 × 3');
    expect(await byId('steps-per-run').textContent()).toBe((Math.floor(50_000 / 128) * 15).toLocaleString('en'));
  });

  it('says what the seeds can detect before anything runs: the planning aid', async () => {
    // The spec on screen: the crop sweep on the cached CIFAR-10, 14 configurations (13 against the baseline) × 3 seeds.
    const summary = { name: 'CIFAR-10', classNames: Array.from({ length: 10 }, (_, k) => `class ${k}`), testCount: 10_000, contentHash: 'x', shape: [32, 32, 3], trainCount: 50_000 };
    await page.evaluate((value) => window.designer.set({ datasetSummary: value as never }), summary);
    const plan = designPlan(10, 10_000, 13, 3)!;
    const text = await byId('plan-power').textContent();
    expect(text).toContain(`With 3 seeds a side, a class must drop about ${(plan.detectable! * 100).toFixed(1)} pp to be detected (80% power)`);
    expect(text).toContain(`a 10-point drop needs ${plan.seedsForPlannedDrop} seeds a side`);
    expect(text).toMatch(/For 10 classes of about 1000 test images\s+and 130 tests at a 5% false-discovery rate/);
    for (const width of [1400, 800]) {
      await page.setViewportSize({ width, height: 900 });
      await byId('plan').screenshot({ path: await screenshotPath(`designer-plan-${width}.png`) });
    }
    await page.setViewportSize({ width: 1200, height: 1000 });
  });

  it('locks while a study runs and runs when it may', async () => {
    expect(await byId('run-button').isDisabled()).toBe(true);
    await page.evaluate(() => window.designer.set({ canRun: true }));
    await byId('run-button').click();
    expect(await take()).toEqual([{ kind: 'run' }]);

    await page.evaluate(() => window.designer.set({ locked: true, canRun: false }));
    for (const id of ['field-width', 'field-sweepScales', 'field-dataset', 'preset-select', 'spec-file', 'save-spec', 'measure-step', 'run-button']) {
      expect(await byId(id).isDisabled(), id).toBe(true);
    }
    expect(await byId('designer-locked').count()).toBe(1);

    await page.evaluate(() => window.designer.set({ locked: false }));
    await byId('save-spec').click();
    expect(await take()).toEqual([{ kind: 'save-spec' }]);
  });

  it('asks before running a study estimated past an hour, saying what an hour of this device does', async () => {
    await page.evaluate((spec) => window.designer.useSpec('sweep.json', spec), PRESETS['fashion-crop-sweep']);
    const spec = parseStudySpec(PRESETS['fashion-crop-sweep']);
    // 1.4 s a step (a CPU-emulated GPU): 42 runs × 7,020 steps, about 115 hours.
    const slow: StepEstimate = { configHash: 'measured', msPerStep: 1400, backend: 'webgpu', batchSize: 128, stepKey: stepKey(spec.baseline) };
    await page.evaluate((estimate) => window.designer.set({ estimate, canRun: true, locked: false }), slow);
    await take();
    expect(await byId('estimate-long').textContent()).toMatch(/More than an hour/);
    await byId('run-button').click();
    const confirm = byId('confirm-long');
    await confirm.waitFor({ timeout: 5_000 });
    expect(await take()).toEqual([]);
    const text = (await confirm.textContent())!.replace(/\s+/g, ' ');
    expect(text).toContain(`about ${seconds(estimateStudy(spec, null, slow).seconds!)} here`);
    expect(text).toContain('about 2,571 steps an hour (1.4 s a step on webgpu, batch 128)');
    expect(text).toMatch(/an hour holds \d+% of one run/);
    await byId('cancel-run').click();
    expect(await confirm.count()).toBe(0);
    expect(await take()).toEqual([]);
    await byId('run-button').click();
    await byId('confirm-run').click();
    expect(await take()).toEqual([{ kind: 'run' }]);

    // Under an hour, Run runs at once.
    await page.evaluate((estimate) => window.designer.set({ estimate: { ...estimate, msPerStep: 0.01 } }), slow);
    await byId('run-button').click();
    expect(await take()).toEqual([{ kind: 'run' }]);
    await page.evaluate(() => window.designer.set({ estimate: null, canRun: false }));
  });

  it('is usable from the keyboard', async () => {
    await field('epochs').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('12');
    await page.keyboard.press('Tab');
    expect((await designs()).at(-1)!.baseline.training.epochs).toBe(12);
    // Tab moved on to the batch size.
    expect(await page.evaluate(() => (document.querySelector('cw-study-designer')!.shadowRoot!.activeElement as HTMLElement | null)?.id)).toBe('f-batchSize');
  });
});

async function screenshotPath(name = 'designer.png'): Promise<string> {
  await mkdir('test-results/screenshots', { recursive: true });
  return `test-results/screenshots/${name}`;
}
