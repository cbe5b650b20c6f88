/**
 * The coordinator's store: every SQL statement the coordinator runs is in
 * this folder (one file per table group), so that moving from SQLite to
 * PostgreSQL (docs/coordinator.md) touches one module. Statements are
 * prepared once with named parameters; no SQL is ever built from request data.
 *
 * SQLite runs in WAL mode. A request runs in one `atomic` transaction
 * (`BEGIN IMMEDIATE`: better-sqlite3 is synchronous, so it cannot interleave
 * with another request in this process, and IMMEDIATE serialises writers
 * across processes too). Durable transactions (uploads, credentials,
 * studies, revocations) commit with synchronous=FULL, fsynced before the
 * response leaves, so a killed process or a lost machine keeps every result
 * it acknowledged. Leases and heartbeats commit with synchronous=NORMAL:
 * they survive a killed process (the WAL is written before the commit
 * returns), and a power loss may cost the last of them, which volunteers
 * recover from by leasing again.
 */
import Database from 'better-sqlite3';
import { HttpError } from '../errors';
import { Credentials } from './credentials';
import { Leases } from './leases';
import { Results } from './results';
import { migrate } from './schema';
import { Studies } from './studies';

export type { CredentialRow } from './credentials';
export type { LeaseOutcome, LeaseRow, LeaseState } from './leases';
export type { RecordOutcome, StoredResult, Withdrawal } from './results';
export { SCHEMA_VERSION } from './schema';
export type { ContributorRow, DatasetInfo, NewStudy, Progress, StudyRow, UnitRow } from './studies';

export class Store {
  readonly db: Database.Database;
  readonly studies: Studies;
  readonly credentials: Credentials;
  readonly leases: Leases;
  readonly results: Results;
  private readonly sql;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.db.pragma('synchronous = NORMAL');
    this.studies = new Studies(this.db);
    this.credentials = new Credentials(this.db);
    this.leases = new Leases(this.db);
    this.results = new Results(this.db, this.leases, this.credentials, (id) => this.studies.get(id));
    this.sql = {
      getSetting: this.db.prepare<{ key: string }, { value: string }>('SELECT value FROM settings WHERE key = @key'),
      setSetting: this.db.prepare<{ key: string; value: string }>(
        'INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      rowCounts: this.db.prepare<[], { studies: number; units: number; volunteers: number; leases: number; results: number }>(
        `SELECT (SELECT COUNT(*) FROM studies) AS studies, (SELECT COUNT(*) FROM units) AS units,
                (SELECT COUNT(*) FROM volunteers) AS volunteers, (SELECT COUNT(*) FROM leases) AS leases,
                (SELECT COUNT(*) FROM results) AS results`,
      ),
    };
  }

  /**
   * Runs `work` as one immediate transaction. A refusal (HttpError) thrown
   * by `work` still commits what ran before it (a rate-limit count: refused
   * requests count too); routes refuse before they write anything else.
   * Any other error rolls everything back.
   */
  atomic<T>(work: () => T, options: { durable?: boolean } = {}): T {
    let refusal: HttpError | null = null;
    const run = this.db.transaction(() => {
      try {
        return work();
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        refusal = error;
        return undefined as T;
      }
    });
    // synchronous is set between transactions; a nested call runs as a savepoint of its caller's.
    const durable = options.durable === true && !this.db.inTransaction;
    if (durable) this.db.pragma('synchronous = FULL');
    try {
      const result = run.immediate();
      if (refusal) throw refusal;
      return result;
    } finally {
      if (durable) this.db.pragma('synchronous = NORMAL');
    }
  }

  close(): void {
    this.db.close();
  }

  getSetting(key: string): string | null {
    return this.sql.getSetting.get({ key })?.value ?? null;
  }

  setSetting(key: string, value: string): void {
    this.atomic(() => this.sql.setSetting.run({ key, value }), { durable: true });
  }

  /** Row counts per table: for the operator's stats endpoint and for tests that a refusal stored nothing. */
  rowCounts(): { studies: number; units: number; volunteers: number; leases: number; results: number } {
    return this.sql.rowCounts.get()!;
  }
}
