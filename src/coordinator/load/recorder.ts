/** Latencies and outcomes per route, for the load generator's report. */

export interface RouteSummary {
  requests: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers by status ('timeout' and 'network' for requests that got none). */
  statuses: Record<string, number>;
}

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export class Recorder {
  private readonly latencies = new Map<string, number[]>();
  private readonly statuses = new Map<string, Record<string, number>>();
  /** Only requests that start inside [from, to) are counted (performance.now() ms); nothing before open(). */
  private window: { from: number; to: number; endedBy: number } = { from: Infinity, to: Infinity, endedBy: Infinity };

  /** `endedBy`: also drop requests answered after it (when the coordinator was killed then, what was in flight never had a chance). */
  open(from: number, to: number, endedBy = Infinity): void {
    this.window = { from, to, endedBy };
  }

  record(route: string, startedAt: number, ms: number, status: number | 'timeout' | 'network'): void {
    if (startedAt < this.window.from || startedAt >= this.window.to || startedAt + ms > this.window.endedBy) return;
    let list = this.latencies.get(route);
    if (!list) this.latencies.set(route, (list = []));
    list.push(ms);
    const counts = this.statuses.get(route) ?? {};
    counts[String(status)] = (counts[String(status)] ?? 0) + 1;
    this.statuses.set(route, counts);
  }

  routes(): string[] {
    return [...this.latencies.keys()].sort();
  }

  summary(routes: string[], seconds: number): RouteSummary {
    const all = routes.flatMap((r) => this.latencies.get(r) ?? []).sort((a, b) => a - b);
    const statuses: Record<string, number> = {};
    for (const r of routes) for (const [s, n] of Object.entries(this.statuses.get(r) ?? {})) statuses[s] = (statuses[s] ?? 0) + n;
    return {
      requests: all.length,
      rps: all.length / seconds,
      p50Ms: quantile(all, 0.5),
      p90Ms: quantile(all, 0.9),
      p99Ms: quantile(all, 0.99),
      maxMs: all.at(-1) ?? 0,
      statuses,
    };
  }
}
