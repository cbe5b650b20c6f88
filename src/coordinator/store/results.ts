/**
 * Results and the decisions on their units: recording an upload, deciding
 * its unit by agreement among the replicas (validate.ts), keeping each
 * credential's record for adaptive replication, and withdrawing a revoked
 * credential's results. Every method runs in the caller's transaction.
 */
import type Database from 'better-sqlite3';
import { decideUnit, type Replica, type ResultState, type UnitDecision, type UnitState } from '../validate';
import type { Credentials } from './credentials';
import type { Leases, LeaseState } from './leases';
import { fromUint16, toUint16, toUnit, type StudyRow, type UnitRecord, type UnitRow } from './studies';

export interface StoredResult {
  id: string;
  unitId: number;
  volunteerId: string;
  leaseId: string;
  body: string;
  receivedAt: number;
  state: ResultState;
  withdrawn: boolean;
}

interface ResultRecord {
  id: string;
  unit_id: number;
  volunteer_id: string;
  lease_id: string;
  body: string;
  received_at: number;
  state: ResultState;
  withdrawn_at: number | null;
}

interface ReplicaRecord {
  id: string;
  volunteer_id: string;
  prefix: string;
  predictions: Buffer | null;
  platform: string;
  started_at: string;
  wall_time_sec: number;
  judged: number;
  after_decision: number;
  lease_prefix: string;
  credential_prefix: string;
}

export interface NewResult {
  resultId: string;
  leaseId: string;
  /** The parsed run result, canonical JSON. */
  body: string;
  /** The network prefix of the upload. */
  prefix: string;
  predictions: ArrayLike<number>;
  /** validate.ts, platformOf: the replicas it can be compared with. */
  platform: string;
  startedAt: string;
  wallTimeSec: number;
  now: number;
}

export type RecordOutcome =
  | { kind: 'recorded'; resultId: string; state: ResultState; unit: { state: UnitState }; studies: Set<string> }
  | { kind: 'lease-not-active'; state: LeaseState | 'past-expiry' }
  | { kind: 'duplicate' };

export interface Withdrawal {
  results: number;
  /** Units that were decided and are open again. */
  reopened: number;
  studies: Set<string>;
}

export class Results {
  private readonly sql;

  constructor(
    db: Database.Database,
    private readonly leases: Leases,
    private readonly credentials: Credentials,
    private readonly study: (id: string) => StudyRow | null,
  ) {
    this.sql = {
      getLease: db.prepare<{ id: string }, { unit_id: number; volunteer_id: string; state: LeaseState; expires_at: number; single: number }>(
        'SELECT unit_id, volunteer_id, state, expires_at, single FROM leases WHERE id = @id',
      ),
      ofUnitAndVolunteer: db.prepare<{ unit: number; volunteer: string }, { id: string }>('SELECT id FROM results WHERE unit_id = @unit AND volunteer_id = @volunteer'),
      getUnit: db.prepare<{ id: number }, UnitRecord>('SELECT * FROM units WHERE id = @id'),
      insert: db.prepare<{
        id: string;
        unit_id: number;
        study_id: string;
        volunteer_id: string;
        lease_id: string;
        body: string;
        received_at: number;
        prefix: string;
        predictions: Buffer;
        platform: string;
        started_at: string;
        wall_time_sec: number;
        after_decision: number;
      }>(
        `INSERT INTO results (id, unit_id, study_id, volunteer_id, lease_id, body, received_at, state, prefix, predictions, platform, started_at, wall_time_sec, after_decision)
         VALUES (@id, @unit_id, @study_id, @volunteer_id, @lease_id, @body, @received_at, 'pending', @prefix, @predictions, @platform, @started_at, @wall_time_sec, @after_decision)`,
      ),
      finishLease: db.prepare<{ id: string }>(`UPDATE leases SET state = 'finished' WHERE id = @id`),
      replicaArrived: db.prepare<{ id: number }>('UPDATE units SET active_leases = active_leases - 1, replicas = replicas + 1 WHERE id = @id'),
      replicas: db.prepare<{ unit: number }, ReplicaRecord>(
        `SELECT r.id, r.volunteer_id, r.prefix, r.predictions, r.platform, r.started_at, r.wall_time_sec, r.judged, r.after_decision,
                l.prefix AS lease_prefix, l.credential_prefix
         FROM results r JOIN leases l ON l.id = r.lease_id
         WHERE r.unit_id = @unit AND r.withdrawn_at IS NULL ORDER BY r.rowid`,
      ),
      setState: db.prepare<{ id: string; state: ResultState }>('UPDATE results SET state = @state WHERE id = @id'),
      setJudged: db.prepare<{ id: string }>('UPDATE results SET judged = 1 WHERE id = @id'),
      setDecision: db.prepare<{ id: number; state: UnitState; target: number; canonical: string | null; single: number }>(
        'UPDATE units SET state = @state, target_replicas = @target, canonical_result_id = @canonical, single_replica = @single WHERE id = @id',
      ),
      singlesOf: db.prepare<{ volunteer: string }, { id: number }>(
        `SELECT u.id FROM units u JOIN results r ON r.id = u.canonical_result_id WHERE u.single_replica = 1 AND r.volunteer_id = @volunteer`,
      ),
      liveOf: db.prepare<{ volunteer: string }, { id: string; unit_id: number }>(
        'SELECT id, unit_id FROM results WHERE volunteer_id = @volunteer AND withdrawn_at IS NULL',
      ),
      withdraw: db.prepare<{ id: string; now: number }>('UPDATE results SET withdrawn_at = @now WHERE id = @id'),
      replicaWithdrawn: db.prepare<{ id: number }>('UPDATE units SET replicas = replicas - 1 WHERE id = @id'),
      ofUnit: db.prepare<{ unit: number }, ResultRecord>(
        'SELECT id, unit_id, volunteer_id, lease_id, body, received_at, state, withdrawn_at FROM results WHERE unit_id = @unit ORDER BY received_at, rowid',
      ),
    };
  }

  /**
   * Stores a result and decides its unit: the lease is re-checked here (two
   * uploads racing on one lease cannot both pass); the result, the finished
   * lease, the unit's decision and the credentials' records land together.
   */
  record(args: NewResult, trusted: (credentialId: string) => boolean): RecordOutcome {
    const lease = this.sql.getLease.get({ id: args.leaseId });
    if (!lease) throw new Error(`lease ${args.leaseId} vanished during its upload`);
    if (lease.state !== 'active') return { kind: 'lease-not-active', state: lease.state };
    if (lease.expires_at <= args.now) return { kind: 'lease-not-active', state: 'past-expiry' };
    if (this.sql.ofUnitAndVolunteer.get({ unit: lease.unit_id, volunteer: lease.volunteer_id })) return { kind: 'duplicate' };
    const before = toUnit(this.sql.getUnit.get({ id: lease.unit_id })!);
    this.sql.insert.run({
      id: args.resultId,
      unit_id: before.id,
      study_id: before.studyId,
      volunteer_id: lease.volunteer_id,
      lease_id: args.leaseId,
      body: args.body,
      received_at: args.now,
      prefix: args.prefix,
      predictions: toUint16(args.predictions),
      platform: args.platform,
      started_at: args.startedAt,
      wall_time_sec: args.wallTimeSec,
      after_decision: before.state === 'done' ? 1 : 0,
    });
    this.sql.finishLease.run({ id: args.leaseId });
    this.credentials.setPlatform(lease.volunteer_id, args.platform);
    this.sql.replicaArrived.run({ id: before.id });

    const studies = new Set([before.studyId]);
    const alone = lease.single === 1 && before.state === 'open' && trusted(lease.volunteer_id);
    const decision = this.decide(before, { alone, judge: true, studies });
    return { kind: 'recorded', resultId: args.resultId, state: decision.results.get(args.resultId) ?? 'pending', unit: { state: decision.state }, studies };
  }

  /**
   * Decides a unit from its live replicas and stores the decision. `alone`:
   * accept its only replica (a trusted credential's, not spot-checked).
   * `judge`: let the decision count toward the credentials' records (not when
   * a revocation re-decides a unit).
   */
  private decide(unit: UnitRow, how: { alone: boolean; judge: boolean; studies: Set<string> }): UnitDecision {
    const study = this.study(unit.studyId)!;
    const records = this.sql.replicas.all({ unit: unit.id });
    let decision: UnitDecision;
    const single = how.alone && records.length === 1;
    if (single) {
      decision = { state: 'done', canonicalId: records[0]!.id, targetReplicas: 1, results: new Map([[records[0]!.id, 'valid']]), quorum: [] };
    } else if (!study.testLabels || records.some((r) => r.predictions === null)) {
      // A study published before replicas were compared image by image: nothing can be decided, so nothing is.
      decision = { state: 'open', canonicalId: null, targetReplicas: study.quorum, results: new Map(records.map((r) => [r.id, 'pending'])), quorum: [] };
    } else {
      const replicas: Replica[] = records.map((r) => ({
        id: r.id,
        credential: r.volunteer_id,
        hosts: [...new Set([r.prefix, r.lease_prefix, r.credential_prefix].filter(Boolean))],
        platform: r.platform,
        predictions: fromUint16(r.predictions!),
        startedAt: r.started_at,
        wallTimeSec: r.wall_time_sec,
      }));
      const rules = { quorum: study.quorum, maxReplicas: study.maxReplicas, labels: study.testLabels, classes: study.dataset.classNames.length };
      decision = decideUnit(replicas, rules, unit.state === 'done' && !unit.singleReplica ? unit.canonicalResultId : null);
    }
    for (const [id, state] of decision.results) this.sql.setState.run({ id, state });
    this.sql.setDecision.run({
      id: unit.id,
      state: decision.state,
      target: Math.max(decision.targetReplicas, decision.state === 'done' ? 0 : study.quorum),
      canonical: decision.canonicalId,
      single: single ? 1 : 0,
    });
    if (how.judge) this.judge(records, decision, how.studies);
    return decision;
  }

  /**
   * Counts decided replicas toward their credentials' records, once each: a
   * replica in the agreeing group that decided its unit extends its
   * credential's run of valid results (not one that arrived after the
   * decision, when the canonical result was already public); an invalid one
   * ends it, and the units that credential had accepted alone are opened
   * again for replication.
   */
  private judge(records: ReplicaRecord[], decision: UnitDecision, studies: Set<string>): void {
    for (const r of records) {
      if (r.judged === 1) continue;
      const state = decision.results.get(r.id);
      if (state === 'invalid') {
        this.credentials.judged(r.volunteer_id, false);
        this.sql.setJudged.run({ id: r.id });
        for (const { id } of this.sql.singlesOf.all({ volunteer: r.volunteer_id })) this.reopen(id, studies);
      } else if (state === 'valid' && decision.quorum.includes(r.id) && r.after_decision === 0) {
        this.credentials.judged(r.volunteer_id, true);
        this.sql.setJudged.run({ id: r.id });
      }
    }
  }

  /** A unit accepted on one replica whose credential lost its trust: back to its quorum, its replica pending. */
  private reopen(unitId: number, studies: Set<string>): void {
    const unit = toUnit(this.sql.getUnit.get({ id: unitId })!);
    const study = this.study(unit.studyId)!;
    for (const r of this.sql.replicas.all({ unit: unit.id })) this.sql.setState.run({ id: r.id, state: 'pending' });
    this.sql.setDecision.run({ id: unit.id, state: 'open', target: study.quorum, canonical: null, single: 0 });
    studies.add(unit.studyId);
  }

  /** Withdraws every result of a revoked credential and ends its leases; their units are decided again from the replicas left. */
  withdrawAll(credentialId: string, now: number): Withdrawal {
    const studies = new Set<string>();
    for (const lease of this.leases.activeOf(credentialId)) {
      this.leases.end(lease.id, lease.unitId, lease.single, 'released');
      studies.add(this.unitRow(lease.unitId).studyId);
    }
    const withdrawn = this.sql.liveOf.all({ volunteer: credentialId });
    const units = new Set<number>();
    for (const r of withdrawn) {
      this.sql.withdraw.run({ id: r.id, now });
      this.sql.replicaWithdrawn.run({ id: r.unit_id });
      units.add(r.unit_id);
    }
    let reopened = 0;
    for (const id of units) {
      const unit = this.unitRow(id);
      studies.add(unit.studyId);
      // From scratch: the withdrawn replica may have been canonical, or part of the group that decided.
      const decision = this.decide({ ...unit, state: 'open', singleReplica: false }, { alone: false, judge: false, studies });
      if (unit.state === 'done' && decision.state !== 'done') reopened++;
    }
    return { results: withdrawn.length, reopened, studies };
  }

  private unitRow(id: number): UnitRow {
    return toUnit(this.sql.getUnit.get({ id })!);
  }

  ofUnit(unitId: number): StoredResult[] {
    return this.sql.ofUnit.all({ unit: unitId }).map((r) => ({
      id: r.id,
      unitId: r.unit_id,
      volunteerId: r.volunteer_id,
      leaseId: r.lease_id,
      body: r.body,
      receivedAt: r.received_at,
      state: r.state,
      withdrawn: r.withdrawn_at !== null,
    }));
  }
}
