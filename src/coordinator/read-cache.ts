/**
 * Public reads, served from pre-serialised JSON with an ETag. A study's
 * units, contributors and results file change only when a unit's replicas
 * are decided (an upload, a revocation), so they are rebuilt on the first
 * read after a decision, and every read in between is a string copy.
 * Progress (units per state, active leases, results per state) also moves
 * with every lease; it is recomputed on the first read after a decision,
 * and otherwise at most every `progressMaxAgeMs`, so a flood of leases
 * costs the readers nothing.
 */
import { randomBytes } from 'node:crypto';
import { RESULTS_SCHEMA } from '../study/results';
import type { Progress, Store, StudyRow } from './store';

export interface CachedBody {
  body: string;
  etag: string;
}

interface StudyEntry {
  /** Bumped on each decision. */
  version: number;
  progress: { json: string; value: Progress; version: number; at: number; seq: number } | null;
  /** Leases changed since the progress was computed. */
  leasesMoved: boolean;
  detail: { json: string; version: number } | null;
  results: { json: string; version: number } | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class ReadCache {
  private readonly entries = new Map<string, StudyEntry>();
  /** Distinguishes ETags of this process from a previous one's, whose versions started over. */
  private readonly boot = randomBytes(4).toString('hex');
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly progressMaxAgeMs: number,
    /** The study clock (expiry of leases); ages of cached progress are real time. */
    private readonly now: () => number,
  ) {}

  private entry(studyId: string): StudyEntry {
    let entry = this.entries.get(studyId);
    if (!entry) {
      entry = { version: 0, progress: null, leasesMoved: false, detail: null, results: null };
      this.entries.set(studyId, entry);
    }
    return entry;
  }

  /** A unit of the study was decided, re-decided or reopened, or a result stored: every read of it changes. */
  decided(studyId: string): void {
    this.entry(studyId).version++;
  }

  /** A lease was issued, released or expired: the progress changes, nothing else. */
  leased(studyId: string): void {
    this.entry(studyId).leasesMoved = true;
  }

  /** `latest`: recompute if anything moved at all (the live streams, which pace themselves, push the last state). */
  progress(studyId: string, latest = false): { json: string; value: Progress; seq: number } {
    const entry = this.entry(studyId);
    const p = entry.progress;
    const fresh = p !== null && p.version === entry.version && (!entry.leasesMoved || (!latest && performance.now() - p.at < this.progressMaxAgeMs));
    if (fresh) return p;
    entry.leasesMoved = false;
    const value = this.store.atomic(() => {
      // Counts on the units include leases past their expiry until a sweep marks them.
      for (const touched of this.store.leases.sweep(this.now())) if (touched !== studyId) this.leased(touched);
      return this.store.studies.progress(studyId);
    });
    const json = JSON.stringify(value);
    if (p && p.json === json && p.version === entry.version) {
      p.at = performance.now();
      return p;
    }
    entry.progress = { json, value, version: entry.version, at: performance.now(), seq: ++this.seq };
    return entry.progress;
  }

  /** The study list: every study's summary and progress. */
  studyList(): CachedBody {
    const studies = this.store.studies.list();
    const parts = studies.map((s) => this.summaryJson(s));
    return { body: `{"studies":[${parts.join(',')}]}`, etag: this.etag(studies.map((s) => this.tag(s.id)).join('.')) };
  }

  /** One study: summary, spec, dataset, contributors and units (with the pseudonyms of their valid replicas). */
  study(study: StudyRow): CachedBody {
    const entry = this.entry(study.id);
    const progress = this.progress(study.id);
    if (entry.detail?.version !== entry.version) {
      const replicas = this.store.studies.validReplicas(study.id);
      const detail = {
        id: study.id,
        name: study.name,
        createdAt: iso(study.createdAt),
        quorum: study.quorum,
        maxReplicas: study.maxReplicas,
        spec: JSON.parse(study.spec) as unknown,
        dataset: study.dataset,
        contributors: this.store.studies.contributors(study.id),
        units: this.store.studies.units(study.id).map((u) => ({
          id: u.id,
          label: u.label,
          configHash: u.configHash,
          seed: u.seed,
          state: u.state,
          validReplicas: replicas.get(u.id) ?? [],
        })),
      };
      entry.detail = { json: JSON.stringify(detail), version: entry.version };
    }
    return { body: `${entry.detail.json.slice(0, -1)},"progress":${progress.json}}`, etag: this.etag(this.tag(study.id)) };
  }

  /**
   * The validated results as one `classwise.results/1` file: the canonical
   * result of each decided unit (one per config × seed: replicas of one seed
   * are not independent samples), importable by the workbench.
   */
  results(study: StudyRow): CachedBody {
    const entry = this.entry(study.id);
    if (entry.results?.version !== entry.version) {
      // Stored bodies are the canonical JSON of parsed results: spliced in as they are, never parsed again.
      const runs = this.store.studies.canonicalResults(study.id).join(',');
      const head = JSON.stringify({ schema: RESULTS_SCHEMA, createdAt: iso(this.now()), study: JSON.parse(study.spec) as unknown });
      entry.results = { json: `${head.slice(0, -1)},"runs":[${runs}]}`, version: entry.version };
    }
    return { body: entry.results.json, etag: this.etag(`${study.id}.${entry.version}`) };
  }

  private summaryJson(study: StudyRow): string {
    const head = JSON.stringify({ id: study.id, name: study.name, createdAt: iso(study.createdAt), quorum: study.quorum });
    return `${head.slice(0, -1)},"progress":${this.progress(study.id).json}}`;
  }

  private tag(studyId: string): string {
    const entry = this.entry(studyId);
    return `${entry.version}.${entry.progress?.seq ?? 0}`;
  }

  private etag(tag: string): string {
    return `"${this.boot}-${tag}"`;
  }
}
