/**
 * Volunteers end to end: a real coordinator on loopback with a fresh
 * database, the app served with /api forwarded to it (one origin, as under
 * `npm start`), and two headless Chromiums contributing through the
 * workbench's Contribute tab until the study is decided, each from a network
 * of its own (a distinct 127.x prefix, as the coordinator requires of two
 * replicas of one unit); then the pooled aggregate, from the coordinator and
 * on the study's public page.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { buildServer } from '../../src/coordinator/server';
import { launchChromium, serverUrl, startServer, type HeadlessChromium } from '../../src/cli/browser';
import { datasetIdentity } from '../../src/data/dataset';
import { generateSynthetic } from '../../src/data/synthetic';
import { analyzeRuns } from '../../src/study/analysis';
import { parseRunConfig, type SyntheticDatasetConfig } from '../../src/study/config';
import { PRESETS } from '../../src/study/presets';
import { parseResultsFile } from '../../src/study/results';
import { parseStudySpec } from '../../src/study/study';
import { until } from './session';

const ADMIN_TOKEN = 'organiser-token-for-the-volunteer-test';
/** The smoke study (baseline and one crop, seed 0): two units, each trained by both volunteers (quorum 2). */
const SPEC = parseStudySpec({ ...structuredClone(PRESETS.smoke), name: 'shared-smoke' });


describe('volunteers contributing to a shared study', () => {
  let dir: string;
  let coordinator: FastifyInstance;
  let api: string;
  let vite: ViteDevServer;
  let app: string;
  let studyId: string;
  const browsers: HeadlessChromium[] = [];
  const sites: { close(): Promise<void> }[] = [];

  /**
   * The app and its /api as one site on a port of its own, whose API requests
   * leave from `address`: a Chromium cannot choose its source address, so its
   * requests to the coordinator are relayed from that address, as a
   * volunteer's home router would send them.
   */
  async function siteFrom(address: string): Promise<string> {
    const coordinatorUrl = new URL(api);
    const appUrl = new URL(app);
    const agent = new Agent({ keepAlive: true });
    const server = createServer((incoming, outgoing) => {
      const toApi = incoming.url!.startsWith('/api/');
      const target = toApi ? coordinatorUrl : appUrl;
      const upstream = request(
        { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: target.host }, agent, ...(toApi && { localAddress: address }) },
        (answer) => {
          outgoing.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(outgoing);
        },
      );
      upstream.on('error', () => outgoing.destroy());
      // An event stream ends when the page leaves: end its relay too.
      outgoing.on('close', () => upstream.destroy());
      incoming.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sites.push({ close: () => new Promise<void>((resolve) => { agent.destroy(); server.closeAllConnections(); server.close(() => resolve()); }) });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'classwise-coordinator-'));
    coordinator = await buildServer({ dbPath: join(dir, 'coordinator.sqlite'), adminToken: ADMIN_TOKEN, logger: false });
    const origin = await coordinator.listen({ host: '127.0.0.1', port: 0 });
    api = `${origin}/api/v1`;
    vite = await startServer(process.cwd(), { coordinator: origin });
    app = serverUrl(vite);

    // The organiser publishes the study over the dataset the engine will generate (its identity computed the same way).
    studyId = await publish(SPEC);
  });

  afterAll(async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await Promise.all(sites.map((site) => site.close()));
    await vite?.close();
    await coordinator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function publish(spec: typeof SPEC): Promise<string> {
    const dataset = generateSynthetic(parseRunConfig(spec.baseline).dataset as SyntheticDatasetConfig);
    const identity = await datasetIdentity(dataset);
    const published = await fetch(`${api}/studies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({
        spec,
        dataset: { manifestUrl: 'generated:smoke', contentHash: identity.contentHash, testCount: identity.testCount, classNames: identity.classNames, testLabels: [...dataset.test.labels] },
        quorum: 2,
      }),
    });
    expect(published.status).toBe(201);
    return ((await published.json()) as { id: string }).id;
  }

  async function volunteer(name: string, units: number | null, address: string): Promise<{ page: Page; errors: string[] }> {
    const chromium = await launchChromium();
    browsers.push(chromium);
    const page = await chromium.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${await siteFrom(address)}#contribute`);
    await page.getByTestId('backend-status').filter({ hasText: 'WebGPU —' }).waitFor({ timeout: 60_000 });
    await until(() => page.getByTestId('shared-study').locator('option').allTextContents(), (o) => o.length === 1, 10_000, 'the shared study listed');
    expect((await page.getByTestId('shared-study').locator('option').textContent())?.trim()).toMatch(/^shared-smoke \(0\/2 units done\)$/);
    await page.getByTestId('display-name').fill(name);
    if (units !== null) await page.getByTestId('budget-units').fill(String(units));
    await page.getByTestId('contribute-start').click();
    return { page, errors };
  }

  it('trains, uploads and validates every unit with two volunteers, and pools the result', async () => {
    // One volunteer offers exactly two units; the other gives until the study needs nothing more.
    const alice = await volunteer('alice', 2, '127.140.0.1');
    const bob = await volunteer('bob', null, '127.141.0.1');

    // Each sees what runs on their GPU.
    await until(() => alice.page.getByTestId('contribute-unit').allTextContents(), (t) => t.length === 1, 60_000, 'alice training a unit');
    expect(await alice.page.getByTestId('contribute-unit').textContent()).toMatch(/no crop, wd 0, seed 0|resized crop s=0\.5, wd 0, seed 0/);
    await mkdir('test-results/screenshots', { recursive: true });
    await alice.page.screenshot({ path: 'test-results/screenshots/contribute.png', fullPage: true });

    const finished = (page: Page) => page.getByTestId('contribute-phase').textContent();
    await until(finished.bind(null, alice.page), (t) => t === 'finished', 240_000, 'alice to finish');
    expect(await alice.page.getByTestId('contribute-message').textContent()).toMatch(/the 2 units you offered are uploaded/);
    await until(finished.bind(null, bob.page), (t) => t === 'finished', 240_000, 'bob to finish');
    expect(await bob.page.getByTestId('contribute-message').textContent()).toMatch(/every unit of this study has its results/);
    for (const v of [alice, bob]) {
      expect(await v.page.getByTestId('contributed-unit').count()).toBe(2);
      expect(v.errors).toEqual([]);
    }
    // The study list followed the uploads: the last to finish sees the study complete.
    expect((await bob.page.getByTestId('shared-study').locator('option').textContent())?.trim()).toBe('shared-smoke (2/2 units done, complete)');

    const study = (await (await fetch(`${api}/studies/${studyId}`)).json()) as {
      progress: { byState: Record<string, number>; results: Record<string, number> };
      contributors: { displayName: string | null; results: Record<string, number> }[];
      units: { validReplicas: string[] }[];
    };
    // Each unit validated by both: two credentials from two networks.
    expect(study.units.map((u) => u.validReplicas.length)).toEqual([2, 2]);
    expect(study.progress.byState['done']).toBe(2);
    expect(study.progress.results['valid']).toBe(4);
    expect(study.contributors.map((c) => [c.displayName, c.results['valid']]).sort()).toEqual([
      ['alice', 2],
      ['bob', 2],
    ]);

    // The aggregate: one validated result per unit, pooled into the comparison the workbench would draw.
    const results = await parseResultsFile(await (await fetch(`${api}/studies/${studyId}/results`)).json());
    expect(results.runs).toHaveLength(2);
    const analysis = analyzeRuns(results.runs, results.study.baseline);
    expect(analysis.comparisons).toHaveLength(1);
    expect(analysis.comparisons[0]!.classes).toHaveLength(4);

    // And on the study's public page.
    const page = alice.page;
    await page.goto(`${app}study.html?id=${encodeURIComponent(studyId)}`);
    await page.getByTestId('views-summary').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('delta-row').count()).toBe(4);
    await page.screenshot({ path: 'test-results/screenshots/shared-study.png', fullPage: true });
  });

  it('pauses, comes back to the same unit and its checkpoint after a reload, and stops, giving the unit back', async () => {
    const otherId = await publish(parseStudySpec({ ...structuredClone(PRESETS.smoke), name: 'shared-stop', seeds: [7] }));
    const chromium = await launchChromium();
    browsers.push(chromium);
    const page = await chromium.context.newPage();
    const byId = (id: string) => page.getByTestId(id);
    const progress = () => byId('contribute-progress').evaluate((el) => (el as HTMLProgressElement).value);
    const open = async () => {
      await byId('backend-status').filter({ hasText: 'WebGPU —' }).waitFor({ timeout: 60_000 });
      await until(() => byId('shared-study').locator('option').count(), (n) => n === 2, 10_000, 'both studies listed');
      // The complete study is listed, but the one that still needs work is the one offered.
      expect(await byId('shared-study').inputValue()).toBe(otherId);
      await byId('contribute-start').click();
    };
    await page.goto(`${await siteFrom('127.142.0.1')}#contribute`);
    await open();
    await until(progress, (v) => v > 0, 60_000, 'training to start');
    const unit = await byId('contribute-unit').textContent();

    await byId('contribute-pause').click();
    // 'pausing…' until the worker reaches a step boundary and says it holds.
    expect(await byId('contribute-phase').textContent()).toMatch(/^(pausing…|paused)$/);
    await until(() => byId('contribute-phase').textContent(), (t) => t === 'paused', 30_000, 'the worker to hold');
    const held = await progress();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await progress()).toBeLessThanOrEqual(held + 1);
    await byId('contribute-resume').click();
    // Past step 4, the end of epoch 1, where the first checkpoint is saved.
    await until(progress, (v) => v >= 6, 60_000, 'six steps');

    await page.reload();
    await open();
    await until(() => byId('contribute-resumed').allTextContents(), (t) => t.length === 1, 60_000, 'the unit resumed from its checkpoint');
    expect(await byId('contribute-resumed').textContent()).toMatch(/after step (4|8)\./);
    expect(await byId('contribute-unit').textContent()).toBe(unit);

    await byId('contribute-stop').click();
    await until(() => byId('contribute-phase').textContent(), (t) => t === 'stopped', 30_000, 'stopped');
    const study = (await (await fetch(`${api}/studies/${otherId}`)).json()) as { progress: { activeLeases: number; byState: Record<string, number> } };
    expect(study.progress.activeLeases).toBe(0);
    expect(study.progress.byState['open']).toBe(2);

    // Start says why it is not offered: for a study with nothing left to do, and while a study of one's own trains.
    await byId('shared-study').selectOption(studyId);
    expect(await byId('contribute-start').isDisabled()).toBe(true);
    expect(await byId('contribute-blocked').innerText()).toBe('Start is not offered now: every unit of this study is decided: pick another.');
    await byId('shared-study').selectOption(otherId);
    expect(await byId('contribute-start').isDisabled()).toBe(false);
    await byId('mode-workbench').click();
    await byId('run-button').click();
    await byId('mode-contribute').click();
    await until(() => byId('contribute-blocked').allTextContents(), (t) => /a study of yours is training on this GPU/.test(t.join()), 30_000, 'the reason Start is off');
    expect(await byId('contribute-start').isDisabled()).toBe(true);
    await byId('mode-workbench').click();
    await byId('cancel-button').click();
  });
});
