/**
 * The storage layer in real Chromium: datasets cached in IndexedDB (served
 * here by playwright's router, every request counted), resumed downloads,
 * corrupt shards, a full quota (Chromium's own quota override), checkpoints.
 * The tests share one profile and run in order.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CDPSession } from 'playwright-core';
import type { CheckpointSpec, LoadReport } from './storage-harness';
import { ok, type Outcome } from './outcome';
import { openHarness, waitForHarness, type HarnessSession } from './session';
import { DB_VERSION } from '../../src/storage/db';

const PAGE = 'test/browser/storage-harness.html';
const READY = 'storageHarness';

interface Shard {
  url: string;
  bytes: number;
  sha256: string;
  count: number;
}

/** What the fake server serves, by path under fake-data/. */
const files = new Map<string, Buffer>();
/** Requests the router saw, by path; and every request the page made for fake-data/ (cache hits included). */
const routed = new Map<string, number>();
let pageRequests = 0;
/** Paths whose next requests fail as a dropped connection. */
const failing = new Set<string>();

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Serves a dataset of incompressible random shards; `served` replaces what the server sends for some shards. */
function dataset(name: string, sizes: number[], options: { served?: Record<number, Buffer>; extra?: Shard[] } = {}) {
  const shards: Shard[] = sizes.map((size, i) => {
    const bytes = randomBytes(size);
    files.set(`${name}/shard-${i}.bin`, options.served?.[i] ?? bytes);
    return { url: `shard-${i}.bin`, bytes: size, sha256: sha(bytes), count: size / 16 };
  });
  shards.push(...(options.extra ?? []));
  files.set(`${name}/manifest.json`, Buffer.from(JSON.stringify({ name: `tiny-${name}`, shards })));
  return { url: new URL(`fake-data/${name}/manifest.json`, inject('baseUrl')).href, shards, bytes: shards.reduce((n, s) => n + s.bytes, 0) };
}

const a = dataset('a', [40_000, 56_000, 72_000]);
const b = dataset('b', [32_000, 32_000, 32_000]);
const c = dataset('c', [8_000, 8_000, 8_000], { served: { 1: randomBytes(8_000) } });
const d = dataset('d', [2_500_000, 2_500_000, 2_500_000]);
// e shares a's first shard (by URL and hash) and has one of its own.
const e = dataset('e', [24_000], { extra: [{ ...a.shards[0]!, url: '../a/shard-0.bin' }] });

/**
 * The origin's quota, set through CDP before the page first opens IndexedDB:
 * Chromium's IndexedDB caches the space it has left and asks the quota
 * manager again only when a write does not fit that, so an override set
 * after the first write is not seen until then. 4.5 MB holds everything else
 * these tests store (under 1 MB) and the first 2.5 MB shard of d, but not its second.
 */
const QUOTA = 4_500_000;

function counts(name: string): number[] {
  return [...files.keys()].filter((p) => p.startsWith(`${name}/shard-`)).sort().map((p) => routed.get(p) ?? 0);
}
function resetCounts(): void {
  routed.clear();
  pageRequests = 0;
}

let session: HarnessSession;
let cdp: CDPSession;
let origin: string;
async function load(url: string): Promise<Outcome<LoadReport>> {
  return session.page.evaluate((u) => window.storageHarness!.loadDataset(u), url);
}
async function stored() {
  return session.page.evaluate(() => window.storageHarness!.storedShards());
}
async function datasets() {
  return session.page.evaluate(() => window.storageHarness!.listDatasets());
}

beforeAll(async () => {
  session = await openHarness({ page: PAGE, ready: READY, webgpu: false });
  origin = new URL(inject('baseUrl')).origin;
  cdp = await session.page.context().newCDPSession(session.page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: QUOTA });
  session.page.on('request', (request) => {
    if (request.url().includes('/fake-data/')) pageRequests++;
  });
  await session.page.route('**/fake-data/**', async (route) => {
    const path = new URL(route.request().url()).pathname.replace(/^.*\/fake-data\//, '');
    routed.set(path, (routed.get(path) ?? 0) + 1);
    if (failing.has(path)) return route.abort('connectionreset');
    const body = files.get(path);
    if (!body) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, body, contentType: path.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
  });
});
afterAll(async () => {
  await session?.close();
});

describe('dataset cache', () => {
  it('downloads each shard once, then loads from IndexedDB with no requests, even after a reload', async () => {
    resetCounts();
    const first = ok(await load(a.url));
    expect(first.shards).toEqual(a.shards.map((s) => s.sha256));
    expect(first.sizes).toEqual([40_000, 56_000, 72_000]);
    expect(routed.get('a/manifest.json')).toBe(1);
    expect(counts('a')).toEqual([1, 1, 1]);
    // Byte progress: monotonic, ending at the dataset's size.
    const loaded = first.progress.map((p) => p.loadedBytes);
    expect(loaded).toEqual([...loaded].sort((x, y) => x - y));
    expect(first.progress.at(-1)).toMatchObject({ loadedBytes: a.bytes, totalBytes: a.bytes, shard: 2, shards: 3, fromCache: false });
    expect(await datasets()).toEqual([expect.objectContaining({ id: a.url, name: 'tiny-a', bytes: a.bytes, complete: true })]);

    resetCounts();
    const again = ok(await load(a.url));
    expect(again.shards).toEqual(first.shards);
    expect(again.manifestCached).toBe(true);
    expect(pageRequests).toBe(0);

    await session.page.reload();
    await waitForHarness(session.page, READY);
    resetCounts();
    const reloaded = ok(await load(a.url));
    expect(reloaded.shards).toEqual(first.shards);
    expect(reloaded.manifestCached).toBe(true);
    expect(reloaded.progress.every((p) => p.fromCache)).toBe(true);
    expect(pageRequests).toBe(0);
    expect(routed.size).toBe(0);
    console.log(`dataset a: ${a.bytes} bytes in 3 shards; first load 4 requests (manifest + 3 shards), after a reload ${pageRequests}`);
  });

  it('resumes an interrupted download, fetching only the missing shards', async () => {
    resetCounts();
    failing.add('b/shard-1.bin');
    const broken = await load(b.url);
    expect(broken).toMatchObject({ ok: false, name: 'ShardDownloadError' });
    expect(broken.ok || broken.message).toContain('b/shard-1.bin');
    expect(counts('b')).toEqual([1, 1, 0]);
    expect((await datasets()).find((x) => x.id === b.url)?.complete).toBe(false);
    expect((await stored()).filter((s) => s.datasetIds.includes(b.url)).map((s) => s.sha256)).toEqual([b.shards[0]!.sha256]);

    failing.clear();
    resetCounts();
    const resumed = ok(await load(b.url));
    expect(resumed.shards).toEqual(b.shards.map((s) => s.sha256));
    expect(routed.get('b/manifest.json') ?? 0).toBe(0);
    expect(counts('b')).toEqual([0, 1, 1]);
    expect((await datasets()).find((x) => x.id === b.url)?.complete).toBe(true);
  });

  it('refuses a downloaded shard that does not match its hash, storing nothing of it', async () => {
    resetCounts();
    const bad = await load(c.url);
    expect(bad).toMatchObject({ ok: false, name: 'CorruptShardError' });
    if (bad.ok) return;
    expect(bad.message).toContain('c/shard-1.bin');
    expect(bad.message).toContain(c.shards[1]!.sha256);
    const shas = (await stored()).map((s) => s.sha256);
    expect(shas).toContain(c.shards[0]!.sha256);
    expect(shas).not.toContain(c.shards[1]!.sha256);
    expect(shas).not.toContain(sha(files.get('c/shard-1.bin')!));
    expect((await datasets()).find((x) => x.id === c.url)?.complete).toBe(false);
    // putShard directly: the same refusal.
    const direct = await session.page.evaluate(([s]) => window.storageHarness!.putShard(s, [1, 2, 3], 'direct'), [c.shards[2]!.sha256] as const);
    expect(direct).toMatchObject({ ok: false, name: 'CorruptShardError' });
    expect((await stored()).some((s) => s.datasetIds.includes('direct'))).toBe(false);
  });

  it('detects a stored shard corrupted afterwards, drops it, and downloads it again', async () => {
    const target = a.shards[1]!.sha256;
    await session.page.evaluate((s) => window.storageHarness!.corruptStoredShard(s), target);
    const read = await session.page.evaluate((s) => window.storageHarness!.getShard(s), target);
    expect(read).toMatchObject({ ok: false, name: 'CorruptShardError' });
    expect(read.ok || read.message).toContain(target);
    expect((await stored()).map((s) => s.sha256)).not.toContain(target);
    expect((await datasets()).find((x) => x.id === a.url)?.complete).toBe(false);

    resetCounts();
    const reloaded = ok(await load(a.url));
    expect(reloaded.shards).toEqual(a.shards.map((s) => s.sha256));
    expect(counts('a')).toEqual([0, 1, 0]);
    expect((await datasets()).find((x) => x.id === a.url)?.complete).toBe(true);
  });

  it('shares a shard between datasets and deletes only what no other dataset uses', async () => {
    resetCounts();
    ok(await load(e.url));
    expect(counts('e')).toEqual([1]);
    expect(counts('a')).toEqual([0, 0, 0]); // a's shard 0 came from the cache
    const shared = (await stored()).find((s) => s.sha256 === a.shards[0]!.sha256)!;
    expect(shared.datasetIds.sort()).toEqual([a.url, e.url].sort());

    const removed = await session.page.evaluate((id) => window.storageHarness!.deleteDataset(id), e.url);
    expect(removed).toEqual({ shardsRemoved: 1, bytesFreed: 24_000 });
    const after = await stored();
    expect(after.find((s) => s.sha256 === a.shards[0]!.sha256)?.datasetIds).toEqual([a.url]);
    expect(after.some((s) => s.sha256 === e.shards[0]!.sha256)).toBe(false);
    expect((await datasets()).map((x) => x.id)).not.toContain(e.url);

    const removedC = await session.page.evaluate((id) => window.storageHarness!.deleteDataset(id), c.url);
    expect(removedC.shardsRemoved).toBe(1);
    expect((await stored()).some((s) => s.datasetIds.includes(c.url))).toBe(false);
    expect((await datasets()).map((x) => [x.name, x.complete])).toEqual([
      ['tiny-a', true],
      ['tiny-b', true],
    ]);
  });

  it('turns a full quota into StorageFullError, leaving the dataset incomplete and the others loadable', async () => {
    const before = await session.page.evaluate(() => window.storageHarness!.storageStatus());
    // Room for one 2.5 MB shard of d but not two.
    expect(before.usage!).toBeLessThan(QUOTA - 2_500_000);
    try {
      resetCounts();
      const full = await load(d.url);
      expect(full).toMatchObject({ ok: false, name: 'StorageFullError' });
      if (full.ok) return;
      expect(full.message).toMatch(/d\/shard-1\.bin: it needs 2\.5 MB/);
      expect(full.message).toMatch(/used of a .* quota/);
      expect(counts('d')).toEqual([1, 1, 0]);
      const dShards = (await stored()).filter((s) => s.datasetIds.includes(d.url)).map((s) => s.sha256);
      expect(dShards).toEqual([d.shards[0]!.sha256]);
      expect((await datasets()).find((x) => x.id === d.url)?.complete).toBe(false);

      resetCounts();
      const stillThere = ok(await load(a.url));
      expect(stillThere.shards).toEqual(a.shards.map((s) => s.sha256));
      expect(pageRequests).toBe(0);
      // A checkpoint too big for what is left: refused whole, the run's previous checkpoint kept.
      const small: CheckpointSpec = { runKey: 'quota:0', step: 1, fill: 1, size: 64 };
      ok(await session.page.evaluate((spec) => window.storageHarness!.saveCheckpoint(spec), small));
      const big = await session.page.evaluate((spec) => window.storageHarness!.saveCheckpoint(spec), { ...small, step: 2, size: 320_000 });
      expect(big).toMatchObject({ ok: false, name: 'StorageFullError' });
      expect(big.ok || big.message).toMatch(/the checkpoint of run quota:0 at step 2: it needs 2\.5\d MB/);
      expect((await session.page.evaluate((spec) => window.storageHarness!.loadCheckpoint(spec.runKey, spec), small))?.identical).toBe(true);
      // Ending the run with a model too big for what is left: refused whole, the checkpoint kept to resume from.
      const ending = await session.page.evaluate((spec) => window.storageHarness!.completeRun(spec), { ...small, step: 3, size: 320_000 });
      expect(ending).toMatchObject({ ok: false, name: 'StorageFullError' });
      expect(ending.ok || ending.message).toMatch(/the result and trained model of run quota:0: it needs 2\.5\d MB/);
      expect(await session.page.evaluate(() => window.storageHarness!.runRecords('quota:0'))).toEqual({ checkpoint: true, listed: true, result: null, model: null });
      expect((await session.page.evaluate((spec) => window.storageHarness!.loadCheckpoint(spec.runKey, spec), small))?.identical).toBe(true);
      expect(await session.page.evaluate(() => window.storageHarness!.deleteCheckpoint('quota:0'))).toBe(true);

      console.log(`quota overridden to ${QUOTA} bytes (usage ${before.usage} before d): ${full.message}`);
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    }
    resetCounts();
    ok(await load(d.url));
    expect(counts('d')).toEqual([0, 1, 1]);
    expect((await datasets()).find((x) => x.id === d.url)?.complete).toBe(true);
  });

  it('reports byte progress while a shard streams in', async () => {
    // Playwright's router delivers a body in one piece, so this shard comes from a server that sends it in parts.
    // Each part goes once the page has reported every byte before it (it says so at /ack), not after a fixed pause
    // that a busy page could sleep through, reading two parts as one.
    const body = randomBytes(256 * 1024);
    let sent = 0;
    let shard: ServerResponse | null = null;
    const sendPart = () => {
      if (!shard) return;
      if (sent >= body.length) return void shard.end();
      shard.write(body.subarray(sent, (sent += 64 * 1024)));
    };
    const server = createServer((request, response) => {
      if (request.url?.startsWith('/ack')) {
        response.writeHead(204, { 'access-control-allow-origin': '*' }).end();
        if (Number(new URL(request.url, 'http://x').searchParams.get('loaded')) >= sent) sendPart();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'access-control-allow-origin': '*' });
      shard = response;
      sendPart();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { progress, bytes } = ok(
        await session.page.evaluate(([u, s, n, a]) => window.storageHarness!.streamedDownload(u, s, n, a), [`${origin}/shard.bin`, sha(body), body.length, `${origin}/ack`] as const),
      );
      expect(bytes).toBe(body.length);
      const loaded = progress.map((p) => p.loadedBytes);
      console.log(`a 256 KB shard sent in 4 parts: ${progress.length} progress reports (${loaded.join(', ')})`);
      expect(progress.length).toBeGreaterThanOrEqual(4);
      expect(loaded).toEqual([...loaded].sort((x, y) => x - y));
      expect(loaded.at(-1)).toBe(body.length);
      expect((await datasets()).map((x) => x.id)).not.toContain('stream-test');
    } finally {
      server.close();
    }
  });

  it('reports usage and quota as numbers, and persistence as a boolean', async () => {
    const status = await session.page.evaluate(() => window.storageHarness!.storageStatus());
    expect(typeof status.usage).toBe('number');
    expect(typeof status.quota).toBe('number');
    expect(status.usage!).toBeGreaterThan(a.bytes + b.bytes);
    expect(typeof status.persisted).toBe('boolean');
    expect(typeof (await session.page.evaluate(() => window.storageHarness!.requestPersistence()))).toBe('boolean');
  });

  it('says when IndexedDB is unavailable', async () => {
    const outcome = await session.page.evaluate(() => window.storageHarness!.openWithoutIndexedDb());
    expect(outcome).toMatchObject({ ok: false, name: 'StorageUnavailableError' });
    expect(outcome.ok || outcome.message).toMatch(/IndexedDB.*not available.*Private browsing/);
  });
});

describe('schema migrations', () => {
  it('upgrades a version-1 database in place, keeping its checkpoints', async () => {
    const upgraded = await session.page.evaluate(() => window.storageHarness!.upgradeFromVersion1());
    expect(upgraded.version).toBe(DB_VERSION);
    expect(upgraded.stores).toEqual(expect.arrayContaining(['runResults', 'trainedModels', 'studies']));
    expect(upgraded.checkpointStep).toBe(7);
  });

  it('upgrades a version-2 database in place, keeping its checkpoints and results (which have no trained model)', async () => {
    const upgraded = await session.page.evaluate(() => window.storageHarness!.upgradeFromVersion2());
    expect(upgraded).toEqual({
      version: DB_VERSION,
      stores: expect.arrayContaining(['checkpoints', 'runResults', 'trainedModels', 'studies']),
      checkpointStep: 9,
      resultSteps: 12,
      model: false,
    });
  });
});

describe('checkpoints', () => {
  const run = 'c0ffee:0';
  const first: CheckpointSpec = { runKey: run, step: 10, fill: 1, size: 4096 };
  const second: CheckpointSpec = { runKey: run, step: 20, fill: 2, size: 4096 };
  const save = (spec: CheckpointSpec, fault?: 'abort-before-commit' | 'uncloneable') =>
    session.page.evaluate(([s, f]) => window.storageHarness!.saveCheckpoint(s, f), [spec, fault] as const);
  const loadCheckpoint = (runKey: string, expected?: CheckpointSpec) =>
    session.page.evaluate(([r, x]) => window.storageHarness!.loadCheckpoint(r, x), [runKey, expected] as const);
  const list = () => session.page.evaluate(() => window.storageHarness!.listCheckpoints());

  it('round-trips a checkpoint with its Float32Array tensors bit for bit', async () => {
    const info = ok(await save(first));
    expect(info).toMatchObject({ runKey: run, step: 10, epoch: 1 });
    expect(info.bytes).toBeGreaterThan(2 * 4096 * 4);
    const loaded = await loadCheckpoint(run, first);
    expect(loaded?.identical).toBe(true);
    expect(loaded?.tensors).toEqual([
      { name: 'param:conv1.weight', shape: [1024, 4], float32: true, length: 4096, bufferBytes: 16_384 },
      // Saved as a view into a 48 KB buffer; stored as its own 16 KB.
      { name: 'momentum:conv1.weight', shape: [1024, 4], float32: true, length: 4096, bufferBytes: 16_384 },
    ]);
    console.log(`checkpoint: ${info.bytes} bytes listed`);
  });

  it('keeps only the latest checkpoint of a run', async () => {
    ok(await save(second));
    expect((await loadCheckpoint(run, second))?.identical).toBe(true);
    const entries = (await list()).filter((x) => x.runKey === run);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ step: 20, epoch: 2 });
  });

  it('leaves the previous checkpoint intact when a save fails mid-transaction', async () => {
    const aborted = await save({ ...second, step: 30, fill: 3 }, 'abort-before-commit');
    expect(aborted).toMatchObject({ ok: false, message: 'test fault: abort before commit' });
    const uncloneable = await save({ ...second, step: 40, fill: 4 }, 'uncloneable');
    expect(uncloneable).toMatchObject({ ok: false, name: 'DataCloneError' });
    expect((await loadCheckpoint(run, second))?.identical).toBe(true);
    expect((await list()).filter((x) => x.runKey === run).map((x) => x.step)).toEqual([20]);
  });

  it('ends a run with its result and trained model in place of its checkpoint, and deletes the two together', async () => {
    const finishing: CheckpointSpec = { runKey: 'f1n15h:2', step: 8, fill: 7, size: 256 };
    ok(await save(finishing));
    const records = (expected?: CheckpointSpec) => session.page.evaluate(([r, x]) => window.storageHarness!.runRecords(r, x), [finishing.runKey, expected] as const);
    ok(await session.page.evaluate((spec) => window.storageHarness!.completeRun(spec), finishing));
    expect(await records(finishing)).toEqual({
      checkpoint: false,
      listed: false,
      result: { steps: 8 },
      model: {
        tensors: [
          { name: 'param:conv1.weight', shape: [64, 4], float32: true, bufferBytes: 1024 },
          // Handed over as a view into a 2 KB buffer; stored as its own 1 KB.
          { name: 'buffer:bn1.running_var', shape: [64, 4], float32: true, bufferBytes: 1024 },
        ],
        identical: true,
      },
    });
    const remove = () => session.page.evaluate((r) => window.storageHarness!.deleteResult(r), finishing.runKey);
    expect(await remove()).toBe(true);
    expect(await records()).toEqual({ checkpoint: false, listed: false, result: null, model: null });
    expect(await remove()).toBe(false);
  });

  it('keeps past studies newest first and deletes a study with the stored runs no other study shares', async () => {
    expect(await session.page.evaluate(() => window.storageHarness!.pastStudies())).toEqual({
      listed: ['newer', 'older'],
      before: [true, true, true],
      afterOlder: { listed: ['newer'], stored: [false, true, true], model: false },
      afterBoth: { listed: [], stored: [false, false, false] },
    });
  });

  it('lists and deletes checkpoints', async () => {
    ok(await save({ runKey: 'beef:1', step: 5, fill: 5, size: 64 }));
    expect((await list()).map((x) => x.runKey).sort()).toEqual(['beef:1', run]);
    expect(await session.page.evaluate((r) => window.storageHarness!.deleteCheckpoint(r), run)).toBe(true);
    expect(await loadCheckpoint(run)).toBeNull();
    expect((await list()).map((x) => x.runKey)).toEqual(['beef:1']);
    expect(await session.page.evaluate((r) => window.storageHarness!.deleteCheckpoint(r), run)).toBe(false);
  });
});
