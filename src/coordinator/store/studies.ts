/**
 * Studies and their units: publishing, reading, and what the public pages
 * show (progress, contributors, validated results). A study never changes
 * once published, so its row is kept in memory after the first read.
 */
import type Database from 'better-sqlite3';
import type { ResultState, UnitState } from '../validate';

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
  /** The true class of each test image; null for a study published before they were required. */
  testLabels: Uint16Array | null;
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
  /** Results stored (not withdrawn) and leases active, as counted on the unit. */
  replicas: number;
  activeLeases: number;
  /** Accepted on one trusted credential's replica alone. */
  singleReplica: boolean;
}

export interface Progress {
  units: number;
  byState: Record<UnitState, number>;
  activeLeases: number;
  results: Record<ResultState | 'withdrawn', number>;
}

export interface ContributorRow {
  contributor: string;
  displayName: string | null;
  revoked: boolean;
  results: Record<ResultState | 'withdrawn', number>;
}

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
  test_labels: Buffer | null;
}

export interface UnitRecord {
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
  replicas: number;
  active_leases: number;
  single_replica: number;
}

/** uint16 little-endian, as stored: labels and predictions. */
export const toUint16 = (values: ArrayLike<number>): Buffer => {
  const buffer = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) buffer.writeUInt16LE(values[i]!, i * 2);
  return buffer;
};
export const fromUint16 = (buffer: Buffer): Uint16Array => {
  const out = new Uint16Array(buffer.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = buffer.readUInt16LE(i * 2);
  return out;
};

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
  testLabels: r.test_labels === null ? null : fromUint16(r.test_labels),
});

export const toUnit = (r: UnitRecord): UnitRow => ({
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
  replicas: r.replicas,
  activeLeases: r.active_leases,
  singleReplica: r.single_replica === 1,
});

const UNIT_STATES: readonly UnitState[] = ['open', 'held', 'done', 'inconclusive'];
const RESULT_STATES: readonly (ResultState | 'withdrawn')[] = ['pending', 'valid', 'held', 'invalid', 'withdrawn'];
const zeroes = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export class Studies {
  private readonly sql;
  private readonly rows = new Map<string, StudyRow>();

  constructor(db: Database.Database) {
    this.sql = {
      insertStudy: db.prepare<StudyRecord>(
        `INSERT INTO studies (id, name, spec, manifest_url, content_hash, test_count, class_names, class_test_counts, quorum, max_replicas, created_at, test_labels)
         VALUES (@id, @name, @spec, @manifest_url, @content_hash, @test_count, @class_names, @class_test_counts, @quorum, @max_replicas, @created_at, @test_labels)`,
      ),
      insertUnit: db.prepare<{ study_id: string; plan_index: number; label: string; config: string; config_hash: string; seed: number; target: number; pick_key: number }>(
        `INSERT INTO units (study_id, plan_index, label, config, config_hash, seed, state, target_replicas, pick_key)
         VALUES (@study_id, @plan_index, @label, @config, @config_hash, @seed, 'open', @target, @pick_key)`,
      ),
      listStudies: db.prepare<[], StudyRecord>('SELECT * FROM studies ORDER BY created_at, id'),
      getStudy: db.prepare<{ id: string }, StudyRecord>('SELECT * FROM studies WHERE id = @id'),
      unitsOfStudy: db.prepare<{ study: string }, UnitRecord>('SELECT * FROM units WHERE study_id = @study ORDER BY plan_index'),
      getUnit: db.prepare<{ id: number }, UnitRecord>('SELECT * FROM units WHERE id = @id'),
      unitStateCounts: db.prepare<{ study: string }, { state: UnitState; n: number; leases: number }>(
        'SELECT state, COUNT(*) AS n, SUM(active_leases) AS leases FROM units WHERE study_id = @study GROUP BY state',
      ),
      resultStateCounts: db.prepare<{ study: string }, { state: ResultState; withdrawn: number; n: number }>(
        `SELECT state, withdrawn_at IS NOT NULL AS withdrawn, COUNT(*) AS n FROM results WHERE study_id = @study GROUP BY state, withdrawn`,
      ),
      contributors: db.prepare<{ study: string }, { contributor: string; display_name: string | null; revoked: number; state: ResultState; withdrawn: number; n: number }>(
        `SELECT v.contributor, v.display_name, v.revoked_at IS NOT NULL AS revoked, r.state, r.withdrawn_at IS NOT NULL AS withdrawn, COUNT(*) AS n
         FROM results r JOIN volunteers v ON v.id = r.volunteer_id
         WHERE r.study_id = @study GROUP BY v.id, r.state, withdrawn ORDER BY v.first_seen, v.rowid`,
      ),
      canonicalResults: db.prepare<{ study: string }, { body: string }>(
        `SELECT r.body FROM units u JOIN results r ON r.id = u.canonical_result_id
         WHERE u.study_id = @study AND u.state = 'done' ORDER BY u.plan_index`,
      ),
      validReplicasOfStudy: db.prepare<{ study: string }, { unit_id: number; contributor: string }>(
        `SELECT r.unit_id, v.contributor FROM results r JOIN volunteers v ON v.id = r.volunteer_id
         WHERE r.study_id = @study AND r.state = 'valid' AND r.withdrawn_at IS NULL ORDER BY r.received_at, r.rowid`,
      ),
    };
  }

  /** A study and all its units, in the caller's transaction: a study is never visible half-planned. */
  create(study: NewStudy, pickKey: () => number): void {
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
      test_labels: study.testLabels === null ? null : toUint16(study.testLabels),
    });
    study.units.forEach((unit, index) =>
      this.sql.insertUnit.run({
        study_id: study.id,
        plan_index: index,
        label: unit.label,
        config: unit.config,
        config_hash: unit.configHash,
        seed: unit.seed,
        target: study.quorum,
        pick_key: pickKey(),
      }),
    );
  }

  list(): StudyRow[] {
    return this.sql.listStudies.all().map((r) => this.remember(toStudy(r)));
  }

  get(id: string): StudyRow | null {
    const known = this.rows.get(id);
    if (known) return known;
    const row = this.sql.getStudy.get({ id });
    return row ? this.remember(toStudy(row)) : null;
  }

  private remember(study: StudyRow): StudyRow {
    const known = this.rows.get(study.id);
    if (known) return known;
    this.rows.set(study.id, study);
    return study;
  }

  units(studyId: string): UnitRow[] {
    return this.sql.unitsOfStudy.all({ study: studyId }).map(toUnit);
  }

  unit(id: number): UnitRow | null {
    const row = this.sql.getUnit.get({ id });
    return row ? toUnit(row) : null;
  }

  /** Units per state, active leases, results per validation state (withdrawn ones apart). */
  progress(studyId: string): Progress {
    const byState = zeroes(UNIT_STATES);
    let activeLeases = 0;
    for (const { state, n, leases } of this.sql.unitStateCounts.all({ study: studyId })) {
      byState[state] = n;
      activeLeases += leases;
    }
    const results = zeroes(RESULT_STATES);
    for (const { state, withdrawn, n } of this.sql.resultStateCounts.all({ study: studyId })) results[withdrawn ? 'withdrawn' : state] += n;
    return { units: UNIT_STATES.reduce((sum, s) => sum + byState[s], 0), byState, activeLeases, results };
  }

  contributors(studyId: string): ContributorRow[] {
    const byContributor = new Map<string, ContributorRow>();
    for (const row of this.sql.contributors.all({ study: studyId })) {
      let entry = byContributor.get(row.contributor);
      if (!entry) {
        entry = { contributor: row.contributor, displayName: row.display_name, revoked: row.revoked === 1, results: zeroes(RESULT_STATES) };
        byContributor.set(row.contributor, entry);
      }
      entry.results[row.withdrawn ? 'withdrawn' : row.state] += row.n;
    }
    return [...byContributor.values()];
  }

  /** The canonical result of every decided unit, in plan order: one per config × seed, ready to pool. */
  canonicalResults(studyId: string): string[] {
    return this.sql.canonicalResults.all({ study: studyId }).map((r) => r.body);
  }

  /** Contributors of each unit's valid replicas, keyed by unit id. */
  validReplicas(studyId: string): Map<number, string[]> {
    const byUnit = new Map<number, string[]>();
    for (const { unit_id, contributor } of this.sql.validReplicasOfStudy.all({ study: studyId })) {
      const list = byUnit.get(unit_id);
      if (list) list.push(contributor);
      else byUnit.set(unit_id, [contributor]);
    }
    return byUnit;
  }
}
