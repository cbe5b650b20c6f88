/**
 * npm run bench -- [--quick] [--runtime browser|node] [--backends webgpu,webgl,cpu] [--dawn-backend auto|vulkan|opengles|null]
 *                  [--models resnet20@32x32x2,resnet18@64x8,…] [--budget 60] [--no-stock] [--bare-all] [--no-host] [--host-steps 5]
 *                  [--kernels custom|stock|auto] [--kernel-cases all|none|Conv2D,…] [--hardware-gpu] [--out bench]
 *
 * First what does not depend on the machine's GPU: for every model, the
 * dispatches of one training step (counted, per kernel) and its host time on
 * Dawn's null backend, with the custom kernels and fusions and with stock
 * tfjs (a Node process of its own). Then, in the browser runtime, training
 * throughput (engine loop and a bare tfjs loop), the input pipeline, memory,
 * a kernel-by-kernel profile of one step and each custom kernel against its
 * stock one, in one headless Chromium page; in the node runtime, the step on
 * each Dawn backend that computes (a process each). Writes
 * bench/<date>T<time>-<adapter>.json and bench/latest.md, and prints the markdown.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { adapterName, renderMarkdown } from '../bench/report';
import type { BrowserReport } from '../bench/train';
import { caseFigures, type Arch, type BenchPlan, type BenchReport, type DawnFigures, type ModelCase } from '../bench/training';
import { CUSTOM_KERNELS, parseKernelPolicy } from '../engine/kernels/names';
import { DAWN_AUTO, parseDawnBackend, parseRuntime, type DawnBackend } from '../runtime/options';
import type { DawnPlan } from './bench-dawn';
import { withHeadlessPage } from './browser';
import { runCommand, UsageError, usage } from './command';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ARCHS: Arch[] = ['resnet20', 'resnet18', 'resnet50'];

/**
 * The default suite, cheapest first: ResNet-20 at CIFAR size, ResNet-18/50 at
 * 64 px with batch 8 and at 224 px with batch 1, one timed step each after a
 * warm-up (two for ResNet-20). With the stock-kernel comparison, the profile,
 * the kernel cases, WebGL, and the CPU backend over budget, it took 18 min on
 * SwiftShader on 2 cores.
 */
const DEFAULT_MODELS: ModelCase[] = [
  { arch: 'resnet20', size: 32, batch: 32, steps: 2 },
  { arch: 'resnet18', size: 64, batch: 8, steps: 1 },
  { arch: 'resnet50', size: 64, batch: 8, steps: 1 },
  { arch: 'resnet18', size: 224, batch: 1, steps: 1 },
  { arch: 'resnet50', size: 224, batch: 1, steps: 1 },
];

/**
 * Trained with the custom and with the stock kernels, and profiled kernel by
 * kernel both ways: small enough that the stock kernels' step (about half a
 * minute here) fits the suite.
 */
const COMPARE: ModelCase = { arch: 'resnet20', size: 32, batch: 16, steps: 1 };

/** `resnet18@64x8` or `resnet18@64x8x2` (arch @ size x batch [x timed steps]). */
function parseModel(text: string): ModelCase {
  const m = /^(resnet20|resnet18|resnet50)@(\d+)x(\d+)(?:x(\d+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`--models: "${text}" is not arch@SIZExBATCH[xSTEPS] with arch one of ${ARCHS.join(', ')}`);
  return { arch: m[1] as Arch, size: Number(m[2]), batch: Number(m[3]), steps: Number(m[4] ?? 1) };
}

/**
 * One Dawn backend's figures from a child process (src/cli/bench-dawn.ts),
 * or why it gave none; its log lines pass through.
 */
function dawnFigures(plan: DawnPlan, limitSec: number): Promise<DawnFigures> {
  return new Promise((resolveFigures) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'src/cli/bench-dawn.ts'), JSON.stringify(plan)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const errors: string[] = [];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (line.startsWith('[bench]')) console.log(line);
        else if (line.trim() && !line.startsWith('Warning: max') && !/^(=+|Hi, looks like)/.test(line.trim())) errors.push(line.trim());
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitSec * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolveFigures(JSON.parse(last) as DawnFigures);
      else resolveFigures({ backend: plan.backend, unavailable: code === null ? `no result within ${limitSec} s` : errors.slice(-4).join(' / ') || `exit code ${code}` });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      backends: { type: 'string' },
      models: { type: 'string' },
      budget: { type: 'string', default: '60' },
      'no-stock': { type: 'boolean', default: false },
      'bare-all': { type: 'boolean', default: false },
      kernels: { type: 'string', default: 'custom' },
      'kernel-cases': { type: 'string' },
      runtime: { type: 'string', default: 'browser' },
      'dawn-backend': { type: 'string', default: 'auto' },
      'no-host': { type: 'boolean', default: false },
      'host-steps': { type: 'string', default: '5' },
      'hardware-gpu': { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench' },
    },
  });
  const backends = (values.backends ?? (values.quick ? 'webgpu' : 'webgpu,webgl,cpu')).split(',').map((b) => b.trim());
  for (const b of backends) if (!['webgpu', 'webgl', 'cpu'].includes(b)) throw new UsageError(`--backends: unknown backend "${b}"`);
  const models = values.models ? values.models.split(',').map(parseModel) : values.quick ? [{ arch: 'resnet20' as const, size: 32, batch: 16, steps: 1 }] : DEFAULT_MODELS;
  const budgetSec = Number(values.budget);
  if (!(budgetSec > 0)) throw new UsageError(`--budget: "${values.budget}" is not a positive number of seconds`);
  const given = values['kernel-cases'];
  const kernelCases = given === undefined ? (values.quick ? 'none' : 'all') : given === 'all' || given === 'none' ? given : given.split(',');
  if (Array.isArray(kernelCases)) for (const k of kernelCases) if (!(CUSTOM_KERNELS as readonly string[]).includes(k)) throw new UsageError(`--kernel-cases: unknown kernel "${k}"; kernels: ${CUSTOM_KERNELS.join(', ')}`);
  const policy = usage(() => parseKernelPolicy(values.kernels));
  const runtime = usage(() => parseRuntime(values.runtime));
  const dawnBackend = usage(() => parseDawnBackend(values['dawn-backend']));
  const hostSteps = Number(values['host-steps']);
  if (!(Number.isInteger(hostSteps) && hostSteps > 0)) throw new UsageError(`--host-steps: "${values['host-steps']}" is not a positive whole number`);
  const plan: BenchPlan = {
    backends: backends as BenchPlan['backends'],
    models,
    compare: values['no-stock'] || values.quick ? null : COMPARE,
    bareFor: values['bare-all'] ? 'all' : 'first',
    profile: values.quick ? (models[0] ?? null) : COMPARE,
    budgetSec,
    policy,
  };
  const started = Date.now();
  const loadBefore = loadavg();

  // Machine-independent figures first, in a Node process of their own on Dawn's null backend.
  // Each model may take its budget custom and again stock (3× each before a case gives up), and Dawn a minute to start.
  const childLimitSec = 60 + 2 * 3 * budgetSec * models.length;
  const host = values['no-host'] ? null : await dawnFigures({ backend: 'null', models, steps: hostSteps, budgetSec }, childLimitSec);
  let browser: BrowserReport | null = null;
  const dawn: DawnFigures[] = [];
  if (runtime === 'node') {
    const chosen: DawnBackend[] = dawnBackend === 'auto' ? [...DAWN_AUTO] : [dawnBackend];
    for (const backend of chosen) dawn.push(await dawnFigures({ backend, models, steps: Math.max(1, Math.min(hostSteps, 2)), budgetSec, policy: policy === 'stock' ? 'custom' : policy }, childLimitSec));
  } else {
    browser = await browserSuite(plan, kernelCases, values['hardware-gpu']);
  }
  const firstDawn = dawn.find((d): d is Extract<DawnFigures, { cases: unknown }> => 'cases' in d);
  const report: BenchReport = {
    ...(browser ?? {
      schema: 'classwise.bench/2' as const,
      runtime: 'node' as const,
      date: new Date().toISOString(),
      userAgent: firstDawn?.userAgent ?? `Node.js ${process.version}`,
      tfjsVersion: (await import('@tensorflow/tfjs')).version.tfjs,
      cores: (await import('node:os')).cpus().length,
      adapter: firstDawn?.adapter ? { vendor: firstDawn.adapter.vendor, architecture: firstDawn.adapter.architecture, description: firstDawn.adapter.description || firstDawn.adapter.device, shaderF16: false } : null,
      plan,
      training: [],
      breakdown: null,
      kernels: [],
      wallSec: 0,
    }),
    host,
    dawn,
    cases: caseFigures(models, host),
    load: { before: loadBefore, after: loadavg() },
  };
  report.wallSec = (Date.now() - started) / 1000;
  const markdown = renderMarkdown(report);
  const dir = resolve(ROOT, values.out);
  await mkdir(dir, { recursive: true });
  const slug = adapterName(report).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  // Date and time (UTC) in the name, so runs on one day do not overwrite each other.
  const json = resolve(dir, `${report.date.slice(0, 16).replace(':', '')}-${slug}.json`);
  await writeFile(json, JSON.stringify(report, null, 2) + '\n');
  await writeFile(resolve(dir, 'latest.md'), markdown);
  console.log('\n' + markdown);
  console.log(`wrote ${json} and ${resolve(dir, 'latest.md')}`);
}

/** The Chromium page's suite (src/bench/train.ts). */
async function browserSuite(plan: BenchPlan, kernelCases: string[] | 'all' | 'none', hardwareGpu: boolean): Promise<BrowserReport> {
  return withHeadlessPage(ROOT, 'src/bench/train.html', { hardwareGpu }, async (page) => {
    page.on('console', (message) => {
      if (message.text().startsWith('[bench]')) console.log(message.text());
    });
    await page.waitForFunction(() => typeof window.classwiseBench === 'object', null, { timeout: 120_000 });
    return await page.evaluate(([p, k]) => window.classwiseBench!.run(p, k), [plan, kernelCases] as const);
  });
}

runCommand(main, { stacks: false });
