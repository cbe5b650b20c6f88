/**
 * The training bench's worker: the engine's own training loop (src/engine/train.ts,
 * the function workers/engine.worker.ts runs) in a dedicated worker as in the
 * app, a bare tfjs loop on the same model for comparison, the input pipeline
 * alone, and a kernel-by-kernel profile of one step.
 */
import * as tf from '@tensorflow/tfjs';
import { expose } from 'comlink';
import { cropResampling } from '../augment/crop';
import { selectBackend, type BackendName, type BackendReport } from '../engine/backend';
import { BatchLoader } from '../engine/batches';
import type { KernelPolicy } from '../engine/kernels/names';
import { setKernelPolicy } from '../engine/kernels/policy';
import { useKernels } from './host';
import { crossEntropy } from '../engine/layers';
import { Sgd, trainStep } from '../engine/optimizer';
import { createResNet } from '../engine/resnet';
import { train } from '../engine/train';
import { buildArchitecture } from '../model/architecture';
import type { RunConfig } from '../study/config';
import { RunControl } from '../training/control';
import { Rng } from '../util/rng';
import { timeBatches } from './batch-timing';
import { classesFor, runConfig, synthetic, type Breakdown, type EngineTiming, type Measured, type ModelCase, type PipelineTiming, type StepTiming } from './training';

const gpuBytes = (): number | null => {
  const m = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number };
  return typeof m.numBytesAllocatedInGPU === 'number' ? m.numBytesAllocatedInGPU : null;
};

async function engine(c: ModelCase, budgetMs: number): Promise<Measured<EngineTiming>> {
  const config = runConfig(c);
  const dataset = synthetic(config);
  const control = new RunControl();
  const groups: number[] = [];
  let epochEnd = { liveTensors: -1, liveBytes: -1 };
  let overBudget = false;
  const before = tf.memory().numTensors;
  try {
    await train(config, 0, dataset, control, (event) => {
      if (event.kind === 'progress') {
        groups.push((1000 * c.batch) / event.imagesPerSec);
        // The warm-up group predicts the rest: stop rather than run past the budget.
        if (groups.length === 1 && groups[0]! * c.steps > budgetMs) {
          overBudget = true;
          control.cancel();
        }
      }
      if (event.kind === 'epoch') epochEnd = { liveTensors: event.liveTensors, liveBytes: event.liveBytes };
    });
  } catch (error) {
    if (overBudget) return { status: 'skipped', reason: `over budget: warm-up ${(groups[0]! / 1000).toFixed(1)} s/step × ${c.steps} steps > ${budgetMs / 1000} s` };
    return { status: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
  const timed = groups.slice(1);
  const msPerStep = timed.reduce((a, b) => a + b, 0) / timed.length;
  return {
    status: 'ok',
    msPerStep,
    imagesPerSec: (1000 * c.batch) / msPerStep,
    steps: timed.length * c.steps,
    warmupMsPerStep: groups[0]!,
    liveTensors: { before, epochEnd: epochEnd.liveTensors, after: tf.memory().numTensors },
    liveBytes: epochEnd.liveBytes,
    gpuBytesAllocated: gpuBytes(),
  };
}

function modelAndBatch(c: ModelCase) {
  const classes = classesFor(c);
  const spec = buildArchitecture({ arch: c.arch, width: 1, stem: 'auto' } as RunConfig['model'], [c.size, c.size, 3], classes);
  const net = createResNet(spec, Rng.fromSeed(0, 'init'));
  const x = tf.randomNormal([c.batch, c.size, c.size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: c.batch }, (_, i) => i % classes), 'int32');
  return { net, x, labels, mode: { training: true, bnMomentum: 0.1 } };
}

/** tf.train.momentum on the same network and one fixed batch: no loader, no augmentation, no weight decay, one read-back at the end. */
async function bare(c: ModelCase, budgetMs: number): Promise<Measured<StepTiming>> {
  const { net, x, labels, mode } = modelAndBatch(c);
  const optimizer = tf.train.momentum(0.05, 0.9);
  const params = [...net.store.params.values()];
  const step = () => optimizer.minimize(() => crossEntropy(net.forward(x, mode), labels), true, params)!;
  try {
    let t0 = performance.now();
    for (let i = 0; i < c.steps; i++) {
      const loss = step();
      if (i === c.steps - 1) await loss.data();
      loss.dispose();
      if (i === 0 && (performance.now() - t0) * c.steps > budgetMs * 1.5) {
        return { status: 'skipped', reason: `over budget: first step ${((performance.now() - t0) / 1000).toFixed(1)} s` };
      }
    }
    const warmupMsPerStep = (performance.now() - t0) / c.steps;
    t0 = performance.now();
    const losses: tf.Scalar[] = [];
    for (let i = 0; i < c.steps; i++) losses.push(step());
    await losses[losses.length - 1]!.data();
    const msPerStep = (performance.now() - t0) / c.steps;
    tf.dispose(losses);
    return { status: 'ok', msPerStep, imagesPerSec: (1000 * c.batch) / msPerStep, steps: c.steps, warmupMsPerStep };
  } catch (error) {
    return { status: 'failed', reason: error instanceof Error ? error.message : String(error) };
  } finally {
    optimizer.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose() does not free the learning-rate scalar its SGD base keeps.
    (optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
    tf.dispose([x, labels]);
    net.dispose();
  }
}

/** The input pipeline alone at the model's input size and batch: assembly, upload, resized crop + flip, normalisation. */
async function pipeline(c: ModelCase, batches = 8): Promise<Measured<PipelineTiming>> {
  const config = runConfig({ ...c, steps: Math.max(c.steps, Math.ceil(batches / 2) + 1) });
  const dataset = synthetic(config);
  const loader = new BatchLoader(dataset, c.batch);
  const rng = Rng.fromSeed(0, 'augment');
  const batch = (i: number) => {
    const indices = Array.from({ length: c.batch }, (_, k) => (i * c.batch + k) % dataset.train.count);
    return loader.batch(dataset.train, indices, cropResampling(rng, config.augmentation, c.batch, c.size, c.size));
  };
  try {
    const seconds = await timeBatches(batch, batches, 1);
    return { status: 'ok', imagesPerSec: (batches * c.batch) / seconds, msPerBatch: (1000 * seconds) / batches, batches };
  } finally {
    loader.dispose();
  }
}

/** One engine training step (trainStep) under tf.profile, kernel by kernel. */
async function profile(c: ModelCase): Promise<Breakdown> {
  const { net, x, labels, mode } = modelAndBatch(c);
  const sgd = new Sgd(net.store, { lr: 0.05, momentum: 0.9, nesterov: false, weightDecay: 5e-4, decayNormAndBias: true });
  const step = () => trainStep(net.store, sgd, () => crossEntropy(net.forward(x, mode), labels), 0.05);
  try {
    const warm = step();
    await warm.data();
    warm.dispose();
    const t0 = performance.now();
    const info = await tf.profile(async () => {
      const loss = step();
      await loss.data();
      loss.dispose();
    });
    const wallMs = performance.now() - t0;
    const byName = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      e.calls++;
      byName.set(k.name, e);
    }
    const kernels = [...byName].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
    const timestamps = (tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery === true;
    return { kernelMs: kernels.reduce((s, k) => s + k.ms, 0), wallMs, timer: timestamps ? 'gpu-timestamp' : 'backend-timer', kernels };
  } finally {
    tf.dispose([x, labels]);
    sgd.dispose();
    net.dispose();
  }
}

const api = {
  async init(backend: BackendName, policy: KernelPolicy = 'custom'): Promise<BackendReport> {
    return selectBackend(backend, policy);
  },
  /** The kernel policy for what runs next (WebGPU only): the engine loop applies it when it starts, the profile and the bare loop at once. */
  async kernels(policy: KernelPolicy): Promise<void> {
    if (tf.getBackend() !== 'webgpu') return;
    setKernelPolicy(policy);
    if (policy !== 'auto') useKernels(policy);
  },
  engine,
  bare,
  pipeline,
  profile,
  memory: () => tf.memory().numTensors,
};

export type BenchWorkerApi = typeof api;
expose(api);
