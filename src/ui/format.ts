/** Number formatting shared by the components. */

export function percent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** A difference of two fractions in percentage points, always signed (true minus sign). */
export function pointsDelta(delta: number, digits = 1): string {
  const value = (delta * 100).toFixed(digits);
  if (Number(value) === 0) return `±${(0).toFixed(digits)} pp`;
  return delta > 0 ? `+${value} pp` : `−${value.slice(1)} pp`;
}

export function seconds(total: number): string {
  if (!Number.isFinite(total)) return '—';
  const s = Math.max(0, Math.round(total));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Three significant digits, plain notation where it reads well. */
export function num(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e5)) return value.toExponential(2);
  return Number(value.toPrecision(3)).toString();
}
