/**
 * The coordinator as `npm run coordinator` runs it (main.ts in a child
 * process, its database in a temporary DATA_DIR), killed with SIGKILL in the
 * middle of a slow upload just after accepting another: on restart the
 * accepted result is there, the half one is not, and its lease can still be
 * answered. Also: a generated organiser token is printed once and survives
 * the restart as its hash.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoopbackClient } from '../../src/coordinator/load/http';
import { spawnCoordinator, type CoordinatorProcess } from '../../src/coordinator/load/process';
import { VOLUNTEER_HEADER } from '../../src/coordinator/server';
import { Store } from '../../src/coordinator/store';
import { DATASET, runResult, SPEC } from './coordinator-fixtures';

const dataDir = mkdtempSync(join(tmpdir(), 'classwise-coordinator-main-'));
const started: CoordinatorProcess[] = [];

afterAll(async () => {
  for (const coordinator of started) await coordinator.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

/** main.ts on dataDir, with no organiser token given: it makes one. */
async function startCoordinator(): Promise<CoordinatorProcess> {
  const coordinator = await spawnCoordinator(dataDir, { CLASSWISE_ADMIN_TOKEN: undefined });
  started.push(coordinator);
  return coordinator;
}

async function post(base: string, path: string, body: unknown, headers: Record<string, string>, from = '127.0.0.1') {
  const client = new LoopbackClient(base, from);
  try {
    return await client.request('POST', `/api/v1${path}`, { body, headers });
  } finally {
    client.close();
  }
}

/** A credential issued to a volunteer on `from`, and the headers to act with it from there. */
async function credential(base: string, from: string) {
  const { json } = await post(base, '/volunteers', {}, {}, from);
  return { from, headers: { [VOLUNTEER_HEADER]: json.credential as string } };
}

describe('a coordinator killed mid-upload', () => {
  it('keeps every accepted result and none of the half-received one', async () => {
    let { base, printed, kill } = await startCoordinator();
    const token = /organiser token \(shown once.*\): (\S+)/.exec(printed)?.[1];
    expect(token, printed).toBeDefined();
    const study = await post(base, '/studies', { spec: SPEC, dataset: DATASET }, { authorization: `Bearer ${token}` });
    expect(study.status).toBe(201);
    const [a, b] = [await credential(base, '127.120.0.1'), await credential(base, '127.121.0.1')];
    const la = (await post(base, `/studies/${study.json.id}/lease`, {}, a.headers, a.from)).json;
    // b takes the same unit: its first lease, or its second when the first was the other unit.
    let lb = (await post(base, `/studies/${study.json.id}/lease`, {}, b.headers, b.from)).json;
    if (lb.unit.id !== la.unit.id) lb = (await post(base, `/studies/${study.json.id}/lease`, {}, b.headers, b.from)).json;
    const accepted = await post(base, `/leases/${la.lease.id}/result`, await runResult(la.unit, [18, 15, 19], '2026-11-24T12:01:00.000Z'), a.headers, a.from);
    expect(accepted.json).toMatchObject({ state: 'pending' });

    // B's upload: announced in full, half sent, and the process killed while it waits for the rest.
    const body = Buffer.from(JSON.stringify(await runResult(lb.unit, [18, 15, 19], '2026-11-24T12:02:00.000Z')));
    const { port } = new URL(base);
    const slow = request({
      host: '127.0.0.1',
      localAddress: b.from,
      port,
      method: 'POST',
      path: `/api/v1/leases/${lb.lease.id}/result`,
      headers: { 'content-type': 'application/json', 'content-length': body.length, ...b.headers },
    });
    const failed = new Promise<Error>((resolve) => slow.on('error', resolve));
    slow.write(body.subarray(0, body.length >> 1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await kill();
    expect((await failed).message).toMatch(/socket hang up|ECONNRESET/);

    const store = new Store(join(dataDir, 'coordinator.sqlite'));
    try {
      expect(store.rowCounts()).toMatchObject({ studies: 1, units: 2, results: 1 });
      expect(store.results.ofUnit(la.unit.id).map((r) => r.leaseId)).toEqual([la.lease.id]);
      expect(store.leases.get(lb.lease.id)?.state).toBe('active');
    } finally {
      store.close();
    }

    ({ base, printed, kill } = await startCoordinator());
    // The token was printed once; after the restart only its hash is kept, and it still works.
    expect(printed).not.toMatch(/organiser token/);
    const stats = await fetch(`${base}/api/v1/admin/stats`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await stats.json()) as { rows: { results: number } }).rows.results).toBe(1);
    const resumed = await post(base, `/leases/${lb.lease.id}/result`, JSON.parse(body.toString()), b.headers, b.from);
    expect(resumed.json).toMatchObject({ state: 'valid', unit: { state: 'done' } });
    const results = (await (await fetch(`${base}/api/v1/studies/${study.json.id}/results`)).json()) as { runs: unknown[] };
    expect(results.runs).toHaveLength(1);
    await kill();
  }, 120_000);
});
