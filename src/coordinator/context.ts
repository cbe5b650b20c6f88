/**
 * What every route needs: the store, the limits, the clock, the read cache
 * and the live streams, and who is asking (a volunteer's credential, the
 * organiser's token, the client's network).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors';
import type { ProgressStreams } from './events';
import { networkPrefix, sameDigest, sha256, type CredentialReader } from './identity';
import type { Limits } from './limits';
import type { ReadCache } from './read-cache';
import type { FixedWindows } from './windows';
import type { CredentialRow, Store, StudyRow } from './store';

export const API_PREFIX = '/api/v1';
/** The header a volunteer sends its credential in. */
export const VOLUNTEER_HEADER = 'x-classwise-volunteer';

export interface Coordinator {
  store: Store;
  limits: Limits;
  /** The study clock, in ms since the epoch (tests move it to expire leases). */
  now: () => number;
  /** Uniform in [0, 1): spot checks. */
  random: () => number;
  /** A uniform integer in [0, 2^31): assignment. */
  pickKey: () => number;
  cache: ReadCache;
  streams: ProgressStreams;
  /** Signs credentials. */
  credentialKey: Buffer;
  /** Reads (and remembers) the credentials volunteers send. */
  credentials: CredentialReader;
  /** Each credential's requests in the current window. */
  actions: FixedWindows;
  adminHash: Buffer;
}

/** After a write: reads of these studies change, and their live streams hear of it. */
export function decided(c: Coordinator, studies: Iterable<string>): void {
  for (const id of studies) {
    c.cache.decided(id);
    c.streams.changed(id);
  }
}

/** After leases moved (issued, released, expired): only progress changes. */
export function leased(c: Coordinator, studies: Iterable<string>): void {
  for (const id of studies) {
    c.cache.leased(id);
    c.streams.changed(id);
  }
}

export function getStudy(c: Coordinator, id: string): StudyRow {
  const study = c.store.studies.get(id);
  if (!study) throw new HttpError(404, `no study ${id}`);
  return study;
}

/** The client's network prefix (request.ip honours the configured trustProxy list). */
export const prefixOf = (request: FastifyRequest) => networkPrefix(request.ip);

const NEED_CREDENTIAL = `get one from POST ${API_PREFIX}/volunteers`;

/**
 * The volunteer's credential, checked, with one action counted against its
 * rate window; call inside the request's transaction. 401 for a missing or
 * foreign credential, 403 with the organiser's reason for a revoked one.
 */
export function volunteer(c: Coordinator, request: FastifyRequest): CredentialRow {
  const value = request.headers[VOLUNTEER_HEADER];
  if (Array.isArray(value)) throw new HttpError(400, `send one ${VOLUNTEER_HEADER} header, not ${value.length}`);
  if (value === undefined) throw new HttpError(401, `a volunteer credential is required in the ${VOLUNTEER_HEADER} header: ${NEED_CREDENTIAL}`);
  const token = c.credentials.read(value);
  const row = token && c.store.credentials.get(token.id);
  if (!token || !row || row.secretHash === null || !sameDigest(row.secretHash, token.secretHash)) {
    throw new HttpError(401, `this is not a volunteer credential this coordinator issued: ${NEED_CREDENTIAL}`);
  }
  if (row.revokedAt !== null) throw new HttpError(403, `this credential was revoked by the organiser: ${row.revokedReason}`);
  const { volunteerActionsPerWindow: max, volunteerWindowSeconds: window } = c.limits;
  if (!c.actions.take(row.id, c.now())) {
    throw new HttpError(429, `more than ${max} requests in ${window} s from this volunteer: slow down`, [], window);
  }
  return row;
}

/** Adaptive replication: a long enough run of valid results, and not revoked. */
export const isTrusted = (c: Coordinator, credential: CredentialRow | null) =>
  credential !== null && credential.revokedAt === null && credential.validStreak >= c.limits.trustAfterValid;

export function requireAdmin(c: Coordinator, request: FastifyRequest): void {
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
  if (token === null) throw new HttpError(401, 'this needs the organiser token: Authorization: Bearer <token>');
  if (!timingSafeEqual(Buffer.from(sha256(token), 'hex'), c.adminHash)) throw new HttpError(401, 'the organiser token is wrong');
}
