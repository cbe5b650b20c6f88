/**
 * The load generator against a coordinator it starts in a process of its
 * own, killed with SIGKILL part way through: volunteers on distinct 127.x
 * networks got credentials, leased, heartbeat and uploaded valid results,
 * and after the kill the database passes SQLite's integrity check and holds
 * every upload that was acknowledged. (`npm run load -- --kill-after S`
 * does the same at full size.)
 */
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../src/coordinator/load/run';

describe('the coordinator killed under load', () => {
  it('loses no acknowledged upload', async () => {
    const report = await runLoad({ volunteers: 40, units: 40, seconds: 5, killAfterSeconds: 4, heartbeatSeconds: 1, trainSeconds: [1, 2], timeoutMs: 10_000, readEveryMs: 200 });
    expect(report.kill).toMatchObject({ missing: 0, integrityCheck: 'ok' });
    expect(report.kill!.acknowledgedUploads).toBeGreaterThan(10);
    expect(report.routes['lease']!.statuses['200']).toBeGreaterThan(40);
    expect(report.routes['heartbeat']!.statuses['200']).toBeGreaterThan(0);
    expect(report.errors, JSON.stringify(report.routes)).toBe(0);
    expect(report.timeouts).toBe(0);
  }, 120_000);
});
