/**
 * Shared by the coordinator tests: a small study on a synthetic 3-class
 * dataset, run results built with the real schema for a leased unit, and
 * volunteers that talk to a real coordinator on loopback, each from its own
 * address (127.x.y.z), with a credential the coordinator issued.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { LoopbackClient, type Answer } from '../../src/coordinator/load/http';
import { buildServer, VOLUNTEER_HEADER, type Limits } from '../../src/coordinator/server';
import { configHash, parseRunConfig } from '../../src/study/config';
import { parseRunResult, type RunResult } from '../../src/study/results';
import { STUDY_SCHEMA, type StudySpecInput } from '../../src/study/study';

export const CLASS_NAMES = ['airplane', 'bird', 'ship'];
export const TEST_PER_CLASS = 20;
export const TEST_COUNT = CLASS_NAMES.length * TEST_PER_CLASS;
/** The dataset's identity as the engine would report it (any sha-256 serves: the coordinator compares, never recomputes). */
export const CONTENT_HASH = 'c'.repeat(64);
/** Test images interleaved by class, as the built-in sets are. */
export const TEST_LABELS = Array.from({ length: TEST_COUNT }, (_, i) => i % CLASS_NAMES.length);

/** Baseline and one crop, one seed: two units. */
export const SPEC: StudySpecInput = {
  schema: STUDY_SCHEMA,
  name: 'coordinator-test',
  baseline: {
    model: { arch: 'resnet20', width: 0.25 },
    dataset: { kind: 'synthetic', size: 8, classes: 3, trainPerClass: 16, testPerClass: TEST_PER_CLASS },
    training: { epochs: 1, batchSize: 16, optimizer: { lr: 0.1 } },
  },
  sweep: { crop: [{ kind: 'resized', scale: 0.5 }] },
  seeds: [0],
};

export const DATASET = {
  manifestUrl: '/datasets/synthetic-3/manifest.json',
  contentHash: CONTENT_HASH,
  testCount: TEST_COUNT,
  classNames: CLASS_NAMES,
  classTestCounts: CLASS_NAMES.map(() => TEST_PER_CLASS),
  testLabels: TEST_LABELS,
};

export const ADMIN_TOKEN = 'organiser-token-for-tests-0123456789';

/**
 * Per-image predictions with `correct[k]` of class k's images right (its
 * first ones in test order) and every miss on the next class.
 */
export function predictionsFor(correct: number[]): number[] {
  const seen = CLASS_NAMES.map(() => 0);
  return TEST_LABELS.map((label) => (seen[label]!++ < correct[label]! ? label : (label + 1) % CLASS_NAMES.length));
}

export interface ResultOptions {
  backend?: 'webgpu' | 'webgl' | 'cpu';
  /** Predictions as given (their confusion matrix and counts follow); default predictionsFor(correct). */
  predictions?: number[];
}

/** A schema-valid result for a leased unit with `correct[k]` right per class (or the predictions given). */
export async function runResult(unit: { config: unknown; seed: number }, correct: number[], startedAt = '2026-11-24T12:00:00.000Z', options: ResultOptions = {}): Promise<RunResult> {
  const config = parseRunConfig(unit.config);
  const classes = CLASS_NAMES.length;
  const predictions = options.predictions ?? predictionsFor(correct);
  const confusion = CLASS_NAMES.map(() => new Array<number>(classes).fill(0));
  predictions.forEach((p, i) => confusion[TEST_LABELS[i]!]![p]!++);
  const right = confusion.map((row, k) => row[k]!);
  const run = {
    config,
    configHash: await configHash(config),
    seed: unit.seed,
    environment: { backend: options.backend ?? 'webgpu', adapter: null, fallbacks: [], browser: 'test', tfjsVersion: '4.22.0' },
    dataset: { name: 'synthetic-3', classNames: CLASS_NAMES, testCount: TEST_COUNT, contentHash: CONTENT_HASH },
    top1: right.reduce((a, b) => a + b, 0) / TEST_COUNT,
    perClass: right.map((c, k) => ({ class: CLASS_NAMES[k]!, correct: c, total: TEST_PER_CLASS })),
    confusion,
    predictions,
    evaluations: [],
    history: [{ step: 0, epoch: 0, loss: 1.1, lr: 0.1, imagesPerSec: 20 }],
    steps: 3,
    startedAt,
    wallTimeSec: 12.5,
  };
  // Built with the real schema: a fixture the coordinator would refuse would make every test below meaningless.
  return parseRunResult(run);
}

/** A coordinator on 127.0.0.1 with a fresh database, its clock in the test's hands. */
export class TestCoordinator {
  clock = Date.parse('2026-11-24T12:00:00.000Z');
  /** What random() returns: spot checks draw below spotCheckRate. */
  draw = 0.5;
  app!: FastifyInstance;
  base!: string;
  private dir = mkdtempSync(join(tmpdir(), 'classwise-coordinator-'));
  private clients: LoopbackClient[] = [];

  async start(limits: Partial<Limits> = {}, trustProxy?: string[]): Promise<this> {
    this.app = await buildServer({
      dbPath: join(this.dir, 'coordinator.sqlite'),
      adminToken: ADMIN_TOKEN,
      now: () => this.clock,
      random: () => this.draw,
      limits: { resultBytes: 64 * 1024, progressMaxAgeMs: 0, ...limits },
      trustProxy,
    });
    this.base = await this.app.listen({ host: '127.0.0.1', port: 0 });
    return this;
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.close();
    await this.app.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A client whose requests come from `address`. */
  client(address = '127.0.0.1'): LoopbackClient {
    const client = new LoopbackClient(this.base, address);
    this.clients.push(client);
    return client;
  }

  /** An API call from `address` (default 127.0.0.1) with the organiser's token when `admin`. */
  call(
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; contentType?: string; from?: string; admin?: boolean; credential?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.admin) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
    if (options.credential !== undefined) headers[VOLUNTEER_HEADER] = options.credential;
    if (options.contentType) headers['content-type'] = options.contentType;
    return this.client(options.from).request(method, `/api/v1${path}`, { body: options.body, raw: options.raw, headers });
  }

  async publish(dataset: object = DATASET, spec: unknown = SPEC, extra: object = {}): Promise<string> {
    const answer = await this.call('POST', '/studies', { admin: true, body: { spec, dataset, ...extra } });
    if (answer.status !== 201) throw new Error(`publish: ${answer.status} ${answer.text}`);
    return answer.json.id as string;
  }

  /** A volunteer with a fresh credential, on `address`. */
  async volunteer(address: string, displayName?: string): Promise<Volunteer> {
    const client = this.client(address);
    const answer = await client.request('POST', '/api/v1/volunteers', { body: displayName ? { displayName } : {} });
    if (answer.status !== 201) throw new Error(`credential: ${answer.status} ${answer.text}`);
    return new Volunteer(client, answer.json.credential as string, answer.json.contributor as string);
  }

  /** One volunteer per address, in order. */
  volunteers<A extends string[]>(...addresses: A): Promise<{ [K in keyof A]: Volunteer }> {
    return Promise.all(addresses.map((a) => this.volunteer(a))) as Promise<{ [K in keyof A]: Volunteer }>;
  }

  rows() {
    return this.app.store.rowCounts();
  }
}

export interface Leased {
  lease: { id: string; expiresAt: string };
  unit: { id: number; label: string; config: unknown; seed: number; configHash: string };
  dataset: { contentHash: string; classNames: string[] };
}

export class Volunteer {
  constructor(
    readonly client: LoopbackClient,
    readonly credential: string,
    readonly contributor: string,
  ) {}

  call(method: string, path: string, body?: unknown): Promise<Answer> {
    return this.client.request(method, `/api/v1${path}`, { body, headers: { [VOLUNTEER_HEADER]: this.credential } });
  }

  /** The lease answer as given (a lease, or `lease: null` with a reason); throws on a refusal. */
  async lease(studyId: string, displayName?: string): Promise<Leased & { lease: Leased['lease'] | null; reason?: string; studyComplete?: boolean }> {
    const answer = await this.call('POST', `/studies/${studyId}/lease`, displayName ? { displayName } : {});
    if (answer.status !== 200) throw new Error(`lease: ${answer.status} ${answer.text}`);
    return answer.json;
  }

  /** A lease that must be granted. */
  async leased(studyId: string, displayName?: string): Promise<Leased> {
    const answer = await this.lease(studyId, displayName);
    if (!answer.lease) throw new Error(`no lease: ${answer.reason}`);
    return answer as Leased;
  }

  upload(leased: Leased, result: unknown): Promise<Answer> {
    return this.call('POST', `/leases/${leased.lease.id}/result`, result);
  }
}
