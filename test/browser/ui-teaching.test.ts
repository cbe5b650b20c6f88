/**
 * The teaching demo as a teacher runs it, through the UI only: the
 * teaching-demo preset trained (ten runs), the verdicts it shows (the disc
 * classes hurt, the texture and colour classes not), then "mitigate" on the
 * per-class view, which designs the follow-up (the crop turned off for the
 * hurt classes), and its run, whose per-class view shows each hurt class with
 * the crop for every class beside without it. One page for all of it: the
 * preset's runs are what the follow-up reuses. Screenshots of the view at
 * 1400×900 and 800 px go to test-results/screenshots/.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from '../../src/cli/browser';
import { TEACHING_CLASSES } from '../../src/data/teaching';
import { until } from './session';

describe('the teaching demo and its mitigation', () => {
  let chromium: HeadlessChromium;
  let page: Page;
  const errors: string[] = [];
  const byId = (id: string) => page.getByTestId(id);

  /** Each delta row's class name and verdict ('' when none): the q-value cell's second line. */
  async function verdicts(): Promise<Record<string, string>> {
    // Every class, not the top k.
    await page.locator('cw-class-views').getByTestId('top-k').fill(String(TEACHING_CLASSES.length));
    const rows = await page
      .locator('cw-class-views')
      .getByTestId('delta-row')
      .evaluateAll((trs) => trs.map((tr) => [tr.querySelector('[data-testid="delta-row-name"]')!.textContent!.trim(), tr.querySelectorAll('td')[5]?.querySelector('.sub')?.textContent?.trim() ?? '']));
    expect(rows).toHaveLength(TEACHING_CLASSES.length);
    return Object.fromEntries(rows);
  }

  async function screenshots(name: string): Promise<void> {
    await mkdir('test-results/screenshots', { recursive: true });
    for (const [width, height] of [
      [1400, 900],
      [800, 900],
    ] as const) {
      await page.setViewportSize({ width, height });
      await byId('views-summary').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/screenshots/${name}-${width}.png` });
    }
    await page.setViewportSize({ width: 1400, height: 900 });
  }

  beforeAll(async () => {
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    await page.setViewportSize({ width: 1400, height: 900 });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(inject('baseUrl'));
    await byId('backend-status').filter({ hasText: 'WebGPU —' }).waitFor({ timeout: 60_000 });
  });
  afterAll(async () => {
    await chromium?.close();
    expect(errors).toEqual([]);
  });

  it('runs the teaching preset and shows the crop-destroyed classes hurt, texture and colour not', { timeout: 420_000 }, async () => {
    await byId('preset-select').selectOption('teaching-demo');
    await until(() => byId('run-button').isEnabled(), (enabled) => enabled, 10_000, 'Run enabled');
    await byId('run-button').click();
    await byId('study-phase').filter({ hasText: /^finished$/ }).waitFor({ timeout: 400_000 });
    await byId('views-summary').waitFor();
    const shown = await verdicts();
    // In class order, as the mitigation names them.
    const hurt = TEACHING_CLASSES.map((c) => c.name).filter((name) => shown[name] === 'hurt');
    const destroyed = TEACHING_CLASSES.filter((c) => !c.survivesCrop).map((c) => c.name);
    expect(hurt.filter((name) => destroyed.includes(name)).length).toBeGreaterThanOrEqual(2);
    for (const c of TEACHING_CLASSES.filter((k) => k.survivesCrop)) expect(shown[c.name]).not.toBe('hurt');
    expect(await byId('views-summary').textContent()).toMatch(new RegExp(`${hurt.length} classes hurt`));
    // The mitigate action names the hurt classes.
    expect(await byId('mitigate-button').textContent()).toBe(`Mitigate: no crop for ${hurt.join(', ')}`);
    await screenshots('teaching-verdicts');
  });

  it('mitigates: designs the follow-up, runs only its new variant, and shows the hurt classes with and without their crop', { timeout: 300_000 }, async () => {
    const shown = await verdicts();
    const hurt = TEACHING_CLASSES.map((c) => c.name).filter((name) => shown[name] === 'hurt');
    await byId('mitigate-button').click();
    const designed = byId('mitigation-designed');
    await designed.waitFor({ timeout: 5_000 });
    // Five seeds of one new config; the no-crop and crop runs are the preset's, already stored.
    expect(await designed.textContent()).toMatch(/Follow-up designed: teaching-demo · mitigated, resized crop s=0\.15, wd 0 with the crop turned off for .*; 5\s+new runs/);
    // The shown study's views stay until the follow-up runs.
    expect(await byId('mitigation-row').count()).toBe(0);

    const phase = byId('study-phase');
    const seen: string[] = [];
    await byId('run-follow-up').click();
    await until(
      async () => {
        const now = (await phase.textContent())?.trim() ?? '';
        if (seen.at(-1) !== now) seen.push(now);
        return { seen, now, rows: await byId('mitigation-row').count() };
      },
      (p) => p.seen.includes('running') && p.now === 'finished' && p.rows > 0,
      280_000,
      'the follow-up trained and its comparison shown',
    );
    expect(await byId('run-row').count()).toBe(15);
    const rows = await byId('mitigation-row').evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')!.textContent!.trim()));
    expect(rows).toEqual(hurt);
    expect(await byId('mitigation-summary').textContent()).toMatch(
      new RegExp(`^resized crop s=0\\.15, none for ${hurt.join(', ')} against resized crop s=0\\.15, wd 0: \\d of ${hurt.length} classes no longer hurt, \\d still hurt; mean change [−+±][\\d.]+ pp with the crop for every class, [−+±][\\d.]+ pp without it for these \\(the average (gains|pays) [\\d.]+ pp\\)\\.$`),
    );
    expect(await byId('mitigation-mean').count()).toBe(1);
    // Its views have replaced the note, and the comparison it mitigated is not offered again.
    expect(await byId('mitigation-designed').count()).toBe(0);
    await byId('comparison-select').selectOption({ label: 'resized crop s=0.15, wd 0 vs no crop, wd 0' });
    expect(await byId('mitigate-button').count()).toBe(0);
    await screenshots('teaching-mitigated');
  });
});
