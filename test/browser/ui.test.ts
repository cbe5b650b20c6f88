/**
 * The workbench page end to end, through its UI only: the backend line, a
 * refused spec file, a study designed from the smoke preset (two seeds) and
 * estimated from a measured step, run with pause/resume and live progress;
 * the per-class views updating as evaluations arrive, a class inspected and a
 * screenshot of each view; exports (chart PNG, CSV, model, results file);
 * the model tried on an image; results that survive an edit and a reload,
 * the past-studies list (reopen, rename, delete); the results re-imported
 * into an empty page with the same numbers; refused imports; a cancel; a
 * measurement cancelled; the fallback banner and a lost GPU.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from '../../src/cli/browser';
import { PRESETS } from '../../src/study/presets';
import { parseResultsFile } from '../../src/study/results';
import { PNG } from 'pngjs';
import { until } from './session';

interface PageSession {
  page: Page;
  chromium: HeadlessChromium;
  errors: string[];
}

async function openWorkbench(options: { webgpu?: boolean } = {}): Promise<PageSession> {
  const chromium = await launchChromium(options);
  const page = await chromium.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(inject('baseUrl'));
  return { page, chromium, errors };
}


const progressValue = (bar: Locator) => bar.evaluate((el) => (el as HTMLProgressElement).value);

describe('the workbench page', () => {
  let s: PageSession;
  let page: Page;
  const byId = (id: string) => page.getByTestId(id);
  /** What the study exported, for the re-import test. */
  let resultsText = '';
  let csvBefore = '';

  async function downloadText(button: Locator): Promise<string> {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), button.click()]);
    return readFile((await download.path())!, 'utf8');
  }

  beforeAll(async () => {
    s = await openWorkbench();
    page = s.page;
  });
  afterAll(async () => {
    await s?.chromium.close();
    expect(s?.errors ?? []).toEqual([]);
  });

  it('starts the engine and names the WebGPU adapter', async () => {
    const line = byId('backend-status').filter({ hasText: 'WebGPU —' });
    await line.waitFor({ timeout: 60_000 });
    expect(await line.textContent()).toMatch(/WebGPU — .*swiftshader/);
    expect(await byId('backend-warning').count()).toBe(0);
  });

  it('refuses a spec file that is not JSON or not a valid study, naming the field', async () => {
    const file = byId('spec-file');
    await file.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{ "schema": ') });
    await byId('study-error').filter({ hasText: 'not valid JSON' }).waitFor({ timeout: 5_000 });

    const bad = structuredClone(PRESETS.smoke) as { baseline: { training: { optimizer: Record<string, number> } } };
    bad.baseline.training.optimizer.weightDecay = -1;
    await file.setInputFiles({ name: 'bad-study.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    const error = byId('study-error').filter({ hasText: 'bad-study.json' });
    await error.waitFor({ timeout: 5_000 });
    expect(await error.textContent()).toMatch(/baseline\.training\.optimizer\.weightDecay/);
    // A refused file changes nothing: the design it replaced is still there, and still runs.
    expect(await byId('field-name').inputValue()).toBe('smoke');
    await until(() => byId('run-button').isEnabled(), (enabled) => enabled, 5_000, 'Run enabled for the design kept');
  });

  it('designs a tiny study, estimates it from a measured step, and runs it with live progress, pause and resume', async () => {
    await byId('preset-select').selectOption('smoke');
    await byId('field-seeds').fill('2');
    await until(() => byId('planned-runs').locator('li').count(), (n) => n === 4, 5_000, 'four planned runs');
    expect(await byId('study-error').count()).toBe(0);

    await byId('measure-step').click();
    const estimate = await until(() => byId('estimate-total').allTextContents(), (t) => t.length === 1, 60_000, 'the time estimate');
    expect(estimate[0]).toMatch(/\d+ s|min/);

    await byId('run-button').click();
    // Live progress: the step bar moves, the loss and the ETA are shown.
    const bar = byId('progress-bar');
    const first = await until(() => progressValue(bar), (v) => v > 0, 60_000, 'the first progress');
    expect(await byId('current-run').textContent()).toMatch(/Run 1\/4: no crop, wd 0, seed 0/);
    expect(Number(await byId('loss').textContent())).toBeGreaterThan(0);
    expect(await byId('eta').textContent()).toMatch(/\d+ s|min/);
    expect(await byId('run-backend').textContent()).toMatch(/webgpu/);

    // Pause holds the run (the worker confirms), resume lets it go on.
    await byId('pause-button').click();
    await byId('study-phase').filter({ hasText: /^paused$/ }).waitFor({ timeout: 30_000 });
    const heldAt = await progressValue(bar);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await progressValue(bar)).toBe(heldAt);
    await byId('resume-button').click();
    await byId('study-phase').filter({ hasText: /^running$/ }).waitFor({ timeout: 5_000 });
    const later = await until(
      async () => ({ value: await progressValue(bar), run: await byId('current-run').textContent() }),
      (p) => p.run?.startsWith('Run 1/4') === true && p.value > first,
      60_000,
      'the progress bar to advance',
    );
    expect(later.value).toBeGreaterThan(first);
  });

  it('updates the per-class views live: provisional while the treatment trains, then paired by seed', async () => {
    // Run 2 (the crop, seed 0) evaluates after its first epoch: the views compare it before it has finished.
    await until(
      async () => ({ provisional: await byId('views-provisional').count(), run: await byId('current-run').textContent() }),
      (v) => v.provisional > 0 && v.run?.startsWith('Run 2/4') === true,
      120_000,
      'a provisional comparison during run 2',
    );
    // One seed of each side so far: two trained models compared, no verdict on the regularizer.
    expect(await byId('views-method').textContent()).toMatch(/^Model vs model: one model each, seed 0\. With one seed a side, whether the regularizer hurts a class has no answer/);
    expect(await byId('views-summary').textContent()).toMatch(/the two models differ on \d+ class(es)? .*no verdict on the regularizer with one seed/);
    expect(await byId('accuracy-line').count()).toBeGreaterThanOrEqual(1);

    await byId('study-phase').filter({ hasText: /^finished$/ }).waitFor({ timeout: 240_000 });
    expect(await byId('views-provisional').count()).toBe(0);
    expect(await byId('views-method').textContent()).toMatch(/^Intervals \(95%\) and verdicts: a moderated t over 2 seeds paired \(0, 1\), every test image counted for both models of each seed/);
    expect(await byId('views-summary').textContent()).toMatch(/\d+ class(es)? hurt, \d+ helped; .* flagged over the study's 4 tests at a 5% false-discovery rate/);
    expect(await byId('views-planning').textContent()).toMatch(/^Planning \(80% power\): with 2 seeds a side/);
    expect(await byId('delta-row').count()).toBe(4);
    expect(await byId('loss-line').count()).toBe(4);
    expect(await byId('accuracy-line').count()).toBe(4);
    const runRows = byId('runs-table').getByTestId('run-row');
    expect(await runRows.count()).toBe(4);
    expect(await runRows.nth(0).textContent()).toMatch(/no crop.*baseline/s);
    expect(await runRows.nth(1).textContent()).toMatch(/resized crop s=0\.5/);
  });

  it('inspects a class and saves a screenshot of each view', async () => {
    await byId('delta-row-name').first().click();
    await until(
      async () => (await byId('inspector-image').count()) + (await byId('inspector-none-wrong').count()),
      (n) => n > 0,
      60_000,
      'the class inspector',
    );
    expect(await byId('inspector-crops').locator('[data-testid=inspector-image]').count()).toBeGreaterThan(0);
    // The monitor's curves keep their text at 11 px or more on screen, however narrow its column.
    for (const chart of await page.locator('cw-loss-chart').all()) {
      const sizes = await chart.evaluate((el) =>
        [...el.shadowRoot!.querySelectorAll('svg text')].map((t) => parseFloat(getComputedStyle(t).fontSize) * (t as SVGGraphicsElement).getScreenCTM()!.a),
      );
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
    }
    await mkdir('test-results/screenshots', { recursive: true });
    await page.screenshot({ path: 'test-results/screenshots/workbench.png', fullPage: true });
    for (const view of ['cw-delta-chart', 'cw-strength-chart', 'cw-confusion-diff', 'cw-class-inspector']) {
      const element = page.locator(view);
      await element.scrollIntoViewIfNeeded();
      await element.screenshot({ path: `test-results/screenshots/workbench-${view.slice(3)}.png` });
    }
  });

  it('exports a chart as PNG, the per-class table as CSV and a trained model for tf.loadLayersModel', async () => {
    const [png] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.locator('cw-delta-chart').getByTestId('save-png').click()]);
    expect(png.suggestedFilename()).toMatch(/\.png$/);
    expect((await readFile((await png.path())!)).subarray(1, 4).toString()).toBe('PNG');

    csvBefore = await downloadText(byId('export-csv-button'));
    const rows = csvBefore.trim().split(/\r?\n/);
    expect(rows).toHaveLength(1 + 4);

    const downloads: string[] = [];
    const collect = (d: { suggestedFilename(): string }) => downloads.push(d.suggestedFilename());
    page.on('download', collect);
    await byId('export-model').first().click();
    await until(async () => downloads.length, (n) => n === 2, 30_000, 'model.json and its weights');
    page.off('download', collect);
    expect(downloads).toContain('model.json');
    expect(downloads.some((name) => name.endsWith('.bin'))).toBe(true);
  });

  it('exports the results file', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), byId('export-button').click()]);
    expect(download.suggestedFilename()).toBe('classwise-results-smoke.json');
    resultsText = await readFile((await download.path())!, 'utf8');
    const results = await parseResultsFile(JSON.parse(resultsText));
    expect(results.study.name).toBe('smoke');
    expect(results.runs).toHaveLength(4);
    expect(results.runs.map((r) => r.config.augmentation.crop.kind)).toEqual(['none', 'resized', 'none', 'resized']);
    expect(results.runs[0]!.environment.backend).toBe('webgpu');
    expect(results.runs[0]!.perClass).toHaveLength(4);
    expect(results.runs[0]!.predictions).toHaveLength(64);
  });

  it('tries the trained models on an image: both predictions side by side, the image resized to their input', async () => {
    const png = new PNG({ width: 40, height: 30 });
    for (let i = 0; i < 40 * 30; i++) png.data.set([(i * 7) % 256, (i * 13) % 256, 90, 255], i * 4);
    await byId('try-file').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: PNG.sync.write(png) });
    await byId('trial').waitFor({ timeout: 60_000 });
    for (const side of ['trial-baseline', 'trial-treatment']) {
      const classes = byId(side).getByTestId('trial-class');
      expect(await classes.count()).toBe(4);
      const shares = (await classes.locator('.num').allTextContents()).map((t) => Number(t.replace('%', '')));
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
    }
    expect(await byId('try-adapted').textContent()).toMatch(/resized from 40×30 to 8×8/);
    expect(await byId('try-verdict').textContent()).toMatch(/^(Both predict pattern-\d\.|They disagree: the baseline predicts pattern-\d, the treatment pattern-\d\.)$/);

    // Not an image: refused on the page, saying so.
    await byId('try-file').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
    await byId('try-error').filter({ hasText: 'notes.png is not an image this browser can read' }).waitFor({ timeout: 10_000 });
  });

  it('answers a study it already ran from IndexedDB, without training again', async () => {
    const before = await byId('runs-table').getByTestId('run-row').allTextContents();
    expect(before).toHaveLength(4);
    await byId('tab-design').click();
    // The phase already says 'finished' before the click, and the run starts only after hashing its configs: record
    // every phase the page shows, and wait until it has been running again and has finished again.
    const phase = byId('study-phase');
    await phase.evaluate((el) => {
      const seen: string[] = [];
      (window as unknown as { phasesSeen: string[] }).phasesSeen = seen;
      new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
    });
    await byId('run-button').click();
    await until(
      async () => ({ seen: await page.evaluate(() => (window as unknown as { phasesSeen: string[] }).phasesSeen), now: await phase.textContent() }),
      (p) => p.seen.includes('running') && p.now === 'finished',
      30_000,
      'the study to run again and finish',
    );
    expect(await byId('runs-table').getByTestId('run-row').allTextContents()).toEqual(before);
  });

  it('keeps the results on screen while the design is edited, and after a reload, with the study under Past studies', async () => {
    await byId('tab-design').click();
    await byId('field-epochs').fill('4');
    await byId('draft-note').filter({ hasText: 'still those of smoke' }).waitFor({ timeout: 5_000 });
    await byId('tab-results').click();
    expect(await byId('delta-row').count()).toBe(4);
    expect(await byId('runs-table').getByTestId('run-row').count()).toBe(4);
    expect(await byId('draft-note').textContent()).toMatch(/results of smoke\. The Design tab holds an edited design/);

    await page.reload();
    await byId('backend-status').filter({ hasText: 'WebGPU —' }).waitFor({ timeout: 60_000 });
    await until(() => byId('delta-row').count(), (n) => n === 4, 20_000, 'the views of the study shown before the reload');
    expect(await byId('study-phase').textContent()).toBe('finished');
    expect(await byId('runs-table').getByTestId('run-row').count()).toBe(4);
    expect(await downloadText(byId('export-csv-button'))).toBe(csvBefore);

    await byId('tab-library').click();
    const past = byId('past-study');
    expect(await past.count()).toBe(1);
    expect(await byId('past-study-name').textContent()).toMatch(/^smoke/);
    expect(await byId('past-study-runs').textContent()).toBe('4/4 runs finished');
    expect(await byId('past-study-headline').textContent()).toMatch(/^resized crop s=0\.5, wd 0: \d+ of 4 classes hurt, \d+ helped; mean [−+±][\d.]+ pp \(2 seeds\)$/);
  });

  it('renames a past study (not to an empty name), reopens it with its views, and deletes it', async () => {
    await byId('rename-study').click();
    await byId('rename-input').fill('   ');
    await byId('rename-input').press('Enter');
    await byId('library-error').filter({ hasText: 'A study needs a name' }).waitFor({ timeout: 5_000 });
    expect(await byId('past-study-name').textContent()).toMatch(/^smoke/);
    await byId('rename-study').click();
    await byId('rename-input').fill('smoke, two seeds');
    await byId('rename-save').click();
    await byId('past-study-name').filter({ hasText: 'smoke, two seeds' }).waitFor({ timeout: 5_000 });

    // Another design on screen, then the past study reopened in one click.
    await byId('tab-design').click();
    await byId('preset-select').selectOption('teaching-demo');
    await byId('tab-library').click();
    await byId('open-study').click();
    // Its views were on screen all along (a draft does not replace them): the reopen shows when the draft goes.
    await until(() => byId('draft-note').count(), (n) => n === 0, 20_000, 'the reopened study in place of the draft');
    expect(await byId('delta-row').count()).toBe(4);
    expect(await byId('tab-results').getAttribute('aria-selected')).toBe('true');
    await byId('tab-design').click();
    expect(await byId('field-name').inputValue()).toBe('smoke, two seeds');

    await byId('tab-library').click();
    await byId('delete-study').click();
    await byId('confirm-delete-study').click();
    await byId('library-empty').waitFor({ timeout: 10_000 });
    await byId('tab-results').click();
    expect(await byId('delta-row').count()).toBe(0);
  });

  it('re-imports the exported results into an empty page and gets the same numbers; refuses files it must not compare', async () => {
    await page.reload();
    await byId('backend-status').filter({ hasText: 'WebGPU —' }).waitFor({ timeout: 60_000 });
    await byId('tab-results').click();
    expect(await byId('delta-row').count()).toBe(0);
    const input = byId('import-results');
    await input.setInputFiles({ name: 'smoke-results.json', mimeType: 'application/json', buffer: Buffer.from(resultsText) });
    await byId('imported-list').filter({ hasText: 'smoke-results.json: smoke, 4 runs' }).waitFor({ timeout: 10_000 });
    await until(() => byId('delta-row').count(), (n) => n === 4, 10_000, 'the views from the imported file');
    expect(await downloadText(byId('export-csv-button'))).toBe(csvBefore);

    // Another dataset (same classes, other pixels): refused, never pooled.
    const other = JSON.parse(resultsText) as { runs: { dataset: { contentHash: string } }[] };
    for (const run of other.runs) run.dataset.contentHash = 'f'.repeat(64);
    await input.setInputFiles({ name: 'other-data.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(other)) });
    const refusal = byId('import-results-error');
    await refusal.waitFor({ timeout: 10_000 });
    expect(await refusal.textContent()).toMatch(/other-data\.json was not added: .*different datasets are never compared/);

    // Not JSON, and forged totals: refused with what is wrong.
    await input.setInputFiles([
      { name: 'not-json.json', mimeType: 'application/json', buffer: Buffer.from('{ runs: ') },
      { name: 'forged.json', mimeType: 'application/json', buffer: Buffer.from(resultsText.replace('"correct": ', '"correct": 1')) },
    ]);
    await refusal.filter({ hasText: 'forged.json' }).waitFor({ timeout: 10_000 });
    expect(await refusal.textContent()).toMatch(/not-json\.json is not JSON/);
    expect(await refusal.textContent()).toMatch(/forged\.json is not a valid Classwise results file/);
    expect(await byId('imported-list').locator('li').count()).toBe(1);
    expect(await byId('imported-run-row').count()).toBe(4);
    expect(await downloadText(byId('export-csv-button'))).toBe(csvBefore);

    // The same file again: its runs are on screen already, and it says so rather than dropping them silently.
    await input.setInputFiles({ name: 'again.json', mimeType: 'application/json', buffer: Buffer.from(resultsText) });
    await refusal.filter({ hasText: 'again.json was not added: its 4 runs are all already on screen' }).waitFor({ timeout: 10_000 });
    await byId('clear-imported').click();
    expect(await refusal.count()).toBe(0);
  });

  it('cancels a study in its second run, keeping the finished first run', async () => {
    // Another seed: runs not yet in IndexedDB, so they train.
    const fresh = { ...structuredClone(PRESETS.smoke), name: 'smoke-seed-5', seeds: [5] };
    await byId('tab-design').click();
    await byId('spec-file').setInputFiles({ name: 'fresh.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(fresh)) });
    // The designer reads the file asynchronously; until it has, the run button would run the preset shown before.
    await until(() => byId('field-name').inputValue(), (name) => name === 'smoke-seed-5', 10_000, 'the spec file loaded');
    await byId('run-button').click();
    const bar = byId('progress-bar');
    await until(
      async () => ({ value: await progressValue(bar), run: await byId('current-run').textContent() }),
      (p) => p.run?.startsWith('Run 2/2') === true && p.value > 0,
      90_000,
      'progress in the second run',
    );
    await byId('cancel-button').click();
    await byId('study-phase').filter({ hasText: /^cancelled$/ }).waitFor({ timeout: 30_000 });
    expect(await byId('study-notice').textContent()).toMatch(/cancelled.*1 finished run is kept/i);
    expect(await byId('runs-table').getByTestId('run-row').count()).toBe(1);
    expect(await byId('export-button').isDisabled()).toBe(true);
    expect(await byId('run-error').count()).toBe(0);
    await page.screenshot({ path: 'test-results/workbench-cancelled.png', fullPage: true });
  });

  it('shows what a long measurement is doing, and cancels it after the step in flight', async () => {
    // Fashion-MNIST's shards, then a ResNet-20's warm-up step: some seconds on a CPU-emulated GPU.
    const slow = structuredClone(PRESETS.smoke) as unknown as { name: string; baseline: Record<string, Record<string, unknown>> };
    slow.name = 'measure-me';
    slow.baseline.model = { arch: 'resnet20', width: 0.5 };
    slow.baseline.dataset = { kind: 'builtin', name: 'fashion-mnist' };
    slow.baseline.training = { ...slow.baseline.training, batchSize: 64 };
    await byId('tab-design').click();
    await byId('spec-file').setInputFiles({ name: 'measure-me.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(slow)) });
    await until(() => byId('field-name').inputValue(), (name) => name === 'measure-me', 10_000, 'the spec file loaded');
    await byId('measure-step').click();
    await byId('measure-stage').filter({ hasText: /the warm-up step, which compiles the shaders/ }).waitFor({ timeout: 120_000 });
    await byId('cancel-measure').click();
    expect(await byId('measure-stage').textContent()).toMatch(/Cancelling: the worker stops after the step it is on/);
    expect(await byId('run-button').isDisabled()).toBe(true);
    await byId('measure-step').waitFor({ timeout: 120_000 });
    expect(await byId('measure-stage').count()).toBe(0);
    expect(await byId('estimate-total').count()).toBe(0);
    expect(await byId('study-error').count()).toBe(0);
    expect(await byId('run-button').isEnabled()).toBe(true);
  });

  it('walks through the guided demo from the keyboard, as a presenter\'s clicker would', async () => {
    await byId('mode-demo').click();
    const title = byId('demo-title');
    expect(await title.textContent()).toBe('Does augmentation help every class?');
    await page.keyboard.press('PageDown');
    expect(await byId('demo-card').getAttribute('data-kind')).toBe('classes');
    expect(await byId('demo-class').count()).toBe(8);
    await page.keyboard.press('PageDown');
    expect(await title.textContent()).toMatch(/^What resized crop s=[\d.]+ does$/);
    await page.keyboard.press('PageDown');
    // The demo study has not run in this page: the card offers to run it.
    expect(await byId('demo-card').getAttribute('data-kind')).toBe('result');
    expect(await byId('demo-run').isEnabled()).toBe(true);
    // Arrows, Home and End belong to the mode tabs while one has focus; on the card they move it.
    await byId('demo-title').click();
    await page.keyboard.press('End');
    expect(await byId('demo-next').isDisabled()).toBe(true);
    await page.keyboard.press('Home');
    expect(await byId('demo-prev').isDisabled()).toBe(true);
    await byId('mode-workbench').click();
  });
});

describe('a study interrupted by a reload', () => {
  it('is offered for resuming, and resumes its run from the last checkpoint', async () => {
    const s = await openWorkbench();
    const byId = (id: string) => s.page.getByTestId(id);
    try {
      await byId('backend-status').filter({ hasText: 'WebGPU —' }).waitFor({ timeout: 60_000 });
      const spec = { ...structuredClone(PRESETS.smoke), name: 'smoke-resume', seeds: [9] };
      await byId('spec-file').setInputFiles({ name: 'resume.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(spec)) });
      // The designer reads the file asynchronously; until it has, the run button would run the default preset.
      await until(() => byId('field-name').inputValue(), (name) => name === 'smoke-resume', 10_000, 'the spec file loaded');
      await byId('run-button').click();
      // Past step 4, the end of epoch 1, where the first checkpoint is saved.
      await until(() => progressValue(byId('progress-bar')), (v) => v >= 6, 90_000, 'six steps of run 1');

      await s.page.reload();
      const banner = byId('interrupted-study');
      await banner.waitFor({ timeout: 60_000 });
      expect(await banner.textContent()).toMatch(/smoke-resume \(2 runs\) was running/);
      await until(() => byId('resume-interrupted').isEnabled(), (enabled) => enabled, 60_000, 'the engine to be ready');
      await byId('resume-interrupted').click();
      const note = byId('resumed-note');
      await note.waitFor({ timeout: 60_000 });
      expect(await note.textContent()).toMatch(/Resumed from its checkpoint after step (4|8)\./);
      await byId('study-phase').filter({ hasText: /^finished$/ }).waitFor({ timeout: 120_000 });
      expect(await byId('runs-table').getByTestId('run-row').count()).toBe(2);
      expect(await banner.count()).toBe(0);

      // Finished: nothing is offered after the next reload.
      await s.page.reload();
      await byId('backend-status').filter({ hasText: 'WebGPU —' }).waitFor({ timeout: 60_000 });
      expect(await byId('interrupted-study').count()).toBe(0);
      expect(s.errors).toEqual([]);
    } finally {
      await s.chromium.close();
    }
  });
});

describe('the workbench without WebGPU', () => {
  it('warns that WebGPU is unavailable, why, what runs instead and what to do', async () => {
    const s = await openWorkbench({ webgpu: false });
    try {
      const warning = s.page.getByTestId('backend-warning');
      await warning.waitFor({ timeout: 60_000 });
      const text = (await warning.textContent()) ?? '';
      expect(text).toMatch(/WebGPU is unavailable: .*WebGPU/);
      expect(text).toMatch(/Training runs on (WebGL|the CPU) instead/);
      expect(text).toMatch(/Chrome or Edge/);
      expect(text).toMatch(/expect slow training/);
      expect(s.errors).toEqual([]);
    } finally {
      await s.chromium.close();
    }
  });
});

describe('the workbench when the GPU is lost', () => {
  it('says so, what happened to the work and what to do', async () => {
    const s = await openWorkbench();
    try {
      await s.page.getByTestId('backend-status').filter({ hasText: 'WebGPU —' }).waitFor({ timeout: 60_000 });
      // A real loss: Chromium's GPU process crashes, and every WebGPU device in it is lost.
      const cdp = await s.chromium.context.newCDPSession(s.page);
      await cdp.send('Browser.crashGpuProcess');
      const banner = s.page.getByTestId('device-lost');
      await banner.waitFor({ timeout: 30_000 });
      expect(await banner.textContent()).toMatch(/lost its GPU device: .+\./);
      expect(await banner.textContent()).toMatch(/Reload the page/);
      expect(await s.page.getByTestId('run-button').isDisabled()).toBe(true);
      expect(s.errors).toEqual([]);
    } finally {
      await s.chromium.close();
    }
  });
});

describe('the Contribute tab without a coordinator', () => {
  it('says that no coordinator answers here and how to start one', async () => {
    const s = await openWorkbench();
    try {
      await s.page.getByTestId('mode-contribute').click();
      const error = s.page.getByTestId('contribute-list-error');
      await error.waitFor({ timeout: 30_000 });
      expect(await error.textContent()).toMatch(/No coordinator answered at this site .*npm start/);
      expect(await s.page.getByTestId('contribute-start').isDisabled()).toBe(true);
      expect(s.errors).toEqual([]);
    } finally {
      await s.chromium.close();
    }
  });
});
