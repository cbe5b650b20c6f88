/**
 * Replica validation, after BOINC's: every work unit (config × seed) is run
 * by several volunteers on distinct hosts, and a result counts only when
 * enough replicas agree; the canonical result is chosen by agreement (the
 * medoid of the agreeing replicas), never by arrival.
 *
 * Replicas are compared image by image: the fraction of test images on which
 * their final models predict different classes, over the whole test set and
 * within each class (so a shift concentrated on one class is seen). Two
 * honest runs of one config and seed on one backend agree almost image for
 * image; across backends (float summation order differs, and training
 * amplifies it) they differ on a few images. The tolerances below are set
 * from those differences, measured on real runs (docs/coordinator.md).
 *
 * Pure: no I/O. The store runs `decideUnit` inside the transaction that
 * records a result.
 */

/** What the comparison reads from a stored run result. */
export interface Replica {
  id: string;
  /** The credential that uploaded it. */
  credential: string;
  /** The network prefixes it came through (its credential's, its lease's, its upload's): replicas sharing one are one host. */
  hosts: readonly string[];
  /** The backend the run reports; honest replicas on one backend are held to the tighter tolerance. */
  backend: string;
  /** The final model's predicted class per test image, in test order. */
  predictions: ArrayLike<number>;
  /** The replica's own start time and duration: two honest runs never share both. */
  startedAt: string;
  wallTimeSec: number;
}

export type ResultState = 'pending' | 'valid' | 'held' | 'invalid';
export type UnitState = 'open' | 'held' | 'done' | 'inconclusive';

/** The most two honest replicas may differ by: a fraction of all test images, and of each class's images. */
export interface Bound {
  images: number;
  perClass: number;
}

export interface Tolerance {
  /** Both replicas report the same backend. */
  sameBackend: Bound;
  /** They report different backends. */
  crossBackend: Bound;
  /** Images per class always allowed on top of `perClass` (a class of 16 images cannot differ by a fraction of an image). */
  slackImages: number;
}

/**
 * Measured on real runs (docs/coordinator.md, "Honest agreement"), each
 * bound twice the largest difference seen between honest replicas, rounded up.
 */
export const DEFAULT_TOLERANCE: Tolerance = {
  sameBackend: { images: 0.005, perClass: 0.02 },
  crossBackend: { images: 0.04, perClass: 0.1 },
  slackImages: 1,
};

export interface Disagreement {
  images: number;
  /** Test images predicted differently. */
  differing: number;
  fraction: number;
  /** Per class (by true label): its images and how many of them are predicted differently. */
  perClass: { images: number; differing: number; accuracyDelta: number }[];
  /** The class with the largest fraction predicted differently. */
  worstClass: { index: number; images: number; differing: number; fraction: number; accuracyDelta: number };
}

/** How two runs' predictions differ, over all test images and per true class (`labels`: the test split's labels). */
export function disagreement(a: ArrayLike<number>, b: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Disagreement {
  if (a.length !== labels.length || b.length !== labels.length) {
    throw new RangeError(`predictions for ${a.length} and ${b.length} images, labels for ${labels.length}`);
  }
  const perClass = Array.from({ length: classes }, () => ({ images: 0, differing: 0, accuracyDelta: 0 }));
  let differing = 0;
  for (let i = 0; i < labels.length; i++) {
    const c = perClass[labels[i]!]!;
    c.images++;
    if (a[i] !== b[i]) {
      differing++;
      c.differing++;
      c.accuracyDelta += Number(a[i] === labels[i]) - Number(b[i] === labels[i]);
    }
  }
  let worst = 0;
  const frac = (k: number) => perClass[k]!.differing / Math.max(perClass[k]!.images, 1);
  for (let k = 1; k < classes; k++) if (frac(k) > frac(worst)) worst = k;
  for (const c of perClass) c.accuracyDelta = Math.abs(c.accuracyDelta) / Math.max(c.images, 1);
  const w = perClass[worst]!;
  return {
    images: labels.length,
    differing,
    fraction: differing / Math.max(labels.length, 1),
    perClass,
    worstClass: { index: worst, images: w.images, differing: w.differing, fraction: frac(worst), accuracyDelta: w.accuracyDelta },
  };
}

export interface Comparison {
  agree: boolean;
  /** Within the same-backend bound: close enough that no third replica is needed to choose between them. */
  tight: boolean;
  /** Test images predicted differently. */
  distance: number;
  /** Why not, one line per failed check (empty when they agree). */
  reasons: string[];
}

function within(d: Disagreement, bound: Bound, slack: number): string[] {
  const reasons: string[] = [];
  if (d.fraction > bound.images) reasons.push(`${d.differing} of ${d.images} test images predicted differently (${pct(d.fraction)} > ${pct(bound.images)})`);
  d.perClass.forEach((c, k) => {
    const allowed = bound.perClass * c.images + slack;
    if (c.differing > allowed) reasons.push(`class ${k}: ${c.differing} of its ${c.images} images predicted differently (more than ${allowed.toFixed(1)})`);
  });
  return reasons;
}

export interface Labels {
  labels: ArrayLike<number>;
  classes: number;
}

/** Compares two replicas of one unit image by image, and checks they are independent runs. */
export function compareReplicas(a: Replica, b: Replica, test: Labels, tolerance: Tolerance = DEFAULT_TOLERANCE): Comparison {
  const d = disagreement(a.predictions, b.predictions, test.labels, test.classes);
  const bound = a.backend === b.backend ? tolerance.sameBackend : tolerance.crossBackend;
  const reasons = within(d, bound, tolerance.slackImages);
  // A copied upload would agree perfectly; two real runs never start at the same instant and take the same time.
  if (a.startedAt === b.startedAt && a.wallTimeSec === b.wallTimeSec) reasons.push('same start time and wall time: a copy, not an independent run');
  const agree = reasons.length === 0;
  return { agree, tight: agree && within(d, tolerance.sameBackend, tolerance.slackImages).length === 0, distance: d.differing, reasons };
}

export interface UnitDecision {
  state: UnitState;
  /** The result the unit's outcome is taken from. */
  canonicalId: string | null;
  /** How many replicas the unit needs in all: leases are issued until results + active leases reach it. */
  targetReplicas: number;
  /** The validation state of every replica passed in. */
  results: Map<string, ResultState>;
  /** The replicas whose agreement decided the unit just now (none when nothing was decided, or for a late replica). */
  quorum: string[];
}

export interface UnitRules extends Labels {
  quorum: number;
  /** After this many replicas without a decision the unit is inconclusive and waits for the organiser. */
  maxReplicas: number;
  tolerance?: Tolerance;
}

const shareHost = (a: Replica, b: Replica) => a.credential === b.credential || a.hosts.some((h) => b.hosts.includes(h));

/**
 * Decides a unit from its replicas (their order does not matter).
 *
 * A unit is decided by a group of replicas from distinct credentials and
 * distinct network prefixes that all agree with each other: `quorum` of them
 * when they agree tightly, one more when they only agree within the looser
 * cross-backend bound (so that a forger within that bound is outvoted by the
 * medoid of three rather than picked by a coin). The canonical result is
 * the group's medoid, the replica with the fewest images predicted
 * differently from the rest; replicas that agree with it are valid, the
 * others invalid. Without a group, one more replica is asked for, up to
 * `maxReplicas`. A unit already decided keeps its canonical result, and a
 * late replica is judged against it alone.
 */
export function decideUnit(replicas: readonly Replica[], rules: UnitRules, canonicalId: string | null = null): UnitDecision {
  const results = new Map<string, ResultState>();
  const n = replicas.length;
  const cmp: Comparison[][] = replicas.map(() => []);
  for (let i = 0; i < n; i++) {
    cmp[i]![i] = { agree: true, tight: true, distance: 0, reasons: [] };
    for (let j = i + 1; j < n; j++) cmp[i]![j] = cmp[j]![i] = compareReplicas(replicas[i]!, replicas[j]!, rules, rules.tolerance);
  }
  const canonical = canonicalId === null ? -1 : replicas.findIndex((r) => r.id === canonicalId);
  if (canonical >= 0) {
    replicas.forEach((r, i) => results.set(r.id, cmp[canonical]![i]!.agree ? 'valid' : 'invalid'));
    return { state: 'done', canonicalId, targetReplicas: n, results, quorum: [] };
  }
  if (n < rules.quorum) {
    for (const r of replicas) results.set(r.id, 'pending');
    return { state: 'open', canonicalId: null, targetReplicas: rules.quorum, results, quorum: [] };
  }

  let best: { members: number[]; tight: boolean; spread: number } | null = null;
  for (let c = 0; c < n; c++) {
    // The closest replicas first, each joining only if it agrees with every member and is from another host.
    const order = [...replicas.keys()].filter((i) => i !== c && cmp[c]![i]!.agree).sort((i, j) => cmp[c]![i]!.distance - cmp[c]![j]!.distance || i - j);
    const members = [c];
    for (const i of order) {
      if (members.every((m) => cmp[m]![i]!.agree && !shareHost(replicas[m]!, replicas[i]!))) members.push(i);
    }
    const tight = members.every((m) => members.every((o) => cmp[m]![o]!.tight));
    const needed = tight ? rules.quorum : rules.quorum + 1;
    if (members.length < needed) continue;
    const spread = members.reduce((s, m) => s + members.reduce((t, o) => t + cmp[m]![o]!.distance, 0), 0);
    if (!best || members.length > best.members.length || (members.length === best.members.length && spread < best.spread)) best = { members, tight, spread };
  }

  if (best) {
    const cost = (m: number) => best.members.reduce((t, o) => t + cmp[m]![o]!.distance, 0);
    // The medoid; a tie (two replicas) goes to the lower result id, a random UUID, so never to the first to arrive.
    const medoid = best.members.reduce((a, b) => (cost(b) < cost(a) || (cost(b) === cost(a) && replicas[b]!.id < replicas[a]!.id) ? b : a));
    replicas.forEach((r, i) => results.set(r.id, cmp[medoid]![i]!.agree ? 'valid' : 'invalid'));
    return { state: 'done', canonicalId: replicas[medoid]!.id, targetReplicas: n, results, quorum: best.members.map((m) => replicas[m]!.id) };
  }

  // Undecided: a replica that agrees with another waits for the next one; one that agrees with none is held.
  replicas.forEach((r, i) => results.set(r.id, replicas.some((_, j) => j !== i && cmp[i]![j]!.agree) ? 'pending' : 'held'));
  if (n >= rules.maxReplicas) return { state: 'inconclusive', canonicalId: null, targetReplicas: n, results, quorum: [] };
  return { state: 'held', canonicalId: null, targetReplicas: n + 1, results, quorum: [] };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)} %`;
}
