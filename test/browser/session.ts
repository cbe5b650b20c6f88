/** Opens the test harness page in a fresh headless Chromium. */
import { inject } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from '../../src/cli/browser';

export interface HarnessSession {
  page: Page;
  chromium: HeadlessChromium;
  close(): Promise<void>;
}

export async function openHarness(options: { webgpu?: boolean } = {}): Promise<HarnessSession> {
  const chromium = await launchChromium(options);
  const page = await chromium.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(new URL('test/browser/harness.html', inject('baseUrl')).href);
  await page.waitForFunction(() => typeof window.harness === 'object', undefined, { timeout: 60_000 });
  return {
    page,
    chromium,
    close: async () => {
      await chromium.close();
      if (errors.length) throw new Error(`uncaught errors in the page:\n${errors.join('\n')}`);
    },
  };
}
