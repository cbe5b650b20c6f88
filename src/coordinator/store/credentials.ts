/**
 * Volunteer credentials: issued at a limited rate per network prefix, stored
 * as the hash of their secret, with the record adaptive replication reads
 * (valid results in a row, invalid ones) and the organiser's revocation.
 */
import type Database from 'better-sqlite3';

export interface CredentialRow {
  id: string;
  /** The public pseudonym. */
  contributor: string;
  displayName: string | null;
  createdAt: number;
  /** The network prefix it was issued to. */
  prefix: string;
  /** SHA-256 of its secret; null for a browser id from before credentials, which can no longer act. */
  secretHash: string | null;
  validStreak: number;
  invalidResults: number;
  revokedAt: number | null;
  revokedReason: string | null;
  /** The platform of its last result ('' before one): where its replicas can be compared. */
  platform: string;
}

interface CredentialRecord {
  id: string;
  contributor: string;
  display_name: string | null;
  first_seen: number;
  prefix: string;
  secret_hash: string | null;
  valid_streak: number;
  invalid_results: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  platform: string;
}

const toCredential = (r: CredentialRecord): CredentialRow => ({
  id: r.id,
  contributor: r.contributor,
  displayName: r.display_name,
  createdAt: r.first_seen,
  prefix: r.prefix,
  secretHash: r.secret_hash,
  validStreak: r.valid_streak,
  invalidResults: r.invalid_results,
  revokedAt: r.revoked_at,
  revokedReason: r.revoked_reason,
  platform: r.platform,
});

const COLUMNS = 'id, contributor, display_name, first_seen, prefix, secret_hash, valid_streak, invalid_results, revoked_at, revoked_reason, platform';

export class Credentials {
  private readonly sql;

  constructor(db: Database.Database) {
    this.sql = {
      getIssuance: db.prepare<{ prefix: string }, { window_start: number; count: number }>('SELECT window_start, count FROM issuance WHERE prefix = @prefix'),
      setIssuance: db.prepare<{ prefix: string; window_start: number; count: number }>(
        `INSERT INTO issuance (prefix, window_start, count) VALUES (@prefix, @window_start, @count)
         ON CONFLICT (prefix) DO UPDATE SET window_start = excluded.window_start, count = excluded.count`,
      ),
      insert: db.prepare<{ id: string; contributor: string; display_name: string | null; now: number; prefix: string; secret_hash: string }>(
        `INSERT INTO volunteers (id, contributor, display_name, first_seen, prefix, secret_hash)
         VALUES (@id, @contributor, @display_name, @now, @prefix, @secret_hash)`,
      ),
      get: db.prepare<{ id: string }, CredentialRecord>(`SELECT ${COLUMNS} FROM volunteers WHERE id = @id`),
      byContributor: db.prepare<{ contributor: string }, CredentialRecord>(`SELECT ${COLUMNS} FROM volunteers WHERE contributor = @contributor`),
      list: db.prepare<[], CredentialRecord & { results: number }>(
        `SELECT ${COLUMNS}, (SELECT COUNT(*) FROM results r WHERE r.volunteer_id = volunteers.id) AS results
         FROM volunteers WHERE secret_hash IS NOT NULL ORDER BY first_seen, rowid`,
      ),
      setDisplayName: db.prepare<{ id: string; name: string }>('UPDATE volunteers SET display_name = @name WHERE id = @id'),
      valid: db.prepare<{ id: string }>('UPDATE volunteers SET valid_streak = valid_streak + 1, results_accepted = results_accepted + 1 WHERE id = @id'),
      invalid: db.prepare<{ id: string }>('UPDATE volunteers SET valid_streak = 0, invalid_results = invalid_results + 1 WHERE id = @id'),
      setPlatform: db.prepare<{ id: string; platform: string }>('UPDATE volunteers SET platform = @platform WHERE id = @id AND platform <> @platform'),
      revoke: db.prepare<{ id: string; now: number; reason: string }>('UPDATE volunteers SET revoked_at = @now, revoked_reason = @reason, valid_streak = 0 WHERE id = @id'),
    };
  }

  /**
   * Counts one issuance against the prefix's hourly window, in the caller's
   * transaction; returns the seconds to wait when the window is full.
   */
  takeIssuance(prefix: string, now: number, perHour: number): number | null {
    const hour = 60 * 60 * 1000;
    const row = this.sql.getIssuance.get({ prefix });
    const fresh = !row || now - row.window_start >= hour;
    const count = fresh ? 1 : row.count + 1;
    if (count > perHour) return Math.max(1, Math.ceil((row!.window_start + hour - now) / 1000));
    this.sql.setIssuance.run({ prefix, window_start: fresh ? now : row.window_start, count });
    return null;
  }

  insert(credential: { id: string; contributor: string; displayName: string | null; now: number; prefix: string; secretHash: string }): void {
    this.sql.insert.run({
      id: credential.id,
      contributor: credential.contributor,
      display_name: credential.displayName,
      now: credential.now,
      prefix: credential.prefix,
      secret_hash: credential.secretHash,
    });
  }

  get(id: string): CredentialRow | null {
    const row = this.sql.get.get({ id });
    return row ? toCredential(row) : null;
  }

  byContributor(contributor: string): CredentialRow | null {
    const row = this.sql.byContributor.get({ contributor });
    return row ? toCredential(row) : null;
  }

  list(): (CredentialRow & { results: number })[] {
    return this.sql.list.all().map((r) => ({ ...toCredential(r), results: r.results }));
  }

  setDisplayName(id: string, name: string): void {
    this.sql.setDisplayName.run({ id, name });
  }

  /** A result of this credential was judged valid (by agreement with others) or invalid. */
  judged(id: string, valid: boolean): void {
    (valid ? this.sql.valid : this.sql.invalid).run({ id });
  }

  setPlatform(id: string, platform: string): void {
    this.sql.setPlatform.run({ id, platform });
  }

  revoke(id: string, now: number, reason: string): void {
    this.sql.revoke.run({ id, now, reason });
  }
}
