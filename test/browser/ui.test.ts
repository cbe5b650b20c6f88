/**
 * The workbench page end to end, through its UI only: the backend line, a
 * refused spec file, the smoke study run with pause/resume, live progress,
 * the results tables, the export, a cancel, and the fallback banner.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from '../../src/cli/browser';
import { PRESETS } from '../../src/study/presets';
import { parseResultsFile } from '../../src/study/results';

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

/** Polls `read` until `done` holds for its value; returns that value. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last value: ${JSON.stringify(last)})`);
}

const progressValue = (bar: Locator) => bar.evaluate((el) => (el as HTMLProgressElement).value);

describe('the workbench page', () => {
  let s: PageSession;
  let page: Page;
  const byId = (id: string) => page.getByTestId(id);

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
    expect(await byId('run-button').isDisabled()).toBe(true);
  });

  it('runs the smoke study with live progress, pause and resume, then shows per-class results', async () => {
    await byId('preset-select').selectOption('smoke');
    expect(await byId('study-error').count()).toBe(0);
    expect(await byId('planned-runs').locator('li').count()).toBe(2);
    await byId('run-button').click();

    // Live progress: the step bar moves, the loss and the ETA are shown.
    const bar = byId('progress-bar');
    const first = await until(() => progressValue(bar), (v) => v > 0, 60_000, 'the first progress');
    expect(await byId('current-run').textContent()).toMatch(/Run 1\/2: no crop, wd 0, seed 0/);
    expect(Number(await byId('loss').textContent())).toBeGreaterThan(0);
    expect(await byId('eta').textContent()).toMatch(/\d+ s|min/);

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
      (p) => p.run?.startsWith('Run 1/2') === true && p.value > first,
      60_000,
      'the progress bar to advance',
    );
    expect(later.value).toBeGreaterThan(first);
    expect(await byId('loss-line').count()).toBeGreaterThanOrEqual(1);

    await byId('study-phase').filter({ hasText: /^finished$/ }).waitFor({ timeout: 120_000 });
    expect(await byId('eval-top1').textContent()).toMatch(/\d+\.\d%/);
    expect(await byId('loss-line').count()).toBe(2);

    const runRows = byId('runs-table').getByTestId('run-row');
    expect(await runRows.count()).toBe(2);
    expect(await runRows.nth(0).textContent()).toMatch(/no crop.*baseline/s);
    expect(await runRows.nth(1).textContent()).toMatch(/resized crop s=0\.5/);

    const perClass = byId('per-class-table');
    expect(await perClass.getByTestId('class-row').count()).toBe(4);
    expect(await perClass.getByTestId('delta-header').count()).toBe(1);
    const deltas = perClass.getByTestId('delta');
    expect(await deltas.count()).toBe(4);
    for (const text of await deltas.allTextContents()) expect(text).toMatch(/^(\+|−|±)\d+\.\d pp$/);
    // Drops are red.
    for (const delta of await perClass.locator('[data-testid=delta].negative').all()) {
      expect(await delta.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(198, 40, 40)');
    }

    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/workbench.png', fullPage: true });
  });

  it('exports the results file', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), byId('export-button').click()]);
    expect(download.suggestedFilename()).toBe('classwise-results-smoke.json');
    const results = await parseResultsFile(JSON.parse(await readFile((await download.path())!, 'utf8')));
    expect(results.study.name).toBe('smoke');
    expect(results.runs).toHaveLength(2);
    expect(results.runs.map((r) => r.config.augmentation.crop.kind)).toEqual(['none', 'resized']);
    expect(results.runs[0]!.environment.backend).toBe('webgpu');
    expect(results.runs[0]!.perClass).toHaveLength(4);
  });

  it('answers a study it already ran from IndexedDB, without training again', async () => {
    const before = await byId('runs-table').getByTestId('run-row').allTextContents();
    await byId('run-button').click();
    await byId('study-phase').filter({ hasText: /^finished$/ }).waitFor({ timeout: 30_000 });
    expect(await byId('runs-table').getByTestId('run-row').allTextContents()).toEqual(before);
  });

  it('cancels a study in its second run, keeping the finished first run', async () => {
    // Another seed: runs not yet in IndexedDB, so they train.
    const fresh = { ...structuredClone(PRESETS.smoke), name: 'smoke-seed-5', seeds: [5] };
    await byId('spec-file').setInputFiles({ name: 'fresh.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(fresh)) });
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
    expect(await byId('per-class-table').getByTestId('class-row').count()).toBe(4);
    expect(await byId('export-button').isDisabled()).toBe(true);
    expect(await byId('run-error').count()).toBe(0);
    await page.screenshot({ path: 'test-results/workbench-cancelled.png', fullPage: true });
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
