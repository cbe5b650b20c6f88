/**
 * The coordinator's API against a real server on loopback with a fresh
 * SQLite database per test, volunteers on distinct 127.x networks:
 * publishing, credentials, leasing, replicas and quorum, cached reads, and
 * every malformed or malicious request refused with its status and nothing
 * stored.
 */
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contributorId, VOLUNTEER_HEADER, type Limits } from '../../src/coordinator/server';
import { issueCredential } from '../../src/coordinator/identity';
import { configHash } from '../../src/study/config';
import { parseResultsFile } from '../../src/study/results';
import { parseStudySpec, planRuns } from '../../src/study/study';
import { CLASS_NAMES, DATASET, predictionsFor, runResult, SPEC, TEST_COUNT, TestCoordinator, type Leased, type Volunteer } from './coordinator-fixtures';

let coordinator: TestCoordinator;

async function restart(limits: Partial<Limits> = {}) {
  await coordinator?.stop();
  coordinator = await new TestCoordinator().start(limits);
}

beforeEach(() => restart());
afterEach(() => coordinator.stop());

const call = (...args: Parameters<TestCoordinator['call']>) => coordinator.call(...args);
const rows = () => coordinator.rows();
const leaseState = (id: string) => coordinator.app.store.leases.get(id)?.state;
const resultsOf = (unitId: number) => coordinator.app.store.results.ofUnit(unitId);

describe('publishing a study', () => {
  it('needs the organiser token', async () => {
    expect((await call('POST', '/studies', { body: { spec: SPEC, dataset: DATASET } })).status).toBe(401);
    const wrong = await call('POST', '/studies', { body: { spec: SPEC, dataset: DATASET }, credential: 'x' });
    expect(wrong.status).toBe(401);
    expect(rows()).toMatchObject({ studies: 0, units: 0 });
  });

  it('refuses an invalid spec, a dataset that does not match it, or test labels that do not fit, naming the field', async () => {
    const bad = await call('POST', '/studies', { admin: true, body: { spec: { ...SPEC, seeds: [] }, dataset: DATASET } });
    expect(bad.status).toBe(400);
    expect(bad.json.issues.join('\n')).toMatch(/seeds/);
    const mismatch = await call('POST', '/studies', { admin: true, body: { spec: SPEC, dataset: { ...DATASET, testCount: 61, classTestCounts: [20, 20, 21], testLabels: [...DATASET.testLabels, 2] } } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.issues.join('\n')).toMatch(/dataset.testCount: 61, the spec's dataset has 60 test images/);
    const { testLabels: _, ...unlabelled } = DATASET;
    const noLabels = await call('POST', '/studies', { admin: true, body: { spec: SPEC, dataset: unlabelled } });
    expect(noLabels.json.issues.join('\n')).toMatch(/dataset.testLabels: the true class of every test image/);
    const wrongCounts = await call('POST', '/studies', { admin: true, body: { spec: SPEC, dataset: { ...DATASET, testLabels: DATASET.testLabels.map((l, i) => (i === 0 ? 1 : l)) } } });
    expect(wrongCounts.json.issues.join('\n')).toMatch(/dataset.classTestCounts.0: 20, but testLabels have 19 images of "airplane"/);
    const outOfRange = await call('POST', '/studies', { admin: true, body: { spec: SPEC, dataset: { ...DATASET, testLabels: DATASET.testLabels.map((l, i) => (i === 5 ? 7 : l)) } } });
    expect(outOfRange.json.issues.join('\n')).toMatch(/dataset.testLabels.5: class 7 does not exist/);
    expect(rows()).toMatchObject({ studies: 0, units: 0 });
  });

  it('plans the grid into units and lists the study publicly, without its test labels', async () => {
    const id = await coordinator.publish();
    const study = (await call('GET', `/studies/${id}`)).json;
    expect(study.units.map((u: { label: string }) => u.label)).toEqual(['no crop, wd 0, seed 0', 'resized crop s=0.5, wd 0, seed 0']);
    expect(study.progress).toMatchObject({ units: 2, byState: { open: 2, done: 0 }, activeLeases: 0 });
    const { testLabels: _, ...shown } = DATASET;
    expect(study.dataset).toEqual(shown);
    expect((await call('GET', '/studies')).json.studies).toHaveLength(1);
    expect((await call('GET', '/studies/no-such-study')).status).toBe(404);
  });
});

describe('credentials', () => {
  it('are issued by the coordinator, with a display name cleaned of control, bidi and zero-width characters', async () => {
    const answer = await call('POST', '/volunteers', { body: { displayName: '  \u202eAl\u200bice\u2066 \u0007the\u00ad  \nfirst\u202c ' }, from: '127.31.0.1' });
    expect(answer.status).toBe(201);
    expect(answer.json.credential).toMatch(/^cw1\.[\w-]+\.[\w-]+$/);
    expect(answer.json.displayName).toBe('Alice the first');
    const empty = await call('POST', '/volunteers', { body: { displayName: '\u200b\u202e\u2067' }, from: '127.31.0.1' });
    expect(empty.status).toBe(400);
    expect(empty.json.issues.join()).toMatch(/displayName: has nothing readable left/);
    // Only the secret's hash is stored.
    const stored = coordinator.app.store.db.prepare('SELECT id, secret_hash FROM volunteers').all() as { id: string; secret_hash: string }[];
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(answer.json.credential.split('.')[1]);
  });

  it('are issued at a limited rate per /24 network', async () => {
    await restart({ credentialsPerPrefixPerHour: 2 });
    expect((await call('POST', '/volunteers', { from: '127.32.5.1' })).status).toBe(201);
    expect((await call('POST', '/volunteers', { from: '127.32.5.200' })).status).toBe(201);
    const third = await call('POST', '/volunteers', { from: '127.32.5.77' });
    expect(third.status).toBe(429);
    expect(third.json.error).toMatch(/2 volunteer credentials were already issued to your network \(127\.32\.5\.0\/24\) this hour/);
    expect(third.headers['retry-after']).toBe('3600');
    expect((await call('POST', '/volunteers', { from: '127.32.6.1' })).status).toBe(201);
    coordinator.clock += 60 * 60 * 1000;
    expect((await call('POST', '/volunteers', { from: '127.32.5.9' })).status).toBe(201);
  });

  it('401 for a credential that is not the coordinator\'s, 403 with the reason for a revoked one', async () => {
    const id = await coordinator.publish();
    const lease = (credential?: string) => call('POST', `/studies/${id}/lease`, { body: {}, credential, from: '127.33.0.1' });
    const none = await lease();
    expect(none.status).toBe(401);
    expect(none.json.error).toMatch(/a volunteer credential is required .* POST \/api\/v1\/volunteers/);
    // Made up, signed with another key, or a real one with its secret changed.
    const real = await coordinator.volunteer('127.33.0.2');
    const [v, payload, mac] = real.credential.split('.') as [string, string, string];
    const tampered = Buffer.from(payload, 'base64url');
    tampered[20] = tampered[20]! ^ 1;
    for (const forged of ['volunteer-made-up-0123456789abcdef', issueCredential(Buffer.alloc(32, 7)).token, `${v}.${tampered.toString('base64url')}.${mac}`, `${v}.${payload}.${mac}x`]) {
      const answer = await lease(forged);
      expect(answer.status, forged).toBe(401);
      expect(answer.json.error).toMatch(/not a volunteer credential this coordinator issued/);
    }
    expect((await lease(real.credential)).status).toBe(200);
    const revoked = await call('POST', `/admin/volunteers/${real.contributor}/revoke`, { admin: true, body: { reason: 'uploaded results it did not train' } });
    expect(revoked.status).toBe(200);
    const after = await lease(real.credential);
    expect(after.status).toBe(403);
    expect(after.json.error).toBe('this credential was revoked by the organiser: uploaded results it did not train');
    expect((await call('POST', `/admin/volunteers/${real.contributor}/revoke`, { body: { reason: 'x' } })).status).toBe(401);
    expect((await call('POST', `/admin/volunteers/${real.contributor}/revoke`, { admin: true, body: { reason: 'again' } })).status).toBe(409);
    expect((await call('POST', '/admin/volunteers/0000000000000000/revoke', { admin: true, body: { reason: 'who?' } })).status).toBe(404);
    expect((await call('POST', `/admin/volunteers/${real.contributor}/revoke`, { admin: true, body: { reason: '  ' } })).status).toBe(400);
    // The organiser's list: every credential, its network and record, and why it was revoked.
    expect((await call('GET', '/admin/volunteers')).status).toBe(401);
    const list = (await call('GET', '/admin/volunteers', { admin: true })).json.volunteers;
    expect(list.find((v: { contributor: string }) => v.contributor === real.contributor)).toMatchObject({
      network: '127.33.0.0/24',
      results: 0,
      trusted: false,
      revokedReason: 'uploaded results it did not train',
    });
  });
});

describe('behind a reverse proxy', () => {
  it('takes the client from X-Forwarded-For only when the request comes from a listed proxy', async () => {
    await coordinator.stop();
    coordinator = await new TestCoordinator().start({ credentialsPerPrefixPerHour: 1 }, ['127.170.0.1']);
    const prefixOf = async (from: string, forwarded?: string) => {
      const answer = await call('POST', '/volunteers', { from, headers: forwarded ? { 'x-forwarded-for': forwarded } : {} });
      expect(answer.status, answer.text).toBe(201);
      return coordinator.app.store.credentials.byContributor(answer.json.contributor)!.prefix;
    };
    // Through the proxy: each client is its own network, though all arrive from the proxy's address.
    expect(await prefixOf('127.170.0.1', '203.0.113.7')).toBe('203.0.113.0/24');
    expect(await prefixOf('127.170.0.1', '198.51.100.9')).toBe('198.51.100.0/24');
    expect(await prefixOf('127.170.0.1', '2001:db8:1234:5678::1')).toBe('2001:db8:1234::/48');
    // Not from the proxy: the header is not believed, so a client cannot name another network.
    expect(await prefixOf('127.171.0.1', '192.0.2.1')).toBe('127.171.0.0/24');
    const again = await call('POST', '/volunteers', { from: '127.171.0.2', headers: { 'x-forwarded-for': '192.0.2.2' } });
    expect(again.status).toBe(429);
  });
});

describe('volunteers, replicas and quorum', () => {
  it('two volunteers on different networks fill the quorum of a unit, and its result is published for pooling', async () => {
    const id = await coordinator.publish();
    const alice = await coordinator.volunteer('127.40.0.1', 'Alice');
    const bob = await coordinator.volunteer('127.41.0.1');
    const a = await alice.leased(id);
    // Alice's second lease is the other unit, never the same one twice.
    const a2 = await alice.leased(id);
    expect(a2.unit.id).not.toBe(a.unit.id);
    const b = await bob.leased(id);
    expect(a.dataset.contentHash).toBe(DATASET.contentHash);
    const bOnA = b.unit.id === a.unit.id ? b : await bob.leased(id);
    expect(bOnA.unit.id).toBe(a.unit.id);

    const first = await alice.upload(a, await runResult(a.unit, [18, 15, 19], '2026-11-24T12:01:00.000Z'));
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({ state: 'pending', unit: { state: 'open' } });
    expect((await call('GET', `/studies/${id}/results`)).json.runs).toHaveLength(0);

    // Same backend, same config and seed: the same predictions, so they agree at once.
    const second = await bob.upload(bOnA, await runResult(bOnA.unit, [18, 15, 19], '2026-11-24T12:02:00.000Z'));
    expect(second.json).toMatchObject({ state: 'valid', unit: { state: 'done' } });
    expect(resultsOf(a.unit.id).map((r) => r.state)).toEqual(['valid', 'valid']);

    const results = (await call('GET', `/studies/${id}/results`)).json;
    const file = await parseResultsFile(results);
    expect(file.runs).toHaveLength(1);
    expect(file.runs[0]!.perClass.map((c) => c.correct)).toEqual([18, 15, 19]);

    const study = (await call('GET', `/studies/${id}`)).json;
    expect(study.progress).toMatchObject({ byState: { done: 1, open: 1 }, results: { valid: 2 } });
    expect(study.contributors).toEqual([
      { contributor: alice.contributor, displayName: 'Alice', revoked: false, results: { pending: 0, valid: 1, held: 0, invalid: 0, withdrawn: 0 } },
      { contributor: bob.contributor, displayName: null, revoked: false, results: { pending: 0, valid: 1, held: 0, invalid: 0, withdrawn: 0 } },
    ]);
    // Credentials authorise uploads: no public answer may show one.
    expect(JSON.stringify(study) + JSON.stringify(results)).not.toContain(alice.credential.split('.')[1]);
  });

  it('holds disagreeing replicas, issues a third, and the agreeing pair decides', async () => {
    const id = await coordinator.publish();
    const [x, y, z] = await coordinator.volunteers('127.42.0.1', '127.43.0.1', '127.44.0.1');
    const lx = await x.leased(id);
    const ly = await leaseOf(y, id, lx.unit.id);
    await x.upload(lx, await runResult(lx.unit, [18, 15, 19], '2026-11-24T12:01:00.000Z'));
    const held = await y.upload(ly, await runResult(ly.unit, [2, 20, 5], '2026-11-24T12:02:00.000Z'));
    expect(held.json).toMatchObject({ state: 'held', unit: { state: 'held' } });
    // The held unit comes first for the next volunteer, as its third replica.
    const lz = await z.leased(id);
    expect(lz.unit.id).toBe(lx.unit.id);
    const third = await z.upload(lz, await runResult(lz.unit, [18, 15, 19], '2026-11-24T12:03:00.000Z'));
    expect(third.json).toMatchObject({ state: 'valid', unit: { state: 'done' } });
    expect(resultsOf(lx.unit.id).map((r) => r.state)).toEqual(['valid', 'invalid', 'valid']);
  });

  it('never compares replicas of two platforms: a third on one of them decides', async () => {
    const id = await coordinator.publish();
    const [p, q, r] = await coordinator.volunteers('127.45.0.1', '127.46.0.1', '127.47.0.1');
    const lp = await p.leased(id);
    const lq = await leaseOf(q, id, lp.unit.id);
    const base = predictionsFor([18, 15, 19]);
    // The same predictions, but one replica ran on the CPU backend: not comparable, so nothing is decided.
    await p.upload(lp, await runResult(lp.unit, [], '2026-11-24T12:01:00.000Z', { predictions: base, backend: 'cpu' }));
    expect((await q.upload(lq, await runResult(lq.unit, [], '2026-11-24T12:02:00.000Z', { predictions: base }))).json).toMatchObject({ state: 'pending', unit: { state: 'held' } });
    // Held for one more replica, it is the unit offered first; a third on WebGPU agrees with the second.
    const lr = await r.leased(id);
    expect(lr.unit.id).toBe(lp.unit.id);
    const third = await r.upload(lr, await runResult(lr.unit, [], '2026-11-24T12:03:00.000Z', { predictions: base }));
    expect(third.json).toMatchObject({ state: 'valid', unit: { state: 'done' } });
    // The CPU replica was never compared: neither valid nor invalid.
    expect(resultsOf(lp.unit.id).map((x) => x.state)).toEqual(['pending', 'valid', 'valid']);
  });

  it('frees an expired lease for someone else, extends a beating one, and refuses its late upload', async () => {
    const id = await coordinator.publish();
    const [p, q, r] = await coordinator.volunteers('127.49.0.1', '127.50.0.1', '127.51.0.1');
    const lp = await p.leased(id);
    await leaseOf(q, id, lp.unit.id);
    coordinator.clock += 10 * 60 * 1000;
    const beat = await p.call('POST', `/leases/${lp.lease.id}/heartbeat`);
    expect(beat.status).toBe(200);
    expect(Date.parse(beat.json.expiresAt)).toBe(coordinator.clock + 15 * 60 * 1000);
    expect((await q.call('POST', `/leases/${lp.lease.id}/heartbeat`)).status).toBe(403);
    coordinator.clock += 16 * 60 * 1000;
    // p's lease and q's have both run out: r takes unit 0 in their place.
    expect((await leaseOf(r, id, lp.unit.id)).unit.id).toBe(lp.unit.id);
    const late = await p.upload(lp, await runResult(lp.unit, [18, 15, 19]));
    expect(late.status).toBe(410);
    expect(rows().results).toBe(0);
    expect((await call('GET', `/studies/${id}`)).json.progress.activeLeases).toBe(1);
  });

  it('holds a heartbeat in memory until the next transaction, and no lease read sees it stale', async () => {
    const id = await coordinator.publish();
    const [p, q] = await coordinator.volunteers('127.52.0.1', '127.53.0.1');
    const lp = await p.leased(id);
    const stored = () => coordinator.app.store.db.prepare<[string], { expires_at: number }>('SELECT expires_at FROM leases WHERE id = ?').get(lp.lease.id)!.expires_at;
    const before = stored();
    coordinator.clock += 14 * 60 * 1000;
    const beat = await p.call('POST', `/leases/${lp.lease.id}/heartbeat`);
    const extended = Date.parse(beat.json.expiresAt);
    // Written by no transaction yet, but what the coordinator reads of the lease already has it.
    expect(stored()).toBe(before);
    expect(coordinator.app.store.leases.get(lp.lease.id)?.expiresAt).toBe(extended);
    // Past the stored expiry: a lease request's sweep (a transaction) writes the heartbeat before it looks.
    coordinator.clock += 2 * 60 * 1000;
    await q.leased(id);
    expect(stored()).toBe(extended);
    expect(leaseState(lp.lease.id)).toBe('active');
    expect((await p.call('POST', `/leases/${lp.lease.id}/heartbeat`)).status).toBe(200);
  });

  it('stores SQL-looking display names and class names verbatim, harmlessly', async () => {
    const classNames = ["a'); DELETE FROM units; --", 'b" OR 1=1 --', 'c; DROP TABLE results'];
    const id = await coordinator.publish({ ...DATASET, classNames });
    const name = "Robert'); DROP TABLE volunteers;--";
    const evil = await coordinator.volunteer('127.51.0.1', name);
    const other = await coordinator.volunteer('127.52.0.1');
    const l = await evil.leased(id);
    expect(l.dataset.classNames).toEqual(classNames);
    const lo = await leaseOf(other, id, l.unit.id);
    const body = async (who: Leased, startedAt: string) => {
      const run = await runResult(who.unit, [18, 15, 19], startedAt);
      return { ...run, dataset: { ...run.dataset, classNames }, perClass: run.perClass.map((c, k) => ({ ...c, class: classNames[k]! })) };
    };
    expect((await evil.upload(l, await body(l, '2026-11-24T12:01:00.000Z'))).status).toBe(200);
    expect((await other.upload(lo, await body(lo, '2026-11-24T12:02:00.000Z'))).status).toBe(200);
    const after = (await call('GET', `/studies/${id}`)).json;
    expect(after.contributors.map((c: { displayName: string | null }) => c.displayName)).toEqual([name, null]);
    expect(rows()).toMatchObject({ studies: 1, units: 2, volunteers: 2, results: 2 });
    expect((await call('GET', `/studies/${id}/results`)).json.runs[0].perClass.map((c: { class: string }) => c.class)).toEqual(classNames);
  });

  it('streams progress as server-sent events, at most a few streams per address', async () => {
    await restart({ eventStreamsPerAddress: 1 });
    const id = await coordinator.publish();
    const controller = new AbortController();
    const response = await fetch(`${coordinator.base}/api/v1/studies/${id}/events`, { signal: controller.signal });
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
    const second = await fetch(`${coordinator.base}/api/v1/studies/${id}/events`);
    expect(second.status).toBe(429);
    await (await coordinator.volunteer('127.53.0.1')).leased(id);
    expect(await nextEvent()).toMatchObject({ activeLeases: 1 });
    controller.abort();
  });

  it('streams a lease made just after the stream opened, though progress is recomputed at most once a second', async () => {
    await restart({ progressMaxAgeMs: 1000 });
    const id = await coordinator.publish();
    const response = await fetch(`${coordinator.base}/api/v1/studies/${id}/events`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('\n\n')) text += decoder.decode((await reader.read()).value);
    await (await coordinator.volunteer('127.58.0.1')).leased(id);
    const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 5_000));
    while (!text.includes('"activeLeases":1')) {
      const chunk = await Promise.race([reader.read(), deadline]);
      if (chunk === 'late') throw new Error(`no event with the lease within 5 s: ${text}`);
      text += decoder.decode(chunk.value);
    }
    await reader.cancel();
  });

  it('serves reads with an ETag, unchanged until something is decided', async () => {
    const id = await coordinator.publish();
    const first = await call('GET', `/studies/${id}/results`);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"/);
    const again = await coordinator.client().request('GET', `/api/v1/studies/${id}/results`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const [a, b] = await coordinator.volunteers('127.54.0.1', '127.55.0.1');
    const la = await a.leased(id);
    const lb = await leaseOf(b, id, la.unit.id);
    await a.upload(la, await runResult(la.unit, [18, 15, 19], '2026-11-24T12:01:00.000Z'));
    await b.upload(lb, await runResult(lb.unit, [18, 15, 19], '2026-11-24T12:02:00.000Z'));
    const changed = await coordinator.client().request('GET', `/api/v1/studies/${id}/results`, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.json.runs).toHaveLength(1);
  });

  it('limits reads per address', async () => {
    await restart({ readsPerAddressPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await call('GET', '/studies', { from: '127.56.0.1' })).status).toBe(200);
    const refused = await call('GET', '/studies', { from: '127.56.0.1' });
    expect(refused.status).toBe(429);
    expect(refused.json.error).toMatch(/too many reads from this address: at most 3 a minute/);
    expect((await call('GET', '/studies', { from: '127.57.0.1' })).status).toBe(200);
  });
});

/** Leases for `who` until it holds `unitId` (units are handed out at random), releasing the others. */
async function leaseOf(who: Volunteer, studyId: string, unitId: number): Promise<Leased> {
  const others: Leased[] = [];
  for (;;) {
    const leased = await who.leased(studyId);
    if (leased.unit.id === unitId) {
      for (const o of others) await who.call('POST', `/leases/${o.lease.id}/release`);
      return leased;
    }
    others.push(leased);
    if (others.length > 1) throw new Error(`never leased unit ${unitId}`);
  }
}

describe('malformed and malicious uploads: refused with the right status, nothing stored', () => {
  let studyId: string;
  let me: Volunteer;
  let mine: Leased;
  const good = () => runResult(mine.unit, [18, 15, 19]);

  beforeEach(async () => {
    studyId = await coordinator.publish();
    me = await coordinator.volunteer('127.60.0.1');
    mine = await me.leased(studyId);
  });

  /** Sends, checks the status and message, and that no result was stored and the lease is still open. */
  async function refused(status: number, message: RegExp, body: unknown, options: { lease?: string; credential?: string | null; raw?: string; contentType?: string } = {}) {
    const before = rows();
    const credential = options.credential === undefined ? me.credential : options.credential;
    const headers: Record<string, string> = credential === null ? {} : { [VOLUNTEER_HEADER]: credential };
    if (options.contentType) headers['content-type'] = options.contentType;
    const answer = await me.client.request('POST', `/api/v1/leases/${options.lease ?? mine.lease.id}/result`, { body, raw: options.raw, headers });
    expect(answer.status, answer.text).toBe(status);
    expect(answer.text).toMatch(message);
    expect({ ...rows(), volunteers: 0 }).toEqual({ ...before, volunteers: 0 });
    expect(rows().results).toBe(0);
    expect(leaseState(mine.lease.id)).toBe('active');
  }

  it("a result for another unit (its config hash is not the lease's), or for another study's unit", async () => {
    const runs = await Promise.all(planRuns(parseStudySpec(SPEC)).map(async (run) => ({ run, hash: await configHash(run.config) })));
    const other = runs.find((r) => r.hash !== mine.unit.configHash)!;
    await refused(422, new RegExp(`configHash: ${other.hash} is not the leased unit's ${mine.unit.configHash}`), await runResult(other.run, [18, 15, 19]));
    const elsewhere = await coordinator.publish(DATASET, { ...SPEC, name: 'another study', seeds: [5] });
    const theirs = await (await coordinator.volunteer('127.61.0.1')).leased(elsewhere);
    await refused(422, /seed: 5 is not the leased unit's seed 0/, await runResult(theirs.unit, [18, 15, 19]));
  });

  it('a config edited after hashing', async () => {
    const run = await good();
    await refused(400, /configHash: does not match the run's config/, { ...run, config: { ...run.config, training: { ...run.config.training, epochs: 99 } } });
  });

  it('a wrong dataset hash, or a wrong seed', async () => {
    const run = await good();
    await refused(422, /dataset.contentHash: d{64} is not the study's dataset/, { ...run, dataset: { ...run.dataset, contentHash: 'd'.repeat(64) } });
    await refused(422, /seed: 3 is not the leased unit's seed 0/, { ...run, seed: 3 });
  });

  it("forged totals: inconsistent ones, consistent ones that are not the study's test split, and counts the predictions do not give", async () => {
    const run = await good();
    const inflated = { ...run, perClass: run.perClass.map((c, k) => (k === 1 ? { ...c, correct: 20 } : c)) };
    await refused(400, /perClass\.1\.correct|confusion\.1\.1/, inflated);
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
      predictions: undefined,
      top1: 1,
    };
    await refused(422, /perClass\.0\.total: 25, the study's test split has 20 images of ..airplane/, shifted);
    // Counts and confusion matrix of a better run, with predictions whose columns add up but whose images are not those classes.
    const better = await runResult(mine.unit, [20, 20, 20]);
    const sorted = [...better.predictions!].sort((x, y) => x - y);
    await refused(422, /confusion\.0: \[20, 0, 0\], but the predictions of the study's ..airplane.. test images give \[7, 7, 6\]/, { ...better, predictions: sorted });
    const { predictions: _, ...without } = run;
    await refused(422, /predictions: missing; replicas are compared image by image/, without);
  });

  it('an oversized body: 413 before anything else, whoever sends it', async () => {
    const run = await good();
    const padded = { ...run, history: Array.from({ length: 2000 }, (_, step) => ({ step, epoch: 0, loss: 1.234567, lr: 0.1, imagesPerSec: 20 })) };
    expect(JSON.stringify(padded).length).toBeGreaterThan(64 * 1024);
    await refused(413, /larger than the 65536 bytes allowed/, padded);
    await refused(413, /larger than the 65536 bytes allowed/, padded, { credential: null });
    await refused(413, /larger than the 65536 bytes allowed/, padded, { credential: 'not-a-credential', lease: 'not-a-lease' });
    // Sent in chunks, without a length: counted as it arrives.
    const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(coordinator.base);
      const req = request(
        { host: url.hostname, port: url.port, method: 'POST', path: `/api/v1/leases/${mine.lease.id}/result`, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', [VOLUNTEER_HEADER]: me.credential } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      const bytes = Buffer.from(JSON.stringify(padded));
      for (let i = 0; i < bytes.length; i += 8192) req.write(bytes.subarray(i, i + 8192));
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(rows().results).toBe(0);
  });

  it('a replayed lease: the second upload on a lease is refused', async () => {
    const run = await good();
    expect((await me.upload(mine, run)).status).toBe(200);
    const before = rows();
    const replay = await me.upload(mine, { ...run, startedAt: '2026-11-24T13:00:00.000Z' });
    expect(replay.status).toBe(409);
    expect(replay.json.error).toMatch(/already has its result/);
    expect(rows()).toEqual(before);
    expect(resultsOf(mine.unit.id)).toHaveLength(1);
  });

  it("another volunteer's lease, an unknown lease, no credential and a foreign one, checked before the body is read", async () => {
    const intruder = await coordinator.volunteer('127.62.0.1');
    await refused(403, /belongs to another volunteer/, await good(), { credential: intruder.credential });
    await refused(404, /no lease/, await good(), { lease: 'not-a-lease' });
    await refused(401, /a volunteer credential is required/, await good(), { credential: null });
    await refused(401, /not a volunteer credential this coordinator issued/, await good(), { credential: 'volunteer-me-0123456789abcdef' });
    // Not JSON at all, but refused on its lease first: the body is never parsed.
    await refused(403, /belongs to another volunteer/, undefined, { credential: intruder.credential, raw: '{"config": {"model": ' });
    expect((await intruder.call('POST', `/leases/${mine.lease.id}/release`)).status).toBe(403);
    expect(leaseState(mine.lease.id)).toBe('active');
  });

  it('SQL-looking strings where the schema wants other things', async () => {
    const run = await good();
    await refused(400, /invalid run result/, { ...run, configHash: "' OR '1'='1" });
    await refused(400, /invalid run result/, { ...run, seed: '0; DROP TABLE results' });
    await refused(401, /not a volunteer credential/, run, { credential: "x' OR volunteer_id LIKE '%" });
    await refused(404, /no lease/, run, { lease: encodeURIComponent("' OR 1=1 --") });
  });

  it('non-JSON: plain text, malformed JSON, prototype pollution', async () => {
    await refused(415, /send JSON/, undefined, { raw: 'top1=1&perClass=all', contentType: 'text/plain' });
    await refused(400, /JSON/, undefined, { raw: '{"config": {"model": ' });
    await refused(400, /not valid JSON/, undefined, { raw: '{"__proto__": {"admin": true}}' });
  });

  it('too many requests from one volunteer', async () => {
    await restart({ volunteerActionsPerWindow: 3 });
    studyId = await coordinator.publish();
    me = await coordinator.volunteer('127.63.0.1');
    mine = await me.leased(studyId);
    expect((await me.call('POST', `/leases/${mine.lease.id}/heartbeat`)).status).toBe(200);
    expect((await me.call('POST', `/leases/${mine.lease.id}/heartbeat`)).status).toBe(200);
    await refused(429, /more than 3 requests in 60 s/, await good());
    coordinator.clock += 61_000;
    expect((await me.upload(mine, await good())).status).toBe(200);
  });
});

describe('the test fixture', () => {
  it('makes results whose predictions give their counts', async () => {
    const run = await runResult({ config: planRuns(parseStudySpec(SPEC))[0]!.config, seed: 0 }, [18, 15, 19]);
    expect(run.predictions).toHaveLength(TEST_COUNT);
    expect(run.perClass.map((c) => c.correct)).toEqual([18, 15, 19]);
    expect(contributorId('x')).toMatch(/^[0-9a-f]{16}$/);
  });
});
