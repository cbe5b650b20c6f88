/**
 * The coordinator's API against a real server on 127.0.0.1 with a fresh
 * SQLite database per test: publishing, leasing, replicas and quorum, and
 * every malformed or malicious request refused with its status and nothing
 * stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, contributorId, VOLUNTEER_HEADER, type Limits } from '../../src/coordinator/server';
import { configHash } from '../../src/study/config';
import { parseResultsFile } from '../../src/study/results';
import { parseStudySpec, planRuns } from '../../src/study/study';
import { ADMIN_TOKEN, CLASS_NAMES, DATASET, runResult, SPEC, TEST_COUNT, volunteer } from './coordinator-fixtures';

let app: FastifyInstance;
let base: string;
let dir: string;
let clock: number;

async function start(limits: Partial<Limits> = {}) {
  dir = mkdtempSync(join(tmpdir(), 'classwise-coordinator-'));
  clock = Date.parse('2026-11-24T12:00:00.000Z');
  app = await buildServer({ dbPath: join(dir, 'coordinator.sqlite'), adminToken: ADMIN_TOKEN, now: () => clock, limits: { resultBytes: 64 * 1024, ...limits } });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}

beforeEach(() => start());
afterEach(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Call {
  body?: unknown;
  /** Sent as is, with `contentType` (default application/json). */
  raw?: string;
  contentType?: string;
  volunteer?: string;
  token?: string;
}

async function call(method: string, path: string, options: Call = {}): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (options.volunteer !== undefined) headers[VOLUNTEER_HEADER] = options.volunteer;
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined || options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    body = options.raw ?? JSON.stringify(options.body);
  }
  const response = await fetch(`${base}/api/v1${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

async function publish(dataset: object = DATASET, spec: unknown = SPEC): Promise<string> {
  const { status, json } = await call('POST', '/studies', { token: ADMIN_TOKEN, body: { spec, dataset } });
  expect(status, JSON.stringify(json)).toBe(201);
  return json.id as string;
}

async function lease(studyId: string, who: string, displayName?: string) {
  const { status, json } = await call('POST', `/studies/${studyId}/lease`, { volunteer: who, body: displayName ? { displayName } : {} });
  expect(status, JSON.stringify(json)).toBe(200);
  return json;
}

const rows = () => app.store.rowCounts();
const leaseState = (id: string) => app.store.getLease(id)?.state;

describe('publishing a study', () => {
  it('needs the organiser token', async () => {
    expect((await call('POST', '/studies', { body: { spec: SPEC, dataset: DATASET } })).status).toBe(401);
    const wrong = await call('POST', '/studies', { token: 'not-the-organiser-token', body: { spec: SPEC, dataset: DATASET } });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toMatch(/organiser token is wrong/);
    expect(rows()).toMatchObject({ studies: 0, units: 0 });
  });

  it('refuses an invalid spec or a dataset that does not match it, naming the field', async () => {
    const bad = await call('POST', '/studies', { token: ADMIN_TOKEN, body: { spec: { ...SPEC, seeds: [] }, dataset: DATASET } });
    expect(bad.status).toBe(400);
    expect(bad.json.issues.join('\n')).toMatch(/seeds/);
    const mismatch = await call('POST', '/studies', { token: ADMIN_TOKEN, body: { spec: SPEC, dataset: { ...DATASET, testCount: 61, classTestCounts: [20, 20, 21] } } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.issues.join('\n')).toMatch(/dataset.testCount: 61, the spec's dataset has 60 test images/);
    expect(rows()).toMatchObject({ studies: 0, units: 0 });
  });

  it('plans the grid into units and lists the study publicly', async () => {
    const id = await publish();
    const study = (await call('GET', `/studies/${id}`)).json;
    expect(study.units.map((u: { label: string }) => u.label)).toEqual(['no crop, wd 0, seed 0', 'resized crop s=0.5, wd 0, seed 0']);
    expect(study.progress).toMatchObject({ units: 2, byState: { open: 2, done: 0 }, activeLeases: 0 });
    expect(study.dataset).toEqual(DATASET);
    expect((await call('GET', '/studies')).json.studies).toHaveLength(1);
    expect((await call('GET', '/studies/no-such-study')).status).toBe(404);
  });
});

describe('volunteers, replicas and quorum', () => {
  it('two volunteers fill the quorum of a unit, and its result is published for pooling', async () => {
    const id = await publish();
    const alice = volunteer('alice');
    const bob = volunteer('bob');
    const a = await lease(id, alice, 'Alice');
    const b = await lease(id, bob);
    // Replicas before new units: both get unit 0; Alice's second lease is unit 1, never unit 0 again.
    expect(b.unit.id).toBe(a.unit.id);
    const a2 = await lease(id, alice);
    expect(a2.unit.id).not.toBe(a.unit.id);
    expect(a.dataset.contentHash).toBe(DATASET.contentHash);

    const first = await call('POST', `/leases/${a.lease.id}/result`, { volunteer: alice, body: await runResult(a.unit, [18, 15, 19], '2026-11-24T12:01:00.000Z') });
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(first.json).toMatchObject({ state: 'pending', unit: { state: 'open' } });
    expect((await call('GET', `/studies/${id}/results`)).json.runs).toHaveLength(0);

    const second = await call('POST', `/leases/${b.lease.id}/result`, { volunteer: bob, body: await runResult(b.unit, [17, 16, 19], '2026-11-24T12:02:00.000Z') });
    expect(second.json).toMatchObject({ state: 'valid', unit: { state: 'done' } });
    expect(app.store.resultsOfUnit(a.unit.id).map((r) => r.state)).toEqual(['valid', 'valid']);

    const results = (await call('GET', `/studies/${id}/results`)).json;
    const file = await parseResultsFile(results);
    expect(file.runs).toHaveLength(1);
    expect(file.runs[0]!.perClass.map((c) => c.correct)).toEqual([18, 15, 19]);

    const study = (await call('GET', `/studies/${id}`)).json;
    expect(study.progress).toMatchObject({ byState: { done: 1, open: 1 }, activeLeases: 1, results: { valid: 2 } });
    expect(study.contributors).toEqual([
      { contributor: contributorId(alice), displayName: 'Alice', results: { pending: 0, valid: 1, held: 0, invalid: 0 } },
      { contributor: contributorId(bob), displayName: null, results: { pending: 0, valid: 1, held: 0, invalid: 0 } },
    ]);
    // Browser ids authorise uploads: no public answer may show one.
    expect(JSON.stringify(study) + JSON.stringify(results)).not.toContain(alice);
  });

  it('holds disagreeing replicas, issues a third, and the majority decides', async () => {
    const id = await publish();
    const [x, y, z] = [volunteer('x'), volunteer('y'), volunteer('z')];
    const lx = await lease(id, x);
    const ly = await lease(id, y);
    await call('POST', `/leases/${lx.lease.id}/result`, { volunteer: x, body: await runResult(lx.unit, [18, 15, 19], '2026-11-24T12:01:00.000Z') });
    const held = await call('POST', `/leases/${ly.lease.id}/result`, { volunteer: y, body: await runResult(ly.unit, [2, 20, 5], '2026-11-24T12:02:00.000Z') });
    expect(held.json).toMatchObject({ state: 'held', unit: { state: 'held' } });
    // The held unit comes first for the next volunteer, as its third replica; x and y never get it again.
    const lz = await lease(id, z);
    expect(lz.unit.id).toBe(lx.unit.id);
    expect((await lease(id, x)).unit.id).not.toBe(lx.unit.id);
    const third = await call('POST', `/leases/${lz.lease.id}/result`, { volunteer: z, body: await runResult(lz.unit, [17, 16, 18], '2026-11-24T12:03:00.000Z') });
    expect(third.json).toMatchObject({ state: 'valid', unit: { state: 'done' } });
    expect(app.store.resultsOfUnit(lx.unit.id).map((r) => r.state)).toEqual(['valid', 'invalid', 'valid']);
  });

  it('frees an expired lease for someone else, extends a beating one, and refuses its late upload', async () => {
    const id = await publish();
    const [p, q, r] = [volunteer('p'), volunteer('q'), volunteer('r')];
    const lp = await lease(id, p);
    await lease(id, q);
    clock += 10 * 60 * 1000;
    const beat = await call('POST', `/leases/${lp.lease.id}/heartbeat`, { volunteer: p });
    expect(beat.status).toBe(200);
    expect(Date.parse(beat.json.expiresAt)).toBe(clock + 15 * 60 * 1000);
    expect((await call('POST', `/leases/${lp.lease.id}/heartbeat`, { volunteer: q })).status).toBe(403);
    clock += 16 * 60 * 1000;
    // p's lease and q's have both run out: r takes unit 0 in their place.
    expect((await lease(id, r)).unit.id).toBe(lp.unit.id);
    const late = await call('POST', `/leases/${lp.lease.id}/result`, { volunteer: p, body: await runResult(lp.unit, [18, 15, 19]) });
    expect(late.status).toBe(410);
    expect(rows().results).toBe(0);
  });

  it('stores SQL-looking volunteer ids, display names and class names verbatim, harmlessly', async () => {
    const classNames = ["a'); DELETE FROM units; --", 'b" OR 1=1 --', 'c; DROP TABLE results'];
    const id = await publish({ ...DATASET, classNames });
    const evil = "'; DROP TABLE results; SELECT * FROM volunteers WHERE '1'='1";
    const name = "Robert'); DROP TABLE volunteers;--";
    const l = await lease(id, evil, name);
    const study = (await call('GET', `/studies/${id}`)).json;
    expect(study.dataset.classNames).toEqual(classNames);
    expect(l.dataset.classNames).toEqual(classNames);
    expect(app.store.getLease(l.lease.id)?.volunteerId).toBe(evil);
    const other = volunteer('other');
    const lo = await lease(id, other);
    const body = async (who: typeof l, startedAt: string) => {
      const run = await runResult(who.unit, [18, 15, 19], startedAt);
      return { ...run, dataset: { ...run.dataset, classNames }, perClass: run.perClass.map((c, k) => ({ ...c, class: classNames[k]! })) };
    };
    expect((await call('POST', `/leases/${l.lease.id}/result`, { volunteer: evil, body: await body(l, '2026-11-24T12:01:00.000Z') })).status).toBe(200);
    expect((await call('POST', `/leases/${lo.lease.id}/result`, { volunteer: other, body: await body(lo, '2026-11-24T12:02:00.000Z') })).status).toBe(200);
    const after = (await call('GET', `/studies/${id}`)).json;
    expect(after.contributors.map((c: { displayName: string | null }) => c.displayName)).toEqual([name, null]);
    expect(rows()).toMatchObject({ studies: 1, units: 2, volunteers: 2, leases: 2, results: 2 });
    expect((await call('GET', `/studies/${id}/results`)).json.runs[0].perClass.map((c: { class: string }) => c.class)).toEqual(classNames);
  });

  it('streams progress as server-sent events', async () => {
    const id = await publish();
    const controller = new AbortController();
    const response = await fetch(`${base}/api/v1/studies/${id}/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const nextEvent = async () => {
      while (!text.includes('\n\n')) text += decoder.decode((await reader.read()).value);
      const [event, rest] = [text.slice(0, text.indexOf('\n\n')), text.slice(text.indexOf('\n\n') + 2)];
      text = rest;
      return JSON.parse(event.split('\n').find((line) => line.startsWith('data: '))!.slice(6));
    };
    expect(await nextEvent()).toMatchObject({ units: 2, activeLeases: 0 });
    await lease(id, volunteer('sse'));
    expect(await nextEvent()).toMatchObject({ activeLeases: 1 });
    controller.abort();
  });
});

describe('malformed and malicious uploads: refused with the right status, nothing stored', () => {
  let studyId: string;
  let mine: { lease: { id: string }; unit: { id: number; config: unknown; seed: number } };
  const me = volunteer('me');
  const good = () => runResult(mine.unit, [18, 15, 19]);

  beforeEach(async () => {
    studyId = await publish();
    mine = await lease(studyId, me);
  });

  /** Sends, checks the status and message, and that no result was stored and the lease is still open. */
  async function refused(status: number, message: RegExp, options: Call, leaseId = mine.lease.id, who = me) {
    const before = rows();
    const { status: got, json } = await call('POST', `/leases/${leaseId}/result`, { volunteer: who, ...options });
    expect(got, JSON.stringify(json)).toBe(status);
    expect(JSON.stringify(json)).toMatch(message);
    expect(rows()).toEqual(before);
    expect(rows().results).toBe(0);
    expect(leaseState(mine.lease.id)).toBe('active');
  }

  it('a result for another unit (its config hash is not the lease\'s)', async () => {
    const other = planRuns(parseStudySpec(SPEC))[1]!;
    expect(await configHash(other.config)).toBe((await call('GET', `/studies/${studyId}`)).json.units[1].configHash);
    await refused(422, /configHash: [0-9a-f]{64} is not the leased unit's/, { body: await runResult(other, [18, 15, 19]) });
  });

  it('a config edited after hashing', async () => {
    const run = await good();
    await refused(400, /configHash: does not match the run's config/, { body: { ...run, config: { ...run.config, training: { ...run.config.training, epochs: 99 } } } });
  });

  it('a wrong dataset hash, or a wrong seed', async () => {
    const run = await good();
    await refused(422, /dataset.contentHash: d{64} is not the study's dataset/, { body: { ...run, dataset: { ...run.dataset, contentHash: 'd'.repeat(64) } } });
    await refused(422, /seed: 3 is not the leased unit's seed 0/, { body: { ...run, seed: 3 } });
  });

  it('forged totals: inconsistent ones, and consistent ones that are not the study\'s test split', async () => {
    const run = await good();
    const inflated = { ...run, perClass: run.perClass.map((c, k) => (k === 1 ? { ...c, correct: 20 } : c)) };
    await refused(400, /perClass\.1\.correct|confusion\.1\.1/, { body: inflated });
    // Self-consistent, but 25 + 15 + 20 images where the study's split has 20 per class.
    const shifted = {
      ...run,
      perClass: [
        { class: CLASS_NAMES[0]!, correct: 25, total: 25 },
        { class: CLASS_NAMES[1]!, correct: 15, total: 15 },
        { class: CLASS_NAMES[2]!, correct: 20, total: 20 },
      ],
      confusion: [
        [25, 0, 0],
        [0, 15, 0],
        [0, 0, 20],
      ],
      top1: 1,
    };
    await refused(422, /perClass\.0\.total: 25, the study's test split has 20 images of ..airplane/, { body: shifted });
    const bigger = { ...shifted, dataset: { ...run.dataset, testCount: 61 }, perClass: shifted.perClass.map((c, k) => (k === 2 ? { ...c, correct: 21, total: 21 } : c)) };
    bigger.confusion = [
      [25, 0, 0],
      [0, 15, 0],
      [0, 0, 21],
    ];
    await refused(422, new RegExp(`dataset.testCount: 61, the study's test split has ${TEST_COUNT} images`), { body: bigger });
  });

  it('an oversized body', async () => {
    const run = await good();
    const padded = { ...run, history: Array.from({ length: 2000 }, (_, step) => ({ step, epoch: 0, loss: 1.234567, lr: 0.1, imagesPerSec: 20 })) };
    expect(JSON.stringify(padded).length).toBeGreaterThan(64 * 1024);
    await refused(413, /larger than the 65536 bytes allowed/, { body: padded });
  });

  it('a replayed lease: the second upload on a lease is refused', async () => {
    const run = await good();
    expect((await call('POST', `/leases/${mine.lease.id}/result`, { volunteer: me, body: run })).status).toBe(200);
    const before = rows();
    const replay = await call('POST', `/leases/${mine.lease.id}/result`, { volunteer: me, body: { ...run, startedAt: '2026-11-24T13:00:00.000Z' } });
    expect(replay.status).toBe(409);
    expect(replay.json.error).toMatch(/already has its result/);
    expect(rows()).toEqual(before);
    expect(app.store.resultsOfUnit(mine.unit.id)).toHaveLength(1);
  });

  it("another volunteer's lease, an unknown lease, and no volunteer id", async () => {
    const intruder = volunteer('intruder');
    await lease(studyId, intruder);
    await refused(403, /belongs to another volunteer/, { body: await good() }, mine.lease.id, intruder);
    await refused(404, /no lease/, { body: await good() }, 'not-a-lease');
    const anonymous = await call('POST', `/leases/${mine.lease.id}/result`, { body: await good() });
    expect(anonymous.status).toBe(401);
    expect((await call('POST', `/leases/${mine.lease.id}/release`, { volunteer: intruder })).status).toBe(403);
    expect(leaseState(mine.lease.id)).toBe('active');
  });

  it('SQL-looking strings where the schema wants other things', async () => {
    const run = await good();
    await refused(400, /invalid run result/, { body: { ...run, configHash: "' OR '1'='1" } });
    await refused(400, /invalid run result/, { body: { ...run, seed: '0; DROP TABLE results' } });
    await refused(403, /another volunteer/, { body: run }, mine.lease.id, "x' OR volunteer_id LIKE '%");
    await refused(404, /no lease/, { body: run }, encodeURIComponent("' OR 1=1 --"));
  });

  it('non-JSON: plain text, malformed JSON, prototype pollution', async () => {
    await refused(415, /send JSON/, { raw: 'top1=1&perClass=all', contentType: 'text/plain' });
    await refused(400, /JSON/, { raw: '{"config": {"model": ' });
    await refused(400, /not valid JSON/, { raw: '{"__proto__": {"admin": true}}' });
  });

  it('too many requests from one volunteer', async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
    await start({ volunteerActionsPerWindow: 3 });
    studyId = await publish();
    mine = await lease(studyId, me);
    expect((await call('POST', `/leases/${mine.lease.id}/heartbeat`, { volunteer: me })).status).toBe(200);
    expect((await call('POST', `/leases/${mine.lease.id}/heartbeat`, { volunteer: me })).status).toBe(200);
    await refused(429, /more than 3 requests in 60 s/, { body: await good() });
    clock += 61_000;
    expect((await call('POST', `/leases/${mine.lease.id}/result`, { volunteer: me, body: await good() })).status).toBe(200);
  });
});
