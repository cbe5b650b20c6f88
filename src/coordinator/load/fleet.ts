/**
 * Simulated volunteers for the load generator: each on its own network
 * (127.a.b.1, one /24 apiece), with a credential of its own; each leases a
 * unit, heartbeats its lease every few seconds while it "trains", uploads a
 * valid result, and leases the next, until told to stop. Credentials and
 * first leases are taken before the measurement (`join`); then each starts
 * part way through its first unit and at a random point of its heartbeat
 * period, so the window sees the steady mix of a study under way, not
 * everyone arriving at once.
 */
import { VOLUNTEER_HEADER } from '../context';
import { LoopbackClient, TimeoutError, type Answer } from './http';
import type { Recorder } from './recorder';
import { loadResult } from './study';

export interface FleetOptions {
  base: string;
  studyId: string;
  volunteers: number;
  heartbeatSeconds: number;
  /** How long a unit "trains", uniform in [min, max] seconds. */
  trainSeconds: [number, number];
  timeoutMs: number;
  recorder: Recorder;
}

/** The i-th volunteer's address: a /24 of its own inside 127.0.0.0/8. */
export function volunteerAddress(i: number): string {
  if (i < 0 || i >= 250 * 256) throw new RangeError(`at most ${250 * 256} volunteers have an address of their own`);
  return `127.${1 + Math.floor(i / 256)}.${i % 256}.1`;
}

interface Leased {
  lease: { id: string };
  unit: { id: number; config: unknown; configHash: string; seed: number };
}

export class Fleet {
  private stopped = false;
  private readonly volunteers: SimulatedVolunteer[] = [];
  private readonly sleeps = new Set<() => void>();
  /** Upload ids the coordinator answered 200 for, with when the answer came (performance.now()). */
  readonly acknowledged: { resultId: string; at: number }[] = [];

  constructor(private readonly options: FleetOptions) {}

  /** Gets every volunteer a credential and its first lease, `parallel` at a time. */
  async join(parallel = 64): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < this.options.volunteers) {
        const v = new SimulatedVolunteer(this, volunteerAddress(next++), this.options);
        await v.join();
        this.volunteers.push(v);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  /** Runs every volunteer until stop(); resolves when all have finished their last request. */
  run(): Promise<void> {
    return Promise.all(this.volunteers.map((v) => v.run())).then(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    for (const wake of this.sleeps) wake();
  }

  close(): void {
    for (const v of this.volunteers) v.close();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Waits `ms`, or less when stopped. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeps.add(wake);
    });
  }
}

class SimulatedVolunteer {
  private readonly client: LoopbackClient;
  private credential = '';

  constructor(
    private readonly fleet: Fleet,
    address: string,
    private readonly options: FleetOptions,
  ) {
    this.client = new LoopbackClient(options.base, address, 1);
  }

  /** One request, timed and recorded under `route`; null when it got no answer. */
  private async call(route: string, method: string, path: string, body?: string): Promise<Answer | null> {
    const started = performance.now();
    const headers: Record<string, string> = this.credential ? { [VOLUNTEER_HEADER]: this.credential } : {};
    try {
      const answer = await this.client.request(method, `/api/v1${path}`, { raw: body ?? '{}', headers, timeoutMs: this.options.timeoutMs });
      this.options.recorder.record(route, started, performance.now() - started, answer.status);
      return answer;
    } catch (error) {
      this.options.recorder.record(route, started, performance.now() - started, error instanceof TimeoutError ? 'timeout' : 'network');
      return null;
    }
  }

  private leased: Leased | null = null;

  async join(): Promise<void> {
    const answer = await this.call('credential', 'POST', '/volunteers');
    if (answer?.status !== 201) throw new Error(`no credential for ${this.client.localAddress}: ${answer?.status} ${answer?.text}`);
    this.credential = answer.json.credential as string;
    this.leased = await this.lease();
  }

  private async lease(): Promise<Leased | null> {
    const answer = await this.call('lease', 'POST', `/studies/${this.options.studyId}/lease`);
    return answer?.status === 200 && answer.json.lease ? (answer.json as Leased) : null;
  }

  async run(): Promise<void> {
    const period = this.options.heartbeatSeconds * 1000;
    const { trainSeconds } = this.options;
    const trainMs = () => 1000 * (trainSeconds[0] + Math.random() * (trainSeconds[1] - trainSeconds[0]));
    // Part way through the first unit, at a random point of the heartbeat period.
    let remaining = Math.random() * trainMs();
    let firstBeat = Math.random() * period;
    while (!this.fleet.isStopped) {
      if (!this.leased) this.leased = await this.lease();
      if (!this.leased) {
        await this.fleet.sleep(period);
        continue;
      }
      const { lease, unit } = this.leased;
      const uploadAt = performance.now() + remaining;
      let beatAt = performance.now() + firstBeat;
      remaining = trainMs();
      firstBeat = period;
      while (!this.fleet.isStopped) {
        await this.fleet.sleep(Math.min(beatAt, uploadAt) - performance.now());
        if (this.fleet.isStopped || performance.now() >= uploadAt) break;
        await this.call('heartbeat', 'POST', `/leases/${lease.id}/heartbeat`);
        beatAt += period;
      }
      if (this.fleet.isStopped) break;
      const uploaded = await this.call('upload', 'POST', `/leases/${lease.id}/result`, loadResult(unit, new Date()));
      if (uploaded?.status === 200) this.fleet.acknowledged.push({ resultId: uploaded.json.resultId as string, at: performance.now() });
      this.leased = null;
    }
  }

  close(): void {
    this.client.close();
  }
}
