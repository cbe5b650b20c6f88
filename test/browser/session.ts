/** Opens a test harness page in a fresh headless Chromium. */
import { inject } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type ChromiumOptions, type HeadlessChromium } from '../../src/cli/browser';

export interface HarnessSession {
  page: Page;
  chromium: HeadlessChromium;
  close(): Promise<void>;
}

export interface HarnessOptions extends ChromiumOptions {
  /** The test page, relative to the server root. */
  page?: string;
  /** The window property the page sets once it is ready. */
  ready?: string;
}

export async function openHarness({ page: path = 'test/browser/harness.html', ready = 'harness', ...options }: HarnessOptions = {}): Promise<HarnessSession> {
  const chromium = await launchChromium(options);
  const page = await chromium.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(new URL(path, inject('baseUrl')).href);
  await waitForHarness(page, ready);
  return {
    page,
    chromium,
    close: async () => {
      await chromium.close();
      if (errors.length) throw new Error(`uncaught errors in the page:\n${errors.join('\n')}`);
    },
  };
}

/** Waits until the page has set `window[ready]` (after a load or a reload). */
export async function waitForHarness(page: Page, ready = 'harness'): Promise<void> {
  await page.waitForFunction((name) => typeof (window as unknown as Record<string, unknown>)[name] === 'object', ready, { timeout: 60_000 });
}

/** Polls `read` until `done` holds for its value; returns that value, or fails saying what it waited for and what it last saw. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last value: ${JSON.stringify(last)})`);
}
