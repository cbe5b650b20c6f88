/**
 * The per-class views in real Chromium, fed analyses the harness page builds
 * (test/browser/views-harness.ts): what they draw is checked against the
 * numbers, in the canvas's own pixels at the positions each chart reports;
 * clicks must send the intents; 1,000 classes must stay compact and quick to
 * update; exports must be real PNG and SVG files. Screenshots of every view
 * go to test-results/screenshots/views-*.png.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { StudyAnalysis } from '../../src/study/analysis';
import type { ConfusionGeometry } from '../../src/ui/views/confusion-diff';
import type { DeltaGeometry } from '../../src/ui/views/delta-chart';
import type { StrengthGeometry } from '../../src/ui/views/strength-chart';
import { openHarness, until, type HarnessSession } from './session';
import type { AnalysisSpec, UpdateTiming, ViewsHarness } from './views-harness';

const SHOTS = 'test-results/screenshots';
type RGB = [number, number, number];
const HURT: RGB = [0xc9, 0x2a, 0x2a];
const HELPED: RGB = [0x1c, 0x6d, 0xd0];
const NEUTRAL: RGB = [0x8a, 0x94, 0xa6];
const MEAN: RGB = [0x1d, 0x24, 0x33];
const SELECTED: RGB[] = [
  [0xe8, 0x59, 0x0c],
  [0x2b, 0x8a, 0x3e],
];
const PURPLE_END: RGB = [84, 39, 136];
const ORANGE_END: RGB = [179, 88, 6];
const HIGHLIGHT: RGB = [255, 236, 163];
/**
 * An update of 1,000 classes (a new analysis object → every view rendered and
 * drawn) must take less than this, for 19 of the 20 updates, and the median
 * less than MEDIAN_BOUND_MS. Measured on this project's 2-core machine while
 * other jobs ran: medians of 27–56 ms; the slowest of 20 from 52 to 267 ms when
 * the garbage collector or another process gets in (each analysis holds five
 * 1,000 × 1,000 confusion matrices, 40 MB of garbage per update), hence one
 * outlier allowed.
 */
const UPDATE_BOUND_MS = 250;
const MEDIAN_BOUND_MS = 100;

const near = (a: RGB, b: RGB, tolerance = 30) => a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('the per-class views', () => {
  let s: HarnessSession;
  let page: Page;
  const byId = (id: string) => page.getByTestId(id);
  /** Calls a harness function in the page. */
  const call = <K extends keyof ViewsHarness>(name: K, ...args: Parameters<ViewsHarness[K]>): Promise<Awaited<ReturnType<ViewsHarness[K]>>> =>
    page.evaluate(
      ([n, a]) => (window as unknown as { viewsHarness: Record<string, (...x: unknown[]) => unknown> }).viewsHarness[n as string]!(...(a as unknown[])),
      [name, args] as const,
    ) as Promise<Awaited<ReturnType<ViewsHarness[K]>>>;
  const show = (spec: AnalysisSpec | null) => call('show', spec);
  const analysis = async () => (await call('analysis')) as StudyAnalysis;
  const deltaGeometry = async () => (await call('geometry', 'cw-delta-chart')) as DeltaGeometry;
  const canvas = (tag: string) => page.locator(`${tag} canvas.chart`);

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    s = await openHarness({ page: 'test/browser/views-harness.html', ready: 'viewsHarness' });
    page = s.page;
    await page.setViewportSize({ width: 1280, height: 900 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('says what is missing when there is no analysis or no comparison', async () => {
    await show(null);
    expect(await byId('views-empty').textContent()).toMatch(/appear once a baseline and a regularized run have been evaluated/);
    await show({ classes: 10 });
    await call('setProps', { noComparisons: true });
    expect(await byId('views-empty').textContent()).toMatch(/No comparison yet/);
  });

  describe('10 classes', () => {
    beforeAll(async () => {
      await show({ classes: 10 });
      await call('setProps', { selectedClasses: [], inspected: null, selectedComparison: null });
    });

    it('states the summary and the method in words', async () => {
      const c = (await analysis()).comparisons[0]!;
      const summary = (await byId('views-summary').textContent())!;
      expect(summary).toContain(`${c.summary.hurt} classes hurt, ${c.summary.helped} helped`);
      // Like with like: the study's flagged classes against what its false-discovery control allows.
      expect(summary).toMatch(/flagged over the study's 50 tests at a 5% false-discovery rate: with no effect anywhere, a study flags any class at most 5% of the time/);
      expect(summary).toMatch(/most hurt: Dress \d+% → \d+%/);
      expect(await byId('views-method').textContent()).toMatch(/a moderated t over 3 seeds paired \(0, 1, 2\), every test image counted/);
      expect(await byId('views-planning').textContent()).toMatch(/with 3 seeds a side, drops of about [\d.]+ pp or more are detected for the median class; a 10 pp drop needs about \d+ seeds a side/);
      expect(await byId('delta-row-plan').first().textContent()).toMatch(/^[\d.]+ pp10 pp: \d+ seeds$/);
      for (const width of [1400, 800]) {
        await page.setViewportSize({ width, height: 900 });
        await page.locator('cw-class-views').screenshot({ path: `${SHOTS}/views-all-10-${width}.png` });
      }
      await page.setViewportSize({ width: 1280, height: 900 });
      expect(await byId('views-provisional').count()).toBe(0);
    });

    it('sorts the classes by change, draws significant drops red and gains blue, and the mean where it belongs', async () => {
      const c = (await analysis()).comparisons[0]!;
      const expected = c.classes.map((d) => d.classIndex).sort((a, b) => c.classes[a]!.delta.estimate - c.classes[b]!.delta.estimate);
      const g = await deltaGeometry();
      expect(g.orientation).toBe('rows');
      expect(g.order).toEqual(expected);
      // The table (the chart's accessible fallback) lists them in the same order.
      const rows = await byId('delta-row').evaluateAll((els) => els.map((el) => Number((el as HTMLElement).dataset.class)));
      expect(rows).toEqual(expected);

      // Each class's dot, read back from the canvas, has its significance's colour.
      const colours = await Promise.all(g.marks.map((m) => call('pixelAt', 'cw-delta-chart', m.x, m.y)));
      const red = colours.filter((rgb) => near(rgb, HURT)).length;
      const blue = colours.filter((rgb) => near(rgb, HELPED)).length;
      const grey = colours.filter((rgb) => near(rgb, NEUTRAL)).length;
      expect(c.summary.hurt).toBeGreaterThan(0);
      expect(red).toBe(c.summary.hurt);
      expect(red).toBe(c.classes.filter((d) => d.verdict === 'hurt').length);
      expect(blue).toBe(c.summary.helped);
      expect(red + blue + grey).toBe(10);

      // The dashed mean line: left of it exactly the classes below the mean, and drawn in the mean's colour.
      const mean = c.summary.meanDelta.estimate;
      for (const m of g.marks) expect(m.x < g.mean, c.classes[m.classIndex]!.className).toBe(c.classes[m.classIndex]!.delta.estimate < mean);
      for (const m of g.marks) expect(m.x < g.zero).toBe(c.classes[m.classIndex]!.delta.estimate < 0);
      expect(near(await call('pixelAt', 'cw-delta-chart', g.mean, g.plot.top - 2), MEAN, 40)).toBe(true);
      await page.locator('cw-delta-chart').screenshot({ path: `${SHOTS}/views-delta-10.png` });
    });

    it('selects and inspects a class on click, shows its numbers on hover', async () => {
      const c = (await analysis()).comparisons[0]!;
      const g = await deltaGeometry();
      const dress = g.marks.find((m) => c.classes[m.classIndex]!.className === 'Dress')!;
      const shirt = g.marks.find((m) => c.classes[m.classIndex]!.className === 'Shirt')!;
      await call('takeIntents');
      await canvas('cw-delta-chart').hover({ position: { x: dress.x, y: dress.y } });
      const tooltip = page.locator('cw-delta-chart').getByTestId('tooltip');
      await tooltip.waitFor({ state: 'visible', timeout: 5_000 });
      expect(await tooltip.textContent()).toMatch(/^Dress.*→.*Δ −\d+\.\d pp \[/);
      await canvas('cw-delta-chart').click({ position: { x: dress.x, y: dress.y } });
      expect(await call('takeIntents')).toEqual([
        { kind: 'select-classes', classes: [dress.classIndex] },
        { kind: 'inspect-class', classIndex: dress.classIndex },
      ]);
      // The controller answers with the selection; a shift-click adds to it.
      await call('setProps', { selectedClasses: [dress.classIndex] });
      await canvas('cw-delta-chart').click({ position: { x: shirt.x, y: shirt.y }, modifiers: ['Shift'] });
      expect(await call('takeIntents')).toEqual([
        { kind: 'select-classes', classes: [dress.classIndex, shirt.classIndex] },
        { kind: 'inspect-class', classIndex: shirt.classIndex },
      ]);
      // A table row does the same.
      await byId('delta-row').nth(2).click();
      const third = g.order[2]!;
      expect(await call('takeIntents')).toEqual([
        { kind: 'select-classes', classes: [third] },
        { kind: 'inspect-class', classIndex: third },
      ]);
    });

    it("opens the inspector from the keyboard: arrows step through a chart's classes, Enter inspects one", async () => {
      const g = await deltaGeometry();
      const c = (await analysis()).comparisons[0]!;
      await call('takeIntents');
      const chart = page.locator('cw-delta-chart');
      await canvas('cw-delta-chart').focus();
      await page.keyboard.press('ArrowDown');
      const tooltip = chart.getByTestId('tooltip');
      await tooltip.waitFor({ state: 'visible', timeout: 5_000 });
      expect(await tooltip.textContent()).toContain(c.classes[g.order[0]!]!.className);
      await page.keyboard.press('ArrowDown');
      expect(await chart.getByTestId('chart-cursor').textContent()).toMatch(new RegExp(`^${c.classes[g.order[1]!]!.className}; .*rank 2 of 10$`));
      await page.keyboard.press('Enter');
      expect(await call('takeIntents')).toEqual([
        { kind: 'select-classes', classes: [g.order[1]] },
        { kind: 'inspect-class', classIndex: g.order[1] },
      ]);
      // The table's class names are buttons: Tab reaches them, Enter inspects.
      await byId('delta-row-name').nth(3).focus();
      await page.keyboard.press('Enter');
      expect(await call('takeIntents')).toEqual([
        { kind: 'select-classes', classes: [g.order[3]] },
        { kind: 'inspect-class', classIndex: g.order[3] },
      ]);
      // The confusion change steps along its diagonal, the strength chart through the mean and then each class.
      await canvas('cw-confusion-diff').focus();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press(' ');
      expect(await call('takeIntents')).toEqual([
        { kind: 'select-classes', classes: [1] },
        { kind: 'inspect-class', classIndex: 1 },
      ]);
      await canvas('cw-strength-chart').focus();
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      expect(await call('takeIntents')).toEqual([
        { kind: 'select-classes', classes: [9] },
        { kind: 'inspect-class', classIndex: 9 },
      ]);
      await call('setProps', { selectedClasses: [] });
    });

    it('writes its charts\' text at 11 px or more, and titles every exported chart', async () => {
      const titles: Record<string, RegExp> = {
        'cw-delta-chart': /^Accuracy change per class: .+ − .+$/,
        'cw-strength-chart': /^Accuracy against strength: random crop \(wd 0\)$/,
        'cw-confusion-diff': /^Confusion change \(images\): .+ − .+$/,
      };
      for (const [tag, title] of Object.entries(titles)) {
        const svg = (await call('exportChart', tag, 'svg')).text;
        const sizes = [...svg.matchAll(/<text [^>]*font-size="([\d.]+)"/g)].map((m) => Number(m[1]));
        expect(sizes.length, tag).toBeGreaterThan(3);
        expect(Math.min(...sizes), tag).toBeGreaterThanOrEqual(11);
        const first = /<text [^>]*>([^<]*)<\/text>/.exec(svg)![1]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
        expect(first, tag).toMatch(title);
      }
    });

    it('draws accuracy against strength: faint classes, the thick mean, the selected classes in colour', async () => {
      await call('setProps', { selectedClasses: [] });
      const [meanBefore, sel0Before] = await call('countColours', 'cw-strength-chart', [MEAN, SELECTED[0]!], 10);
      expect(meanBefore).toBeGreaterThan(500); // a 3.5 px line across the plot
      expect(sel0Before).toBe(0);
      await call('setProps', { selectedClasses: [3, 6] });
      const [mean, sel0, sel1] = await call('countColours', 'cw-strength-chart', [MEAN, SELECTED[0]!, SELECTED[1]!], 10);
      expect(mean).toBeGreaterThan(300);
      expect(sel0).toBeGreaterThan(300);
      expect(sel1).toBeGreaterThan(300);
      const g = (await call('geometry', 'cw-strength-chart')) as StrengthGeometry;
      expect(g.xs).toHaveLength(5); // no crop and four strengths
      await page.locator('cw-strength-chart').screenshot({ path: `${SHOTS}/views-strength-10.png` });
      // The other axis: weight decay at no crop, two points.
      await page.locator('cw-strength-chart').getByTestId('strength-axis').selectOption({ label: 'weight decay (no crop)' });
      await page.waitForFunction(() => true);
      expect(((await call('geometry', 'cw-strength-chart')) as StrengthGeometry).xs).toHaveLength(2);
      await page.locator('cw-strength-chart').getByTestId('strength-axis').selectOption({ label: 'random crop (wd 0)' });
    });

    it('draws the confusion change on a symmetric diverging scale, row-normalized on demand', async () => {
      const [purple, orange] = await call('countColours', 'cw-confusion-diff', [PURPLE_END, ORANGE_END], 12);
      // Dress loses 200+ correct predictions (clipped to the darkest purple); its main confuser gains most of them.
      expect(purple).toBeGreaterThan(100);
      expect(orange).toBeGreaterThan(100);
      const g = (await call('geometry', 'cw-confusion-diff')) as ConfusionGeometry;
      expect(g.classes).toBe(10);
      const m = (await call('confusionDelta'))!;
      const offDiagonalMax = Math.max(...m.flatMap((row, i) => row.filter((_, j) => j !== i).map(Math.abs)));
      expect(g.scale).toBeCloseTo(offDiagonalMax, 6);
      // Hover a cell: true → predicted and the change.
      const cell = g.side / 10;
      await canvas('cw-confusion-diff').hover({ position: { x: g.left + 4.5 * cell, y: g.top + 3.5 * cell } });
      const tooltip = page.locator('cw-confusion-diff').getByTestId('tooltip');
      await tooltip.waitFor({ state: 'visible', timeout: 5_000 });
      expect(await tooltip.textContent()).toContain(`true Dress → predicted Coat${m[3]![4]! > 0 ? '+' : '−'}`);
      // The largest new confusions, listed: Dress's lost predictions went mostly to one class.
      const off = m.flatMap((row, i) => row.map((v, j) => ({ i, j, v }))).filter((x) => x.i !== x.j && x.v > 0).sort((a, b) => b.v - a.v);
      const top = page.locator('cw-confusion-diff').getByTestId('confusion-top-row');
      expect(await top.count()).toBe(Math.min(8, off.length));
      const names = (await analysis()).dataset.classNames;
      expect(await top.first().textContent()).toMatch(new RegExp(`${names[off[0]!.i]}\\s+${names[off[0]!.j]}\\s+\\+${Math.round(off[0]!.v)} images`));
      await call('takeIntents');
      await top.first().click();
      expect((await call('takeIntents'))[0]).toEqual({ kind: 'select-classes', classes: [off[0]!.i, off[0]!.j] });
      await page.locator('cw-confusion-diff').screenshot({ path: `${SHOTS}/views-confusion-10.png` });
      await byId('confusion-normalize').check();
      const normalized = (await call('geometry', 'cw-confusion-diff')) as ConfusionGeometry;
      expect(normalized.normalized).toBe(true);
      expect(normalized.scale).toBeCloseTo(offDiagonalMax / 1000, 9); // 1,000 test images per class
      // Unequal classes: each row is a share of its own class's test images, so quadrupling the count of the row
      // that holds the largest change moves the scale to the largest share among the rows.
      const row = m.findIndex((r, i) => r.some((v, j) => j !== i && Math.abs(v) === offDiagonalMax));
      const counts = m.map((_, i) => (i === row ? 4000 : 1000));
      await page.locator('cw-confusion-diff').evaluate((el, c) => ((el as unknown as { classTestCounts: number[] }).classTestCounts = c), counts);
      await page.waitForFunction(() => true);
      const shares = m.flatMap((r, i) => r.filter((_, j) => j !== i).map((v) => Math.abs(v) / counts[i]!));
      expect(((await call('geometry', 'cw-confusion-diff')) as ConfusionGeometry).scale).toBeCloseTo(Math.max(...shares), 9);
      await page.locator('cw-confusion-diff').evaluate((el) => ((el as unknown as { classTestCounts: number[] }).classTestCounts = Array(10).fill(1000)));
      await byId('confusion-normalize').uncheck();
    });

    it('shows the inspected class: the images it now gets wrong and its training crops, upscaled crisply', async () => {
      await call('setProps', { inspected: 'loading' });
      expect(await byId('inspector-loading').textContent()).toMatch(/Loading the images of Dress/);
      await call('setProps', { inspected: 'unavailable' });
      expect(await byId('inspector-unavailable').textContent()).toMatch(/kept no predictions/);
      await call('setProps', { inspected: 'ready' });
      expect(await byId('inspector-wrong').getByTestId('inspector-image').count()).toBe(6);
      expect(await byId('inspector-crops').getByTestId('inspector-image').count()).toBe(8);
      expect(await byId('inspector-wrong').locator('figcaption').first().textContent()).toMatch(/^predicted /);
      const images = await page.locator('cw-class-inspector canvas').evaluateAll((els) =>
        els.map((el) => {
          const c = el as HTMLCanvasElement;
          const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
          let bright = 0;
          for (let o = 0; o < data.length; o += 4) if (data[o]! > 150) bright++;
          return { width: c.width, shown: c.getBoundingClientRect().width, rendering: getComputedStyle(c).imageRendering, bright };
        }),
      );
      expect(images).toHaveLength(14);
      for (const image of images) {
        expect(image.bright).toBeGreaterThan(20);
        expect(image.shown).toBeGreaterThan(image.width * 2);
        expect(image.rendering).toBe('pixelated');
      }
      await page.locator('cw-class-inspector').screenshot({ path: `${SHOTS}/views-inspector.png` });
      await page.locator('cw-class-views').screenshot({ path: `${SHOTS}/views-all-10.png` });
    });

    it('switches comparisons through an intent and marks provisional ones', async () => {
      await call('takeIntents');
      await byId('comparison-select').selectOption('crop-0.5');
      expect(await call('takeIntents')).toEqual([{ kind: 'select-comparison', treatmentHash: 'crop-0.5' }]);
      await call('setProps', { selectedComparison: 'crop-0.5' });
      expect(await page.locator('#delta-heading').textContent()).toContain('resized crop s=0.5');
      await call('setProps', { selectedComparison: null });

      await show({ classes: 10, provisional: true });
      expect(await byId('views-provisional').textContent()).toMatch(/Provisional: resized crop s=0.25, wd 0\s+still training/);
      expect(await byId('confusion-pending').textContent()).toMatch(/arrives with the run's final evaluation: runs of this comparison are still training/);
      expect(await byId('comparison-select').locator('option').first().textContent()).toContain('(provisional)');
    });

    it('says that one seed a side compares two models, not the regularizer', async () => {
      await show({ classes: 10, method: 'model-vs-model' });
      expect(await byId('views-method').textContent()).toMatch(/^Model vs model: one model each, seed 0\. With one seed a side, whether the regularizer hurts a class has no answer/);
      expect(await byId('views-method').textContent()).toMatch(/McNemar's exact test/);
      expect(await byId('views-summary').textContent()).toMatch(/the two models differ on \d+ class(es)? \(\d+ lower, \d+ higher; no verdict on the regularizer with one seed\)/);
      expect(await byId('delta-row-plan').first().textContent()).toMatch(/^—10 pp: ≥ \d+ seeds$/);
      await page.setViewportSize({ width: 800, height: 900 });
      await page.locator('cw-class-views').screenshot({ path: `${SHOTS}/views-model-vs-model-800.png` });
      await page.setViewportSize({ width: 1280, height: 900 });
      await show({ classes: 10 });
    });

    it('saves each chart as PNG and SVG', async () => {
      const png = await call('exportChart', 'cw-delta-chart', 'png');
      expect(png.type).toBe('image/png');
      expect(png.head).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const g = await deltaGeometry();
      expect(png.width).toBe(Math.round(g.width * 2));
      const svg = await call('exportChart', 'cw-delta-chart', 'svg');
      expect(svg.type).toBe('image/svg+xml');
      expect(svg.text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.text.match(/<circle /g)).toHaveLength(10);
      expect(svg.text).toContain('>Dress</text>');
      const heat = await call('exportChart', 'cw-confusion-diff', 'svg');
      expect(heat.text).toMatch(/<image [^>]*href="data:image\/png;base64,/);
      // The buttons hand the file to the page through the save-chart intent.
      await call('takeIntents');
      await page.locator('cw-strength-chart').getByTestId('save-png').click();
      // The PNG is encoded, then read for its first bytes, before the intent is recorded: both asynchronous, slower under load.
      const saved: unknown[] = [];
      await until(async () => saved.push(...(await call('takeIntents'))), () => saved.length > 0, 10_000, 'the save-chart intent');
      expect(saved).toEqual([{ kind: 'save-chart', fileName: 'classwise-strength-random-crop-wd-0.png', type: 'image/png', size: expect.any(Number), head: png.head }]);
    });
  });

  describe('1,000 classes', () => {
    beforeAll(async () => {
      await show({ classes: 1000 });
      await call('setProps', { selectedClasses: [], inspected: null });
    });

    it('draws every class compactly, with few DOM nodes', async () => {
      const g = await deltaGeometry();
      expect(g.orientation).toBe('columns');
      expect(g.marks).toHaveLength(1000);
      expect(g.band).toBeLessThan(1.5);
      const c = (await analysis()).comparisons[0]!;
      const colours = await Promise.all(g.marks.slice(0, 20).map((m) => call('pixelAt', 'cw-delta-chart', m.x, m.y)));
      // The most hurt classes come first, and are red.
      expect(colours.filter((rgb) => near(rgb, HURT, 40)).length).toBeGreaterThan(15);
      expect(c.summary.hurt).toBeGreaterThan(20);
      // Tables list k rows, never 1,000: the whole views stay a few hundred elements.
      expect(await call('domSize')).toBeLessThan(400);
      const heat = (await call('geometry', 'cw-confusion-diff')) as ConfusionGeometry;
      expect(heat.classes).toBe(1000);
      // Fewer device pixels than classes: each pixel keeps its block's largest change, so the confusions still show.
      expect(heat.bins).toBeLessThan(1000);
      const [purple = 0, orange = 0] = await call('countColours', 'cw-confusion-diff', [PURPLE_END, ORANGE_END], 40);
      expect(purple + orange).toBeGreaterThan(50);
      expect(await page.locator('cw-confusion-diff').getByTestId('confusion-top-row').count()).toBe(8);
    });

    it('finds a class by name and highlights it', async () => {
      expect((await call('countColours', 'cw-delta-chart', [HIGHLIGHT], 6))[0]).toBe(0);
      await byId('class-search').fill('barn spider');
      const rows = byId('delta-row');
      await page.waitForFunction(() => true);
      expect(await rows.count()).toBe(1);
      expect(await rows.first().getByTestId('delta-row-name').textContent()).toBe('barn spider');
      expect(await byId('delta-table-caption').textContent()).toMatch(/1 class matches “barn spider”/);
      expect((await call('countColours', 'cw-delta-chart', [HIGHLIGHT], 6))[0]).toBeGreaterThan(100);
      await byId('class-search').fill('spider');
      expect(await rows.count()).toBe(25); // one per adjective
      await byId('class-search').fill('');
    });

    it('lists the top k hurt and helped', async () => {
      const c = (await analysis()).comparisons[0]!;
      const byDelta = [...c.classes].sort((a, b) => a.delta.estimate - b.delta.estimate);
      const names = () => byId('delta-row-name').allTextContents();
      await byId('top-k').fill('7');
      await byId('top-hurt').click();
      expect(await names()).toEqual(byDelta.slice(0, 7).map((d) => d.className));
      await byId('top-helped').click();
      expect(await names()).toEqual(byDelta.slice(-7).reverse().map((d) => d.className));
      await byId('top-k').fill('25');
      expect(await byId('delta-row').count()).toBe(25);
      await byId('top-k').fill('10');
      await byId('top-hurt').click();
    });

    it('takes 20 live updates, each rendered and drawn within the bound', async () => {
      await call('setProps', { selectedClasses: [0, 500], inspected: 'ready', inspectedClass: 0 });
      await page.locator('cw-delta-chart').screenshot({ path: `${SHOTS}/views-delta-1000.png` });
      await page.locator('cw-strength-chart').screenshot({ path: `${SHOTS}/views-strength-1000.png` });
      await page.locator('cw-confusion-diff').screenshot({ path: `${SHOTS}/views-confusion-1000.png` });
      const before = await page.locator('cw-delta-chart').evaluate((el) => (el as unknown as { drawCount: number }).drawCount);
      const timings = (await call('timeUpdates', 1000, 20)) as UpdateTiming[];
      const after = await page.locator('cw-delta-chart').evaluate((el) => (el as unknown as { drawCount: number }).drawCount);
      expect(after - before).toBe(20); // one draw per update: no redundant redraws
      const updates = timings.map((t) => t.update);
      const frames = timings.map((t) => t.frame);
      const draw = (tag: string) => median(timings.map((t) => t.draws[tag]!)).toFixed(1);
      console.log(
        `1,000 classes, 20 updates: render+draw median ${median(updates).toFixed(1)} ms, max ${Math.max(...updates).toFixed(1)} ms; ` +
          `to the next frame median ${median(frames).toFixed(1)} ms, max ${Math.max(...frames).toFixed(1)} ms; ` +
          `canvas draw medians: delta ${draw('cw-delta-chart')} ms, strength ${draw('cw-strength-chart')} ms, confusion ${draw('cw-confusion-diff')} ms`,
      );
      expect([...updates].sort((a, b) => a - b)[18]).toBeLessThan(UPDATE_BOUND_MS);
      expect(median(updates)).toBeLessThan(MEDIAN_BOUND_MS);
      await page.locator('cw-class-views').screenshot({ path: `${SHOTS}/views-all-1000.png` });
    });

    it('exports the 1,000-class heatmap as a valid PNG', async () => {
      const png = await call('exportChart', 'cw-confusion-diff', 'png');
      expect(png.head).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.width).toBeGreaterThan(500);
      expect(png.size).toBeGreaterThan(10_000);
    });
  });
});
