/**
 * The page's side of the coordinator's API (docs/coordinator.md): a
 * volunteer's credential, studies, leases, heartbeats and uploads, and a
 * study's progress and validated results for its public page. Answers are
 * checked on arrival like any other input; refusals become CoordinatorError
 * with the server's reasons. No DOM: the volunteer loop runs under Node too
 * (given a fetch), only `watch` needs EventSource.
 */
import { z } from 'zod';
import { parseWith, runConfigSchema } from '../study/config';
import { parseResultsFile, type ResultsFile, type RunResult } from '../study/results';
import { studySpecSchema } from '../study/study';

export const API_PREFIX = '/api/v1';
const VOLUNTEER_HEADER = 'X-Classwise-Volunteer';

export class CoordinatorError extends Error {
  override name = 'CoordinatorError';
  constructor(
    readonly status: number,
    message: string,
    readonly issues: string[] = [],
    /** Nothing that speaks the coordinator's API answered: no server, a proxy with nothing behind it, or another kind of site. */
    readonly unreachable = false,
  ) {
    super(issues.length ? `${message}: ${issues.join('; ')}` : message);
  }
}

const count = z.number().int().nonnegative();

export const progressSchema = z.object({
  units: count,
  byState: z.record(z.string(), count),
  activeLeases: count,
  results: z.record(z.string(), count),
});

const datasetInfoSchema = z.object({
  manifestUrl: z.string(),
  contentHash: z.string(),
  testCount: count,
  classNames: z.array(z.string()),
});

const studySummarySchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string(), quorum: count, progress: progressSchema });

export const studyDetailSchema = studySummarySchema.extend({
  spec: studySpecSchema,
  dataset: datasetInfoSchema,
  contributors: z.array(
    z.object({ contributor: z.string(), displayName: z.string().nullable(), revoked: z.boolean().default(false), results: z.record(z.string(), count) }),
  ),
  units: z.array(z.object({ id: count, label: z.string(), configHash: z.string(), seed: count, state: z.string(), validReplicas: z.array(z.string()) })),
});

const leaseSchema = z.union([
  z.object({
    lease: z.object({ id: z.string(), issuedAt: z.string(), expiresAt: z.string(), heartbeatSeconds: z.number().positive() }),
    unit: z.object({ id: count, label: z.string(), config: runConfigSchema, configHash: z.string(), seed: count }),
    study: z.object({ id: z.string(), name: z.string() }),
    dataset: datasetInfoSchema,
  }),
  z.object({ lease: z.null(), studyComplete: z.boolean(), reason: z.string() }),
]);

const uploadSchema = z.object({ resultId: z.string(), state: z.string(), unit: z.object({ id: count, state: z.string() }) });

const credentialSchema = z.object({ credential: z.string().min(1), contributor: z.string(), displayName: z.string().nullable() });

export type Progress = z.output<typeof progressSchema>;
export type StudySummary = z.output<typeof studySummarySchema>;
export type StudyDetail = z.output<typeof studyDetailSchema>;
export type LeaseAnswer = z.output<typeof leaseSchema>;
export type Lease = Extract<LeaseAnswer, { lease: object }>;
export type UploadAnswer = z.output<typeof uploadSchema>;
export type Credential = z.output<typeof credentialSchema>;

export class CoordinatorClient {
  /**
   * `base` is the coordinator's origin ('' for the page's own, as under
   * `npm start`); `fetcher` what requests go through (the global fetch, or
   * another with the same contract, e.g. one bound to a local address).
   */
  constructor(
    private readonly base = '',
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  /** A new volunteer credential, issued by the coordinator: what every lease, heartbeat and upload carries. */
  async register(displayName?: string): Promise<Credential> {
    return parseWith(credentialSchema, await this.request('POST', '/volunteers', displayName ? { displayName } : {}), 'credential');
  }

  async studies(): Promise<StudySummary[]> {
    return parseWith(z.object({ studies: z.array(studySummarySchema) }), await this.request('GET', '/studies'), 'study list').studies;
  }

  async study(id: string): Promise<StudyDetail> {
    return parseWith(studyDetailSchema, await this.request('GET', `/studies/${encodeURIComponent(id)}`), 'study');
  }

  /** The validated results, as a results file: the same checks as any file the workbench imports. */
  async results(id: string): Promise<ResultsFile> {
    return parseResultsFile(await this.request('GET', `/studies/${encodeURIComponent(id)}/results`));
  }

  async lease(studyId: string, credential: string, displayName?: string): Promise<LeaseAnswer> {
    const body = displayName ? { displayName } : {};
    return parseWith(leaseSchema, await this.request('POST', `/studies/${encodeURIComponent(studyId)}/lease`, body, credential), 'lease');
  }

  async heartbeat(leaseId: string, credential: string): Promise<void> {
    await this.request('POST', `/leases/${encodeURIComponent(leaseId)}/heartbeat`, {}, credential);
  }

  async release(leaseId: string, credential: string): Promise<void> {
    await this.request('POST', `/leases/${encodeURIComponent(leaseId)}/release`, {}, credential);
  }

  async upload(leaseId: string, credential: string, result: RunResult): Promise<UploadAnswer> {
    return parseWith(uploadSchema, await this.request('POST', `/leases/${encodeURIComponent(leaseId)}/result`, result, credential), 'upload answer');
  }

  /**
   * Progress as it changes (server-sent events); returns the function that
   * stops listening. `onError` hears every failure of the stream, with
   * `closed` true when the browser has given up on it (a refusal such as a
   * 404 or 503: it will not reconnect) and false while it retries by itself;
   * a caller that must not miss progress polls meanwhile.
   */
  watch(studyId: string, onProgress: (progress: Progress) => void, onError?: (closed: boolean) => void): () => void {
    const source = new EventSource(`${this.base}${API_PREFIX}/studies/${encodeURIComponent(studyId)}/events`);
    source.addEventListener('progress', (event) => {
      const parsed = progressSchema.safeParse(JSON.parse((event as MessageEvent<string>).data));
      if (parsed.success) onProgress(parsed.data);
    });
    if (onError) source.addEventListener('error', () => onError(source.readyState === EventSource.CLOSED));
    return () => source.close();
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown, credential?: string): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (credential) headers[VOLUNTEER_HEADER] = credential;
    let response: Response;
    try {
      response = await this.fetcher(`${this.base}${API_PREFIX}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new CoordinatorError(0, `the coordinator could not be reached (${error instanceof Error ? error.message : String(error)})`, [], true);
    }
    const text = await response.text();
    let value: unknown;
    try {
      value = text ? JSON.parse(text) : null;
    } catch {
      throw new CoordinatorError(response.status, `the site answered ${response.status} with something that is not JSON`, [], true);
    }
    if (!response.ok) {
      // The coordinator's own refusals always say why; an answer without `error` came from something else.
      const { error, issues } = (value ?? {}) as { error?: string; issues?: string[] };
      throw new CoordinatorError(response.status, error ?? `the site answered ${response.status}`, issues ?? [], error === undefined);
    }
    return value;
  }
}
