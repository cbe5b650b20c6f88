/**
 * npm run bench -- [--quick] [--backends webgpu,webgl,cpu] [--models resnet20@32x32x2,resnet18@64x8,…]
 *                  [--budget 60] [--no-stock] [--bare-all] [--kernels all|none|Conv2D,…] [--hardware-gpu] [--out bench]
 *
 * Training throughput (engine loop and a bare tfjs loop), the input pipeline,
 * memory after the steps, a kernel-by-kernel profile of one step, and each
 * custom kernel against its stock one, all in one headless Chromium page.
 * Writes bench/<date>T<time>-<adapter>.json and bench/latest.md, and prints the markdown.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { adapterName, renderMarkdown } from '../bench/report';
import type { Arch, BenchPlan, ModelCase } from '../bench/training';
import { CUSTOM_KERNELS } from '../engine/kernels/names';
import { launchChromium, serverUrl, startServer } from './browser';

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
  if (!m) throw new Error(`--models: "${text}" is not arch@SIZExBATCH[xSTEPS] with arch one of ${ARCHS.join(', ')}`);
  return { arch: m[1] as Arch, size: Number(m[2]), batch: Number(m[3]), steps: Number(m[4] ?? 1) };
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
      kernels: { type: 'string' },
      'hardware-gpu': { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench' },
    },
  });
  const backends = (values.backends ?? (values.quick ? 'webgpu' : 'webgpu,webgl,cpu')).split(',').map((b) => b.trim());
  for (const b of backends) if (!['webgpu', 'webgl', 'cpu'].includes(b)) throw new Error(`--backends: unknown backend "${b}"`);
  const models = values.models ? values.models.split(',').map(parseModel) : values.quick ? [{ arch: 'resnet20' as const, size: 32, batch: 16, steps: 1 }] : DEFAULT_MODELS;
  const budgetSec = Number(values.budget);
  if (!(budgetSec > 0)) throw new Error(`--budget: "${values.budget}" is not a positive number of seconds`);
  const kernelCases = values.kernels === undefined ? (values.quick ? 'none' : 'all') : values.kernels === 'all' || values.kernels === 'none' ? values.kernels : values.kernels.split(',');
  if (Array.isArray(kernelCases)) for (const k of kernelCases) if (!(CUSTOM_KERNELS as readonly string[]).includes(k)) throw new Error(`--kernels: unknown kernel "${k}"`);
  const plan: BenchPlan = {
    backends: backends as BenchPlan['backends'],
    models,
    compare: values['no-stock'] || values.quick ? null : COMPARE,
    bareFor: values['bare-all'] ? 'all' : 'first',
    profile: values.quick ? (models[0] ?? null) : COMPARE,
    budgetSec,
  };

  const server = await startServer(ROOT);
  const chromium = await launchChromium({ hardwareGpu: values['hardware-gpu'] });
  try {
    const page = await chromium.context.newPage();
    page.on('console', (message) => {
      if (message.text().startsWith('[bench]')) console.log(message.text());
    });
    await page.goto(new URL('src/bench/train.html', serverUrl(server)).href);
    await page.waitForFunction(() => typeof window.classwiseBench === 'object', null, { timeout: 120_000 });
    const report = await page.evaluate(([p, k]) => window.classwiseBench!.run(p, k), [plan, kernelCases] as const);
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
  } finally {
    await chromium.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
