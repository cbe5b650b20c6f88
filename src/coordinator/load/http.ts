/**
 * A small HTTP client for talking to a coordinator on loopback as many
 * distinct hosts: each client binds its sockets to its own local address
 * (Linux routes all of 127.0.0.0/8 to the loopback interface), keeps them
 * alive, and times out. Used by the load generator and by the tests that
 * play volunteers from several networks.
 */
import { Agent, request } from 'node:http';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed body, or null when it is empty or not JSON. */
  json: any;
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

export interface RequestOptions {
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class LoopbackClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  /** `base`: the coordinator's origin; `localAddress`: where this client's requests come from (127.x.y.z). */
  constructor(
    base: string,
    readonly localAddress: string = '127.0.0.1',
    maxSockets = 2,
  ) {
    const url = new URL(base);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const headers: Record<string, string> = { ...options.headers };
    if (payload !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise<Answer>((resolve, reject) => {
      const req = request(
        { host: this.host, port: this.port, method, path, headers, agent: this.agent, localAddress: this.localAddress },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let json: unknown = null;
            try {
              json = text ? JSON.parse(text) : null;
            } catch {
              json = null;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (options.timeoutMs !== undefined) {
        req.setTimeout(options.timeoutMs, () => req.destroy(new TimeoutError(`${method} ${path} took longer than ${options.timeoutMs} ms`)));
      }
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * A `fetch` whose requests come from `localAddress`, for code written
 * against fetch (CoordinatorClient) that must act as a host of its own.
 * Bodies are strings, as JSON APIs send them.
 */
export function loopbackFetch(localAddress: string): typeof fetch {
  const clients = new Map<string, LoopbackClient>();
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    let client = clients.get(url.origin);
    if (!client) clients.set(url.origin, (client = new LoopbackClient(url.origin, localAddress)));
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const answer = await client.request(init.method ?? 'GET', url.pathname + url.search, { raw: typeof init.body === 'string' ? init.body : undefined, headers });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, v);
    }
    return new Response(answer.status === 204 || answer.status === 304 ? null : answer.text, { status: answer.status, headers: responseHeaders });
  }) as typeof fetch;
}
