/**
 * The coordinator's HTTP API (fastify, JSON, under /api/v1): organisers
 * publish studies as grids of work units; volunteers get a credential, lease
 * units, train them in the browser and upload the results file; replicas
 * from distinct hosts are compared image by image and the canonical result
 * chosen by agreement before it is published for pooling.
 *
 * This file assembles the pieces: the store (SQL, store/), the routes
 * (routes/: volunteers, public reads, the organiser's), who is asking
 * (context.ts), the replica comparison (validate.ts), the read cache and
 * the live streams, and the limits every request passes first.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { ConfigError } from '../study/config';
import { API_PREFIX, type Coordinator } from './context';
import { HttpError } from './errors';
import { ProgressStreams } from './events';
import { CredentialReader, sha256 } from './identity';
import { DEFAULT_LIMITS, type Limits } from './limits';
import { ReadCache } from './read-cache';
import { FixedWindows } from './windows';
import { adminRoutes } from './routes/admin';
import { publicRoutes } from './routes/public';
import { volunteerRoutes } from './routes/volunteers';
import { Store } from './store';

export { API_PREFIX, VOLUNTEER_HEADER } from './context';
export { contributorId } from './identity';
export { DEFAULT_LIMITS, type Limits } from './limits';
export { HttpError } from './errors';

export interface ServerOptions {
  dbPath: string;
  /** The organiser's bearer token, or only its SHA-256 (hex) when the plain token is not kept. */
  adminToken: string | { sha256: string };
  /** The built app (dist/), served from the same origin when present. */
  staticDir?: string;
  limits?: Partial<Limits>;
  /**
   * Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR
   * ranges, as fastify's trustProxy takes them); without it the client is
   * the socket's peer, which behind a proxy is the proxy.
   */
  trustProxy?: string[];
  /** The clock, in ms since the epoch; tests move it to expire leases. */
  now?: () => number;
  /** Uniform in [0, 1), for spot checks; tests fix it. */
  random?: () => number;
  logger?: boolean;
}

const CREDENTIAL_KEY_SETTING = 'credential_key';

declare module 'fastify' {
  interface FastifyInstance {
    /** The coordinator's store, for main.ts's admin token and for tests that check what was stored. */
    store: Store;
  }
}

/** The key credentials are signed with: made on the first start, kept in the database. */
function credentialKey(store: Store): Buffer {
  const stored = store.getSetting(CREDENTIAL_KEY_SETTING);
  if (stored !== null) return Buffer.from(stored, 'hex');
  const key = randomBytes(32);
  store.setSetting(CREDENTIAL_KEY_SETTING, key.toString('hex'));
  return key;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const adminHash = Buffer.from(typeof options.adminToken === 'string' ? sha256(options.adminToken) : options.adminToken.sha256, 'hex');
  if (adminHash.length !== 32) throw new Error('the admin token hash must be a sha-256 hex digest');
  if (typeof options.adminToken === 'string' && options.adminToken.length < 16) throw new Error('the admin token must be at least 16 characters long');

  const store = new Store(options.dbPath);
  const now = options.now ?? Date.now;
  const cache = new ReadCache(store, limits.progressMaxAgeMs, now);
  const key = credentialKey(store);
  const c: Coordinator = {
    store,
    limits,
    now,
    random: options.random ?? Math.random,
    pickKey: () => randomInt(2 ** 31),
    cache,
    streams: new ProgressStreams(limits, (id) => cache.progress(id, true).json),
    credentialKey: key,
    credentials: new CredentialReader(key),
    actions: new FixedWindows(limits.volunteerWindowSeconds * 1000, limits.volunteerActionsPerWindow),
    adminHash,
  };

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.otherBytes,
    forceCloseConnections: true,
    trustProxy: options.trustProxy && options.trustProxy.length ? options.trustProxy : false,
  });
  app.decorate('store', store);
  app.addHook('preClose', async () => c.streams.closeAll());
  app.addHook('onClose', async () => store.close());
  // Only JSON bodies: a text/plain upload is refused as 415 instead of reaching the schema as a string.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof HttpError) {
      if (error.retryAfterSec !== undefined) void reply.header('retry-after', String(error.retryAfterSec));
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

  await app.register(
    async (api) => {
      // Per client address, reads and writes counted apart: a first line against floods, whatever credentials they carry.
      await api.register(fastifyRateLimit, {
        max: (request) => (request.method === 'GET' || request.method === 'HEAD' ? limits.readsPerAddressPerMinute : limits.postsPerAddressPerMinute),
        timeWindow: 60_000,
        keyGenerator: (request) => `${request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write'} ${request.ip}`,
        cache: 20_000,
        errorResponseBuilder: (request, context) =>
          new HttpError(429, `too many ${request.method === 'GET' ? 'reads' : 'requests'} from this address: at most ${context.max} a minute; try again in ${Math.ceil(context.ttl / 1000)} s`, [], Math.ceil(context.ttl / 1000)),
      });
      volunteerRoutes(api, c);
      publicRoutes(api, c);
      adminRoutes(api, c);
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
