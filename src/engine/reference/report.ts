/**
 * What the reference runner hands back for each case, and its lines of text
 * (the CLI prints them; the browser tests print them when a case fails).
 *
 * Pure logic: no tfjs, no DOM.
 */
import type { CaseKind } from './fixture';

export type QuantityGroup = 'loss' | 'gradient' | 'final' | 'logits' | 'pixels';

export interface Quantity {
  group: QuantityGroup;
  /** `step 2`, a state_dict name, `eval logits`, or a crop window. */
  name: string;
  engineError: number;
  /** PyTorch float32's own error, where the file gives one. */
  torchError: number | null;
  /** The most error the case's rule allows this quantity. */
  allowed: number;
  ok: boolean;
}

export interface CaseReport {
  name: string;
  kind: CaseKind;
  /** The case's tolerance, in words. */
  rule: string;
  quantities: Quantity[];
  ok: boolean;
  seconds: number;
  /** Tensors left alive by the case; 0 when the engine owns every tensor. */
  leakedTensors: number;
}

const GROUP_NAMES: Record<QuantityGroup, string> = {
  loss: 'loss',
  gradient: 'gradient at step 0',
  final: 'after training',
  logits: 'eval logits',
  pixels: 'crop',
};

/** Per group, the quantity nearest to (or furthest over) what it is allowed. */
export function worstByGroup(report: CaseReport): Quantity[] {
  const worst = new Map<QuantityGroup, Quantity>();
  for (const q of report.quantities) {
    const current = worst.get(q.group);
    if (!current || margin(q) > margin(current)) worst.set(q.group, q);
  }
  return [...worst.values()];
}

function margin(q: Quantity): number {
  return Number.isNaN(q.engineError) ? Number.POSITIVE_INFINITY : q.engineError / q.allowed;
}

export function formatError(e: number): string {
  if (!Number.isFinite(e)) return String(e);
  if (e === 0) return '0';
  return e.toExponential(2);
}

function ratio(q: Quantity): string {
  if (q.torchError === null) return '';
  if (q.torchError === 0) return q.engineError === 0 ? 'ratio 1' : 'ratio ∞';
  const r = q.engineError / q.torchError;
  return `ratio ${r < 10 ? r.toFixed(2) : r.toFixed(1)}`;
}

/** The case's lines: a heading, then its worst quantity in each group, then every quantity over tolerance. */
export function formatCaseReport(report: CaseReport): string[] {
  const lines = [
    `${report.ok ? 'ok  ' : 'OVER'} ${report.name} (${report.kind}, ${report.quantities.length} quantities, ${report.seconds.toFixed(1)} s): ${report.rule}`,
  ];
  const nameWidth = Math.min(40, Math.max(...report.quantities.map((q) => q.name.length)));
  for (const q of worstByGroup(report)) {
    const torch = q.torchError === null ? '' : `  PyTorch float32 ${formatError(q.torchError)}  ${ratio(q)}`;
    const what = q.group === 'pixels' ? 'largest absolute pixel error' : 'engine';
    lines.push(`     ${GROUP_NAMES[q.group].padEnd(18)} ${q.name.padEnd(nameWidth)}  ${what} ${formatError(q.engineError)}${torch}${q.ok ? '' : `  OVER (allowed ${formatError(q.allowed)})`}`);
  }
  const over = report.quantities.filter((q) => !q.ok);
  if (over.length > 0) {
    lines.push(`     ${over.length} over tolerance: ${over.slice(0, 12).map((q) => `${GROUP_NAMES[q.group]} ${q.name} ${formatError(q.engineError)}`).join('; ')}${over.length > 12 ? '; …' : ''}`);
  }
  if (report.leakedTensors !== 0) lines.push(`     ${report.leakedTensors} tensors left alive`);
  return lines;
}

/** The last line: every case within its tolerance, or which are not. */
export function verdictLine(reports: CaseReport[], environment: string): string {
  const over = reports.filter((r) => !r.ok);
  if (over.length === 0) return `verdict: all ${reports.length} cases within tolerance (${environment})`;
  return `verdict: ${over.length} of ${reports.length} cases over tolerance (${environment}): ${over.map((r) => r.name).join(', ')}`;
}
