/**
 * The training benchmark's page, driven by `npm run bench`: one fresh bench
 * worker per backend (the engine's loop, a bare tfjs loop, the pipeline, a
 * profile), then the custom kernels against the stock ones on this page's
 * own device. Every number in a report comes from the same page load, so
 * ratios between them are measured under the same conditions.
 */
import * as tf from '@tensorflow/tfjs';
import { wrap } from 'comlink';
import { selectBackend } from '../engine/backend';
import { BENCH_CASES } from './kernel-cases';
import { kernelBench } from './kernels';
import type { BenchWorkerApi } from './bench.worker';
import type { BenchPlan, BenchReport, Measured, ModelCase, TrainingRow } from './training';

const log = (line: string) => console.log(`[bench] ${line}`);

function startWorker() {
  const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module', name: 'classwise-bench' });
  return { api: wrap<BenchWorkerApi>(worker), terminate: () => worker.terminate() };
}

const describe = (c: ModelCase) => `${c.arch} ${c.size}px batch ${c.batch}`;
const skipped = <T>(reason: string): Measured<T> => ({ status: 'skipped', reason });
const fmt = (m: Measured<{ msPerStep: number }>) => (m.status === 'ok' ? `${m.msPerStep.toFixed(0)} ms/step` : `${m.status}: ${m.reason}`);

/** The browser's part of a report; the CLI adds the Dawn figures. */
export type BrowserReport = Omit<BenchReport, 'host' | 'dawn' | 'cases' | 'load'>;

async function run(plan: BenchPlan, kernelCases: string[] | 'all' | 'none' = 'all'): Promise<BrowserReport> {
  const started = performance.now();
  const training: TrainingRow[] = [];
  let breakdown: BenchReport['breakdown'] = null;
  const budgetMs = plan.budgetSec * 1000;
  for (const requested of plan.backends) {
    let { api, terminate } = startWorker();
    try {
      const report = await api.init(requested, plan.policy);
      /**
       * A step cannot be interrupted from inside, and the warm-up that the
       * budget check waits for can itself take minutes on a large model, so a
       * case that has not finished in 3× the budget ends its worker; a fresh
       * one carries on with the next case.
       */
      const bounded = async <T>(what: string, work: () => Promise<Measured<T>>): Promise<Measured<T>> => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const limit = 3 * budgetMs;
        const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limit)));
        const result = await Promise.race([work(), timeout]);
        clearTimeout(timer);
        if (result !== 'timeout') return result;
        log(`${what}: no result within ${limit / 1000} s; restarting the worker`);
        terminate();
        ({ api, terminate } = startWorker());
        await api.init(requested, plan.policy);
        return skipped(`over budget: not finished within ${limit / 1000} s (3× the budget)`);
      };
      const unavailable = report.backend !== requested ? `${requested} unavailable: ${report.fallbacks.map((f) => f.reason).join('; ')}` : null;
      const measure = async (model: ModelCase, kernels: TrainingRow['kernels'], withBare: boolean): Promise<TrainingRow> => {
        const row: TrainingRow = { backend: report.backend, requested, ...model, kernels, engine: skipped(''), bare: skipped('not asked for (--bare-all)'), overhead: null, pipeline: skipped('') };
        await api.kernels(kernels === 'stock' ? 'stock' : (plan.policy ?? 'custom'));
        row.engine = await bounded(`${requested} ${describe(model)}`, () => api.engine(model, budgetMs));
        log(`${requested} ${kernels} ${describe(model)}: engine ${fmt(row.engine)}`);
        if (withBare) {
          row.bare = row.engine.status === 'ok' ? await bounded(`${requested} ${describe(model)} bare`, () => api.bare(model, budgetMs)) : skipped(row.engine.status === 'skipped' ? row.engine.reason : 'the engine run failed');
          log(`${requested} ${kernels} ${describe(model)}: bare tf ${fmt(row.bare)}`);
        }
        if (row.engine.status === 'ok' && row.bare.status === 'ok') row.overhead = row.engine.msPerStep / row.bare.msPerStep;
        row.pipeline = row.engine.status === 'ok' ? await api.pipeline(model) : skipped(row.engine.status === 'skipped' ? 'over budget' : 'the engine run failed');
        return row;
      };
      if (requested === 'webgpu' && !unavailable && plan.compare) {
        for (const kernels of ['custom', 'stock'] as const) training.push(await measure(plan.compare, kernels, true));
      }
      // Models run cheapest first; once one is over budget, the larger ones are not tried.
      let overBudget: string | null = null;
      for (const [i, model] of plan.models.entries()) {
        const kernels = requested === 'webgpu' ? 'custom' : 'n/a';
        if (unavailable || overBudget) {
          const reason = unavailable ?? `over budget (${overBudget} already was)`;
          training.push({ backend: report.backend, requested, ...model, kernels, engine: skipped(reason), bare: skipped(reason), overhead: null, pipeline: skipped(reason) });
          continue;
        }
        const row = await measure(model, kernels, plan.bareFor === 'all' || i === 0);
        if (row.engine.status === 'skipped') overBudget = describe(model);
        training.push(row);
      }
      if (requested === 'webgpu' && !unavailable && plan.profile) {
        await api.kernels('stock');
        const stock = await api.profile(plan.profile);
        await api.kernels('custom');
        const custom = await api.profile(plan.profile);
        breakdown = { model: plan.profile, stock, custom };
        log(`profile ${describe(plan.profile)}: stock kernels ${stock.kernelMs.toFixed(0)} ms, custom ${custom.kernelMs.toFixed(0)} ms`);
      }
      if ((await api.memory()) > 0) log(`${requested}: ${await api.memory()} tensors still live in the bench worker`);
    } finally {
      terminate();
    }
  }
  const backend = await selectBackend('webgpu');
  const cases = kernelCases === 'all' ? BENCH_CASES : kernelCases === 'none' ? [] : BENCH_CASES.filter((c) => kernelCases.includes(c.kernel));
  const kernels = backend.backend === 'webgpu' ? await kernelBench.timeAll(cases, 3) : [];
  for (const k of kernels) log(`kernel ${k.name}: stock ${k.stockMs.toFixed(1)} ms, custom ${k.customMs.toFixed(1)} ms, ×${k.speedup.toFixed(2)}${k.tiledMs === null ? '' : `, tiled ${k.tiledMs.toFixed(1)} ms`}`);
  const adapter = backend.adapter;
  return {
    schema: 'classwise.bench/2',
    runtime: 'browser',
    date: new Date().toISOString(),
    userAgent: navigator.userAgent,
    tfjsVersion: tf.version.tfjs,
    cores: navigator.hardwareConcurrency,
    adapter: adapter ? { vendor: adapter.vendor, architecture: adapter.architecture, description: adapter.description, shaderF16: adapter.shaderF16 } : null,
    plan,
    training,
    breakdown,
    kernels,
    wallSec: (performance.now() - started) / 1000,
  };
}

const trainingBench = { run };

declare global {
  interface Window {
    classwiseBench?: typeof trainingBench;
  }
}

window.classwiseBench = trainingBench;
