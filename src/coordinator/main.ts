/**
 * `npm run coordinator`: the coordinator on Node, its SQLite database in
 * DATA_DIR (default data/), the built app (dist/) served from the same origin
 * when it has been built.
 *
 * Environment: CLASSWISE_ADMIN_TOKEN (the organiser's token; when unset, one
 * is generated on the first start, printed once, and only its hash kept),
 * PORT (default 8787), HOST (default 127.0.0.1: say HOST=0.0.0.0 to serve
 * other machines), DATA_DIR, STATIC_DIR (default dist), CLASSWISE_TRUST_PROXY
 * (the reverse proxies whose X-Forwarded-For names the client: addresses or
 * CIDR ranges, comma-separated; unset, the socket's peer is the client).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { sha256 } from './identity';
import { buildServer } from './server';
import { Store } from './store';

const ADMIN_TOKEN_SETTING = 'admin_token_sha256';

/** The token from the environment, else the stored hash, else a new token (printed once, stored hashed). */
function resolveAdminToken(dbPath: string): { token: string } | { sha256: string } {
  const fromEnv = process.env.CLASSWISE_ADMIN_TOKEN;
  if (fromEnv !== undefined) {
    if (fromEnv.length < 16) throw new Error('CLASSWISE_ADMIN_TOKEN must be at least 16 characters long');
    return { token: fromEnv };
  }
  const store = new Store(dbPath);
  try {
    const stored = store.getSetting(ADMIN_TOKEN_SETTING);
    if (stored !== null) return { sha256: stored };
    const token = randomBytes(24).toString('base64url');
    store.setSetting(ADMIN_TOKEN_SETTING, sha256(token));
    console.log(`organiser token (shown once, only its hash is kept; set CLASSWISE_ADMIN_TOKEN to choose one): ${token}`);
    return { sha256: sha256(token) };
  } finally {
    store.close();
  }
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 8787;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer from 0 to 65535, got "${value}"`);
  return port;
}

function parseTrustProxy(value: string | undefined): string[] {
  const entries = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    if (!isIP(address!) || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      throw new Error(`CLASSWISE_TRUST_PROXY: "${entry}" is not an address or a CIDR range (e.g. 10.0.0.1 or 10.0.0.0/8)`);
    }
  }
  return entries;
}

async function main(): Promise<void> {
  const dataDir = process.env.DATA_DIR || 'data';
  mkdirSync(dataDir, { recursive: true });
  const dbPath = join(dataDir, 'coordinator.sqlite');
  const admin = resolveAdminToken(dbPath);
  const app = await buildServer({
    dbPath,
    adminToken: 'token' in admin ? admin.token : admin,
    staticDir: process.env.STATIC_DIR || 'dist',
    trustProxy: parseTrustProxy(process.env.CLASSWISE_TRUST_PROXY),
    logger: process.env.CLASSWISE_LOG !== '0',
  });
  const host = process.env.HOST || '127.0.0.1';
  const port = parsePort(process.env.PORT);
  // A deep accept queue: thousands of volunteers may connect within a second (the kernel caps it at somaxconn).
  const address = await app.listen({ host, port, backlog: 4096 });
  console.log(`coordinator listening on ${address} (database ${dbPath})`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void app.close().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
