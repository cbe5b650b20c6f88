/**
 * The public study page (study.html) against a real coordinator on
 * 127.0.0.1 with a fresh SQLite database, through Vite's /api proxy as under
 * `npm run dev`: volunteers simulated from Node, each from its own 127.x
 * network, lease units and upload agreeing replicas; the page shows the
 * spec, progress, contributors and the per-class views pooled over the
 * validated results, follows new uploads live without a reload (server-sent
 * events), exports the results and the CSV with the numbers the analysis
 * gives, follows a revocation live (the revoked volunteer's results leave
 * the pooled views), says when nothing is validated yet, explains an unknown
 * study id, lists the studies, and says so when the coordinator goes away.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinatorClient, type Lease } from '../../src/app/coordinator-client';
import { launchChromium, serverUrl, startServer, type HeadlessChromium } from '../../src/cli/browser';
import { loopbackFetch } from '../../src/coordinator/load/http';
import { buildServer } from '../../src/coordinator/server';
import { analyzeRuns } from '../../src/study/analysis';
import { perClassCsv } from '../../src/study/analysis-report';
import { parseResultsFile } from '../../src/study/results';
import { ADMIN_TOKEN, CLASS_NAMES, DATASET, runResult, SPEC } from '../unit/coordinator-fixtures';
import { until } from './session';

/**
 * Correct answers per class (of 20) for each unit, by its label. The crop
 * hurts "bird" by 6–7 images on both seeds; with one seed a side the views
 * compare the two models (McNemar), with two they switch to the moderated
 * t paired by seed.
 */
const CORRECT: Record<string, number[]> = {
  'no crop, wd 0, seed 0': [18, 15, 19],
  'resized crop s=0.5, wd 0, seed 0': [17, 8, 19],
  'no crop, wd 0, seed 1': [17, 16, 19],
  'resized crop s=0.5, wd 0, seed 1': [15, 10, 18],
};

/** A simulated volunteer: a client bound to its own network, and the credential the coordinator issued to it. */
interface Sim {
  client: CoordinatorClient;
  credential: string;
  contributor: string;
}
let ALICE: Sim;
let BOB: Sim;
let CAROL: Sim;

let dir: string;
let coordinator: FastifyInstance;
let coordinatorClosed = false;
let vite: ViteDevServer;
let chromium: HeadlessChromium;
let page: Page;
let base: string;
let api: CoordinatorClient;
let coordinatorOrigin: string;
let studyId: string;
let emptyStudyId: string;
const pageErrors: string[] = [];

/** A volunteer's replica of a leased unit, uploaded as their browser would; `minute` keeps replicas' start times apart (copies never agree). */
async function upload(lease: Lease, who: Sim, minute: number): Promise<void> {
  const correct = CORRECT[lease.unit.label];
  if (!correct) throw new Error(`no counts for unit ${lease.unit.label}`);
  const result = await runResult(lease.unit, correct, `2026-11-24T12:${String(minute).padStart(2, '0')}:00.000Z`);
  await who.client.upload(lease.lease.id, who.credential, result);
}

async function lease(who: Sim, displayName?: string, study = studyId): Promise<Lease> {
  const answer = await who.client.lease(study, who.credential, displayName);
  if (!answer.lease) throw new Error(`no lease: ${answer.reason}`);
  return answer as Lease;
}

/** Leases until `who` holds the unit labelled `label` (units come at random), giving back the others. */
async function leaseUnit(who: Sim, label: string, study = studyId): Promise<Lease> {
  for (let i = 0; i < 30; i++) {
    const leased = await lease(who, undefined, study);
    if (leased.unit.label === label) return leased;
    await who.client.release(leased.lease.id, who.credential);
  }
  throw new Error(`never leased ${label}`);
}


/** A CSV's rows of cells (quoted cells may hold commas and doubled quotes). */
function csvCells(csv: string): string[][] {
  return csv
    .trim()
    .split('\n')
    .map((line) => {
      const cells: string[] = [];
      let cell = '';
      let quoted = false;
      for (const ch of line) {
        if (ch === '"') quoted = !quoted;
        if (ch === ',' && !quoted) {
          cells.push(cell);
          cell = '';
        } else cell += ch;
      }
      cells.push(cell);
      return cells;
    });
}

const text = (testId: string) => page.getByTestId(testId).first().innerText();
const unitCount = (state: string) => page.getByTestId('unit-states').locator(`li[data-state="${state}"] b`).innerText();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'classwise-public-study-'));
  coordinator = await buildServer({ dbPath: join(dir, 'coordinator.sqlite'), adminToken: ADMIN_TOKEN });
  const coordinatorUrl = await coordinator.listen({ host: '127.0.0.1', port: 0 });
  coordinatorOrigin = coordinatorUrl;
  api = new CoordinatorClient(coordinatorUrl);
  const volunteerOn = async (address: string, displayName?: string): Promise<Sim> => {
    const client = new CoordinatorClient(coordinatorUrl, loopbackFetch(address));
    const { credential, contributor } = await client.register(displayName);
    return { client, credential, contributor };
  };
  [ALICE, BOB, CAROL] = [await volunteerOn('127.130.0.1', 'Alice'), await volunteerOn('127.131.0.1'), await volunteerOn('127.132.0.1', 'Carol')];

  const publish = async (spec: object): Promise<string> => {
    const published = await fetch(`${coordinatorUrl}/api/v1/studies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ spec, dataset: DATASET }),
    });
    expect(published.status).toBe(201);
    return ((await published.json()) as { id: string }).id;
  };
  // The fixtures' study (baseline and one crop on 3 synthetic classes) with two seeds: four units.
  studyId = await publish({ ...SPEC, name: 'public-page-test', description: 'Does a random-resized crop hurt some classes?', seeds: [0, 1] });

  // A second study with one replica uploaded: below the quorum, so nothing is validated yet.
  emptyStudyId = await publish({ ...SPEC, name: 'nothing-validated-yet' });
  const c0 = await leaseUnit(CAROL, 'no crop, wd 0, seed 0', emptyStudyId);
  await CAROL.client.upload(c0.lease.id, CAROL.credential, await runResult(c0.unit, CORRECT['no crop, wd 0, seed 0']!));

  // Seed 0: Alice and Bob each run both units, and agree.
  const a0 = await leaseUnit(ALICE, 'no crop, wd 0, seed 0');
  const a1 = await leaseUnit(ALICE, 'resized crop s=0.5, wd 0, seed 0');
  const b0 = await leaseUnit(BOB, 'no crop, wd 0, seed 0');
  const b1 = await leaseUnit(BOB, 'resized crop s=0.5, wd 0, seed 0');
  await upload(a0, ALICE, 1);
  await upload(a1, ALICE, 2);
  await upload(b0, BOB, 3);
  await upload(b1, BOB, 4);

  vite = await startServer(process.cwd(), { coordinator: coordinatorUrl });
  base = serverUrl(vite);
  chromium = await launchChromium({ webgpu: false });
  page = await chromium.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await chromium?.close();
  await vite?.close();
  if (!coordinatorClosed) await coordinator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  expect(pageErrors).toEqual([]);
});

describe('the public study page', () => {
  it('shows the spec, progress and contributors of a study with validated results', async () => {
    await page.goto(new URL(`study.html?id=${studyId}`, base).href);
    await page.getByTestId('units-decided').waitFor({ timeout: 20_000 });
    expect(await text('study-name')).toBe('public-page-test');
    expect(await text('spec-description')).toBe('Does a random-resized crop hurt some classes?');
    expect(await text('spec-dataset')).toContain(`3 classes (${CLASS_NAMES.join(', ')}), 60 test images`);
    expect(await text('spec-model')).toBe('resnet20, width 0.25');
    expect(await text('spec-sweep')).toContain('crop: resized crop s=0.5');
    expect(await text('spec-seeds')).toBe('0, 1');
    expect(await text('spec-quorum')).toContain('2 agreeing replicas');

    expect(await text('units-decided')).toBe('2 of 4 units decided');
    expect(await unitCount('done')).toBe('2');
    expect(await unitCount('open')).toBe('2');
    expect(await unitCount('held')).toBe('0');
    expect(await text('active-leases')).toMatch(/^Active leases: 0/);
    expect(await text('result-states')).toMatch(/^Results: 4 valid, 0 pending, 0 held, 0 invalid/);

    const rows = page.getByTestId('contributor-row');
    expect(await rows.count()).toBe(2);
    const alice = rows.filter({ hasText: ALICE.contributor });
    expect(await alice.getByTestId('contributor-name').innerText()).toBe('Alice');
    expect(await alice.locator('td[data-state="valid"]').innerText()).toBe('2');
    const bob = rows.filter({ hasText: BOB.contributor });
    expect(await bob.getByTestId('contributor-name').innerText()).toBe('anonymous');
    expect(await bob.locator('td[data-state="valid"]').innerText()).toBe('2');
    // Credentials are bearer secrets: the page must never show one.
    expect(await page.locator('body').innerText()).not.toContain(ALICE.credential.split('.')[1]!);
  });

  it('pools the validated results into the per-class views', async () => {
    expect(await text('pooled-summary')).toMatch(/^Pooled over 2 validated runs: 2 configs, seed 0\./);
    const deltaRows = page.getByTestId('delta-row');
    await deltaRows.first().waitFor({ timeout: 10_000 });
    expect(await deltaRows.count()).toBe(CLASS_NAMES.length);
    // Bird: 15 → 8 of 20 under the crop.
    expect(await deltaRows.filter({ hasText: 'bird' }).innerText()).toContain('−35.0 pp');
    expect(await text('views-summary')).toMatch(/^Mean accuracy 86\.7% → 73\.3%, −13\.3 pp/);
    expect(await text('views-method')).toMatch(/^Model vs model: one model each, seed 0\./);

    // The inspector needs the dataset and the engine worker, which this page does not load: it says so.
    await deltaRows.filter({ hasText: 'bird' }).getByTestId('delta-row-name').click();
    expect(await text('inspector-unavailable')).toContain('the public page has no dataset loaded');
    expect(await deltaRows.filter({ hasText: 'bird' }).getAttribute('class')).toContain('selected');
  });

  it('follows new leases and uploads live, without a reload', async () => {
    // A reload would drop this marker.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    // The stream opens only after the first read that the earlier tests waited for, and says 'live' with its first event.
    await until(() => page.getByTestId('live-status').getAttribute('data-live'), (s) => s === 'live', 10_000, 'the live stream');
    const firstUpdate = Number(await page.getByTestId('updated-at').getAttribute('data-updated'));

    const a2 = await lease(ALICE);
    let t0 = Date.now();
    await until(() => text('active-leases'), (s) => s.startsWith('Active leases: 1'), 5_000, 'the lease to show');
    const leaseShownMs = Date.now() - t0;

    // Seed 1's two units, each leased by both (Bob's in the order of Alice's).
    const a3 = await lease(ALICE);
    const b2 = await leaseUnit(BOB, a2.unit.label);
    const b3 = await leaseUnit(BOB, a3.unit.label);
    await upload(a2, ALICE, 5);
    await upload(b2, BOB, 6);
    await upload(a3, ALICE, 7);
    t0 = Date.now();
    await until(() => text('result-states'), (s) => s.startsWith('Results: 6 valid, 1 pending'), 5_000, 'the pending replica to show');
    await upload(b3, BOB, 8);
    await until(() => text('units-decided'), (s) => s === '4 of 4 units decided', 5_000, 'every unit decided');
    // The analysis follows the results: both seeds pooled, now compared seed by seed.
    await until(() => text('views-method'), (s) => s.includes('moderated t over 2 seeds paired'), 5_000, 'the paired comparison');
    const analysisShownMs = Date.now() - t0;
    expect(await text('pooled-summary')).toMatch(/^Pooled over 4 validated runs: 2 configs, seeds 0, 1\./);
    expect(await text('views-summary')).toMatch(/^Mean accuracy 86\.7% → 72\.5%/);
    // The contributors come with the study's detail, which can be read just before the last upload while the results
    // are read just after it; the refresh that upload's event queued brings them level.
    const aliceValid = page.getByTestId('contributor-row').filter({ hasText: 'Alice' }).locator('td[data-state="valid"]');
    await until(() => aliceValid.innerText(), (s) => s === '4', 5_000, "Alice's fourth valid result");
    expect(Number(await page.getByTestId('updated-at').getAttribute('data-updated'))).toBeGreaterThan(firstUpdate);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // Still on the stream: the updates came by server-sent events, not by the 10 s polling.
    expect(await page.getByTestId('live-status').getAttribute('data-live')).toBe('live');
    console.log(`public study page: a lease showed after ${leaseShownMs} ms, the last upload's analysis within ${analysisShownMs} ms`);

    await mkdir('test-results/screenshots', { recursive: true });
    await page.screenshot({ path: 'test-results/screenshots/public-study.png', fullPage: true });
  });

  it('downloads the validated results and the pooled per-class CSV', async () => {
    const [resultsDownload] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.getByTestId('download-results').click()]);
    expect(resultsDownload.suggestedFilename()).toBe('classwise-results-public-page-test.json');
    const file = await parseResultsFile(JSON.parse(await readFile((await resultsDownload.path())!, 'utf8')));
    expect(file.runs.map((r) => `${r.seed}:${r.perClass.map((c) => c.correct).join(',')}`).sort()).toEqual(['0:17,8,19', '0:18,15,19', '1:15,10,18', '1:17,16,19']);

    const [csvDownload] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.getByTestId('download-csv').click()]);
    expect(csvDownload.suggestedFilename()).toBe('classwise-per-class-public-page-test.csv');
    // The same table the analysis of the coordinator's own results file gives, numbers to the last few ulps:
    // Chromium's and Node's V8 may round a special function's last bit differently.
    const served = await api.results(studyId);
    const expected = csvCells(perClassCsv(analyzeRuns(served.runs, served.study.baseline)));
    const got = csvCells(await readFile((await csvDownload.path())!, 'utf8'));
    expect(got.length).toBe(1 + CLASS_NAMES.length);
    expect(got.map((row) => row.length)).toEqual(expected.map((row) => row.length));
    got.forEach((row, i) =>
      row.forEach((cell, j) => {
        const want = expected[i]![j]!;
        if (cell !== '' && want !== '' && Number.isFinite(Number(cell)) && Number.isFinite(Number(want))) expect(Number(cell)).toBeCloseTo(Number(want), 12);
        else expect(cell).toBe(want);
      }),
    );
  });

  it("follows a revocation live: the volunteer's results leave the pooled views, and others' replicas decide again", async () => {
    const answer = await fetch(`${coordinatorOrigin}/api/v1/admin/volunteers/${BOB.contributor}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ reason: 'a test of revocation' }),
    });
    expect(await answer.json()).toMatchObject({ resultsWithdrawn: 4, unitsReopened: 4 });
    // Bob was in every quorum: every unit is open again and nothing is pooled.
    await until(() => text('units-decided'), (s) => s === '0 of 4 units decided', 5_000, 'the units to reopen');
    await page.getByTestId('no-results').waitFor({ timeout: 5_000 });
    expect(await text('result-states')).toMatch(/^Results: 0 valid, 4 pending, 0 held, 0 invalid, 4 withdrawn/);
    const bob = page.getByTestId('contributor-row').filter({ hasText: BOB.contributor });
    expect(await bob.getByTestId('contributor-revoked').innerText()).toBe('revoked');
    expect(await bob.locator('td[data-state="withdrawn"]').innerText()).toBe('4');
    // Carol agrees with Alice on seed 0: those two units are decided again, and pooled, without Bob.
    for (const label of ['no crop, wd 0, seed 0', 'resized crop s=0.5, wd 0, seed 0']) await upload(await leaseUnit(CAROL, label), CAROL, 9);
    await until(() => text('units-decided'), (s) => s === '2 of 4 units decided', 5_000, 'seed 0 decided again');
    await until(() => text('pooled-summary'), (s) => /^Pooled over 2 validated runs: 2 configs, seed 0\./.test(s), 5_000, 'the pooled views');
    expect(await page.getByTestId('live-status').getAttribute('data-live')).toBe('live');
  });

  it('says when nothing is validated yet, and shows the progress anyway', async () => {
    await page.goto(new URL(`study.html?id=${emptyStudyId}`, base).href);
    const none = page.getByTestId('no-results');
    await none.waitFor({ timeout: 10_000 });
    expect(await none.innerText()).toMatch(/^No validated results yet: a unit's result counts once 2 volunteers' replicas of it agree/);
    expect(await text('units-decided')).toBe('0 of 2 units decided');
    expect(await text('result-states')).toMatch(/^Results: 0 valid, 1 pending, 0 held, 0 invalid/);
    expect(await page.getByTestId('contributor-row').filter({ hasText: 'Carol' }).locator('td[data-state="pending"]').innerText()).toBe('1');
    expect(await page.locator('cw-class-views').count()).toBe(0);
    expect(await page.getByTestId('download-results').isDisabled()).toBe(true);
    expect(await page.getByTestId('download-csv').isDisabled()).toBe(true);
  });

  it('explains an unknown study id and links to the list of studies', async () => {
    await page.goto(new URL('study.html?id=no-such-study', base).href);
    const message = page.getByTestId('study-not-found');
    await message.waitFor({ timeout: 10_000 });
    expect(await message.innerText()).toMatch(/no such study \(no study no-such-study\)/);
    await message.getByRole('link', { name: 'See the list of studies' }).click();
    const rows = page.getByTestId('study-row');
    await rows.first().waitFor({ timeout: 10_000 });
    expect(await rows.count()).toBe(2);
    expect(await rows.filter({ hasText: 'nothing-validated-yet' }).locator('td').nth(2).innerText()).toBe('0 / 2');
    const row = rows.filter({ hasText: 'public-page-test' });
    expect(await row.locator('td').nth(2).innerText()).toBe('2 / 4');
    await row.getByRole('link', { name: 'public-page-test' }).click();
    await page.getByTestId('units-decided').waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).searchParams.get('id')).toBe(studyId);
  });

  it('says so when the coordinator goes away, and keeps what it last showed', async () => {
    await until(() => page.getByTestId('live-status').getAttribute('data-live'), (s) => s === 'live', 5_000, 'the live stream');
    await coordinator.close();
    coordinatorClosed = true;
    const warning = page.getByTestId('coordinator-unreachable');
    await warning.waitFor({ timeout: 10_000 });
    expect(await warning.innerText()).toMatch(/could not be reached.*keeps trying every 10 s/s);
    expect(await page.getByTestId('live-status').getAttribute('data-live')).toBe('polling');
    expect(await text('units-decided')).toBe('2 of 4 units decided');
    expect(await page.getByTestId('delta-row').count()).toBe(CLASS_NAMES.length);
  });
});
