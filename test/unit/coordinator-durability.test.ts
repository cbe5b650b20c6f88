/**
 * The coordinator as `npm run coordinator` runs it (main.ts in a child
 * process, its database in a temporary DATA_DIR), killed with SIGKILL in the
 * middle of a slow upload just after accepting another: on restart the
 * accepted result is there, the half one is not, and its lease can still be
 * answered. Also: a generated organiser token is printed once and survives
 * the restart as its hash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoopbackClient } from '../../src/coordinator/load/http';
import { VOLUNTEER_HEADER } from '../../src/coordinator/server';
import { Store } from '../../src/coordinator/store';
import { DATASET, runResult, SPEC } from './coordinator-fixtures';

const dataDir = mkdtempSync(join(tmpdir(), 'classwise-coordinator-main-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts main.ts on dataDir and resolves with its address and everything it printed up to then. */
async function startCoordinator(): Promise<{ child: ChildProcess; base: string; printed: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', CLASSWISE_LOG: '0', STATIC_DIR: join(dataDir, 'no-app') };
  delete env.CLASSWISE_ADMIN_TOKEN;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/coordinator/main.ts'], { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let printed = '';
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the coordinator did not start:\n${printed}`)), 45_000);
    const read = (chunk: Buffer) => {
      printed += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(printed);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`the coordinator exited with ${code}:\n${printed}`)));
  });
  return { child, base, printed };
}

async function kill(child: ChildProcess) {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
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
    let { child, base, printed } = await startCoordinator();
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
    await kill(child);
    expect((await failed).message).toMatch(/socket hang up|ECONNRESET/);

    const store = new Store(join(dataDir, 'coordinator.sqlite'));
    try {
      expect(store.rowCounts()).toMatchObject({ studies: 1, units: 2, results: 1 });
      expect(store.results.ofUnit(la.unit.id).map((r) => r.leaseId)).toEqual([la.lease.id]);
      expect(store.leases.get(lb.lease.id)?.state).toBe('active');
    } finally {
      store.close();
    }

    ({ child, base, printed } = await startCoordinator());
    // The token was printed once; after the restart only its hash is kept, and it still works.
    expect(printed).not.toMatch(/organiser token/);
    const stats = await fetch(`${base}/api/v1/admin/stats`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await stats.json()) as { rows: { results: number } }).rows.results).toBe(1);
    const resumed = await post(base, `/leases/${lb.lease.id}/result`, JSON.parse(body.toString()), b.headers, b.from);
    expect(resumed.json).toMatchObject({ state: 'valid', unit: { state: 'done' } });
    const results = (await (await fetch(`${base}/api/v1/studies/${study.json.id}/results`)).json()) as { runs: unknown[] };
    expect(results.runs).toHaveLength(1);
    await kill(child);
  }, 120_000);
});
