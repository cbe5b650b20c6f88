/**
 * Leases and assignment. A unit is chosen at random among those that need a
 * replica: each unit carries a random `pick_key`, drawn again whenever it is
 * leased (so that no unit keeps a wide gap before it, which would make it
 * the likely pick), and the pick walks the index (study, lease_pool,
 * pick_key) from a random point, so one lease reads a few index entries
 * whatever the size of the study. Units waiting on an extra replica come first, then units
 * short of their target; when every replica a study needs is leased, a
 * volunteer gets a spare replica of an undecided unit rather than nothing,
 * so leases held without work (squatting) starve no one.
 *
 * A candidate is skipped when its lease or result would not be independent
 * of this volunteer's: the same credential (active, returned, or let expire
 * within the cool-down) or a lease or result of the unit from either of the
 * volunteer's network prefixes (its credential's and the request's). Once a
 * credential has uploaded, its numerical platform is known, and units with
 * replicas of another platform (which it could never be compared with) are
 * passed over first.
 */
import type Database from 'better-sqlite3';
import { toUnit, type UnitRecord, type UnitRow } from './studies';

export type LeaseState = 'active' | 'finished' | 'expired' | 'released';

export interface LeaseRow {
  id: string;
  unitId: number;
  volunteerId: string;
  issuedAt: number;
  expiresAt: number;
  heartbeatAt: number;
  state: LeaseState;
  /** The network prefix it was asked from, and its credential's. */
  prefix: string;
  credentialPrefix: string;
  /** Leased to a trusted credential to be accepted on its replica alone. */
  single: boolean;
}

export interface LeaseRecord {
  id: string;
  unit_id: number;
  volunteer_id: string;
  issued_at: number;
  expires_at: number;
  heartbeat_at: number;
  state: LeaseState;
  prefix: string;
  credential_prefix: string;
  platform: string;
  single: number;
}

export const toLease = (r: LeaseRecord): LeaseRow => ({
  id: r.id,
  unitId: r.unit_id,
  volunteerId: r.volunteer_id,
  issuedAt: r.issued_at,
  expiresAt: r.expires_at,
  heartbeatAt: r.heartbeat_at,
  state: r.state,
  prefix: r.prefix,
  credentialPrefix: r.credential_prefix,
  single: r.single === 1,
});

export type LeaseOutcome =
  | { kind: 'issued'; lease: LeaseRow; unit: UnitRow }
  | { kind: 'too-many-active'; active: number }
  | { kind: 'prefix-busy'; active: number }
  | { kind: 'none-available'; studyComplete: boolean };

export interface LeaseRequest {
  studyId: string;
  credentialId: string;
  credentialPrefix: string;
  /** The credential's platform ('' before its first result). */
  platform: string;
  requestPrefix: string;
  leaseId: string;
  now: number;
  leaseMs: number;
  maxActive: number;
  maxActivePerPrefix: number;
  cooldownMs: number;
  /** Trusted and not drawn for a spot check: a unit no one else works on may be accepted on this replica alone. */
  single: boolean;
  /** A random integer in [0, 2^31): where the pick starts, and the leased unit's new key. */
  pickKey: () => number;
}

const PICK_SPACE = 2 ** 31;
/**
 * Candidates read per index range: enough to step past units this volunteer may not take, bounded so a lease stays
 * cheap. Written into the SQL as a constant: with LIMIT as a bound parameter SQLite evaluates the filter 15× slower.
 */
const CANDIDATES = 64;
/** Pools in the order they are served (see the lease_pool column in schema.ts). */
const POOLS = [3, 2, 1] as const;

export class Leases {
  private readonly sql;
  /** Heartbeats not yet written, by lease id: the latest of each. */
  private readonly heldHeartbeats = new Map<string, { now: number; expires: number }>();

  constructor(db: Database.Database) {
    this.sql = {
      expired: db.prepare<{ now: number }, { id: string; unit_id: number; single: number; study_id: string }>(
        `SELECT l.id, l.unit_id, l.single, u.study_id FROM leases l JOIN units u ON u.id = l.unit_id
         WHERE l.state = 'active' AND l.expires_at <= @now LIMIT 256`,
      ),
      setState: db.prepare<{ id: string; state: LeaseState }>(`UPDATE leases SET state = @state WHERE id = @id AND state = 'active'`),
      leaseEnded: db.prepare<{ unit: number; single: number }>(
        // A single-replica lease that ends without its result puts the unit back to its study's quorum.
        `UPDATE units SET active_leases = active_leases - 1,
           target_replicas = CASE WHEN @single = 1 AND state IN ('open', 'held')
             THEN MAX(target_replicas, (SELECT s.quorum FROM studies s WHERE s.id = units.study_id)) ELSE target_replicas END
         WHERE id = @unit`,
      ),
      // INDEXED BY: without statistics the planner prefers the expiry index, which holds every active lease.
      activeOfCredential: db.prepare<{ volunteer: string; now: number }, { n: number }>(
        `SELECT COUNT(*) AS n FROM leases INDEXED BY leases_by_volunteer WHERE volunteer_id = @volunteer AND state = 'active' AND expires_at > @now`,
      ),
      // No LIMIT: a network never holds more than its cap, since each lease is refused at the cap.
      activeOfPrefix: db.prepare<{ prefix: string; now: number }, { n: number }>(
        `SELECT COUNT(*) AS n FROM leases INDEXED BY leases_by_prefix WHERE prefix = @prefix AND state = 'active' AND expires_at > @now`,
      ),
      candidate: db.prepare<
        { study: string; pool: number; from: number; to: number; credential: string; cooldown_since: number; p1: string; p2: string; platform: string },
        UnitRecord
      >(
        `SELECT c.* FROM (
           SELECT * FROM units WHERE study_id = @study AND lease_pool = @pool AND pick_key >= @from AND pick_key < @to
           ORDER BY pick_key LIMIT ${CANDIDATES}
         ) c
         WHERE NOT EXISTS (SELECT 1 FROM leases l INDEXED BY leases_by_unit WHERE l.unit_id = c.id AND l.volunteer_id = @credential
                           AND (l.state IN ('active', 'finished') OR (l.state = 'expired' AND l.expires_at > @cooldown_since)))
           AND NOT EXISTS (SELECT 1 FROM leases l JOIN volunteers v ON v.id = l.volunteer_id
                           WHERE l.unit_id = c.id AND l.state IN ('active', 'finished') AND v.revoked_at IS NULL
                           AND (l.prefix IN (@p1, @p2) OR l.credential_prefix IN (@p1, @p2)))
           AND NOT EXISTS (SELECT 1 FROM results r WHERE r.unit_id = c.id AND r.withdrawn_at IS NULL
                           AND (r.prefix IN (@p1, @p2) OR (@platform <> '' AND r.platform <> @platform)))
           AND (@platform = '' OR NOT EXISTS (SELECT 1 FROM leases l WHERE l.unit_id = c.id AND l.state = 'active'
                                              AND l.platform <> '' AND l.platform <> @platform))
         LIMIT 1`,
      ),
      undecided: db.prepare<{ study: string }, { n: number }>('SELECT EXISTS (SELECT 1 FROM units WHERE study_id = @study AND lease_pool > 0) AS n'),
      insert: db.prepare<LeaseRecord>(
        `INSERT INTO leases (id, unit_id, volunteer_id, issued_at, expires_at, heartbeat_at, state, prefix, credential_prefix, platform, single)
         VALUES (@id, @unit_id, @volunteer_id, @issued_at, @expires_at, @heartbeat_at, @state, @prefix, @credential_prefix, @platform, @single)`,
      ),
      leased: db.prepare<{ id: number; pick_key: number; single: number }>(
        `UPDATE units SET active_leases = active_leases + 1, pick_key = @pick_key,
           target_replicas = CASE WHEN @single = 1 THEN 1 ELSE target_replicas END
         WHERE id = @id`,
      ),
      get: db.prepare<{ id: string }, LeaseRecord>('SELECT * FROM leases WHERE id = @id'),
      heartbeat: db.prepare<{ id: string; now: number; expires: number }>(
        `UPDATE leases SET heartbeat_at = @now, expires_at = @expires WHERE id = @id AND state = 'active'`,
      ),
      activeOfVolunteer: db.prepare<{ volunteer: string }, LeaseRecord>(`SELECT * FROM leases WHERE volunteer_id = @volunteer AND state = 'active'`),
    };
  }

  /**
   * Marks leases past their expiry as expired and frees their units; returns
   * the studies touched. Reads only expired rows (an index range), so it is
   * cheap to run in every lease transaction.
   */
  sweep(now: number): Set<string> {
    const studies = new Set<string>();
    for (const lease of this.sql.expired.all({ now })) {
      this.end(lease.id, lease.unit_id, lease.single === 1, 'expired');
      studies.add(lease.study_id);
    }
    return studies;
  }

  /** Ends an active lease without a result (expired, released, revoked); false when it was no longer active. */
  end(id: string, unitId: number, single: boolean, state: 'expired' | 'released'): boolean {
    if (this.sql.setState.run({ id, state }).changes !== 1) return false;
    this.sql.leaseEnded.run({ unit: unitId, single: single ? 1 : 0 });
    return true;
  }

  /** Issues a lease, in the caller's transaction (immediate, so two requests never take the last replica). */
  issue(req: LeaseRequest): LeaseOutcome {
    const active = this.sql.activeOfCredential.get({ volunteer: req.credentialId, now: req.now })?.n ?? 0;
    if (active >= req.maxActive) return { kind: 'too-many-active', active };
    const ofPrefix = this.sql.activeOfPrefix.get({ prefix: req.requestPrefix, now: req.now })?.n ?? 0;
    if (ofPrefix >= req.maxActivePerPrefix) return { kind: 'prefix-busy', active: ofPrefix };

    const unit = this.pick(req);
    if (!unit) return { kind: 'none-available', studyComplete: (this.sql.undecided.get({ study: req.studyId })?.n ?? 0) === 0 };
    const single = req.single && unit.state === 'open' && unit.replicas === 0 && unit.activeLeases === 0;
    const lease: LeaseRecord = {
      id: req.leaseId,
      unit_id: unit.id,
      volunteer_id: req.credentialId,
      issued_at: req.now,
      expires_at: req.now + req.leaseMs,
      heartbeat_at: req.now,
      state: 'active',
      prefix: req.requestPrefix,
      credential_prefix: req.credentialPrefix,
      platform: req.platform,
      single: single ? 1 : 0,
    };
    this.sql.insert.run(lease);
    this.sql.leased.run({ id: unit.id, pick_key: req.pickKey(), single: lease.single });
    return { kind: 'issued', lease: toLease(lease), unit };
  }

  private pick(req: LeaseRequest): UnitRow | null {
    const start = req.pickKey();
    const base = {
      study: req.studyId,
      credential: req.credentialId,
      cooldown_since: req.now - req.cooldownMs,
      p1: req.requestPrefix,
      p2: req.credentialPrefix,
    };
    // Units this volunteer's replica can be compared on first; failing those, any unit that needs a replica.
    const passes = [
      { platform: req.platform, pools: POOLS },
      ...(req.platform === '' ? [] : [{ platform: '', pools: [3, 2] }]),
    ];
    for (const { platform, pools } of passes) {
      for (const pool of pools) {
        // From a random point to the end of the key space, then from its start: a random unit, each probe one index range.
        const found =
          this.sql.candidate.get({ ...base, platform, pool, from: start, to: PICK_SPACE }) ?? this.sql.candidate.get({ ...base, platform, pool, from: 0, to: start });
        if (found) return toUnit(found);
      }
    }
    return null;
  }

  /** A lease as it stands, heartbeats not yet written included. */
  get(id: string): LeaseRow | null {
    const row = this.sql.get.get({ id });
    if (!row) return null;
    const lease = toLease(row);
    const held = this.heldHeartbeats.get(id);
    return held && lease.state === 'active' ? { ...lease, heartbeatAt: held.now, expiresAt: held.expires } : lease;
  }

  /**
   * Extends an active, unexpired lease, as `get` gave it in this same tick
   * (the route has just checked whose it is); false when it is no longer active.
   * The extension is held in memory and written by the next transaction
   * (`writeHeldHeartbeats`, which every `atomic` runs first, and the store's
   * timer a few times a second): a heartbeat is most of the traffic (1,000 a
   * second at 10,000 volunteers) and writing each as a transaction of its own
   * wrote about 40 MB/s of WAL pages. Nothing reads a lease's expiry except
   * through `get` or inside a transaction, so nothing sees it stale; a
   * killed coordinator loses at most the held ones, which, like every
   * heartbeat, were never fsynced.
   */
  heartbeat(lease: LeaseRow, now: number, expires: number): boolean {
    if (lease.state !== 'active' || lease.expiresAt <= now) return false;
    this.heldHeartbeats.set(lease.id, { now, expires });
    return true;
  }

  get holdsHeartbeats(): boolean {
    return this.heldHeartbeats.size > 0;
  }

  /** Writes the heartbeats held in memory, in the caller's transaction (before anything reads or ends a lease). */
  writeHeldHeartbeats(): void {
    for (const [id, { now, expires }] of this.heldHeartbeats) this.sql.heartbeat.run({ id, now, expires });
    this.heldHeartbeats.clear();
  }

  activeOf(credentialId: string): LeaseRow[] {
    return this.sql.activeOfVolunteer.all({ volunteer: credentialId }).map(toLease);
  }
}
