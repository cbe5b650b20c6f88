/**
 * A generative model of a study whose truth is known, for the calibration
 * and power tests (stats-calibration.test.ts) and the figures in
 * docs/statistics.md (test/unit/reference/simulate.ts prints them).
 *
 * K classes of n test images each; the baseline and the treatment are
 * trained with S seeds each, seed s of both sides sharing its init and data
 * order. Run (side a, seed s) gets image i of class k right with probability
 *
 *   σ(μₖ + bᵢ + uₛₖ + vₐₛₖ + rₛᵢ + [a = treatment]·δₖ)
 *
 * - μₖ: the class's base logit, set so that its baseline accuracy is about
 *   aₖ, drawn uniformly from [0.6, 0.97] (the probit approximation
 *   E σ(μ + N(0, s²)) ≈ σ(μ/√(1 + πs²/8)));
 * - bᵢ ~ N(0, difficulty²): the image's difficulty, the same for every run
 *   (the test images are shared);
 * - uₛₖ ~ N(0, sharedSeed²): seed s's effect on class k, shared by both sides
 *   (same init and data order);
 * - vₐₛₖ ~ N(0, armSeed²): the part of seed s's class effect that differs
 *   between the two trainings (they diverge once regularized differently);
 *   `armSeedSpread` > 0 makes its size differ from class to class (log-normal);
 * - rₛᵢ ~ N(0, seedImage²): seed s's leaning on image i, shared by both sides;
 * - δₖ: 0 (no effect), or for a planted class the logit shift that lowers its
 *   expected accuracy by exactly `drop`.
 * A wrong answer predicts one of the other classes at random.
 */
import type { RunOutcome } from '../../src/study/analysis';
import { parseRunConfig, type RunConfig } from '../../src/study/config';
import { Rng } from '../../src/util/rng';

export interface SimulationModel {
  classes: number;
  images: number;
  seeds: number;
  /** Classes (indices) whose accuracy the treatment lowers by `drop`. */
  planted?: readonly number[];
  drop?: number;
  difficulty?: number;
  sharedSeed?: number;
  armSeed?: number;
  /** The log-normal spread of armSeed across classes (0: the same for every class). */
  armSeedSpread?: number;
  seedImage?: number;
}

export const DEFAULT_MODEL = { difficulty: 2, sharedSeed: 0.25, armSeed: 0.15, armSeedSpread: 0, seedImage: 0.7, drop: 0.1 } as const;

// Gauss–Hermite nodes and weights (probabilists', 9 points, weights summing to 1): E over rₛᵢ of an image's accuracy.
const GH_X = [-4.512745863399783, -3.20542900285647, -2.07684797867783, -1.0232556637891326, 0, 1.0232556637891326, 2.07684797867783, 3.20542900285647, 4.512745863399783];
const GH_W = [2.2345844007746607e-5, 0.0027891413212317692, 0.04991640676521782, 0.24409750289493953, 0.40634920634920635, 0.24409750289493953, 0.04991640676521782, 0.0027891413212317692, 2.2345844007746607e-5];

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const TWO_POW_32 = 4294967296;

/** Standard normals, two per Box–Muller draw (the simulations draw millions). */
function normals(rng: Rng, count: number, sd: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = sd * Math.sqrt(-2 * Math.log(1 - rng.uint32() / TWO_POW_32));
    const angle = (2 * Math.PI * rng.uint32()) / TWO_POW_32;
    out[i] = r * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = r * Math.sin(angle);
  }
  return out;
}

function expectedAccuracy(logits: Float64Array, noiseSd: number): number {
  let value = 0;
  for (const eta of logits) for (let j = 0; j < GH_X.length; j++) value += GH_W[j]! * sigmoid(eta + noiseSd * GH_X[j]!);
  return value / logits.length;
}

/** The logit shift at which a class's expected accuracy (over its images' difficulties and the seed–image noise) is `target`, by Newton's method. */
function shiftTo(logits: Float64Array, noiseSd: number, target: number): number {
  let shift = 0;
  for (let iteration = 0; iteration < 50; iteration++) {
    let value = 0;
    let slope = 0;
    for (const eta of logits) {
      for (let j = 0; j < GH_X.length; j++) {
        const p = sigmoid(eta + shift + noiseSd * GH_X[j]!);
        value += GH_W[j]! * p;
        slope += GH_W[j]! * p * (1 - p);
      }
    }
    const step = (value / logits.length - target) / (slope / logits.length);
    shift -= Math.max(-2, Math.min(2, step));
    if (Math.abs(step) < 1e-10) break;
  }
  return shift;
}

function configWith(weightDecay: number, classes: number, images: number): RunConfig {
  return parseRunConfig({
    model: { arch: 'resnet20', width: 0.25 },
    dataset: { kind: 'synthetic', size: 8, classes, trainPerClass: 4, testPerClass: images },
    augmentation: { crop: { kind: 'none' } },
    training: { epochs: 1, batchSize: 4, optimizer: { lr: 0.1, weightDecay } },
  });
}

export const BASELINE_HASH = 'b'.repeat(64);
export const TREATMENT_HASH = 't'.repeat(64);

/** One simulated study: S baseline runs and S treatment runs (seeds 0…S−1), with labels and predictions. */
export function simulateStudy(model: SimulationModel, rng: Rng): RunOutcome[] {
  const m = { ...DEFAULT_MODEL, ...model };
  const { classes: K, images: n, seeds: S } = m;
  const planted = new Set(m.planted ?? []);
  const labels = Array.from({ length: K * n }, (_, i) => Math.floor(i / n));
  const logits: Float64Array[] = [];
  const shift = new Float64Array(K);
  const armSd = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const difficulty = Float64Array.from({ length: n }, () => m.difficulty * rng.normal());
    const target = rng.uniform(0.6, 0.97);
    const base = Math.log(target / (1 - target)) * Math.sqrt(1 + (Math.PI * (m.difficulty ** 2 + m.seedImage ** 2)) / 8);
    const eta = difficulty.map((b) => b + base);
    logits.push(eta);
    // The planted drop is exact: the shift that lowers this class's expected accuracy (over its own images) by `drop`.
    if (planted.has(k)) shift[k] = shiftTo(eta, m.seedImage, expectedAccuracy(eta, m.seedImage) - m.drop);
    armSd[k] = m.armSeed * Math.exp(m.armSeedSpread * rng.normal());
  }
  const dataset = { name: 'simulated', classNames: Array.from({ length: K }, (_, k) => `class ${k}`), testCount: K * n, contentHash: 'd'.repeat(64) };
  const runs: RunOutcome[] = [];
  const configs = [configWith(0, K, n), configWith(5e-4, K, n)];
  for (let s = 0; s < S; s++) {
    const shared = normals(rng, K, m.sharedSeed);
    const seedImage = normals(rng, K * n, m.seedImage);
    for (const side of [0, 1]) {
      const predictions = new Array<number>(K * n);
      const perClass = [];
      for (let k = 0; k < K; k++) {
        const offset = shared[k]! + armSd[k]! * rng.normal() + (side === 1 ? shift[k]! : 0);
        let correct = 0;
        const eta = logits[k]!;
        for (let j = 0; j < n; j++) {
          const i = k * n + j;
          const right = rng.uint32() < TWO_POW_32 * sigmoid(eta[j]! + offset + seedImage[i]!);
          if (right) correct++;
          // A wrong answer: one of the other classes (the modulo's bias over K − 1 classes is below 1e-8).
          predictions[i] = right ? k : (k + 1 + (rng.uint32() % (K - 1))) % K;
        }
        perClass.push({ class: dataset.classNames[k]!, correct, total: n });
      }
      runs.push({
        config: configs[side]!,
        configHash: side === 0 ? BASELINE_HASH : TREATMENT_HASH,
        seed: s,
        dataset,
        perClass,
        confusion: null,
        predictions,
        labels,
      });
    }
  }
  return runs;
}
