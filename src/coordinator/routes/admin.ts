/**
 * The organiser's side, behind the admin token: publish a study, list the
 * volunteers' credentials with their records, revoke one (its results are
 * withdrawn and its units decided again), and row counts.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { configHash, formatIssues } from '../../study/config';
import { parseStudySpec, planRuns } from '../../study/study';
import { canonicalJson } from '../../util/hash';
import { checkSpecAgainstDataset, datasetInfo, publishedDatasetSchema } from '../checks';
import { decided, isTrusted, requireAdmin, type Coordinator } from '../context';
import { HttpError } from '../errors';

const publishSchema = z.strictObject({
  spec: z.unknown(),
  dataset: publishedDatasetSchema,
  quorum: z.number().int().min(1).max(5).default(2),
  /** Replicas tried before a unit is left inconclusive; quorum + 2 by default. */
  maxReplicas: z.number().int().min(1).max(10).optional(),
});

const revokeSchema = z.strictObject({ reason: z.string().trim().min(1, 'say why: the volunteer is shown it').max(500) });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function adminRoutes(api: FastifyInstance, c: Coordinator): void {
  api.post('/studies', { bodyLimit: c.limits.studyBytes }, async (request, reply) => {
    requireAdmin(c, request);
    const parsed = publishSchema.safeParse(request.body);
    if (!parsed.success) throw new HttpError(400, 'invalid study', formatIssues(parsed.error));
    const body = parsed.data;
    const spec = parseStudySpec(body.spec);
    const dataset = datasetInfo(body.dataset);
    const mismatch = checkSpecAgainstDataset(dataset, spec.baseline.dataset);
    if (mismatch.length) throw new HttpError(400, 'the dataset does not match the study spec', mismatch);
    const maxReplicas = body.maxReplicas ?? body.quorum + 2;
    if (maxReplicas < body.quorum) throw new HttpError(400, `maxReplicas (${maxReplicas}) must be at least the quorum (${body.quorum})`);
    const runs = planRuns(spec);
    if (runs.length > c.limits.unitsPerStudy) throw new HttpError(400, `the study has ${runs.length} units; at most ${c.limits.unitsPerStudy} are allowed`);
    const units = await Promise.all(
      runs.map(async (run) => ({ label: run.label, config: canonicalJson(run.config), configHash: await configHash(run.config), seed: run.seed })),
    );
    const id = randomUUID();
    const study = { id, name: spec.name, spec: canonicalJson(spec), dataset, quorum: body.quorum, maxReplicas, createdAt: c.now(), testLabels: Uint16Array.from(body.dataset.testLabels), units };
    await c.store.durably(() => c.store.studies.create(study, c.pickKey));
    return reply.status(201).send({ id, units: units.length, quorum: body.quorum, maxReplicas });
  });

  api.get('/admin/volunteers', async (request) => {
    requireAdmin(c, request);
    return {
      volunteers: c.store.credentials.list().map((v) => ({
        contributor: v.contributor,
        displayName: v.displayName,
        createdAt: iso(v.createdAt),
        network: v.prefix,
        results: v.results,
        validStreak: v.validStreak,
        invalidResults: v.invalidResults,
        trusted: isTrusted(c, v),
        revokedAt: iso(v.revokedAt),
        revokedReason: v.revokedReason,
      })),
    };
  });

  api.post<{ Params: { contributor: string } }>('/admin/volunteers/:contributor/revoke', async (request) => {
    requireAdmin(c, request);
    const parsed = revokeSchema.safeParse(request.body ?? undefined);
    if (!parsed.success) throw new HttpError(400, 'invalid revocation', formatIssues(parsed.error));
    const { reason } = parsed.data;
    const t = c.now();
    const withdrawal = await c.store.durably(() => {
      const credential = c.store.credentials.byContributor(request.params.contributor);
      if (!credential) throw new HttpError(404, `no volunteer ${request.params.contributor}`);
      if (credential.revokedAt !== null) throw new HttpError(409, `this volunteer was already revoked: ${credential.revokedReason}`);
      c.store.credentials.revoke(credential.id, t, reason);
      return c.store.results.withdrawAll(credential.id, t);
    });
    decided(c, withdrawal.studies);
    return { contributor: request.params.contributor, revokedAt: iso(t), resultsWithdrawn: withdrawal.results, unitsReopened: withdrawal.reopened };
  });

  api.get('/admin/stats', async (request) => {
    requireAdmin(c, request);
    return { rows: c.store.rowCounts() };
  });
}
