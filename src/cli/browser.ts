/**
 * Node side of every headless run: serve the app with Vite on loopback and
 * drive Debian's Chromium (WebGPU on SwiftShader where there is no GPU).
 * The study CLI and the browser tests share it, so tests exercise the same
 * launch path users run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

export const CHROMIUM_PATH = process.env.CLASSWISE_CHROMIUM ?? '/usr/bin/chromium';

export interface ChromiumOptions {
  /** Use the machine's real adapter (benchmarks on a GPU box) instead of SwiftShader. */
  hardwareGpu?: boolean;
  /** false: start without WebGPU, as a browser that lacks it (to test the fallback). */
  webgpu?: boolean;
}

/** Chromium's flags; playwright adds --headless and the fresh --user-data-dir. */
export function chromiumArgs({ hardwareGpu = false, webgpu = true }: ChromiumOptions = {}): string[] {
  const gpu = hardwareGpu
    ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--ignore-gpu-blocklist']
    : ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader', '--disable-vulkan-fallback-to-gl-for-testing'];
  return [
    '--no-sandbox',
    ...(webgpu ? gpu : ['--disable-features=WebGPU,Vulkan']),
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ];
}

export interface HeadlessChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

export interface ServerOptions {
  port?: number;
  /** A coordinator to forward /api to, so the app talks to it on its own origin as it does under `npm start`. */
  coordinator?: string;
}

export async function startServer(root: string, { port = 0, coordinator }: ServerOptions = {}): Promise<ViteDevServer> {
  const server = await createServer({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'warn',
    // Headless runs and tests want a fixed app: no reloads when a file changes under them.
    server: {
      host: '127.0.0.1',
      port,
      strictPort: false,
      hmr: false,
      watch: null,
      ...(coordinator ? { proxy: { '/api': { target: coordinator, changeOrigin: false } } } : {}),
    },
  });
  await server.listen();
  return server;
}

export function serverUrl(server: ViteDevServer): string {
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the Vite server did not report a URL');
  return url;
}

/**
 * A fresh Chromium with its own temporary profile (so IndexedDB starts empty).
 * Playwright insists on passing --user-data-dir itself, hence the persistent
 * context rather than a plain launch.
 */
export async function launchChromium(options: ChromiumOptions = {}): Promise<HeadlessChromium> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'classwise-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs(options) });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw new Error(`could not start Chromium at ${CHROMIUM_PATH} (install it with: apt-get install -y chromium)\n${String(error)}`);
  }
  return {
    context,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The app served with Vite on loopback, a fresh headless Chromium, and `path`
 * open in it for `work`; everything closed after. Uncaught page errors are
 * printed as they come, and `work` sees them all so far. The browser routes
 * of every command that drives a page (study, contribute, reference, the
 * benches).
 */
export async function withHeadlessPage<T>(
  root: string,
  path: string,
  options: ChromiumOptions & ServerOptions,
  work: (page: Page, pageErrors: readonly string[]) => Promise<T>,
): Promise<T> {
  const server = await startServer(root, options);
  const browser = await launchChromium(options).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  try {
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => {
      pageErrors.push(error.message);
      console.error(`page error: ${error.message}`);
    });
    await page.goto(new URL(path, serverUrl(server)).href);
    return await work(page, pageErrors);
  } finally {
    await browser.close();
    await server.close();
  }
}
