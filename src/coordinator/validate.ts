/**
 * Replica validation, after BOINC's: every work unit (config × seed) is run
 * by several volunteers, and a result counts only when enough replicas agree.
 *
 * Runs are deterministic per seed on one backend, but not across GPUs,
 * drivers or backends (float summation order differs, and training amplifies
 * the difference), so two honest replicas of one unit are two different
 * models evaluated on the same test set. Exact equality would reject honest
 * work; the comparison allows for the noise of counting correct images.
 *
 * The test, per class k with n_k test images and c1, c2 correct:
 *
 *   |c1 − c2| / n_k  ≤  z · sqrt(p̄ (1 − p̄) · 2 / n_k)  +  1 / n_k,   p̄ = (c1 + c2) / (2 n_k)
 *
 * the two-proportion z-test's bound, plus one image of continuity correction
 * (the normal approximation is poor for the small classes of smoke studies).
 * Top-1 over the whole test set gets the same test. z comes from a false-alarm
 * rate per comparison (default 1e-3: one honest pair in a thousand held for a
 * tiebreak), split over the K + 1 tests by Bonferroni.
 *
 * Pure: no I/O. The store runs `decideUnit` inside the transaction that
 * records a result.
 */
import { normalQuantile } from '../stats';

/** What the comparison reads from a stored run result. */
export interface Replica {
  id: string;
  top1: number;
  perClass: readonly { class: string; correct: number; total: number }[];
  /** The replica's own start time and duration: two honest runs never share both. */
  startedAt: string;
  wallTimeSec: number;
}

export type ResultState = 'pending' | 'valid' | 'held' | 'invalid';
export type UnitState = 'open' | 'held' | 'done' | 'inconclusive';

export const DEFAULT_FALSE_ALARM_RATE = 1e-3;

/** z for a two-sided test at `falseAlarmRate` per comparison, shared by `classes` per-class tests and top-1. */
export function comparisonZ(classes: number, falseAlarmRate = DEFAULT_FALSE_ALARM_RATE): number {
  const tests = classes + 1;
  return normalQuantile(1 - falseAlarmRate / (2 * tests));
}

/** The largest |p1 − p2| two honest replicas may show for c1, c2 correct out of n. */
export function tolerance(c1: number, c2: number, n: number, z: number): number {
  const pooled = (c1 + c2) / (2 * n);
  return z * Math.sqrt((pooled * (1 - pooled) * 2) / n) + 1 / n;
}

export interface Comparison {
  agree: boolean;
  /** Why not, one line per failed check (empty when they agree). */
  reasons: string[];
}

/** Compares two replicas of one unit class by class, on top-1, and for independence. */
export function compareReplicas(a: Replica, b: Replica, falseAlarmRate = DEFAULT_FALSE_ALARM_RATE): Comparison {
  const reasons: string[] = [];
  if (a.perClass.length !== b.perClass.length) {
    return { agree: false, reasons: [`${a.perClass.length} classes against ${b.perClass.length}`] };
  }
  const z = comparisonZ(a.perClass.length, falseAlarmRate);
  let testCount = 0;
  for (const [k, ca] of a.perClass.entries()) {
    const cb = b.perClass[k]!;
    // The same test set gives the same per-class totals; anything else is a different dataset or a forgery.
    if (ca.class !== cb.class || ca.total !== cb.total) {
      reasons.push(`class ${k}: "${ca.class}" with ${ca.total} images against "${cb.class}" with ${cb.total}`);
      continue;
    }
    testCount += ca.total;
    if (ca.total === 0) continue;
    const diff = Math.abs(ca.correct - cb.correct) / ca.total;
    const allowed = tolerance(ca.correct, cb.correct, ca.total, z);
    if (diff > allowed) reasons.push(`class "${ca.class}": ${ca.correct}/${ca.total} against ${cb.correct}/${cb.total} (difference ${fmt(diff)} > ${fmt(allowed)})`);
  }
  if (testCount > 0) {
    const c1 = Math.round(a.top1 * testCount);
    const c2 = Math.round(b.top1 * testCount);
    const diff = Math.abs(a.top1 - b.top1);
    const allowed = tolerance(c1, c2, testCount, z);
    if (diff > allowed) reasons.push(`top-1 ${fmt(a.top1)} against ${fmt(b.top1)} (difference ${fmt(diff)} > ${fmt(allowed)})`);
  }
  // A copied upload would agree perfectly; two real runs never start at the same instant and take the same time.
  if (a.startedAt === b.startedAt && a.wallTimeSec === b.wallTimeSec) reasons.push('same start time and wall time: a copy, not an independent run');
  return { agree: reasons.length === 0, reasons };
}

export interface UnitDecision {
  state: UnitState;
  /** The result the unit's outcome is taken from, once `quorum` replicas agree with it. */
  canonicalId: string | null;
  /** How many replicas the unit needs in all: leases are issued until results + active leases reach it. */
  targetReplicas: number;
  /** The validation state of every replica passed in. */
  results: Map<string, ResultState>;
}

export interface UnitRules {
  quorum: number;
  /** After this many replicas without a quorum the unit is inconclusive and waits for the organiser. */
  maxReplicas: number;
  falseAlarmRate?: number;
}

/**
 * Decides a unit from its replicas, in the order they arrived. As in BOINC,
 * a replica that agrees with at least quorum − 1 others becomes canonical;
 * the replicas that agree with it are valid and the rest invalid. Without
 * one, the replicas are held and one more replica is asked for: with quorum
 * 2, the third decides by majority. A unit already decided keeps its
 * canonical result, and a late replica is judged against it alone.
 */
export function decideUnit(replicas: readonly Replica[], rules: UnitRules, canonicalId: string | null = null): UnitDecision {
  const results = new Map<string, ResultState>();
  const agrees = (a: Replica, b: Replica) => a.id === b.id || compareReplicas(a, b, rules.falseAlarmRate).agree;
  const canonical = canonicalId === null ? undefined : replicas.find((r) => r.id === canonicalId);
  if (canonical) {
    for (const r of replicas) results.set(r.id, agrees(canonical, r) ? 'valid' : 'invalid');
    return { state: 'done', canonicalId: canonical.id, targetReplicas: replicas.length, results };
  }
  if (replicas.length < rules.quorum) {
    for (const r of replicas) results.set(r.id, 'pending');
    return { state: 'open', canonicalId: null, targetReplicas: rules.quorum, results };
  }
  for (const candidate of replicas) {
    const group = replicas.filter((r) => agrees(candidate, r));
    if (group.length >= rules.quorum) {
      for (const r of replicas) results.set(r.id, group.includes(r) ? 'valid' : 'invalid');
      return { state: 'done', canonicalId: candidate.id, targetReplicas: replicas.length, results };
    }
  }
  for (const r of replicas) results.set(r.id, 'held');
  if (replicas.length >= rules.maxReplicas) return { state: 'inconclusive', canonicalId: null, targetReplicas: replicas.length, results };
  return { state: 'held', canonicalId: null, targetReplicas: replicas.length + 1, results };
}

function fmt(x: number): string {
  return x.toFixed(4);
}
