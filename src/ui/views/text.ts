/** The views' wording of numbers: intervals in percentage points, q-values. */
import type { Interval } from '../../study/analysis';
import { num } from '../format';

/** A signed number of percentage points without the unit, true minus sign: "−1.2", "+0.4". */
export function signedPoints(fraction: number, digits = 1): string {
  const value = (fraction * 100).toFixed(digits);
  if (Number(value) === 0) return (0).toFixed(digits);
  return fraction > 0 ? `+${value}` : `−${value.slice(1)}`;
}

/** "[−1.2, −0.4]" */
export function intervalPoints(interval: Interval, digits = 1): string {
  return `[${signedPoints(interval.low, digits)}, ${signedPoints(interval.high, digits)}]`;
}

export function qValue(q: number): string {
  if (!Number.isFinite(q)) return '—';
  return q < 0.001 ? '< 0.001' : num(q);
}
