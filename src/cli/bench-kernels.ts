/**
 * npm run bench:kernels -- [--runtime browser|node] [--dawn-backend vulkan|opengles] [--model resnet20@32x32]
 *                           [--kernels Conv2D,...] [--reps 3] [--hardware-gpu]
 *
 * Every convolution case of one model's training step (the shapes the
 * autotuner times, src/engine/kernels/cases.ts) with tfjs's stock kernel, the
 * register-tiled custom kernel and the workgroup-memory tiled variant, timed
 * alternately on one adapter (GPU timestamps where it has them, else wall time
 * to a read-back; median of --reps), and the choice the autotuner would make
 * from those times. Prints a markdown table with the load average and writes
 * bench/kernels-<runtime>-<date>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { KernelTiming } from '../engine/kernels/timing';
import { autotune, memoryCache, type KernelChoice } from '../engine/kernels/autotune';
import { caseName, modelCases, type KernelCase } from '../engine/kernels/cases';
import { TILED_KERNELS } from '../engine/kernels/names';
import { buildArchitecture } from '../model/architecture';
import { ARCHS, type Arch } from '../study/config';
import { parseDawnBackend, parseRuntime, type DawnBackend } from '../runtime/options';
import { runCommand, UsageError, usage } from './command';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const USAGE = `npm run bench:kernels -- [--runtime browser|node] [--dawn-backend vulkan|opengles] [--model resnet20@32x32]
                            [--kernels Conv2D,...] [--reps 3] [--hardware-gpu]

Times every convolution case of the model's training step with tfjs's stock kernel, the register-tiled custom kernel
and the workgroup-memory tiled one, and says which the autotuner would keep; writes bench/kernels-<runtime>-<date>.json.`;

interface Measured {
  adapter: string;
  timings: KernelTiming[];
}

async function inBrowser(cases: KernelCase[], reps: number, hardwareGpu: boolean): Promise<Measured> {
  const { withHeadlessPage } = await import('./browser');
  return withHeadlessPage(ROOT, 'src/bench/kernels.html', { hardwareGpu }, async (page) => {
    await page.waitForFunction(() => typeof window.classwiseKernels === 'object', null, { timeout: 120_000 });
    const timings = await page.evaluate(([c, r]) => window.classwiseKernels!.timeAll(c, r), [cases, reps] as const);
    const adapter = await page.evaluate(async () => {
      const info = (await navigator.gpu.requestAdapter())?.info;
      return info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : 'no adapter';
    });
    return { adapter: `Chromium WebGPU: ${adapter}`, timings };
  });
}

async function inNode(cases: KernelCase[], reps: number, backend: DawnBackend | 'auto'): Promise<Measured> {
  const { startDawn } = await import('../runtime/dawn');
  const runtime = await startDawn(backend);
  try {
    const { selectBackend } = await import('../engine/backend');
    const { timeKernel } = await import('../engine/kernels/timing');
    const report = await selectBackend('webgpu', 'custom');
    const a = report.adapter;
    const timings: KernelTiming[] = [];
    for (const c of cases) timings.push(await timeKernel(c, reps));
    return { adapter: `Dawn ${runtime.backend}: ${a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') : 'no adapter'}`, timings };
  } finally {
    runtime.close();
  }
}

function parseModel(value: string): { arch: Arch; size: number; batch: number } {
  const m = /^(\w+)@(\d+)x(\d+)$/.exec(value.trim());
  if (!m || !(ARCHS as readonly string[]).includes(m[1]!)) throw new UsageError(`--model: "${value}" is not ARCH@SIZExBATCH with ARCH one of ${ARCHS.join(', ')}`);
  return { arch: m[1] as Arch, size: Number(m[2]), batch: Number(m[3]) };
}

const ms = (v: number | null) => (v === null ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runtime: { type: 'string', default: 'browser' },
      'dawn-backend': { type: 'string', default: 'auto' },
      model: { type: 'string', default: 'resnet20@32x32' },
      kernels: { type: 'string', default: TILED_KERNELS.join(',') },
      reps: { type: 'string', default: '3' },
      'hardware-gpu': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const runtime = usage(() => parseRuntime(values.runtime));
  const dawnBackend = usage(() => parseDawnBackend(values['dawn-backend']));
  const model = usage(() => parseModel(values.model));
  const reps = Number(values.reps);
  if (!(Number.isInteger(reps) && reps > 0)) throw new UsageError(`--reps: "${values.reps}" is not a positive whole number`);
  const kernels = values.kernels.split(',');
  const spec = buildArchitecture({ arch: model.arch, width: 1, stem: 'auto' }, [model.size, model.size, 3], model.arch === 'resnet50' ? 1000 : 10);
  const cases = modelCases(spec, [model.size, model.size, 3], model.batch).filter((c) => kernels.includes(c.kernel));
  if (cases.length === 0) throw new UsageError(`--kernels: no case of ${values.model} runs ${values.kernels}`);

  const loadBefore = loadavg();
  const started = Date.now();
  const measured = runtime === 'node' ? await inNode(cases, reps, dawnBackend) : await inBrowser(cases, reps, values['hardware-gpu']);
  const loadAfter = loadavg();
  const byName = new Map(measured.timings.map((t) => [t.name, t]));
  // The autotuner's own decision, from these times.
  const choice: KernelChoice = await autotune(cases, async (c) => byName.get(caseName(c))!, memoryCache(), 'bench');

  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  const lines = [
    `${model.arch} at ${model.size} px, batch ${model.batch}: ${cases.length} convolution cases on ${measured.adapter}; timer ${measured.timings[0]?.timer}, median of ${reps}; load average ${load(loadBefore)} before, ${load(loadAfter)} after; ${((Date.now() - started) / 1000).toFixed(0)} s`,
    '',
    '| kernel | case | stock ms | register ms | tiled ms |',
    '| --- | --- | --- | --- | --- |',
    ...measured.timings.map((t) => `| ${t.kernel} | ${t.name.slice(t.kernel.length + 1)} | ${ms(t.stockMs)} | ${ms(t.customMs)} | ${ms(t.tiledMs)} |`),
    '',
    '| kernel | cases | stock ms (sum) | register ms | tiled ms | autotuner keeps |',
    '| --- | --- | --- | --- | --- | --- |',
    ...choice.timings.map((t) => {
      const kept = !choice.custom.includes(t.kernel) ? 'stock' : (choice.tiled as string[]).includes(t.kernel) ? 'tiled' : 'register';
      return `| ${t.kernel} | ${t.cases} | ${ms(t.stockMs)} | ${ms(t.customMs)} | ${ms(t.tiledMs)} | ${kept} |`;
    }),
  ];
  console.log(lines.join('\n'));
  const dir = resolve(ROOT, 'bench');
  await mkdir(dir, { recursive: true });
  const file = resolve(dir, `kernels-${runtime}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify({ model, runtime, adapter: measured.adapter, reps, loadBefore, loadAfter, timings: measured.timings, choice }, null, 1) + '\n');
  console.log(`\nwrote ${file}`);
}

runCommand(main, { usage: USAGE, stacks: false });
