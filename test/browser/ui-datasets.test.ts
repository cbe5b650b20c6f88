/**
 * The workbench's Datasets panel, through its UI only: the storage line, a
 * CIFAR-10 archive imported from a picked file (listed with its size, its
 * summary shown, used in a study), an image folder picked as a directory, a
 * broken archive refused naming the file while the others stay listed, and
 * deletes down to an empty list.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from '../../src/cli/browser';
import { makeCifar10 } from '../unit/formats-fixtures';
import { until } from './session';

/** Decimal byte sizes as the panel writes them (src/util/units.ts): "12.3 MB", "1.96 MB", "512 B". */
const BYTES = String.raw`\d+(\.\d+)? (B|kB|MB|GB|TB|PB)`;

function png(size: number, colour: [number, number, number]): Buffer {
  const image = new PNG({ width: size, height: size });
  for (let i = 0; i < size * size; i++) image.data.set([...colour, 255], i * 4);
  return PNG.sync.write(image);
}

describe('the Datasets panel', () => {
  let chromium: HeadlessChromium;
  let page: Page;
  let folderRoot: string;
  const errors: string[] = [];
  const byId = (id: string) => page.getByTestId(id);
  const rows = () => byId('dataset-list').getByTestId('dataset-row');

  beforeAll(async () => {
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(inject('baseUrl'));
    // A folder of two classes, 3 flat-colour 12 px PNGs each (and a hidden file the import ignores).
    folderRoot = await mkdtemp(join(tmpdir(), 'classwise-folder-'));
    for (const [name, colour] of [['cat', [200, 40, 40]], ['dog', [40, 40, 200]]] as const) {
      await mkdir(join(folderRoot, 'tiny-pets', name), { recursive: true });
      for (let i = 0; i < 3; i++) await writeFile(join(folderRoot, 'tiny-pets', name, `${i}.png`), png(12, [colour[0], colour[1] + i * 10, colour[2]]));
    }
    await writeFile(join(folderRoot, 'tiny-pets', '.DS_Store'), 'x');
  });
  afterAll(async () => {
    await chromium?.close();
    if (folderRoot) await rm(folderRoot, { recursive: true, force: true });
    expect(errors).toEqual([]);
  });

  it('shows how much is stored, of how much, and whether it is persistent', async () => {
    await byId('tab-datasets').click();
    const usage = byId('storage-usage');
    await usage.filter({ hasText: new RegExp(`^${BYTES} of ${BYTES}$`) }).waitFor({ timeout: 30_000 });
    expect(await byId('storage-persistence').textContent()).toMatch(/persistent/i);
    await byId('datasets-empty').waitFor({ timeout: 30_000 });
  });

  it('imports a CIFAR-10 archive from a picked file, lists it and summarises it', async () => {
    const { bytes } = makeCifar10({ perBatch: 4, testCount: 10 });
    await byId('archive-file').setInputFiles({ name: 'tiny-cifar-10.tar.gz', mimeType: 'application/gzip', buffer: Buffer.from(bytes) });
    await byId('import-archive-file').click();

    const summary = byId('import-summary');
    await summary.waitFor({ timeout: 30_000 });
    expect(await byId('summary-classes').textContent()).toBe('10');
    expect(await byId('summary-train').textContent()).toBe('20');
    expect(await byId('summary-test').textContent()).toBe('10');
    expect(await byId('summary-shape').textContent()).toBe('32 × 32 × 3');
    expect(await summary.textContent()).toMatch(/airplane, automobile, bird/);
    expect(await byId('batch-warning').count()).toBe(0);

    await rows().first().waitFor({ timeout: 10_000 });
    expect(await rows().count()).toBe(1);
    const row = rows().first();
    expect(await row.getByTestId('dataset-size').textContent()).toMatch(new RegExp(`^${BYTES}$`));
    expect(await row.getByTestId('dataset-state').textContent()).toBe('complete');
    expect(await row.getByTestId('dataset-added').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(await row.getAttribute('data-id')).toMatch(/^import:/);
    // The first import asks for persistent storage once, by itself, and says what the browser answered.
    await byId('persist-result').filter({ hasText: /after the first import or download, to keep the data: (granted|not granted)/ }).waitFor({ timeout: 10_000 });
  });

  it('uses the imported dataset in the selected study', async () => {
    const studyName = () => byId('field-name').inputValue();
    await byId('tab-design').click();
    expect(await studyName()).toBe('smoke');
    const plannedBefore = await byId('planned-runs').locator('li').allTextContents();
    await byId('tab-datasets').click();
    // Using a dataset shows the design it changed.
    await byId('use-dataset-button').click();
    expect(await byId('tab-design').getAttribute('aria-selected')).toBe('true');
    await until(async () => (await studyName()).startsWith('smoke · '), Boolean, 5_000, 'the study renamed for the dataset');
    expect(await studyName()).toMatch(/^smoke · \S+/);
    expect(await byId('study-error').count()).toBe(0);
    // Same grid of runs, now planned on the imported data.
    expect(await byId('planned-runs').locator('li').allTextContents()).toEqual(plannedBefore);
    await byId('tab-datasets').click();
    expect(await byId('use-dataset-note').textContent()).toMatch(/trains on it/);
    expect(await rows().first().getByTestId('dataset-in-use').count()).toBe(1);
    expect(await byId('use-dataset-button').isDisabled()).toBe(true);
  });

  it('imports an image folder picked as a directory', async () => {
    await byId('folder-input').setInputFiles(join(folderRoot, 'tiny-pets'));
    expect(await byId('folder-pending').textContent()).toMatch(/tiny-pets.*7 files/s);
    await byId('folder-size').fill('8');
    await byId('folder-test-fraction').fill('0.34');
    await byId('import-folder').click();
    await byId('import-summary').filter({ hasText: 'Imported tiny-pets' }).waitFor({ timeout: 30_000 });
    expect(await byId('summary-classes').textContent()).toBe('2');
    expect(await byId('summary-shape').textContent()).toBe('8 × 8 × 3');
    expect(Number(await byId('summary-train').textContent()) + Number(await byId('summary-test').textContent())).toBe(6);
    await until(async () => (await rows().count()) === 2, Boolean, 10_000, 'two datasets listed');
  });

  it('refuses a broken archive, naming the file, and keeps the datasets listed', async () => {
    const { bytes } = makeCifar10({ perBatch: 4, testCount: 10, omit: 'test_batch.bin' });
    await byId('archive-file').setInputFiles({ name: 'broken-cifar.tar.gz', mimeType: 'application/gzip', buffer: Buffer.from(bytes) });
    await byId('import-archive-file').click();
    const error = byId('import-error');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.textContent()).toMatch(/broken-cifar\.tar\.gz/);
    expect(await rows().count()).toBe(2);
    expect(await byId('import-progress').count()).toBe(0);

    await mkdir('test-results', { recursive: true });
    await page.locator('cw-dataset-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'test-results/datasets.png', fullPage: true });
  });

  it('deletes the datasets until the list is empty', async () => {
    while ((await rows().count()) > 0) {
      const before = await rows().count();
      await rows().first().getByTestId('delete-dataset').click();
      await until(async () => (await byId('dataset-list').count()) === 0 || (await rows().count()) < before, Boolean, 10_000, 'a row to go');
    }
    await byId('datasets-empty').waitFor({ timeout: 10_000 });
    // The study that trained on the deleted CIFAR set is back to the plain preset.
    await byId('tab-design').click();
    expect(await byId('field-name').inputValue()).toBe('smoke');
    await page.screenshot({ path: 'test-results/datasets-empty.png', fullPage: true });
  });
});
