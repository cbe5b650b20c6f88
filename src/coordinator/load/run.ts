/**
 * One load run: a coordinator (started here in a child process with a fresh
 * database, unless one is given), a published study of `units` units,
 * `volunteers` simulated volunteers and a reader beside them for `seconds`;
 * latencies per route. With `killAfterSeconds`, the coordinator is killed
 * (SIGKILL) that far into the run, and its database is then checked: SQLite's
 * integrity check, and every upload it acknowledged still there.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Fleet } from './fleet';
import { LoopbackClient } from './http';
import { spawnCoordinator, type CoordinatorProcess } from './process';
import { Recorder, type RouteSummary } from './recorder';
import { startReader } from './reader';
import { loadStudy } from './study';

export interface LoadOptions {
  /** A running coordinator's origin; without it one is started here. */
  coordinator?: string;
  /** The organiser token of a given coordinator (to publish the load study). */
  adminToken?: string;
  volunteers: number;
  units: number;
  seconds: number;
  heartbeatSeconds: number;
  trainSeconds: [number, number];
  /** A request without an answer after this long counts as a time-out. */
  timeoutMs: number;
  /** The reader's small GET, this often. */
  readEveryMs: number;
  killAfterSeconds?: number;
  log?: (line: string) => void;
}

export interface LoadReport {
  seconds: number;
  setupSeconds: number;
  routes: Record<string, RouteSummary>;
  leaseHeartbeat: RouteSummary;
  read: RouteSummary;
  timeouts: number;
  errors: number;
  kill?: { atSeconds: number; acknowledgedUploads: number; missing: number; integrityCheck: string };
  /** CPU seconds used during the measured window by the coordinator (when started here) and by this generator: what the figures cost, whatever else the machine runs. */
  cpuSeconds: { coordinator: number | null; generator: number };
  /** How late this generator's own timers ran (ms): when it is large, the figures measure the machine, not the coordinator. */
  generatorLoopDelayMs: { p50: number; p99: number; max: number };
}

/** User + system CPU seconds of a process so far, from /proc (Linux); null elsewhere. */
async function processCpuSeconds(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime and stime are 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export const LEASE_HEARTBEAT = ['lease', 'heartbeat'];

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const log = options.log ?? (() => undefined);
  if (options.killAfterSeconds !== undefined && options.coordinator) throw new Error('--kill-after needs a coordinator started here: it kills it');
  let dataDir: string | null = null;
  let started: CoordinatorProcess | null = null;
  let token = options.adminToken ?? '';
  let base = options.coordinator ?? '';
  if (!options.coordinator) {
    dataDir = await mkdtemp(join(tmpdir(), 'classwise-load-'));
    token = randomBytes(24).toString('base64url');
    started = await spawnCoordinator(dataDir, { CLASSWISE_ADMIN_TOKEN: token });
    base = started.base;
    log(`coordinator ${base} (its own process, pid ${started.child.pid}), database ${join(dataDir, 'coordinator.sqlite')}`);
  }
  const recorder = new Recorder();
  const organiser = new LoopbackClient(base, '127.0.0.1');
  let fleet: Fleet | null = null;
  try {
    const setupStart = performance.now();
    const published = await organiser.request('POST', '/api/v1/studies', { body: loadStudy(options.units), headers: { authorization: `Bearer ${token}` }, timeoutMs: 120_000 });
    if (published.status !== 201) throw new Error(`the load study was refused (${published.status}): ${published.text}`);
    const studyId = published.json.id as string;
    fleet = new Fleet({ base, studyId, volunteers: options.volunteers, heartbeatSeconds: options.heartbeatSeconds, trainSeconds: options.trainSeconds, timeoutMs: options.timeoutMs, recorder });
    await fleet.join();
    const setupSeconds = (performance.now() - setupStart) / 1000;
    log(`study ${studyId}: ${options.units} units; ${options.volunteers} volunteers, each on its own /24, with a credential and a first lease, in ${setupSeconds.toFixed(1)} s`);

    const cpuBefore = { coordinator: await processCpuSeconds(started?.child.pid), generator: process.cpuUsage() };
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const from = performance.now();
    const until = from + 1000 * (options.killAfterSeconds ?? options.seconds);
    recorder.open(from, until, options.killAfterSeconds === undefined ? Infinity : until);
    const reader = startReader(base, recorder, { readEveryMs: options.readEveryMs, timeoutMs: options.timeoutMs });
    const running = fleet.run();
    let killedAt: number | null = null;
    await new Promise<void>((resolve) => setTimeout(resolve, until - performance.now()));
    const coordinatorCpu = await processCpuSeconds(started?.child.pid);
    const generatorCpu = process.cpuUsage(cpuBefore.generator);
    loopDelay.disable();
    if (options.killAfterSeconds !== undefined) {
      killedAt = performance.now();
      await started!.kill();
      log(`coordinator killed with SIGKILL after ${options.killAfterSeconds} s`);
    }
    fleet.stop();
    await Promise.all([running, reader.stop()]);
    const seconds = ((killedAt ?? until) - from) / 1000;

    const routes = Object.fromEntries(recorder.routes().map((r) => [r, recorder.summary([r], seconds)]));
    const all = recorder.summary(recorder.routes(), seconds);
    const report: LoadReport = {
      seconds,
      setupSeconds,
      routes,
      leaseHeartbeat: recorder.summary(LEASE_HEARTBEAT, seconds),
      read: recorder.summary(['read'], seconds),
      timeouts: all.statuses['timeout'] ?? 0,
      errors: Object.entries(all.statuses).reduce((n, [status, count]) => (status === 'timeout' || /^2\d\d$/.test(status) ? n : n + count), 0),
      cpuSeconds: {
        coordinator: coordinatorCpu === null || cpuBefore.coordinator === null ? null : coordinatorCpu - cpuBefore.coordinator,
        generator: (generatorCpu.user + generatorCpu.system) / 1e6,
      },
      generatorLoopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    };
    if (killedAt !== null) report.kill = { atSeconds: seconds, ...checkAfterKill(join(dataDir!, 'coordinator.sqlite'), fleet.acknowledged.filter((a) => a.at <= killedAt!)) };
    return report;
  } finally {
    fleet?.close();
    organiser.close();
    await started?.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

/** After a kill: the database is consistent and holds every upload that was acknowledged. */
function checkAfterKill(path: string, acknowledged: { resultId: string }[]): { acknowledgedUploads: number; missing: number; integrityCheck: string } {
  const db = new Database(path);
  try {
    const integrityCheck = String(db.pragma('integrity_check', { simple: true }));
    const has = db.prepare<{ id: string }, { n: number }>('SELECT COUNT(*) AS n FROM results WHERE id = @id');
    const missing = acknowledged.filter((a) => has.get({ id: a.resultId })!.n !== 1).length;
    return { acknowledgedUploads: acknowledged.length, missing, integrityCheck };
  } finally {
    db.close();
  }
}
