/**
 * The coordinator's HTTP API (fastify, JSON, under /api/v1): organisers
 * publish studies as grids of work units, volunteers lease units, train them
 * in the browser and upload the results file, and replicas are validated
 * against each other before a result is published for pooling.
 *
 * Every upload goes through `parseRunResult`, the same schema the workbench
 * uses for its own files, and is then checked against the lease it claims to
 * answer. All SQL lives in db.ts; the replica comparison in validate.ts.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ServerResponse } from 'node:http';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TEACHING_CLASSES } from '../data/teaching';
import { configHash, ConfigError, formatIssues } from '../study/config';
import { parseRunResult, RESULTS_SCHEMA, type RunResult } from '../study/results';
import { parseStudySpec, planRuns } from '../study/study';
import { canonicalJson } from '../util/hash';
import { Store, type DatasetInfo, type LeaseRow, type Progress, type StoredResult, type StudyRow, type UnitRow } from './db';
import { decideUnit, type Replica } from './validate';

export const API_PREFIX = '/api/v1';
/** The header a volunteer's browser sends its random id in. */
export const VOLUNTEER_HEADER = 'x-classwise-volunteer';

export interface Limits {
  /** Largest results upload accepted, in bytes (a Fashion-MNIST run with predictions and history is a few hundred KB). */
  resultBytes: number;
  /** Largest body of any other request (study specs, lease requests). */
  otherBytes: number;
  /** A lease lasts this long after it is issued or last heartbeat. */
  leaseSeconds: number;
  /** However often it beats, no lease outlives this: a unit is not held forever by one browser. */
  maxLeaseSeconds: number;
  /** Units one volunteer may hold at once, so that nobody hoards a study. */
  activeLeasesPerVolunteer: number;
  /** Lease, heartbeat and upload requests per volunteer per window. */
  volunteerActionsPerWindow: number;
  volunteerWindowSeconds: number;
  /** POST requests per client address per minute, whatever volunteer ids it claims. */
  postsPerAddressPerMinute: number;
  /** Units in one study (config × seed). */
  unitsPerStudy: number;
  /** Open server-sent event streams in all. */
  eventStreams: number;
}

export const DEFAULT_LIMITS: Limits = {
  resultBytes: 4 * 1024 * 1024,
  otherBytes: 256 * 1024,
  leaseSeconds: 15 * 60,
  maxLeaseSeconds: 24 * 60 * 60,
  activeLeasesPerVolunteer: 2,
  volunteerActionsPerWindow: 60,
  volunteerWindowSeconds: 60,
  postsPerAddressPerMinute: 600,
  unitsPerStudy: 10_000,
  eventStreams: 200,
};

export interface ServerOptions {
  dbPath: string;
  /** The organiser's bearer token, or only its SHA-256 (hex) when the plain token is not kept. */
  adminToken: string | { sha256: string };
  /** The built app (dist/), served from the same origin when present. */
  staticDir?: string;
  limits?: Partial<Limits>;
  /** The clock, in ms since the epoch; tests move it to expire leases. */
  now?: () => number;
  logger?: boolean;
}

/** A refusal with its HTTP status and, for schema failures, one line per bad field. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The public name of a volunteer: their browser id is a bearer secret (it authorises uploads), never shown. */
export function contributorId(volunteerId: string): string {
  return sha256(`classwise.contributor:${volunteerId}`).slice(0, 16);
}

const noControl = /^[^\u0000-\u001f\u007f]*$/;

const datasetInfoSchema = z
  .strictObject({
    manifestUrl: z.string().min(1, 'a manifest URL is required').max(2048),
    contentHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha-256 hex digest'),
    testCount: z.number().int().positive(),
    classNames: z
      .array(z.string().min(1).max(200))
      .min(2)
      .max(1000)
      .refine((names) => new Set(names).size === names.length, 'class names must be distinct'),
    classTestCounts: z.array(z.number().int().nonnegative()).optional(),
  })
  .superRefine((d, ctx) => {
    if (!d.classTestCounts) return;
    if (d.classTestCounts.length !== d.classNames.length) {
      ctx.addIssue({ code: 'custom', path: ['classTestCounts'], message: `has ${d.classTestCounts.length} entries for ${d.classNames.length} classes` });
    }
    const sum = d.classTestCounts.reduce((a, b) => a + b, 0);
    if (sum !== d.testCount) ctx.addIssue({ code: 'custom', path: ['classTestCounts'], message: `add up to ${sum}, not testCount ${d.testCount}` });
  });

const publishSchema = z.strictObject({
  spec: z.unknown(),
  dataset: datasetInfoSchema,
  quorum: z.number().int().min(1).max(5).default(2),
  /** Replicas tried before a unit is left inconclusive; quorum + 2 by default (two tiebreaks). */
  maxReplicas: z.number().int().min(1).max(10).optional(),
});

const leaseBodySchema = z
  .strictObject({
    volunteerId: z.string().optional(),
    displayName: z.string().trim().min(1).max(64).regex(noControl, 'must not contain control characters').optional(),
  })
  .default({});

/** A browser-generated random id: long enough not to be guessed; any printable text is stored as given. */
function checkVolunteerId(id: string): string {
  if (id.length < 16 || id.length > 256) throw new HttpError(400, `a volunteer id must be 16 to 256 characters long, got ${id.length}`);
  if (!noControl.test(id)) throw new HttpError(400, 'a volunteer id must not contain control characters');
  return id;
}

function volunteerFromHeader(request: FastifyRequest): string | null {
  const value = request.headers[VOLUNTEER_HEADER];
  if (Array.isArray(value)) throw new HttpError(400, `send one ${VOLUNTEER_HEADER} header, not ${value.length}`);
  return value === undefined ? null : checkVolunteerId(value);
}

function requireVolunteer(request: FastifyRequest): string {
  const id = volunteerFromHeader(request);
  if (id === null) throw new HttpError(401, `a volunteer id is required in the ${VOLUNTEER_HEADER} header`);
  return id;
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, `invalid ${what}`, formatIssues(parsed.error));
  return parsed.data;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Checks that spec and published dataset describe the same data, where the spec says enough to tell. */
function checkSpecAgainstDataset(dataset: DatasetInfo, specDataset: ReturnType<typeof parseStudySpec>['baseline']['dataset']): string[] {
  const issues: string[] = [];
  const expect = (classes: number, testCount: number) => {
    if (dataset.classNames.length !== classes) issues.push(`dataset.classNames: ${dataset.classNames.length} names for the spec's ${classes} classes`);
    if (dataset.testCount !== testCount) issues.push(`dataset.testCount: ${dataset.testCount}, the spec's dataset has ${testCount} test images`);
  };
  switch (specDataset.kind) {
    case 'manifest':
      if (specDataset.url !== dataset.manifestUrl) issues.push(`dataset.manifestUrl: "${dataset.manifestUrl}" is not the spec's manifest URL "${specDataset.url}"`);
      break;
    case 'synthetic':
      expect(specDataset.classes, specDataset.classes * specDataset.testPerClass);
      break;
    case 'teaching':
      expect(TEACHING_CLASSES.length, TEACHING_CLASSES.length * specDataset.testPerClass);
      break;
    case 'builtin':
      break;
  }
  return issues;
}

/** The checks a schema-valid result must pass to answer this lease: its unit, its study's dataset. */
function checkAgainstUnit(run: RunResult, unit: UnitRow, study: StudyRow): string[] {
  const issues: string[] = [];
  const ds = study.dataset;
  if (run.configHash !== unit.configHash) issues.push(`configHash: ${run.configHash} is not the leased unit's ${unit.configHash}`);
  if (run.seed !== unit.seed) issues.push(`seed: ${run.seed} is not the leased unit's seed ${unit.seed}`);
  if (run.dataset.contentHash !== ds.contentHash) issues.push(`dataset.contentHash: ${run.dataset.contentHash} is not the study's dataset ${ds.contentHash}`);
  if (run.dataset.testCount !== ds.testCount) issues.push(`dataset.testCount: ${run.dataset.testCount}, the study's test split has ${ds.testCount} images`);
  if (canonicalJson(run.dataset.classNames) !== canonicalJson(ds.classNames)) issues.push(`dataset.classNames: not the study's classes`);
  if (ds.classTestCounts) {
    run.perClass.forEach((c, k) => {
      const expected = ds.classTestCounts![k];
      if (c.total !== expected) issues.push(`perClass.${k}.total: ${c.total}, the study's test split has ${expected} images of "${ds.classNames[k]}"`);
    });
  }
  return issues;
}

function toReplica(result: StoredResult): Replica {
  const run = JSON.parse(result.body) as RunResult;
  return { id: result.id, top1: run.top1, perClass: run.perClass, startedAt: run.startedAt, wallTimeSec: run.wallTimeSec };
}

/** A fixed one-minute window per client address, in memory: a first line against floods of fresh volunteer ids. */
class AddressLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly perMinute: number) {}
  take(address: string, now: number): boolean {
    if (this.windows.size > 10_000) {
      for (const [key, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(key);
    }
    const w = this.windows.get(address);
    if (!w || now - w.start >= 60_000) {
      this.windows.set(address, { start: now, count: 1 });
      return true;
    }
    w.count++;
    return w.count <= this.perMinute;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The coordinator's store, for main.ts's admin token and for tests that check what was stored. */
    store: Store;
  }
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const adminHash = Buffer.from(typeof options.adminToken === 'string' ? sha256(options.adminToken) : options.adminToken.sha256, 'hex');
  if (adminHash.length !== 32) throw new Error('the admin token hash must be a sha-256 hex digest');
  if (typeof options.adminToken === 'string' && options.adminToken.length < 16) throw new Error('the admin token must be at least 16 characters long');

  const store = new Store(options.dbPath);
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: limits.otherBytes, forceCloseConnections: true });
  app.decorate('store', store);
  app.addHook('onClose', async () => store.close());

  // Only JSON bodies: a text/plain upload is refused as 415 instead of reaching the schema as a string.
  app.removeContentTypeParser('text/plain');

  const progressEvents = new EventEmitter();
  progressEvents.setMaxListeners(limits.eventStreams + 10);
  const streams = new Set<ServerResponse>();
  const publishProgress = (studyId: string) => progressEvents.emit(studyId, store.progress(studyId, now()));
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
  });

  const addressLimiter = new AddressLimiter(limits.postsPerAddressPerMinute);
  app.addHook('onRequest', async (request) => {
    if (request.method === 'POST' && !addressLimiter.take(request.ip, now())) {
      throw new HttpError(429, 'too many requests from this address: wait a minute');
    }
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof HttpError) {
      return reply.status(error.statusCode).send({ error: error.message, ...(error.issues.length ? { issues: error.issues } : {}) });
    }
    if (error instanceof ConfigError) return reply.status(400).send({ error: `invalid ${error.what}`, issues: error.issues });
    const status = typeof error === 'object' && error !== null && 'statusCode' in error ? Number(error.statusCode) : 500;
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    if (status >= 400 && status < 500) {
      // fastify's own refusals: body too large (413), malformed JSON (400), wrong content type (415).
      const message =
        code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `the body is larger than the ${request.routeOptions.bodyLimit ?? limits.otherBytes} bytes allowed`
          : code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'send JSON (Content-Type: application/json)'
            : error instanceof Error
              ? error.message
              : 'bad request';
      return reply.status(status).send({ error: message });
    }
    request.log.error(error);
    return reply.status(500).send({ error: 'internal error: the coordinator logged it' });
  });

  const requireAdmin = (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
    if (token === null) throw new HttpError(401, 'this needs the organiser token: Authorization: Bearer <token>');
    if (!timingSafeEqual(Buffer.from(sha256(token), 'hex'), adminHash)) throw new HttpError(401, 'the organiser token is wrong');
  };

  const getStudy = (id: string): StudyRow => {
    const study = store.getStudy(id);
    if (!study) throw new HttpError(404, `no study ${id}`);
    return study;
  };

  /** A volunteer's lease, checked to be theirs; the caller then checks its state. */
  const ownLease = (request: FastifyRequest<{ Params: { id: string } }>): { lease: LeaseRow; volunteerId: string } => {
    const volunteerId = requireVolunteer(request);
    const lease = store.getLease(request.params.id);
    if (!lease) throw new HttpError(404, `no lease ${request.params.id}`);
    if (lease.volunteerId !== volunteerId) throw new HttpError(403, 'this lease belongs to another volunteer');
    if (!store.takeVolunteerAction(volunteerId, now(), limits.volunteerWindowSeconds * 1000, limits.volunteerActionsPerWindow)) {
      throw new HttpError(429, `more than ${limits.volunteerActionsPerWindow} requests in ${limits.volunteerWindowSeconds} s from this volunteer: slow down`);
    }
    return { lease, volunteerId };
  };

  const requireActive = (lease: LeaseRow) => {
    if (lease.state === 'finished') throw new HttpError(409, 'this lease already has its result: a lease takes one upload');
    if (lease.state === 'released') throw new HttpError(409, 'this lease was released');
    if (lease.state === 'expired' || lease.expiresAt <= now()) throw new HttpError(410, 'this lease has expired: lease a new unit');
  };

  const studySummary = (study: StudyRow, progress: Progress) => ({
    id: study.id,
    name: study.name,
    createdAt: iso(study.createdAt),
    quorum: study.quorum,
    progress,
  });

  await app.register(
    async (api) => {
      api.post('/studies', async (request, reply) => {
        requireAdmin(request);
        const body = parseBody(publishSchema, request.body, 'study');
        const spec = parseStudySpec(body.spec);
        const dataset: DatasetInfo = { ...body.dataset, classTestCounts: body.dataset.classTestCounts ?? null };
        const mismatch = checkSpecAgainstDataset(dataset, spec.baseline.dataset);
        if (mismatch.length) throw new HttpError(400, 'the dataset does not match the study spec', mismatch);
        const maxReplicas = body.maxReplicas ?? body.quorum + 2;
        if (maxReplicas < body.quorum) throw new HttpError(400, `maxReplicas (${maxReplicas}) must be at least the quorum (${body.quorum})`);
        const runs = planRuns(spec);
        if (runs.length > limits.unitsPerStudy) throw new HttpError(400, `the study has ${runs.length} units; at most ${limits.unitsPerStudy} are allowed`);
        const units = await Promise.all(
          runs.map(async (run) => ({ label: run.label, config: canonicalJson(run.config), configHash: await configHash(run.config), seed: run.seed })),
        );
        const id = randomUUID();
        store.createStudy({ id, name: spec.name, spec: canonicalJson(spec), dataset, quorum: body.quorum, maxReplicas, createdAt: now(), units });
        return reply.status(201).send({ id, units: units.length, quorum: body.quorum, maxReplicas });
      });

      api.get('/studies', async () => ({
        studies: store.listStudies().map((study) => studySummary(study, store.progress(study.id, now()))),
      }));

      api.get<{ Params: { id: string } }>('/studies/:id', async (request) => {
        const study = getStudy(request.params.id);
        const replicas = store.validReplicas(study.id);
        return {
          ...studySummary(study, store.progress(study.id, now())),
          maxReplicas: study.maxReplicas,
          spec: JSON.parse(study.spec) as unknown,
          dataset: study.dataset,
          contributors: store.contributors(study.id),
          units: store.unitsOfStudy(study.id).map((u) => ({
            id: u.id,
            label: u.label,
            configHash: u.configHash,
            seed: u.seed,
            state: u.state,
            validReplicas: replicas.get(u.id) ?? [],
          })),
        };
      });

      api.post<{ Params: { id: string } }>('/studies/:id/lease', async (request) => {
        const study = getStudy(request.params.id);
        const body = parseBody(leaseBodySchema, request.body ?? {}, 'lease request');
        const fromHeader = volunteerFromHeader(request);
        const fromBody = body.volunteerId === undefined ? null : checkVolunteerId(body.volunteerId);
        if (fromHeader !== null && fromBody !== null && fromHeader !== fromBody) throw new HttpError(400, `the ${VOLUNTEER_HEADER} header and volunteerId differ`);
        const volunteerId = fromHeader ?? fromBody;
        if (volunteerId === null) throw new HttpError(401, `a volunteer id is required, in the ${VOLUNTEER_HEADER} header or as volunteerId`);
        const t = now();
        store.touchVolunteer(volunteerId, contributorId(volunteerId), body.displayName ?? null, t);
        if (!store.takeVolunteerAction(volunteerId, t, limits.volunteerWindowSeconds * 1000, limits.volunteerActionsPerWindow)) {
          throw new HttpError(429, `more than ${limits.volunteerActionsPerWindow} requests in ${limits.volunteerWindowSeconds} s from this volunteer: slow down`);
        }
        const outcome = store.issueLease({ studyId: study.id, volunteerId, leaseId: randomUUID(), now: t, leaseMs: limits.leaseSeconds * 1000, maxActive: limits.activeLeasesPerVolunteer });
        if (outcome.kind === 'too-many-active') {
          throw new HttpError(429, `you hold ${outcome.active} active leases, the most allowed: upload or wait for one to expire`);
        }
        if (outcome.kind === 'none-available') {
          return { lease: null, studyComplete: outcome.studyComplete, reason: outcome.studyComplete ? 'every unit of this study is decided' : 'no unit needs a replica from you now: try again later' };
        }
        publishProgress(study.id);
        const { lease, unit } = outcome;
        return {
          lease: { id: lease.id, issuedAt: iso(lease.issuedAt), expiresAt: iso(lease.expiresAt), heartbeatSeconds: Math.max(10, Math.floor(limits.leaseSeconds / 3)) },
          unit: { id: unit.id, label: unit.label, config: JSON.parse(unit.config) as unknown, configHash: unit.configHash, seed: unit.seed },
          study: { id: study.id, name: study.name },
          dataset: study.dataset,
        };
      });

      api.post<{ Params: { id: string } }>('/leases/:id/heartbeat', async (request) => {
        const { lease } = ownLease(request);
        requireActive(lease);
        const t = now();
        const expires = Math.min(t + limits.leaseSeconds * 1000, lease.issuedAt + limits.maxLeaseSeconds * 1000);
        if (expires <= t || !store.heartbeat(lease.id, t, expires)) throw new HttpError(410, 'this lease has reached its longest life or expired: lease a new unit');
        return { id: lease.id, expiresAt: iso(expires) };
      });

      api.post<{ Params: { id: string } }>('/leases/:id/release', async (request) => {
        const { lease } = ownLease(request);
        requireActive(lease);
        store.releaseLease(lease.id);
        publishProgress(store.getUnit(lease.unitId)!.studyId);
        return { id: lease.id, state: 'released' };
      });

      api.post<{ Params: { id: string } }>('/leases/:id/result', { bodyLimit: limits.resultBytes }, async (request) => {
        const { lease } = ownLease(request);
        requireActive(lease);
        const unit = store.getUnit(lease.unitId)!;
        const study = getStudy(unit.studyId);
        let run: RunResult;
        try {
          run = await parseRunResult(request.body);
        } catch (error) {
          if (error instanceof ConfigError) throw new HttpError(400, `invalid ${error.what}`, error.issues);
          throw error;
        }
        const mismatch = checkAgainstUnit(run, unit, study);
        if (mismatch.length) throw new HttpError(422, 'the result does not answer this lease', mismatch);
        const outcome = store.recordResult({
          resultId: randomUUID(),
          leaseId: lease.id,
          body: canonicalJson(run),
          now: now(),
          decide: (u, replicas) => decideUnit(replicas.map(toReplica), { quorum: study.quorum, maxReplicas: study.maxReplicas }, u.canonicalResultId),
        });
        // A second upload on the same lease that raced this one past the checks above lands here.
        if (outcome.kind === 'lease-not-active') {
          throw outcome.state === 'expired' || outcome.state === 'past-expiry'
            ? new HttpError(410, 'this lease has expired: lease a new unit')
            : new HttpError(409, 'this lease already has its result: a lease takes one upload');
        }
        if (outcome.kind === 'duplicate') throw new HttpError(409, 'you already returned a replica of this unit');
        publishProgress(study.id);
        return { resultId: outcome.resultId, state: outcome.state, unit: { id: unit.id, state: outcome.unit.state } };
      });

      // Validated results as one `classwise.results/1` file: the canonical result of each decided unit
      // (one per config × seed: replicas of one seed are not independent samples), importable by the workbench.
      api.get<{ Params: { id: string } }>('/studies/:id/results', async (request) => {
        const study = getStudy(request.params.id);
        return {
          schema: RESULTS_SCHEMA,
          createdAt: iso(now()),
          study: JSON.parse(study.spec) as unknown,
          runs: store.canonicalResults(study.id).map((body) => JSON.parse(body) as unknown),
        };
      });

      api.get<{ Params: { id: string } }>('/studies/:id/events', async (request, reply: FastifyReply) => {
        const study = getStudy(request.params.id);
        if (streams.size >= limits.eventStreams) throw new HttpError(503, 'too many open event streams: poll GET /studies/:id instead');
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        const send = (progress: Progress) => raw.write(`event: progress\ndata: ${JSON.stringify(progress)}\n\n`);
        send(store.progress(study.id, now()));
        // A comment line now and then keeps proxies from closing an idle stream.
        const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 25_000);
        streams.add(raw);
        progressEvents.on(study.id, send);
        raw.on('close', () => {
          clearInterval(keepAlive);
          progressEvents.off(study.id, send);
          streams.delete(raw);
        });
      });

      api.get('/admin/stats', async (request) => {
        requireAdmin(request);
        return { rows: store.rowCounts() };
      });

      api.all('/*', async (request) => {
        throw new HttpError(404, `no endpoint ${request.method} ${request.url}`);
      });
    },
    { prefix: API_PREFIX },
  );

  if (options.staticDir && existsSync(resolve(options.staticDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: resolve(options.staticDir), prefix: '/' });
  }

  return app;
}
