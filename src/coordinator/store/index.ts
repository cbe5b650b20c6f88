/**
 * The coordinator's store: every SQL statement the coordinator runs is in
 * this folder (one file per table group), so that moving from SQLite to
 * PostgreSQL (docs/coordinator.md) touches one module. Statements are
 * prepared once with named parameters; no SQL is ever built from request data.
 *
 * SQLite runs in WAL mode with synchronous=NORMAL. A request that writes runs
 * in one `atomic` transaction (`BEGIN IMMEDIATE`: better-sqlite3 is
 * synchronous, so it cannot interleave with another request in this process,
 * and IMMEDIATE serialises writers across processes too). A commit has
 * written its pages to the WAL before it returns, so a killed process loses
 * no commit; it loses the heartbeats held for the next one (at most 250 ms of
 * them: Leases.heartbeat), which cost a volunteer nothing. Against
 * a lost machine, what must not be lost once acknowledged (uploads, studies,
 * revocations) waits for `synced()`: an fsync of the WAL on libuv's thread
 * pool, shared by every commit made before it started (a group commit), so
 * the event loop never stalls on the disk. Leases, heartbeats and
 * credentials do not wait: a power loss may cost the last of them, which
 * volunteers recover from by leasing again or asking for a credential.
 * (SQLite fsyncs the WAL itself before a checkpoint copies it into the
 * database, and the database after, so frames checkpointed before an fsync
 * of ours are durable too.)
 */
import { open, type FileHandle } from 'node:fs/promises';
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
  private wal: Promise<FileHandle> | null = null;
  /** Commits so far, and how many of them an fsync has made durable. */
  private committed = 0;
  private durableUpTo = 0;
  /** The fsync under way. */
  private syncing: Promise<void> | null = null;
  /** Writes the heartbeats the leases hold when no other transaction has for a moment. */
  private readonly heartbeatWriter: NodeJS.Timeout;

  constructor(private readonly path: string) {
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
    this.heartbeatWriter = setInterval(() => {
      if (this.leases.holdsHeartbeats) this.atomic(() => undefined);
    }, 250).unref();
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
  atomic<T>(work: () => T): T {
    let refusal: HttpError | null = null;
    const result = this.db
      .transaction(() => {
        this.leases.writeHeldHeartbeats();
        try {
          return work();
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          refusal = error;
          return undefined as T;
        }
      })
      .immediate();
    this.committed++;
    if (refusal) throw refusal;
    return result;
  }

  /** Resolves once everything committed so far is on disk: an fsync of the WAL, shared with the commits made while it waits. */
  async synced(): Promise<void> {
    const target = this.committed;
    while (this.durableUpTo < target) {
      // An fsync under way may have started before this caller's commit: wait for it, then see.
      if (this.syncing) {
        await this.syncing;
        continue;
      }
      const upTo = this.committed;
      this.syncing = (async () => {
        this.wal ??= open(`${this.path}-wal`, 'r+');
        await (await this.wal).sync();
        this.durableUpTo = Math.max(this.durableUpTo, upTo);
      })().finally(() => (this.syncing = null));
      await this.syncing;
    }
  }

  /** atomic(), then synced(): for what must survive the machine once acknowledged. */
  async durably<T>(work: () => T): Promise<T> {
    const result = this.atomic(work);
    await this.synced();
    return result;
  }

  close(): void {
    clearInterval(this.heartbeatWriter);
    if (this.leases.holdsHeartbeats) this.atomic(() => undefined);
    void this.wal?.then((file) => file.close()).catch(() => undefined);
    this.db.close();
  }

  getSetting(key: string): string | null {
    return this.sql.getSetting.get({ key })?.value ?? null;
  }

  /** Settings are written before the server listens: this one commit may block on the disk. */
  setSetting(key: string, value: string): void {
    this.db.pragma('synchronous = FULL');
    try {
      this.atomic(() => this.sql.setSetting.run({ key, value }));
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  /** Row counts per table: for the operator's stats endpoint and for tests that a refusal stored nothing. */
  rowCounts(): { studies: number; units: number; volunteers: number; leases: number; results: number } {
    return this.sql.rowCounts.get()!;
  }
}
