/**
 * Replica validation, after BOINC's: every work unit (config × seed) is run
 * by several volunteers on distinct hosts, and a result counts only when
 * enough replicas agree; the canonical result is chosen by agreement (the
 * medoid of the agreeing replicas), never by arrival.
 *
 * Replicas are compared image by image: the number of test images on which
 * their final models predict different classes, over the whole test set and
 * within each class (so a shift concentrated on one class is seen). Two
 * honest runs of one config and seed on one numerical platform (backend,
 * GPU adapter, TensorFlow.js version) predict every test image alike; on
 * two platforms, float rounding differs and training amplifies it until the
 * two models differ on 14–60 % of test images, as much as two seeds do
 * (docs/coordinator.md, "Honest agreement"). So replicas are compared only
 * within a platform, and there held to a tight bound; replicas of two
 * platforms are not comparable and never validate each other.
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
  /** The numerical platform the run reports (platformOf): only replicas of one platform are compared. */
  platform: string;
  /** The final model's predicted class per test image, in test order. */
  predictions: ArrayLike<number>;
  /** The replica's own start time and duration: two honest runs never share both. */
  startedAt: string;
  wallTimeSec: number;
}

/** What a run's results say about the arithmetic it ran on. */
export interface PlatformEnvironment {
  backend: string;
  adapter: { vendor: string; architecture: string } | null;
  tfjsVersion: string;
}

/** Backend, GPU adapter (vendor and architecture) and TensorFlow.js version: what must match for two runs to compute alike. */
export function platformOf(environment: PlatformEnvironment): string {
  const adapter = environment.adapter ? ` ${environment.adapter.vendor}/${environment.adapter.architecture}` : '';
  return `${environment.backend}${adapter} tfjs ${environment.tfjsVersion}`;
}

export type ResultState = 'pending' | 'valid' | 'held' | 'invalid';
export type UnitState = 'open' | 'held' | 'done' | 'inconclusive';

/** The most two honest replicas of one platform may differ by. */
export interface Tolerance {
  /** A fraction of all test images. */
  images: number;
  /** A fraction of each class's test images, plus `slackImages` (a class of 16 images cannot differ by a fraction of an image). */
  perClass: number;
  slackImages: number;
}

/**
 * Honest replicas on one platform differed on no test image in any pair
 * measured (docs/coordinator.md); these bounds leave room for a few
 * nondeterministic images on GPUs we could not measure, and hold what a
 * replica inside them can move to about a point per class at 1,000 images.
 */
export const DEFAULT_TOLERANCE: Tolerance = { images: 0.005, perClass: 0.01, slackImages: 1 };

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
  /** Both on one platform: otherwise nothing can be said. */
  comparable: boolean;
  agree: boolean;
  /** Test images predicted differently. */
  distance: number;
  /** Why not, one line per failed check (empty when they agree). */
  reasons: string[];
}

function within(d: Disagreement, tolerance: Tolerance): string[] {
  const reasons: string[] = [];
  if (d.fraction > tolerance.images) reasons.push(`${d.differing} of ${d.images} test images predicted differently (${pct(d.fraction)} > ${pct(tolerance.images)})`);
  d.perClass.forEach((c, k) => {
    const allowed = tolerance.perClass * c.images + tolerance.slackImages;
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
  if (a.platform !== b.platform) {
    return { comparable: false, agree: false, distance: d.differing, reasons: [`not comparable: run on ${a.platform} and on ${b.platform}`] };
  }
  const reasons = within(d, tolerance);
  // A copied upload would agree perfectly; two real runs never start at the same instant and take the same time.
  if (a.startedAt === b.startedAt && a.wallTimeSec === b.wallTimeSec) reasons.push('same start time and wall time: a copy, not an independent run');
  return { comparable: true, agree: reasons.length === 0, distance: d.differing, reasons };
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
 * A unit is decided by `quorum` replicas of one platform, from distinct
 * credentials and distinct network prefixes, that all agree with each
 * other: predicting every test image alike, or, when they differ on a few
 * images within the bound, `quorum + 1` of them. The canonical result is the medoid of the agreeing replicas: the
 * one most of them agree with, closest to them (between two alike, the
 * lower result id, a random UUID, so never the first to arrive). Replicas that
 * agree with it are valid, those of its platform that do not are invalid,
 * and those of another platform stay pending: nothing is known of them.
 * Without a group, one more replica is asked for, up to `maxReplicas`. A
 * unit already decided keeps its canonical result, and a late replica is
 * judged against it alone.
 */
export function decideUnit(replicas: readonly Replica[], rules: UnitRules, canonicalId: string | null = null): UnitDecision {
  const results = new Map<string, ResultState>();
  const n = replicas.length;
  const cmp: Comparison[][] = replicas.map(() => []);
  for (let i = 0; i < n; i++) {
    cmp[i]![i] = { comparable: true, agree: true, distance: 0, reasons: [] };
    for (let j = i + 1; j < n; j++) cmp[i]![j] = cmp[j]![i] = compareReplicas(replicas[i]!, replicas[j]!, rules, rules.tolerance);
  }
  const judged = (by: number, i: number): ResultState => (cmp[by]![i]!.agree ? 'valid' : cmp[by]![i]!.comparable ? 'invalid' : 'pending');
  const canonical = canonicalId === null ? -1 : replicas.findIndex((r) => r.id === canonicalId);
  if (canonical >= 0) {
    replicas.forEach((r, i) => results.set(r.id, judged(canonical, i)));
    return { state: 'done', canonicalId, targetReplicas: n, results, quorum: [] };
  }

  // Each replica with the group it can gather: the replicas closest to it first, each joining only if it agrees with
  // every member and comes from another host. The canonical result is the replica of the largest group that agrees
  // with the most replicas, then with the fewest images apart from them, then the lowest result id (a random UUID).
  let best: { c: number; members: number[]; agreeing: number; spread: number } | null = null;
  for (let c = 0; c < n; c++) {
    const agreeing = [...replicas.keys()].filter((i) => i !== c && cmp[c]![i]!.agree).sort((i, j) => cmp[c]![i]!.distance - cmp[c]![j]!.distance || i - j);
    const members = [c];
    for (const i of agreeing) {
      if (members.every((m) => cmp[m]![i]!.agree && !shareHost(replicas[m]!, replicas[i]!))) members.push(i);
    }
    // A group that predicts every image alike decides at the quorum; one that differs on a few images (inside the
    // bound) needs one replica more, so that a replica nudged within the bound is outvoted rather than kept by a tie.
    const identical = members.every((m) => members.every((o) => cmp[m]![o]!.distance === 0));
    if (members.length < (identical ? rules.quorum : rules.quorum + 1)) continue;
    const spread = agreeing.reduce((t, i) => t + cmp[c]![i]!.distance, 0);
    const better =
      !best ||
      members.length > best.members.length ||
      (members.length === best.members.length &&
        (agreeing.length > best.agreeing ||
          (agreeing.length === best.agreeing && (spread < best.spread || (spread === best.spread && replicas[c]!.id < replicas[best.c]!.id)))));
    if (better) best = { c, members, agreeing: agreeing.length, spread };
  }

  if (best) {
    replicas.forEach((r, i) => results.set(r.id, judged(best.c, i)));
    return { state: 'done', canonicalId: replicas[best.c]!.id, targetReplicas: n, results, quorum: best.members.map((m) => replicas[m]!.id) };
  }

  if (n < rules.quorum) {
    for (const r of replicas) results.set(r.id, 'pending');
    return { state: 'open', canonicalId: null, targetReplicas: rules.quorum, results, quorum: [] };
  }
  // Undecided: a replica that disagrees with every replica of its platform (and has one) is held; the others wait.
  replicas.forEach((r, i) => {
    const peers = [...replicas.keys()].filter((j) => j !== i && cmp[i]![j]!.comparable);
    results.set(r.id, peers.length > 0 && peers.every((j) => !cmp[i]![j]!.agree) ? 'held' : 'pending');
  });
  if (n >= rules.maxReplicas) return { state: 'inconclusive', canonicalId: null, targetReplicas: n, results, quorum: [] };
  return { state: 'held', canonicalId: null, targetReplicas: n + 1, results, quorum: [] };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)} %`;
}
