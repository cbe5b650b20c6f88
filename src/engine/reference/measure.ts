/**
 * How far the engine lands from a PyTorch reference, and when that is close
 * enough. The measures are the fixture's own (its `about`): per tensor, the
 * largest absolute difference over the reference's largest magnitude; losses
 * relative, step by step. The rule is the issue's, never widened: the
 * engine's error is at most 10× PyTorch float32's own error, or under 1e-5.
 *
 * Pure logic: no tfjs, no DOM.
 */

/** The engine may be this many times further from the float64 reference than PyTorch's float32 run is. */
export const TORCH_ERROR_FACTOR = 10;
/** Below this an error passes whatever PyTorch's is: float32 rounding over a few steps is about 1e-7. */
export const ERROR_FLOOR = 1e-5;
/** Crop cases: every output pixel (0–255) within this of torchvision's. */
export const PIXEL_TOLERANCE = 0.01;
/** The micro-net file (a float32 reference, no error of PyTorch's own): elementwise relative error, as it always was. */
export const MICRO_NET_TOLERANCE = 1e-4;
/** The micro-net's relative errors are taken against at least this magnitude, so values near 0 do not blow up. */
export const MICRO_NET_MAGNITUDE_FLOOR = 1e-3;

/** Largest |actual − reference| over the reference's largest |value| (0 when both are all zeros). */
export function relativeError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (actual.length !== reference.length) throw new Error(`cannot compare ${actual.length} values with ${reference.length}`);
  let difference = 0;
  let magnitude = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(actual[i]! - reference[i]!);
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    difference = Math.max(difference, d);
    magnitude = Math.max(magnitude, Math.abs(reference[i]!));
  }
  return magnitude === 0 ? difference : difference / magnitude;
}

/** |actual − reference| / |reference|; a NaN is infinitely far. */
export function scalarError(actual: number, reference: number): number {
  if (!Number.isFinite(actual)) return Number.POSITIVE_INFINITY;
  return reference === 0 ? Math.abs(actual) : Math.abs(actual - reference) / Math.abs(reference);
}

/** Largest absolute difference (crop cases, in pixel values). */
export function largestAbsoluteError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (actual.length !== reference.length) throw new Error(`cannot compare ${actual.length} values with ${reference.length}`);
  let worst = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(actual[i]! - reference[i]!);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return worst;
}

/** The micro-net's measure: elementwise |a − e| / max(|e|, 1e-3), the largest. */
export function elementwiseRelativeError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (actual.length !== reference.length) throw new Error(`cannot compare ${actual.length} values with ${reference.length}`);
  let worst = 0;
  for (let i = 0; i < reference.length; i++) {
    const e = Math.abs(actual[i]! - reference[i]!) / Math.max(Math.abs(reference[i]!), MICRO_NET_MAGNITUDE_FLOOR);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
  }
  return worst;
}

/** The most error a quantity may have, given PyTorch float32's own: 10× it, or the floor. */
export function allowedError(torchError: number): number {
  return Math.max(TORCH_ERROR_FACTOR * torchError, ERROR_FLOOR);
}

/** The issue's rule: at most 10× PyTorch float32's error, or under 1e-5. */
export function withinTorchRule(engineError: number, torchError: number): boolean {
  return engineError <= TORCH_ERROR_FACTOR * torchError || engineError < ERROR_FLOOR;
}
