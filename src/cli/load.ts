/**
 * npm run load -- [--coordinator URL] [--volunteers N] [--units N] [--seconds S]
 *                 [--heartbeat-seconds S] [--train-seconds MIN-MAX] [--timeout-ms MS] [--kill-after S]
 *
 * A bounded load generator on loopback: starts a coordinator in a process of
 * its own with a fresh database (or uses the one given, with
 * CLASSWISE_ADMIN_TOKEN to publish), publishes a study of --units units, and
 * plays --volunteers volunteers, each from its own 127.x network: a
 * credential and a first lease each (before the measurement), then
 * heartbeats every few seconds, upload of a valid result, next lease, for
 * --seconds, with a small GET beside them.
 * Prints requests/s and latency percentiles per route, then one line of
 * JSON: {"leaseHeartbeat":{"rps","p50Ms","p99Ms"},"read":{"p99Ms"},"timeouts","errors"}.
 * With --kill-after S the coordinator is killed with SIGKILL S seconds in,
 * and the JSON also says whether its database kept every acknowledged upload.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { LEASE_HEARTBEAT, runLoad, type LoadReport } from '../coordinator/load/run';
import type { RouteSummary } from '../coordinator/load/recorder';
import { runCommand, UsageError } from './command';

const USAGE = `usage: npm run load -- [--coordinator URL] [--volunteers N] [--units N] [--seconds S]
                       [--heartbeat-seconds S] [--train-seconds MIN-MAX] [--timeout-ms MS] [--kill-after S]
  --coordinator        a running coordinator (CLASSWISE_ADMIN_TOKEN publishes the load study); default: start one here
  --volunteers         simulated volunteers, each on its own 127.x.y.0/24 (default 1000, at most 64000)
  --units              units of the load study (default 1000, at most 10000)
  --seconds            how long to measure (default 30, at most 600)
  --heartbeat-seconds  between a volunteer's heartbeats (default 10)
  --train-seconds      how long a unit "trains" before its upload, MIN-MAX (default 60-120)
  --timeout-ms         a request unanswered this long is a time-out (default 10000)
  --kill-after         SIGKILL the coordinator this many seconds in, then check its database (only one started here)`;

function int(value: string | undefined, fallback: number, flag: string, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} must be a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

function row(route: string, s: RouteSummary): string {
  const statuses = Object.entries(s.statuses)
    .sort()
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  return `${route.padEnd(16)} ${String(s.requests).padStart(7)} ${s.rps.toFixed(1).padStart(8)} ${s.p50Ms.toFixed(1).padStart(8)} ${s.p90Ms.toFixed(1).padStart(8)} ${s.p99Ms.toFixed(1).padStart(8)} ${s.maxMs.toFixed(1).padStart(8)}  ${statuses}`;
}

function print(report: LoadReport): void {
  console.log(`\n${'route'.padEnd(16)} ${'requests'.padStart(7)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p90 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}  statuses`);
  for (const [route, s] of Object.entries(report.routes)) console.log(row(route, s));
  console.log(row(LEASE_HEARTBEAT.join('+'), report.leaseHeartbeat));
  console.log(`over ${report.seconds.toFixed(1)} s; load average ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  const requests = Object.values(report.routes).reduce((n, r) => n + r.requests, 0);
  const { coordinator, generator } = report.cpuSeconds;
  if (coordinator !== null) console.log(`CPU in the window: coordinator ${coordinator.toFixed(1)} s (${((1000 * coordinator) / Math.max(requests, 1)).toFixed(2)} ms a request), generator ${generator.toFixed(1)} s`);
  const lag = report.generatorLoopDelayMs;
  console.log(`the generator's timers ran late by p50 ${lag.p50.toFixed(0)} ms, p99 ${lag.p99.toFixed(0)} ms, at most ${lag.max.toFixed(0)} ms`);
  if (report.kill) {
    const k = report.kill;
    console.log(`killed after ${k.atSeconds.toFixed(1)} s: ${k.acknowledgedUploads} uploads acknowledged, ${k.missing} missing after the kill, integrity_check ${k.integrityCheck}`);
  }
  const round = (x: number) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify({
      leaseHeartbeat: { rps: round(report.leaseHeartbeat.rps), p50Ms: round(report.leaseHeartbeat.p50Ms), p99Ms: round(report.leaseHeartbeat.p99Ms) },
      read: { p99Ms: round(report.read.p99Ms) },
      timeouts: report.timeouts,
      errors: report.errors,
      ...(report.kill && { kill: { acknowledgedUploads: report.kill.acknowledgedUploads, missing: report.kill.missing, integrityCheck: report.kill.integrityCheck } }),
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      coordinator: { type: 'string' },
      volunteers: { type: 'string' },
      units: { type: 'string' },
      seconds: { type: 'string' },
      'heartbeat-seconds': { type: 'string' },
      'train-seconds': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'kill-after': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const seconds = int(values.seconds, 30, '--seconds', 600);
  const train = /^(\d+)-(\d+)$/.exec(values['train-seconds'] ?? '60-120');
  if (!train || Number(train[1]) < 1 || Number(train[2]) < Number(train[1])) throw new UsageError(`--train-seconds must be MIN-MAX in whole seconds, got "${values['train-seconds']}"`);
  let coordinator: string | undefined;
  if (values.coordinator !== undefined) {
    const url = new URL(values.coordinator);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new UsageError(`the load generator only talks to a coordinator on loopback, not ${url.hostname}`);
    coordinator = url.origin;
    if (!process.env.CLASSWISE_ADMIN_TOKEN) throw new UsageError('set CLASSWISE_ADMIN_TOKEN to the coordinator\'s organiser token: the load study is published with it');
  }
  const killAfter = values['kill-after'] === undefined ? undefined : int(values['kill-after'], 0, '--kill-after', seconds);
  if (killAfter !== undefined && coordinator) throw new UsageError('--kill-after kills the coordinator, so only one started here');
  const report = await runLoad({
    coordinator,
    adminToken: process.env.CLASSWISE_ADMIN_TOKEN,
    volunteers: int(values.volunteers, 1000, '--volunteers', 64_000),
    units: int(values.units, 1000, '--units', 10_000),
    seconds,
    heartbeatSeconds: int(values['heartbeat-seconds'], 10, '--heartbeat-seconds', 3600),
    trainSeconds: [Number(train[1]), Number(train[2])],
    timeoutMs: int(values['timeout-ms'], 10_000, '--timeout-ms', 600_000),
    readEveryMs: 200,
    killAfterSeconds: killAfter,
    log: (line) => console.log(line),
  });
  print(report);
}

runCommand(main, { usage: USAGE, stacks: false });
