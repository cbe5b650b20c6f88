/**
 * The coordinator's schema and its migrations, in order; `PRAGMA
 * user_version` records how many ran. Append only: a database made by an
 * older coordinator is upgraded in place when the store opens it.
 */
import { createHash, randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';

/** SQL, or a step that needs JavaScript; `foreignKeysOff` for one that rewrites keys other tables point to. */
type Migration = string | { run: (db: Database.Database) => void; foreignKeysOff: true };

const MIGRATIONS: readonly Migration[] = [
  // 1: studies, units, volunteers (browser-made ids), leases, results.
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
  // 2: coordinator-issued credentials (hashed), network prefixes, random assignment by an index,
  // image-by-image validation against the study's test labels, adaptive replication and revocation.
  {
    foreignKeysOff: true,
    run(db) {
      // Browser ids were bearer secrets stored as given: keep their rows and history under a hash, which
      // nothing can present again (they get 401 and ask for a credential).
      db.function('legacy_id', { deterministic: true }, (id: unknown) => `legacy-${createHash('sha256').update(String(id)).digest('hex')}`);
      db.exec(`
        UPDATE leases SET volunteer_id = legacy_id(volunteer_id);
        UPDATE results SET volunteer_id = legacy_id(volunteer_id);
        UPDATE volunteers SET id = legacy_id(id);
      `);
      db.function('pick_key', () => randomInt(2 ** 31));
      db.exec(`
        ALTER TABLE volunteers ADD COLUMN secret_hash TEXT;
        ALTER TABLE volunteers ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
        ALTER TABLE volunteers ADD COLUMN valid_streak INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE volunteers ADD COLUMN invalid_results INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE volunteers ADD COLUMN revoked_at INTEGER;
        ALTER TABLE volunteers ADD COLUMN revoked_reason TEXT;
        -- The numerical platform of its last result (validate.ts, platformOf): its leases go to units it can be compared on.
        ALTER TABLE volunteers ADD COLUMN platform TEXT NOT NULL DEFAULT '';

        -- Credentials issued per network prefix in the current hour.
        CREATE TABLE issuance (
          prefix TEXT PRIMARY KEY,
          window_start INTEGER NOT NULL,
          count INTEGER NOT NULL
        ) STRICT;

        -- The true class of each test image (uint16, little-endian): replicas are compared image by image.
        ALTER TABLE studies ADD COLUMN test_labels BLOB;

        -- Replicas and active leases counted on the unit, so that choosing one is an index range, not a
        -- count per unit. lease_pool: 3 waiting on an extra replica, 2 needing one, 1 undecided but fully
        -- leased (a spare replica), 0 decided.
        ALTER TABLE units ADD COLUMN pick_key INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE units ADD COLUMN replicas INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE units ADD COLUMN active_leases INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE units ADD COLUMN single_replica INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE units ADD COLUMN lease_pool INTEGER GENERATED ALWAYS AS (
          CASE WHEN state IN ('done', 'inconclusive') THEN 0
               WHEN target_replicas > replicas + active_leases THEN (CASE WHEN state = 'held' THEN 3 ELSE 2 END)
               ELSE 1 END) VIRTUAL;
        UPDATE units SET
          pick_key = pick_key(),
          replicas = (SELECT COUNT(*) FROM results r WHERE r.unit_id = units.id),
          active_leases = (SELECT COUNT(*) FROM leases l WHERE l.unit_id = units.id AND l.state = 'active');
        CREATE INDEX units_to_lease ON units (study_id, lease_pool, pick_key);

        -- Where each lease was asked from, its credential's own prefix and platform; single: a trusted
        -- credential's lease that will be accepted on its replica alone.
        ALTER TABLE leases ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
        ALTER TABLE leases ADD COLUMN credential_prefix TEXT NOT NULL DEFAULT '';
        ALTER TABLE leases ADD COLUMN platform TEXT NOT NULL DEFAULT '';
        ALTER TABLE leases ADD COLUMN single INTEGER NOT NULL DEFAULT 0;
        -- Active leases of a network (leases.ts names the index it counts them with: the planner would take the expiry
        -- index and read every active lease). Without expires_at, so that a heartbeat moves one index entry, not three.
        CREATE INDEX leases_by_prefix ON leases (prefix, state);

        -- What replicas are compared on, out of the body: predictions (uint16, little-endian) and platform.
        -- judged: this result has counted toward its credential's record (once). after_decision: it arrived
        -- once its unit was decided, so it earns no trust (the canonical result was public by then).
        ALTER TABLE results ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
        ALTER TABLE results ADD COLUMN predictions BLOB;
        ALTER TABLE results ADD COLUMN platform TEXT NOT NULL DEFAULT '';
        ALTER TABLE results ADD COLUMN started_at TEXT NOT NULL DEFAULT '';
        ALTER TABLE results ADD COLUMN wall_time_sec REAL NOT NULL DEFAULT 0;
        ALTER TABLE results ADD COLUMN withdrawn_at INTEGER;
        ALTER TABLE results ADD COLUMN judged INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE results ADD COLUMN after_decision INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE results ADD COLUMN study_id TEXT NOT NULL DEFAULT '';
        UPDATE results SET study_id = (SELECT u.study_id FROM units u WHERE u.id = results.unit_id);
        CREATE INDEX results_by_study ON results (study_id, state);
        CREATE INDEX results_by_volunteer ON results (volunteer_id);
      `);
    },
  },
  // 3: a study's progress counted from indexes alone. withdrawn_at and active_leases sit after the result's
  // body and predictions in their rows, so counting them from the table read every result's overflow pages
  // (about 10 ms a read at 3,500 results, on every read after a decision).
  `
  CREATE INDEX results_progress ON results (study_id, state, withdrawn_at);
  CREATE INDEX units_progress ON units (study_id, state, active_leases);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to schema version `upTo` (the latest by default; tests stop earlier to make an old database). */
export function migrate(db: Database.Database, upTo = MIGRATIONS.length): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`the database is at schema version ${current}, newer than this coordinator's ${MIGRATIONS.length}: upgrade the coordinator`);
  }
  for (let v = current; v < upTo; v++) {
    const migration = MIGRATIONS[v]!;
    const keysOff = typeof migration !== 'string';
    // foreign_keys cannot change inside a transaction; the check below stands in for it.
    if (keysOff) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        if (typeof migration === 'string') db.exec(migration);
        else migration.run(db);
        if (keysOff) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length) throw new Error(`migration ${v + 1} would break ${broken.length} foreign keys`);
        }
        // user_version takes no bound parameter; v is a loop index, never request data.
        db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    } finally {
      if (keysOff) db.pragma('foreign_keys = ON');
    }
  }
}
