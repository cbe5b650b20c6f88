/**
 * The coordinator's store: every SQL statement the coordinator runs is in
 * this file, so that moving from SQLite to PostgreSQL (docs/coordinator.md)
 * touches one module. Statements are prepared once with named parameters;
 * no SQL is ever built from request data.
 *
 * SQLite runs in WAL mode with synchronous=FULL: a transaction that returned
 * is on disk before the HTTP response leaves, so a killed process (or a lost
 * machine) keeps every result it acknowledged. better-sqlite3 is synchronous,
 * so a transaction cannot interleave with another request in this process;
 * `BEGIN IMMEDIATE` (`.immediate`) also serialises writers across processes.
 */
import Database from 'better-sqlite3';
import type { ResultState, UnitDecision, UnitState } from './validate';

export type LeaseState = 'active' | 'finished' | 'expired' | 'released';

/**
 * Schema migrations, in order; `PRAGMA user_version` records how many ran.
 * Append only: a database made by an older coordinator is upgraded in place.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE studies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    manifest_url TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    test_count INTEGER NOT NULL,
    class_names TEXT NOT NULL,
    class_test_counts TEXT,
    quorum INTEGER NOT NULL CHECK (quorum >= 1),
    max_replicas INTEGER NOT NULL CHECK (max_replicas >= quorum),
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    study_id TEXT NOT NULL REFERENCES studies(id),
    plan_index INTEGER NOT NULL,
    label TEXT NOT NULL,
    config TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    seed INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'held', 'done', 'inconclusive')),
    target_replicas INTEGER NOT NULL,
    canonical_result_id TEXT,
    UNIQUE (study_id, plan_index)
  ) STRICT;

  CREATE TABLE volunteers (
    id TEXT PRIMARY KEY,
    contributor TEXT NOT NULL UNIQUE,
    display_name TEXT,
    first_seen INTEGER NOT NULL,
    results_accepted INTEGER NOT NULL DEFAULT 0,
    window_start INTEGER NOT NULL DEFAULT 0,
    window_count INTEGER NOT NULL DEFAULT 0
  ) STRICT;

  CREATE TABLE leases (
    id TEXT PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    volunteer_id TEXT NOT NULL REFERENCES volunteers(id),
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active', 'finished', 'expired', 'released'))
  ) STRICT;
  CREATE INDEX leases_by_unit ON leases (unit_id, state);
  CREATE INDEX leases_by_volunteer ON leases (volunteer_id, state);
  CREATE INDEX leases_by_expiry ON leases (state, expires_at);

  -- One result per lease and one per volunteer and unit: the database itself
  -- refuses a replayed lease or a volunteer filling a quorum twice.
  CREATE TABLE results (
    id TEXT PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    volunteer_id TEXT NOT NULL REFERENCES volunteers(id),
    lease_id TEXT NOT NULL UNIQUE REFERENCES leases(id),
    body TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'valid', 'held', 'invalid')),
    UNIQUE (unit_id, volunteer_id)
  ) STRICT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface DatasetInfo {
  manifestUrl: string;
  contentHash: string;
  testCount: number;
  classNames: string[];
  /** Test images per class, in class order, when the organiser published them. */
  classTestCounts: number[] | null;
}

export interface StudyRow {
  id: string;
  name: string;
  /** The parsed study spec, as JSON. */
  spec: string;
  dataset: DatasetInfo;
  quorum: number;
  maxReplicas: number;
  createdAt: number;
}

/** A study as it is published: its row and the units its plan expands into. */
export interface NewStudy extends StudyRow {
  units: { label: string; config: string; configHash: string; seed: number }[];
}

export interface UnitRow {
  id: number;
  studyId: string;
  planIndex: number;
  label: string;
  config: string;
  configHash: string;
  seed: number;
  state: UnitState;
  targetReplicas: number;
  canonicalResultId: string | null;
}

export interface LeaseRow {
  id: string;
  unitId: number;
  volunteerId: string;
  issuedAt: number;
  expiresAt: number;
  heartbeatAt: number;
  state: LeaseState;
}

export interface Progress {
  units: number;
  byState: Record<UnitState, number>;
  activeLeases: number;
  results: Record<ResultState, number>;
}

export interface ContributorRow {
  contributor: string;
  displayName: string | null;
  results: Record<ResultState, number>;
}

export interface StoredResult {
  id: string;
  unitId: number;
  volunteerId: string;
  leaseId: string;
  body: string;
  receivedAt: number;
  state: ResultState;
}

export type LeaseOutcome =
  | { kind: 'issued'; lease: LeaseRow; unit: UnitRow }
  | { kind: 'too-many-active'; active: number }
  | { kind: 'none-available'; studyComplete: boolean };

export type RecordOutcome =
  | { kind: 'recorded'; resultId: string; state: ResultState; unit: UnitDecision }
  | { kind: 'lease-not-active'; state: LeaseState | 'past-expiry' }
  | { kind: 'duplicate' };

/** Rows as SQLite returns them (snake_case); mapped to the interfaces above. */
interface StudyRecord {
  id: string;
  name: string;
  spec: string;
  manifest_url: string;
  content_hash: string;
  test_count: number;
  class_names: string;
  class_test_counts: string | null;
  quorum: number;
  max_replicas: number;
  created_at: number;
}
interface UnitRecord {
  id: number;
  study_id: string;
  plan_index: number;
  label: string;
  config: string;
  config_hash: string;
  seed: number;
  state: UnitState;
  target_replicas: number;
  canonical_result_id: string | null;
}
interface LeaseRecord {
  id: string;
  unit_id: number;
  volunteer_id: string;
  issued_at: number;
  expires_at: number;
  heartbeat_at: number;
  state: LeaseState;
}
interface ResultRecord {
  id: string;
  unit_id: number;
  volunteer_id: string;
  lease_id: string;
  body: string;
  received_at: number;
  state: ResultState;
}

const toStudy = (r: StudyRecord): StudyRow => ({
  id: r.id,
  name: r.name,
  spec: r.spec,
  dataset: {
    manifestUrl: r.manifest_url,
    contentHash: r.content_hash,
    testCount: r.test_count,
    classNames: JSON.parse(r.class_names) as string[],
    classTestCounts: r.class_test_counts === null ? null : (JSON.parse(r.class_test_counts) as number[]),
  },
  quorum: r.quorum,
  maxReplicas: r.max_replicas,
  createdAt: r.created_at,
});
const toUnit = (r: UnitRecord): UnitRow => ({
  id: r.id,
  studyId: r.study_id,
  planIndex: r.plan_index,
  label: r.label,
  config: r.config,
  configHash: r.config_hash,
  seed: r.seed,
  state: r.state,
  targetReplicas: r.target_replicas,
  canonicalResultId: r.canonical_result_id,
});
const toLease = (r: LeaseRecord): LeaseRow => ({
  id: r.id,
  unitId: r.unit_id,
  volunteerId: r.volunteer_id,
  issuedAt: r.issued_at,
  expiresAt: r.expires_at,
  heartbeatAt: r.heartbeat_at,
  state: r.state,
});
const toResult = (r: ResultRecord): StoredResult => ({
  id: r.id,
  unitId: r.unit_id,
  volunteerId: r.volunteer_id,
  leaseId: r.lease_id,
  body: r.body,
  receivedAt: r.received_at,
  state: r.state,
});

const UNIT_STATES: readonly UnitState[] = ['open', 'held', 'done', 'inconclusive'];
const RESULT_STATES: readonly ResultState[] = ['pending', 'valid', 'held', 'invalid'];
const zeroes = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export class Store {
  readonly db: Database.Database;
  private readonly sql;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: a commit is fsynced before it returns, so an acknowledged result survives a power loss too.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.sql = this.prepare();
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(`the database is at schema version ${current}, newer than this coordinator's ${MIGRATIONS.length}: upgrade the coordinator`);
    }
    const upgrade = this.db.transaction(() => {
      for (let v = current; v < MIGRATIONS.length; v++) {
        this.db.exec(MIGRATIONS[v]!);
        // user_version takes no bound parameter; v is a loop index, never request data.
        this.db.pragma(`user_version = ${v + 1}`);
      }
    });
    upgrade.immediate();
  }

  private prepare() {
    const db = this.db;
    return {
      getSetting: db.prepare<{ key: string }, { value: string }>('SELECT value FROM settings WHERE key = @key'),
      setSetting: db.prepare<{ key: string; value: string }>(
        'INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      insertStudy: db.prepare<StudyRecord>(
        `INSERT INTO studies (id, name, spec, manifest_url, content_hash, test_count, class_names, class_test_counts, quorum, max_replicas, created_at)
         VALUES (@id, @name, @spec, @manifest_url, @content_hash, @test_count, @class_names, @class_test_counts, @quorum, @max_replicas, @created_at)`,
      ),
      insertUnit: db.prepare<Omit<UnitRecord, 'id' | 'canonical_result_id'>>(
        `INSERT INTO units (study_id, plan_index, label, config, config_hash, seed, state, target_replicas)
         VALUES (@study_id, @plan_index, @label, @config, @config_hash, @seed, @state, @target_replicas)`,
      ),
      listStudies: db.prepare<[], StudyRecord>('SELECT * FROM studies ORDER BY created_at, id'),
      getStudy: db.prepare<{ id: string }, StudyRecord>('SELECT * FROM studies WHERE id = @id'),
      unitsOfStudy: db.prepare<{ study: string }, UnitRecord>('SELECT * FROM units WHERE study_id = @study ORDER BY plan_index'),
      getUnit: db.prepare<{ id: number }, UnitRecord>('SELECT * FROM units WHERE id = @id'),
      unitStateCounts: db.prepare<{ study: string }, { state: UnitState; n: number }>(
        'SELECT state, COUNT(*) AS n FROM units WHERE study_id = @study GROUP BY state',
      ),
      resultStateCounts: db.prepare<{ study: string }, { state: ResultState; n: number }>(
        `SELECT r.state, COUNT(*) AS n FROM results r JOIN units u ON u.id = r.unit_id
         WHERE u.study_id = @study GROUP BY r.state`,
      ),
      activeLeaseCount: db.prepare<{ study: string; now: number }, { n: number }>(
        `SELECT COUNT(*) AS n FROM leases l JOIN units u ON u.id = l.unit_id
         WHERE u.study_id = @study AND l.state = 'active' AND l.expires_at > @now`,
      ),
      contributors: db.prepare<{ study: string }, { contributor: string; display_name: string | null; state: ResultState; n: number }>(
        `SELECT v.contributor, v.display_name, r.state, COUNT(*) AS n
         FROM results r JOIN units u ON u.id = r.unit_id JOIN volunteers v ON v.id = r.volunteer_id
         WHERE u.study_id = @study GROUP BY v.id, r.state ORDER BY v.first_seen, v.rowid`,
      ),
      upsertVolunteer: db.prepare<{ id: string; contributor: string; display_name: string | null; now: number }>(
        `INSERT INTO volunteers (id, contributor, display_name, first_seen) VALUES (@id, @contributor, @display_name, @now)
         ON CONFLICT (id) DO UPDATE SET display_name = COALESCE(excluded.display_name, volunteers.display_name)`,
      ),
      getVolunteerWindow: db.prepare<{ id: string }, { window_start: number; window_count: number }>(
        'SELECT window_start, window_count FROM volunteers WHERE id = @id',
      ),
      setVolunteerWindow: db.prepare<{ id: string; window_start: number; window_count: number }>(
        'UPDATE volunteers SET window_start = @window_start, window_count = @window_count WHERE id = @id',
      ),
      expireLeases: db.prepare<{ now: number }>(`UPDATE leases SET state = 'expired' WHERE state = 'active' AND expires_at <= @now`),
      activeLeasesOfVolunteer: db.prepare<{ volunteer: string; now: number }, { n: number }>(
        `SELECT COUNT(*) AS n FROM leases WHERE volunteer_id = @volunteer AND state = 'active' AND expires_at > @now`,
      ),
      // The first unit, held ones (waiting on a tiebreak) before the rest, then in plan order, that
      // still needs a replica and of which this volunteer holds neither a lease nor a result.
      nextUnit: db.prepare<{ study: string; volunteer: string; now: number }, UnitRecord>(
        `SELECT u.* FROM units u
         WHERE u.study_id = @study AND u.state IN ('open', 'held')
           AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.unit_id = u.id AND l.volunteer_id = @volunteer
                           AND l.state IN ('active', 'finished'))
           AND NOT EXISTS (SELECT 1 FROM results r WHERE r.unit_id = u.id AND r.volunteer_id = @volunteer)
           AND u.target_replicas > (SELECT COUNT(*) FROM results r WHERE r.unit_id = u.id)
                                 + (SELECT COUNT(*) FROM leases l WHERE l.unit_id = u.id AND l.state = 'active' AND l.expires_at > @now)
         ORDER BY (u.state = 'held') DESC, u.plan_index
         LIMIT 1`,
      ),
      openUnitCount: db.prepare<{ study: string }, { n: number }>(
        `SELECT COUNT(*) AS n FROM units WHERE study_id = @study AND state IN ('open', 'held')`,
      ),
      insertLease: db.prepare<LeaseRecord>(
        `INSERT INTO leases (id, unit_id, volunteer_id, issued_at, expires_at, heartbeat_at, state)
         VALUES (@id, @unit_id, @volunteer_id, @issued_at, @expires_at, @heartbeat_at, @state)`,
      ),
      getLease: db.prepare<{ id: string }, LeaseRecord>('SELECT * FROM leases WHERE id = @id'),
      heartbeat: db.prepare<{ id: string; now: number; expires: number }>(
        `UPDATE leases SET heartbeat_at = @now, expires_at = @expires WHERE id = @id AND state = 'active' AND expires_at > @now`,
      ),
      setLeaseState: db.prepare<{ id: string; state: LeaseState }>('UPDATE leases SET state = @state WHERE id = @id'),
      resultsOfUnit: db.prepare<{ unit: number }, ResultRecord>('SELECT * FROM results WHERE unit_id = @unit ORDER BY received_at, rowid'),
      resultOfUnitAndVolunteer: db.prepare<{ unit: number; volunteer: string }, { id: string }>(
        'SELECT id FROM results WHERE unit_id = @unit AND volunteer_id = @volunteer',
      ),
      insertResult: db.prepare<ResultRecord>(
        `INSERT INTO results (id, unit_id, volunteer_id, lease_id, body, received_at, state)
         VALUES (@id, @unit_id, @volunteer_id, @lease_id, @body, @received_at, @state)`,
      ),
      setResultState: db.prepare<{ id: string; state: ResultState }>('UPDATE results SET state = @state WHERE id = @id'),
      setUnitDecision: db.prepare<{ id: number; state: UnitState; target: number; canonical: string | null }>(
        'UPDATE units SET state = @state, target_replicas = @target, canonical_result_id = @canonical WHERE id = @id',
      ),
      countAccepted: db.prepare<{ id: string }>('UPDATE volunteers SET results_accepted = results_accepted + 1 WHERE id = @id'),
      canonicalResults: db.prepare<{ study: string }, { body: string }>(
        `SELECT r.body FROM units u JOIN results r ON r.id = u.canonical_result_id
         WHERE u.study_id = @study AND u.state = 'done' ORDER BY u.plan_index`,
      ),
      validReplicasOfStudy: db.prepare<{ study: string }, { unit_id: number; contributor: string }>(
        `SELECT r.unit_id, v.contributor FROM results r JOIN units u ON u.id = r.unit_id JOIN volunteers v ON v.id = r.volunteer_id
         WHERE u.study_id = @study AND r.state = 'valid' ORDER BY r.received_at, r.rowid`,
      ),
      rowCounts: db.prepare<[], { studies: number; units: number; volunteers: number; leases: number; results: number }>(
        `SELECT (SELECT COUNT(*) FROM studies) AS studies, (SELECT COUNT(*) FROM units) AS units,
                (SELECT COUNT(*) FROM volunteers) AS volunteers, (SELECT COUNT(*) FROM leases) AS leases,
                (SELECT COUNT(*) FROM results) AS results`,
      ),
    };
  }

  close(): void {
    this.db.close();
  }

  getSetting(key: string): string | null {
    return this.sql.getSetting.get({ key })?.value ?? null;
  }

  setSetting(key: string, value: string): void {
    this.sql.setSetting.run({ key, value });
  }

  /** A study and all its units, in one transaction: a study is never visible half-planned. */
  createStudy(study: NewStudy): void {
    this.db
      .transaction(() => {
        this.sql.insertStudy.run({
          id: study.id,
          name: study.name,
          spec: study.spec,
          manifest_url: study.dataset.manifestUrl,
          content_hash: study.dataset.contentHash,
          test_count: study.dataset.testCount,
          class_names: JSON.stringify(study.dataset.classNames),
          class_test_counts: study.dataset.classTestCounts === null ? null : JSON.stringify(study.dataset.classTestCounts),
          quorum: study.quorum,
          max_replicas: study.maxReplicas,
          created_at: study.createdAt,
        });
        study.units.forEach((unit, index) =>
          this.sql.insertUnit.run({
            study_id: study.id,
            plan_index: index,
            label: unit.label,
            config: unit.config,
            config_hash: unit.configHash,
            seed: unit.seed,
            state: 'open',
            target_replicas: study.quorum,
          }),
        );
      })
      .immediate();
  }

  listStudies(): StudyRow[] {
    return this.sql.listStudies.all().map(toStudy);
  }

  getStudy(id: string): StudyRow | null {
    const row = this.sql.getStudy.get({ id });
    return row ? toStudy(row) : null;
  }

  unitsOfStudy(studyId: string): UnitRow[] {
    return this.sql.unitsOfStudy.all({ study: studyId }).map(toUnit);
  }

  getUnit(id: number): UnitRow | null {
    const row = this.sql.getUnit.get({ id });
    return row ? toUnit(row) : null;
  }

  progress(studyId: string, now: number): Progress {
    const byState = zeroes(UNIT_STATES);
    for (const { state, n } of this.sql.unitStateCounts.all({ study: studyId })) byState[state] = n;
    const results = zeroes(RESULT_STATES);
    for (const { state, n } of this.sql.resultStateCounts.all({ study: studyId })) results[state] = n;
    const units = UNIT_STATES.reduce((sum, s) => sum + byState[s], 0);
    return { units, byState, activeLeases: this.sql.activeLeaseCount.get({ study: studyId, now })?.n ?? 0, results };
  }

  contributors(studyId: string): ContributorRow[] {
    const byContributor = new Map<string, ContributorRow>();
    for (const row of this.sql.contributors.all({ study: studyId })) {
      let entry = byContributor.get(row.contributor);
      if (!entry) {
        entry = { contributor: row.contributor, displayName: row.display_name, results: zeroes(RESULT_STATES) };
        byContributor.set(row.contributor, entry);
      }
      entry.results[row.state] = row.n;
    }
    return [...byContributor.values()];
  }

  /** Records a volunteer on first sight (keeping the latest display name given). */
  touchVolunteer(id: string, contributor: string, displayName: string | null, now: number): void {
    this.sql.upsertVolunteer.run({ id, contributor, display_name: displayName, now });
  }

  /**
   * Counts one action against the volunteer's fixed window and says whether
   * it is within `max`; kept in the database so a restart does not reset it.
   */
  takeVolunteerAction(id: string, now: number, windowMs: number, max: number): boolean {
    return this.db
      .transaction(() => {
        const row = this.sql.getVolunteerWindow.get({ id });
        if (!row) throw new Error(`volunteer ${id} was not recorded before its first action`);
        const fresh = now - row.window_start >= windowMs;
        const count = fresh ? 1 : row.window_count + 1;
        this.sql.setVolunteerWindow.run({ id, window_start: fresh ? now : row.window_start, window_count: count });
        return count <= max;
      })
      .immediate();
  }

  /**
   * Leases the next unit that needs a replica to this volunteer, in one
   * immediate transaction so two volunteers never both take the last replica.
   */
  issueLease(args: { studyId: string; volunteerId: string; leaseId: string; now: number; leaseMs: number; maxActive: number }): LeaseOutcome {
    return this.db
      .transaction((): LeaseOutcome => {
        const { studyId, volunteerId, leaseId, now, leaseMs, maxActive } = args;
        this.sql.expireLeases.run({ now });
        const active = this.sql.activeLeasesOfVolunteer.get({ volunteer: volunteerId, now })?.n ?? 0;
        if (active >= maxActive) return { kind: 'too-many-active', active };
        const unit = this.sql.nextUnit.get({ study: studyId, volunteer: volunteerId, now });
        if (!unit) return { kind: 'none-available', studyComplete: (this.sql.openUnitCount.get({ study: studyId })?.n ?? 0) === 0 };
        const lease: LeaseRecord = {
          id: leaseId,
          unit_id: unit.id,
          volunteer_id: volunteerId,
          issued_at: now,
          expires_at: now + leaseMs,
          heartbeat_at: now,
          state: 'active',
        };
        this.sql.insertLease.run(lease);
        return { kind: 'issued', lease: toLease(lease), unit: toUnit(unit) };
      })
      .immediate();
  }

  getLease(id: string): LeaseRow | null {
    const row = this.sql.getLease.get({ id });
    return row ? toLease(row) : null;
  }

  /** Extends an active, unexpired lease; false when it is no longer active. */
  heartbeat(id: string, now: number, expires: number): boolean {
    return this.sql.heartbeat.run({ id, now, expires }).changes === 1;
  }

  releaseLease(id: string): void {
    this.sql.setLeaseState.run({ id, state: 'released' });
  }

  resultsOfUnit(unitId: number): StoredResult[] {
    return this.sql.resultsOfUnit.all({ unit: unitId }).map(toResult);
  }

  /**
   * Stores a result and re-decides its unit, in one transaction that commits
   * before the caller answers: the lease is re-checked inside it (two uploads
   * racing on one lease cannot both pass), the result, the finished lease and
   * the unit's new state land together or not at all.
   */
  recordResult(args: {
    resultId: string;
    leaseId: string;
    body: string;
    now: number;
    decide: (unit: UnitRow, replicas: StoredResult[]) => UnitDecision;
  }): RecordOutcome {
    return this.db
      .transaction((): RecordOutcome => {
        const lease = this.sql.getLease.get({ id: args.leaseId });
        if (!lease) throw new Error(`lease ${args.leaseId} vanished during its upload`);
        if (lease.state !== 'active') return { kind: 'lease-not-active', state: lease.state };
        if (lease.expires_at <= args.now) return { kind: 'lease-not-active', state: 'past-expiry' };
        if (this.sql.resultOfUnitAndVolunteer.get({ unit: lease.unit_id, volunteer: lease.volunteer_id })) return { kind: 'duplicate' };
        this.sql.insertResult.run({
          id: args.resultId,
          unit_id: lease.unit_id,
          volunteer_id: lease.volunteer_id,
          lease_id: lease.id,
          body: args.body,
          received_at: args.now,
          state: 'pending',
        });
        this.sql.setLeaseState.run({ id: lease.id, state: 'finished' });
        this.sql.countAccepted.run({ id: lease.volunteer_id });
        const unit = toUnit(this.sql.getUnit.get({ id: lease.unit_id })!);
        const decision = args.decide(unit, this.resultsOfUnit(unit.id));
        for (const [id, state] of decision.results) this.sql.setResultState.run({ id, state });
        this.sql.setUnitDecision.run({ id: unit.id, state: decision.state, target: decision.targetReplicas, canonical: decision.canonicalId });
        return { kind: 'recorded', resultId: args.resultId, state: decision.results.get(args.resultId) ?? 'pending', unit: decision };
      })
      .immediate();
  }

  /** The canonical result of every decided unit, in plan order: one per config × seed, ready to pool. */
  canonicalResults(studyId: string): string[] {
    return this.sql.canonicalResults.all({ study: studyId }).map((r) => r.body);
  }

  /** Contributors of each unit's valid replicas, keyed by unit id. */
  validReplicas(studyId: string): Map<number, string[]> {
    const byUnit = new Map<number, string[]>();
    for (const { unit_id, contributor } of this.sql.validReplicasOfStudy.all({ study: studyId })) {
      byUnit.set(unit_id, [...(byUnit.get(unit_id) ?? []), contributor]);
    }
    return byUnit;
  }

  /** Row counts per table: for the operator's stats endpoint and for tests that a refusal stored nothing. */
  rowCounts(): { studies: number; units: number; volunteers: number; leases: number; results: number } {
    return this.sql.rowCounts.get()!;
  }
}
