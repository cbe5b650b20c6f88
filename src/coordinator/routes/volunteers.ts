/**
 * The volunteer's side: get a credential, lease a unit, keep the lease
 * alive, give it back, upload its result. Each request is one transaction;
 * an upload's credential and lease are checked before its body is read.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ConfigError, formatIssues } from '../../study/config';
import type { RunResult } from '../../study/results';
import { canonicalJson } from '../../util/hash';
import { checkAgainstUnit, parseUpload } from '../checks';
import { decided, getStudy, isTrusted, leased, prefixOf, volunteer, type Coordinator } from '../context';
import { HttpError } from '../errors';
import { cleanDisplayName, contributorId, issueCredential } from '../identity';
import type { CredentialRow, LeaseRow } from '../store';
import { platformOf } from '../validate';

const iso = (ms: number) => new Date(ms).toISOString();

const displayName = z
  .string()
  .max(256)
  .transform((name, ctx) => {
    const cleaned = cleanDisplayName(name);
    if (cleaned === null) ctx.addIssue({ code: 'custom', message: 'has nothing readable left once control, bidi and zero-width characters are removed' });
    return cleaned ?? '';
  });

const credentialBodySchema = z.strictObject({ displayName: displayName.optional() }).default({});
const leaseBodySchema = z.strictObject({ displayName: displayName.optional() }).default({});

function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body ?? undefined);
  if (!parsed.success) throw new HttpError(400, `invalid ${what}`, formatIssues(parsed.error));
  return parsed.data;
}

type LeaseRequest = FastifyRequest<{ Params: { id: string } }>;

/** The volunteer's own lease, still active; call inside the request's transaction. */
function ownActiveLease(c: Coordinator, request: LeaseRequest): { credential: CredentialRow; lease: LeaseRow } {
  const credential = volunteer(c, request);
  const lease = c.store.leases.get(request.params.id);
  if (!lease) throw new HttpError(404, `no lease ${request.params.id}`);
  if (lease.volunteerId !== credential.id) throw new HttpError(403, 'this lease belongs to another volunteer');
  if (lease.state === 'finished') throw new HttpError(409, 'this lease already has its result: a lease takes one upload');
  if (lease.state === 'released') throw new HttpError(409, 'this lease was released');
  if (lease.state === 'expired' || lease.expiresAt <= c.now()) throw new HttpError(410, 'this lease has expired: lease a new unit');
  return { credential, lease };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** An upload's lease, checked before its body was read. */
    checkedLease?: LeaseRow;
  }
}

export function volunteerRoutes(api: FastifyInstance, c: Coordinator): void {
  const { limits } = c;

  api.post('/volunteers', async (request, reply) => {
    const body = parseBody(credentialBodySchema, request.body, 'credential request');
    const prefix = prefixOf(request);
    const issued = issueCredential(c.credentialKey);
    const contributor = contributorId(issued.id);
    c.store.atomic(
      () => {
        const wait = c.store.credentials.takeIssuance(prefix, c.now(), limits.credentialsPerPrefixPerHour);
        if (wait !== null) {
          throw new HttpError(429, `${limits.credentialsPerPrefixPerHour} volunteer credentials were already issued to your network (${prefix}) this hour: keep the one you have, or try again in ${Math.ceil(wait / 60)} min`, [], wait);
        }
        c.store.credentials.insert({ id: issued.id, contributor, displayName: body.displayName ?? null, now: c.now(), prefix, secretHash: issued.secretHash });
      },
      // Not fsynced: a credential lost with the machine's power costs its volunteer one 401, after which it asks for another.
    );
    return reply.status(201).send({ credential: issued.token, contributor, displayName: body.displayName ?? null });
  });

  api.post<{ Params: { id: string } }>('/studies/:id/lease', async (request) => {
    const study = getStudy(c, request.params.id);
    const body = parseBody(leaseBodySchema, request.body, 'lease request');
    if (!study.testLabels) {
      return { lease: null, studyComplete: false, reason: 'this study was published before replicas were compared image by image: the organiser must publish it again' };
    }
    const t = c.now();
    const { outcome, expired } = c.store.atomic(() => {
      const credential = volunteer(c, request);
      if (body.displayName !== undefined && body.displayName !== credential.displayName) c.store.credentials.setDisplayName(credential.id, body.displayName);
      const expired = c.store.leases.sweep(t);
      const outcome = c.store.leases.issue({
        studyId: study.id,
        credentialId: credential.id,
        credentialPrefix: credential.prefix,
        platform: credential.platform,
        requestPrefix: prefixOf(request),
        leaseId: randomUUID(),
        now: t,
        leaseMs: limits.leaseSeconds * 1000,
        maxActive: limits.activeLeasesPerVolunteer,
        maxActivePerPrefix: limits.activeLeasesPerPrefix,
        cooldownMs: limits.releaseCooldownSeconds * 1000,
        // Spot checks: a trusted credential's unit is still replicated at this rate.
        single: isTrusted(c, credential) && c.random() >= limits.spotCheckRate,
        pickKey: c.pickKey,
      });
      return { outcome, expired };
    });
    leased(c, expired);
    if (outcome.kind === 'too-many-active') throw new HttpError(429, `you hold ${outcome.active} active leases, the most allowed: upload or wait for one to expire`);
    if (outcome.kind === 'prefix-busy') throw new HttpError(429, `your network holds ${outcome.active} active leases, the most allowed for one network: wait for one to end`);
    if (outcome.kind === 'none-available') {
      return { lease: null, studyComplete: outcome.studyComplete, reason: outcome.studyComplete ? 'every unit of this study is decided' : 'no unit needs a replica from you now: try again later' };
    }
    leased(c, [study.id]);
    const { lease, unit } = outcome;
    return {
      lease: { id: lease.id, issuedAt: iso(lease.issuedAt), expiresAt: iso(lease.expiresAt), heartbeatSeconds: Math.max(10, Math.floor(limits.leaseSeconds / 3)) },
      unit: { id: unit.id, label: unit.label, config: JSON.parse(unit.config) as unknown, configHash: unit.configHash, seed: unit.seed },
      study: { id: study.id, name: study.name },
      dataset: study.dataset,
    };
  });

  // No transaction: the leases hold the extension until the next one writes it (Leases.heartbeat).
  api.post<{ Params: { id: string } }>('/leases/:id/heartbeat', async (request) => {
    const { lease } = ownActiveLease(c, request);
    const t = c.now();
    const expires = Math.min(t + limits.leaseSeconds * 1000, lease.issuedAt + limits.maxLeaseSeconds * 1000);
    if (expires <= t || !c.store.leases.heartbeat(lease, t, expires)) throw new HttpError(410, 'this lease has reached its longest life or expired: lease a new unit');
    return { id: lease.id, expiresAt: iso(expires) };
  });

  api.post<{ Params: { id: string } }>('/leases/:id/release', async (request) => {
    const lease = c.store.atomic(() => {
      const { lease } = ownActiveLease(c, request);
      c.store.leases.end(lease.id, lease.unitId, lease.single, 'released');
      return lease;
    });
    leased(c, [c.store.studies.unit(lease.unitId)!.studyId]);
    return { id: lease.id, state: 'released' };
  });

  api.post<{ Params: { id: string } }>(
    '/leases/:id/result',
    {
      bodyLimit: limits.resultBytes,
      // Before a byte of the body is read: its size as announced, then its credential and lease.
      preParsing: async (request: LeaseRequest) => {
        const length = Number(request.headers['content-length']);
        if (length > limits.resultBytes) throw new HttpError(413, `the body is larger than the ${limits.resultBytes} bytes allowed`);
        request.checkedLease = c.store.atomic(() => ownActiveLease(c, request).lease);
      },
    },
    async (request) => {
      const lease = request.checkedLease!;
      const unit = c.store.studies.unit(lease.unitId)!;
      const study = getStudy(c, unit.studyId);
      let run: RunResult;
      try {
        run = await parseUpload(request.body, unit);
      } catch (error) {
        if (error instanceof ConfigError) throw new HttpError(400, `invalid ${error.what}`, error.issues);
        throw error;
      }
      const mismatch = checkAgainstUnit(run, unit, study);
      if (mismatch.length) throw new HttpError(422, 'the result does not answer this lease', mismatch);
      // Answered only once on disk: an acknowledged result survives the machine.
      const outcome = await c.store.durably(() =>
        c.store.results.record(
          {
            resultId: randomUUID(),
            leaseId: lease.id,
            body: canonicalJson(run),
            prefix: prefixOf(request),
            predictions: run.predictions!,
            platform: platformOf(run.environment),
            startedAt: run.startedAt,
            wallTimeSec: run.wallTimeSec,
            now: c.now(),
          },
          (id) => isTrusted(c, c.store.credentials.get(id)),
        ),
      );
      // A second upload on the same lease that raced this one past the checks above lands here.
      if (outcome.kind === 'lease-not-active') {
        throw outcome.state === 'expired' || outcome.state === 'past-expiry'
          ? new HttpError(410, 'this lease has expired: lease a new unit')
          : outcome.state === 'released'
            ? new HttpError(409, 'this lease was released')
            : new HttpError(409, 'this lease already has its result: a lease takes one upload');
      }
      if (outcome.kind === 'duplicate') throw new HttpError(409, 'you already returned a replica of this unit');
      decided(c, outcome.studies);
      return { resultId: outcome.resultId, state: outcome.state, unit: { id: unit.id, state: outcome.unit.state } };
    },
  );
}
