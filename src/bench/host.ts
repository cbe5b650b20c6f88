/**
 * What a training step costs the host: the dispatches it records (counted,
 * per kernel) and, on Dawn's null backend, which executes nothing, the
 * milliseconds of CPU that tfjs, the engine and Dawn spend recording them.
 * Measured on the engine's own step (batch assembly, GPU crop and flip,
 * forward, backward, SGD), with the custom kernels and fusions or with
 * stock tfjs, in the same process.
 */
import * as tf from '@tensorflow/tfjs';
import { cropResampling } from '../augment/crop';
import { BatchLoader } from '../engine/batches';
import { installKernels, setFusions } from '../engine/kernels';
import { fixedChoice, type KernelChoice } from '../engine/kernels/autotune';
import type { KernelPolicy } from '../engine/kernels/names';
import { Sgd } from '../engine/optimizer';
import { createResNet } from '../engine/resnet';
import { stepOnBatch } from '../engine/train';
import { buildArchitecture } from '../model/architecture';
import { Rng } from '../util/rng';
import { countDispatches, type DispatchCount } from './dispatches';
import { runConfig, synthetic, type ModelCase } from './training';

export type KernelMode = 'custom' | 'tiled' | 'stock';

export interface HostStep {
  kernels: KernelPolicy;
  /** Counted over one step after the warm-up. */
  dispatchesPerStep: number;
  writesPerStep: number;
  submitsPerStep: number;
  byKernel: DispatchCount['byKernel'];
  /** Wall time per step over `steps` steps recorded back to back, to one read-back at the end. */
  msPerStep: number;
  /**
   * The process's CPU time (user + system, every thread) per step over the same steps, in Node: on Dawn's null
   * backend, the host's work itself, which a loaded machine stretches far less than the wall time.
   */
  cpuMsPerStep: number | null;
  steps: number;
}

/** Custom kernels and fusions on (`custom`, `tiled`: src/engine/kernels/names.ts), stock tfjs (`stock`), or the autotuner's choice. */
export function useKernels(kernels: KernelMode | KernelChoice): void {
  const choice = typeof kernels === 'string' ? fixedChoice(kernels) : kernels;
  installKernels(choice.custom, choice.tiled);
  setFusions(choice.fusions);
}

export async function hostStep(c: ModelCase, kernels: KernelMode | KernelChoice, steps: number): Promise<HostStep> {
  const config = runConfig({ ...c, steps: Math.max(c.steps, 1) });
  const dataset = synthetic(config);
  const { training, augmentation } = config;
  const net = createResNet(buildArchitecture(config.model, dataset.shape, dataset.classNames.length), Rng.fromSeed(0, 'init'));
  const sgd = new Sgd(net.store, training.optimizer);
  const loader = new BatchLoader(dataset, c.batch);
  const rng = Rng.fromSeed(0, 'augment');
  const stepsPerEpoch = Math.floor(dataset.train.count / c.batch);
  let i = 0;
  const step = () => {
    const b = i++ % stepsPerEpoch;
    const boxes = cropResampling(rng, augmentation, c.batch, c.size, c.size);
    return stepOnBatch(net, sgd, loader, dataset.train, Array.from({ length: c.batch }, (_, k) => b * c.batch + k), boxes, training.optimizer.lr, training.bnMomentum);
  };
  useKernels(kernels);
  try {
    // The first step compiles every pipeline.
    const warm = step();
    await warm.data();
    warm.dispose();
    const { result: counted, count } = await countDispatches(() => step());
    await counted.data();
    counted.dispose();
    const cpu = typeof process === 'undefined' ? null : process.cpuUsage();
    const t0 = performance.now();
    const losses: tf.Scalar[] = [];
    for (let s = 0; s < steps; s++) losses.push(step());
    await losses[losses.length - 1]!.data();
    const msPerStep = (performance.now() - t0) / steps;
    const used = cpu && process.cpuUsage(cpu);
    tf.dispose(losses);
    const cpuMsPerStep = used ? (used.user + used.system) / 1000 / steps : null;
    return { kernels: typeof kernels === 'string' ? kernels : kernels.policy, dispatchesPerStep: count.dispatches, writesPerStep: count.writes, submitsPerStep: count.submits, byKernel: count.byKernel, msPerStep, cpuMsPerStep, steps };
  } finally {
    loader.dispose();
    sgd.dispose();
    net.dispose();
  }
}
