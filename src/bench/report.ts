/**
 * A bench report as markdown: the tables the README quotes. Pure: no tfjs,
 * no DOM; every ratio in it is computed from numbers of the same report.
 */
import type { BenchReport, Breakdown, CaseFigures, DawnFigures, Measured, TrainingRow } from './training';

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const n1 = (x: number) => x.toFixed(1);
const n2 = (x: number) => x.toFixed(2);
/** A rate with two significant figures below 10: a large model on an emulated GPU trains a few hundredths of an image a second. */
const rate = (x: number) => (x >= 10 ? n1(x) : x.toPrecision(2));

function cell<T>(m: Measured<T>, show: (v: T) => string): string {
  return m.status === 'ok' ? show(m) : `${m.status}: ${m.reason}`;
}

/** custom ÷ stock, as `×0.18`, or blank when either is missing. */
const ratio = (custom: number | null, stock: number | null) => (custom !== null && stock !== null && stock > 0 ? `×${n2(custom / stock)}` : '');
const maybe = (x: number | null, show: (v: number) => string) => (x === null ? '' : show(x));

function hostTable(cases: CaseFigures[]): string[] {
  const lines = [
    '| model | input | batch | dispatches/step | stock | ratio | host ms/step (Dawn null) | stock | ratio | host CPU ms/step | stock | ratio |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of cases) {
    lines.push(
      `| ${c.arch}${c.hostWidth !== null && c.hostWidth !== 1 ? ` (width ${c.hostWidth} on null)` : ''} | ${c.size}×${c.size} | ${c.batch} | ${maybe(c.dispatchesPerStep, n0)} | ${maybe(c.stockDispatchesPerStep, n0)} | ${ratio(c.dispatchesPerStep, c.stockDispatchesPerStep)} | ${maybe(c.hostMsPerStep, n1)} | ${maybe(c.stockHostMsPerStep, n1)} | ${ratio(c.hostMsPerStep, c.stockHostMsPerStep)} | ${maybe(c.hostCpuMsPerStep, n1)} | ${maybe(c.stockHostCpuMsPerStep, n1)} | ${ratio(c.hostCpuMsPerStep, c.stockHostCpuMsPerStep)} |`,
    );
  }
  return lines;
}

/** The first model's dispatches by kernel, custom beside stock. */
function dispatchTable(c: CaseFigures, top = 16): string[] {
  const names = [...new Set([...c.byKernel, ...c.stockByKernel].sort((a, b) => b.dispatches - a.dispatches).map((k) => k.kernel))].slice(0, top);
  const of = (list: CaseFigures['byKernel'], name: string) => list.find((k) => k.kernel === name)?.dispatches ?? 0;
  const lines = ['| kernel | dispatches (custom) | stock |', '| --- | --- | --- |'];
  for (const name of names) lines.push(`| ${name} | ${of(c.byKernel, name)} | ${of(c.stockByKernel, name)} |`);
  return lines;
}

function dawnTable(dawn: DawnFigures[]): string[] {
  const lines = [
    '| Dawn backend | adapter | model | input | batch | ms/step | stock | ratio | kernel ms/step | stock | ratio |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const d of dawn) {
    if ('unavailable' in d) {
      lines.push(`| ${d.backend} | unavailable: ${d.unavailable} | | | | | | | | | |`);
      continue;
    }
    const adapter = d.adapter ? [d.adapter.vendor, d.adapter.architecture, d.adapter.device].filter(Boolean).join(' ') : '';
    for (const c of d.cases) {
      const ms = (m: typeof c.custom) => (m.status === 'ok' ? m.msPerStep : null);
      lines.push(
        `| ${d.backend} | ${adapter} | ${c.model.arch} | ${c.model.size}×${c.model.size} | ${c.model.batch} | ${c.custom.status === 'ok' ? n0(c.custom.msPerStep) : `${c.custom.status}: ${c.custom.reason}`} | ${c.stock.status === 'ok' ? n0(c.stock.msPerStep) : `${c.stock.status}: ${c.stock.reason}`} | ${ratio(ms(c.custom), ms(c.stock))} | ${maybe(c.customKernelMs, n0)} | ${maybe(c.stockKernelMs, n0)} | ${ratio(c.customKernelMs, c.stockKernelMs)} |`,
      );
    }
  }
  return lines;
}

export function adapterName(report: Pick<BenchReport, 'adapter'>): string {
  const a = report.adapter;
  return a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unknown adapter' : 'no WebGPU adapter';
}

function trainingTable(rows: TrainingRow[]): string[] {
  const lines = [
    '| backend | kernels | model | input | batch | images/s | ms/step | bare tf ms/step | engine ÷ bare | live tensors before → epoch end → after | live MB | GPU pool MB | pipeline images/s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const e = r.engine;
    lines.push(
      [
        r.requested === r.backend ? r.backend : `${r.requested} → ${r.backend}`,
        r.kernels,
        r.arch,
        `${r.size}×${r.size}`,
        r.batch,
        cell(e, (v) => rate(v.imagesPerSec)),
        e.status === 'ok' ? n0(e.msPerStep) : '',
        r.bare.status === 'ok' ? n0(r.bare.msPerStep) : e.status === 'ok' ? cell(r.bare, () => '') : '',
        r.overhead === null ? '' : n2(r.overhead),
        e.status === 'ok' ? `${e.liveTensors.before} → ${e.liveTensors.epochEnd} → ${e.liveTensors.after}` : '',
        e.status === 'ok' ? n1(e.liveBytes / 2 ** 20) : '',
        e.status === 'ok' && e.gpuBytesAllocated !== null ? n1(e.gpuBytesAllocated / 2 ** 20) : '',
        r.pipeline.status === 'ok' ? n0(r.pipeline.imagesPerSec) : e.status === 'ok' ? cell(r.pipeline, () => '') : '',
      ].join(' | ').replace(/^/, '| ').replace(/$/, ' |'),
    );
  }
  return lines;
}

/** Custom over stock step time for each model trained both ways in this run. */
function stepSpeedups(rows: TrainingRow[]): string[] {
  const lines: string[] = [];
  for (const custom of rows.filter((r) => r.kernels === 'custom' && r.engine.status === 'ok')) {
    const stock = rows.find((r) => r.kernels === 'stock' && r.arch === custom.arch && r.size === custom.size && r.batch === custom.batch);
    if (stock?.engine.status === 'ok' && custom.engine.status === 'ok') {
      lines.push(`- ${custom.arch} ${custom.size} px batch ${custom.batch}: ${n0(stock.engine.msPerStep)} → ${n0(custom.engine.msPerStep)} ms/step, ×${n2(stock.engine.msPerStep / custom.engine.msPerStep)}`);
    }
  }
  return lines;
}

function breakdownTable(stock: Breakdown, custom: Breakdown, top = 14): string[] {
  const names = [...new Set([...stock.kernels, ...custom.kernels].sort((a, b) => b.ms - a.ms).map((k) => k.kernel))].slice(0, top);
  const find = (b: Breakdown, name: string) => b.kernels.find((k) => k.kernel === name);
  const lines = ['| kernel | calls | stock ms | share | custom ms | share | ×faster |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const name of names) {
    const s = find(stock, name);
    const c = find(custom, name);
    lines.push(
      `| ${name} | ${s?.calls ?? c?.calls ?? 0} | ${s ? n0(s.ms) : ''} | ${s ? `${n1((100 * s.ms) / stock.kernelMs)}%` : ''} | ${c ? n0(c.ms) : ''} | ${c ? `${n1((100 * c.ms) / custom.kernelMs)}%` : ''} | ${s && c && c.ms > 0 ? n1(s.ms / c.ms) : ''} |`,
    );
  }
  lines.push(`| **all kernels** | | **${n0(stock.kernelMs)}** | | **${n0(custom.kernelMs)}** | | **${n1(stock.kernelMs / custom.kernelMs)}** |`);
  return lines;
}

export function renderMarkdown(report: BenchReport): string {
  const out: string[] = [];
  out.push(`# Classwise bench, ${report.date.slice(0, 16).replace('T', ' ')} UTC`);
  out.push('');
  out.push(`Adapter: ${adapterName(report)} (shader-f16: ${report.adapter?.shaderF16 ? 'yes' : 'no'}); tfjs ${report.tfjsVersion}; ${report.cores} cores; ${report.userAgent}. Whole run: ${n0(report.wallSec)} s.`);
  out.push('');
  if (report.load) out.push(`Load average (1, 5, 15 min) before: ${report.load.before.map(n2).join(', ')}; after: ${report.load.after.map(n2).join(', ')}.`, '');
  if (report.cases.some((c) => c.dispatchesPerStep !== null)) {
    out.push('## Dispatches and host time per training step', '');
    out.push('Custom kernels and fusions against stock tfjs, same run; host time on Dawn\'s null backend, which executes nothing.', '');
    out.push(...hostTable(report.cases));
    const first = report.cases.find((c) => c.byKernel.length > 0);
    if (first) out.push('', `Dispatches by kernel, ${first.arch} ${first.size} px batch ${first.batch}:`, '', ...dispatchTable(first));
    if (report.host && 'unavailable' in report.host) out.push('', `Dawn's null backend: ${report.host.unavailable}`);
    out.push('');
  }
  if (report.dawn.length) out.push('## Dawn for Node', '', ...dawnTable(report.dawn), '');
  if (report.training.length) {
    out.push('## Training steps');
    out.push('');
    out.push(...trainingTable(report.training));
  }
  const speedups = stepSpeedups(report.training);
  if (speedups.length) {
    out.push('', 'Custom kernels against the stock ones, whole training step (engine loop):', '', ...speedups);
  }
  if (report.breakdown) {
    const b = report.breakdown;
    out.push('', `## One step, kernel by kernel (${b.model.arch} ${b.model.size} px batch ${b.model.batch}, timer: ${b.custom.timer})`, '');
    out.push(...breakdownTable(b.stock, b.custom));
  }
  if (report.kernels.length) {
    out.push('', '## Custom kernels (register-tiled, and the convolutions\' workgroup-memory tiled variant) against stock, same inputs, alternating (median of 3)', '');
    out.push('| kernel | shapes | stock ms | custom ms | ×faster | tiled ms | ×faster |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const k of report.kernels) {
      const tiled = k.tiledMs === null ? '| – | – |' : `| ${n1(k.tiledMs)} | ${n2(k.stockMs / k.tiledMs)} |`;
      out.push(`| ${k.kernel} | ${k.name.slice(k.kernel.length + 1)} | ${n1(k.stockMs)} | ${n1(k.customMs)} | ${n2(k.speedup)} ${tiled}`);
    }
  }
  return out.join('\n') + '\n';
}
