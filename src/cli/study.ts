/**
 * npm run study -- (--config FILE.json | --preset NAME) [--runtime browser|node] [--backend webgpu|webgl|cpu]
 *                  [--dawn-backend auto|vulkan|opengles|null] [--kernels auto|custom|stock] [--out FILE.json]
 *
 * Runs a study headless: the app's own engine, either in its worker in
 * headless Chromium (WebGPU on SwiftShader when the machine has no GPU) or in
 * Node on Dawn's WebGPU (src/runtime/), progress on stdout, and the results
 * file written at the end, after each run's per-class accuracy and, when the
 * study has a treatment beside its baseline, the per-class verdicts that
 * `npm run analyze` would print for that file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runStudy, type StudyEvent } from '../app/study-runner';
import { KERNEL_POLICIES, parseKernelPolicy, type KernelPolicy } from '../engine/kernels/names';
import { DAWN_BACKENDS, parseDawnBackend, parseRuntime, type DawnBackend } from '../runtime/options';
import type { NodeEngine } from '../runtime/node-engine';
import { BACKENDS, type BackendName } from '../engine/backend';
import { analyzeRuns } from '../study/analysis';
import { analysisText } from '../study/analysis-report';
import { isPresetName, PRESETS } from '../study/presets';
import { parseResultsFile, type ResultsFile } from '../study/results';
import { parseStudySpec, STUDY_SCHEMA, type StudySpec } from '../study/study';
import { serverUrl, startServer, withHeadlessPage } from './browser';
import { ENGINE_OPTIONS, runCommand, UsageError, usage } from './command';
import { formatBytes } from '../util/units';

const USAGE = `usage: npm run study -- (--config FILE.json | --preset NAME) [--runtime browser|node] [--backend ${BACKENDS.join('|')}]
       [--dawn-backend auto|${DAWN_BACKENDS.join('|')}] [--kernels ${KERNEL_POLICIES.join('|')}] [--out FILE.json] [--hardware-gpu]
  --config       a study spec (schema ${STUDY_SCHEMA}) or a single run config (run once, seed 0)
  --preset       one of: ${Object.keys(PRESETS).join(', ')}
  --runtime      browser (default: the app in headless Chromium) or node (the same engine on Dawn's WebGPU, no browser)
  --backend      browser runtime: the backend to ask for first (default webgpu; falls back to webgl, then cpu)
  --dawn-backend node runtime: Dawn's backend (default auto: vulkan, then opengles; null executes nothing)
  --kernels      WebGPU kernels: custom (default), stock (tfjs's own, no fusions) or auto (timed on this adapter)
  --out          where to write the results file (default results-<study>.json)
  --hardware-gpu browser runtime: use the machine's GPU instead of SwiftShader`;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { config: { type: 'string' }, preset: { type: 'string' }, ...ENGINE_OPTIONS },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const spec = await loadSpec(values.config, values.preset);
  const backend = values.backend as BackendName;
  if (!BACKENDS.includes(backend)) throw new UsageError(`unknown backend "${values.backend}"; use one of ${BACKENDS.join(', ')}`);
  const runtime = usage(() => parseRuntime(values.runtime));
  const dawnBackend = usage(() => parseDawnBackend(values['dawn-backend']));
  const kernels = usage(() => parseKernelPolicy(values.kernels));
  const out = resolve(values.out ?? `results-${spec.name}.json`);

  const results = runtime === 'node' ? await runInNode(spec, dawnBackend, kernels) : await runHeadless(spec, backend, kernels, values['hardware-gpu']);
  await writeFile(out, JSON.stringify(results, null, 2) + '\n');
  printSummary(results);
  printVerdicts(results);
  console.log(`wrote ${out}`);
}

async function loadSpec(configPath: string | undefined, preset: string | undefined): Promise<StudySpec> {
  if ((configPath === undefined) === (preset === undefined)) throw new UsageError('give exactly one of --config FILE.json or --preset NAME');
  if (preset !== undefined) {
    if (!isPresetName(preset)) throw new UsageError(`unknown preset "${preset}"; presets: ${Object.keys(PRESETS).join(', ')}`);
    return parseStudySpec(PRESETS[preset]);
  }
  const path = resolve(configPath!);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read ${path} as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const isStudy = typeof value === 'object' && value !== null && 'schema' in value;
  return parseStudySpec(isStudy ? value : { schema: STUDY_SCHEMA, name: basename(path, '.json'), baseline: value, seeds: [0] });
}

/** The engine in this process on Dawn's WebGPU: the same study runner as the page's, over the same EngineApi. */
async function runInNode(spec: StudySpec, dawnBackend: DawnBackend | 'auto', kernels: KernelPolicy): Promise<ResultsFile> {
  const { startNodeEngine } = await import('../runtime/node-engine');
  // The built-in and imported datasets are files under public/datasets/, fetched by URL as in the page; generated ones need no server.
  const { kind } = spec.baseline.dataset;
  const server = kind === 'builtin' || kind === 'manifest' ? await startServer(ROOT) : null;
  try {
    const node: NodeEngine = await startNodeEngine(dawnBackend, kernels, server ? serverUrl(server) : undefined);
    try {
      const report = printer();
      report({ kind: 'backend', report: node.report });
      return await runStudy(node.engine, spec, report);
    } finally {
      node.close();
    }
  } finally {
    await server?.close();
  }
}

async function runHeadless(spec: StudySpec, backend: BackendName, kernels: KernelPolicy, hardwareGpu: boolean): Promise<ResultsFile> {
  return withHeadlessPage(ROOT, 'src/app/headless.html', { hardwareGpu }, async (page) => {
    await page.exposeFunction('classwiseReport', printer());
    await page.waitForFunction(() => typeof window.classwiseRunStudy === 'function');
    const raw = await page.evaluate(([s, b, k]) => window.classwiseRunStudy!(s, b, k), [spec, backend, kernels] as const);
    return parseResultsFile(raw);
  });
}

/** Prints each event; a download reports every chunk it receives, and a line for each tenth of it is enough on a terminal. */
function printer(): (event: StudyEvent) => void {
  let tenth = -1;
  return (event) => {
    if (event.kind === 'run-event' && event.event.kind === 'dataset-progress') {
      const now = Math.floor((10 * event.event.loadedBytes) / Math.max(event.event.totalBytes, 1));
      if (now === tenth) return;
      tenth = now;
    } else if (event.kind === 'run-start') {
      tenth = -1;
    }
    console.log(describe(event));
  };
}

function describe(event: StudyEvent): string {
  switch (event.kind) {
    case 'backend': {
      const { report } = event;
      const words = report.adapter ? [report.adapter.vendor, report.adapter.architecture, report.adapter.description].filter(Boolean).join(' ') : '';
      const adapter = words ? ` (${words})` : '';
      const fallbacks = report.fallbacks.map((f) => `\n  ${f.backend} unavailable: ${f.reason}`).join('');
      return `backend: ${report.backend}${adapter}, tfjs ${report.tfjsVersion}, kernels ${report.kernelPolicy}, ${report.userAgent}${fallbacks}`;
    }
    case 'run-start':
      return `[run ${event.index + 1}/${event.total}] ${event.label}`;
    case 'run-done':
      return `[run ${event.index + 1}] done: top-1 ${percent(event.result.top1)} in ${event.result.wallTimeSec.toFixed(1)} s`;
    case 'run-event': {
      const e = event.event;
      switch (e.kind) {
        case 'dataset-progress':
          return `  dataset shard ${e.shard + 1}/${e.shards} ${e.fromCache ? 'from the cache' : 'downloaded'} (${formatBytes(e.loadedBytes)} of ${formatBytes(e.totalBytes)})`;
        case 'dataset':
          return `  dataset ${e.name}: ${e.trainCount} train, ${e.testCount} test images`;
        case 'start':
          return `  ${e.epochs} epochs × ${e.stepsPerEpoch} steps = ${e.totalSteps} steps`;
        case 'progress':
          return `  step ${e.step + 1} epoch ${e.epoch + 1} loss ${e.loss.toFixed(4)} lr ${e.lr.toPrecision(3)} ${e.imagesPerSec.toFixed(1)} img/s eta ${Math.round(e.etaSec)} s`;
        case 'evaluation':
          return `  eval after epoch ${e.evaluation.epoch + 1}: top-1 ${percent(e.evaluation.top1)}`;
        case 'epoch':
          return `  epoch ${e.epoch + 1} done, ${e.liveTensors} live tensors`;
        case 'paused':
          return `  paused at step ${e.step}`;
        case 'checkpoint':
          return `  checkpoint saved after step ${e.step}`;
        case 'restored':
          return `  already finished earlier (${e.step} steps): its stored result is used`;
        case 'resumed':
          return `  resumed from the checkpoint after step ${e.step} (epoch ${e.epoch + 1})`;
      }
    }
  }
}

function printSummary(results: ResultsFile): void {
  for (const run of results.runs) {
    const classes = run.perClass.map((c) => `${c.class} ${percent(c.correct / Math.max(c.total, 1))}`).join(', ');
    console.log(`${run.configHash.slice(0, 12)} seed ${run.seed}: top-1 ${percent(run.top1)} | ${classes}`);
  }
}

/** A study of the baseline alone (the smoke preset, a single config) has nothing to compare, so prints no verdicts. */
function printVerdicts(results: ResultsFile): void {
  const analysis = analyzeRuns(results.runs, results.study.baseline);
  if (analysis.comparisons.length === 0) return;
  console.log('');
  console.log(analysisText(analysis));
}

function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

runCommand(main, { usage: USAGE });
