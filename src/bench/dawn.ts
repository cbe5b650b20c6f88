/**
 * The bench on one Dawn backend in Node: for each model, the engine's
 * training step with the custom kernels and fusions and with stock tfjs,
 * measured in the same process. On `null` the step's time is the host's
 * alone (nothing executes); on a backend that computes it is the step's
 * time on that adapter, and where the adapter has timestamp queries, one
 * step's summed kernel time as well.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../engine/backend';
import { startDawn } from '../runtime/dawn';
import type { DawnBackend } from '../runtime/options';
import type { KernelChoice } from '../engine/kernels/autotune';
import { prepareKernels, setKernelPolicy } from '../engine/kernels/policy';
import { hostStep, useKernels, type HostStep, type KernelMode } from './host';
import { classesFor, nullWidth, runConfig, synthetic, type Measured, type ModelCase } from './training';
import { BatchLoader } from '../engine/batches';
import { Sgd } from '../engine/optimizer';
import { createResNet } from '../engine/resnet';
import { stepOnBatch } from '../engine/train';
import { buildArchitecture, countParameters } from '../model/architecture';
import { Rng } from '../util/rng';
import { cropResampling } from '../augment/crop';

export interface DawnCase {
  model: ModelCase;
  /** With the policy `auto`: the autotuner's choice on this adapter, which the custom figures ran with. */
  choice?: KernelChoice;
  custom: Measured<HostStep>;
  stock: Measured<HostStep>;
  /** One step's summed kernel time (GPU timestamps); null where the adapter has none, or on null. */
  customKernelMs: number | null;
  stockKernelMs: number | null;
}

export interface DawnBench {
  backend: DawnBackend;
  adapter: { vendor: string; architecture: string; device: string; description: string } | null;
  userAgent: string;
  timestamps: boolean;
  cases: DawnCase[];
}

/** One step of the engine under tf.profile: the kernels' summed GPU time. */
async function kernelMs(c: ModelCase, kernels: KernelMode | KernelChoice): Promise<number> {
  const config = runConfig({ ...c, steps: 1 });
  const dataset = synthetic(config);
  const net = createResNet(buildArchitecture(config.model, dataset.shape, dataset.classNames.length), Rng.fromSeed(0, 'init'));
  const sgd = new Sgd(net.store, config.training.optimizer);
  const loader = new BatchLoader(dataset, c.batch);
  const rng = Rng.fromSeed(0, 'augment');
  const indices = Array.from({ length: c.batch }, (_, k) => k);
  const step = () => stepOnBatch(net, sgd, loader, dataset.train, indices, cropResampling(rng, config.augmentation, c.batch, c.size, c.size), 0.05, 0.1);
  useKernels(kernels);
  try {
    const warm = step();
    await warm.data();
    warm.dispose();
    const info = await tf.profile(async () => {
      const loss = step();
      await loss.data();
      loss.dispose();
    });
    return info.kernels.reduce((ms, k) => ms + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0), 0);
  } finally {
    loader.dispose();
    sgd.dispose();
    net.dispose();
  }
}

const failed = (error: unknown): { status: 'failed'; reason: string } => ({ status: 'failed', reason: error instanceof Error ? error.message : String(error) });

/**
 * Models run cheapest first; a model whose custom step takes longer than the
 * budget skips its stock step (about 3× slower on CPU adapters) and every
 * larger model.
 */
/** The autotuner's choice in a log line: per kernel the variant kept and the summed times of all three. */
export function describeChoice(choice: KernelChoice | undefined): string {
  if (!choice) return 'no choice (not on WebGPU)';
  const variant = (k: KernelChoice['custom'][number]) => (!choice.custom.includes(k) ? 'stock' : (choice.tiled as string[]).includes(k) ? 'tiled' : 'register');
  const ms = (v: number | null) => (v === null ? '–' : v.toFixed(2));
  return choice.timings.map((t) => `${t.kernel} ${variant(t.kernel)} (stock ${ms(t.stockMs)}, register ${ms(t.customMs)}, tiled ${ms(t.tiledMs)} ms over ${t.cases})`).join('; ');
}

export async function benchDawn(backend: DawnBackend, models: ModelCase[], steps: number, budgetSec: number, log: (line: string) => void, policy: 'custom' | 'tiled' | 'auto' = 'custom'): Promise<DawnBench> {
  const runtime = await startDawn(backend);
  try {
    const report = await selectBackend('webgpu', 'custom');
    const timestamps = backend !== 'null' && (tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery === true;
    const cases: DawnCase[] = [];
    let over: string | null = null;
    for (const given of models) {
      const model = backend === 'null' ? { ...given, width: nullWidth((w) => countParameters(buildArchitecture({ arch: given.arch, width: w, stem: 'auto' }, [given.size, given.size, 3], classesFor(given)))) } : given;
      const name = `${model.arch}${model.width !== undefined && model.width !== 1 ? ` width ${model.width}` : ''} ${model.size}px batch ${model.batch}`;
      const skipped = (reason: string) => ({ status: 'skipped' as const, reason });
      if (over) {
        cases.push({ model, custom: skipped(`over budget (${over} already was)`), stock: skipped(`over budget (${over} already was)`), customKernelMs: null, stockKernelMs: null });
        continue;
      }
      const row: DawnCase = { model, custom: skipped(''), stock: skipped(''), customKernelMs: null, stockKernelMs: null };
      if (policy === 'auto') {
        setKernelPolicy('auto');
        const spec = buildArchitecture({ arch: model.arch, width: model.width ?? 1, stem: 'auto' }, [model.size, model.size, 3], classesFor(model));
        row.choice = (await prepareKernels(spec, [model.size, model.size, 3], model.batch)) ?? undefined;
        log(`${backend} ${name} auto: ${describeChoice(row.choice)}`);
      }
      const kernels = row.choice ?? (policy === 'auto' ? 'custom' : policy);
      row.custom = await hostStep(model, kernels, steps).then((h) => ({ status: 'ok' as const, ...h }), failed);
      log(`${backend} ${name} custom: ${row.custom.status === 'ok' ? `${row.custom.dispatchesPerStep} dispatches, ${row.custom.msPerStep.toFixed(1)} ms/step, ${row.custom.cpuMsPerStep?.toFixed(1)} CPU ms/step` : row.custom.reason}`);
      if (row.custom.status === 'ok' && row.custom.msPerStep * steps > budgetSec * 1000) {
        over = name;
        row.stock = skipped(`over budget: the custom step took ${(row.custom.msPerStep / 1000).toFixed(1)} s × ${steps} steps > ${budgetSec} s`);
      } else {
        row.stock = await hostStep(model, 'stock', steps).then((h) => ({ status: 'ok' as const, ...h }), failed);
        log(`${backend} ${name} stock: ${row.stock.status === 'ok' ? `${row.stock.dispatchesPerStep} dispatches, ${row.stock.msPerStep.toFixed(1)} ms/step, ${row.stock.cpuMsPerStep?.toFixed(1)} CPU ms/step` : row.stock.reason}`);
        if (timestamps && row.stock.status === 'ok') {
          row.customKernelMs = await kernelMs(model, kernels);
          row.stockKernelMs = await kernelMs(model, 'stock');
        }
      }
      cases.push(row);
    }
    const a = report.adapter;
    return { backend, adapter: a && { vendor: a.vendor, architecture: a.architecture, device: a.device, description: a.description }, userAgent: report.userAgent, timestamps, cases };
  } finally {
    runtime.close();
  }
}
