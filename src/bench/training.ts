/**
 * What the training bench measures and reports: pure types and the plan,
 * shared by the page, its worker and the CLI.
 */
import { generateSynthetic } from '../data/synthetic';
import type { KernelPolicy } from '../engine/kernels/names';
import { parseRunConfig, type RunConfig } from '../study/config';

export type Arch = 'resnet20' | 'resnet18' | 'resnet50';

export interface ModelCase {
  arch: Arch;
  /** Square input size in pixels (3 channels). */
  size: number;
  batch: number;
  /** Timed steps, after a group of as many untimed warm-up steps. */
  steps: number;
  /** Channel width multiplier (1 unless given). */
  width?: number;
}

/**
 * The most classes (up to 10) that split a case's two groups of images evenly,
 * so that its one epoch is exactly the warm-up group and the timed group. With
 * 10 classes always, a batch of 1 would train 10 steps (an image per class)
 * where the case asks for 2, and 1 timed step of a large model would cost 9.
 */
export function classesFor(c: ModelCase): number {
  const images = 2 * c.steps * c.batch;
  let classes = 10;
  while (images % classes !== 0) classes--;
  return classes;
}

/** The run config a case trains: generated data for exactly two groups of `steps` steps, crop and flip, SGD with momentum and weight decay. */
export function runConfig(c: ModelCase): RunConfig {
  // Two groups of `steps` steps: the first warms up (compiles), the second is timed.
  const classes = classesFor(c);
  return parseRunConfig({
    model: { arch: c.arch, width: c.width ?? 1 },
    dataset: { kind: 'synthetic', size: c.size, channels: 3, classes, trainPerClass: (2 * c.steps * c.batch) / classes, testPerClass: 1 },
    augmentation: { crop: { kind: 'resized', scale: 0.08 }, flip: true },
    training: {
      epochs: 1,
      batchSize: c.batch,
      optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 },
      lossReadEvery: c.steps,
    },
  });
}

export function synthetic(config: RunConfig) {
  if (config.dataset.kind !== 'synthetic') throw new Error('the bench trains on generated data');
  return generateSynthetic(config.dataset);
}

export type Measured<T> = ({ status: 'ok' } & T) | { status: 'skipped' | 'failed'; reason: string };

export interface StepTiming {
  msPerStep: number;
  imagesPerSec: number;
  /** Steps timed (after the warm-up group). */
  steps: number;
  /** The warm-up group's ms per step: pipeline compilation included. */
  warmupMsPerStep: number;
}

export interface EngineTiming extends StepTiming {
  /** Live tensors before the run, at the end of its epoch (model, optimiser, loader alive) and after it. */
  liveTensors: { before: number; epochEnd: number; after: number };
  /** Bytes held by live tensors at the end of the epoch. */
  liveBytes: number;
  /** The WebGPU backend's buffer pool after the run (allocated, including free buffers kept for reuse); null off WebGPU. */
  gpuBytesAllocated: number | null;
}

export interface KernelShare {
  kernel: string;
  ms: number;
  calls: number;
}

export interface Breakdown {
  /** Sum of the kernels' own times in one step (GPU timestamps on WebGPU). */
  kernelMs: number;
  /** Wall time of the profiled step (per-kernel timing adds a submit per kernel). */
  wallMs: number;
  /** WebGPU timestamp queries, or whatever tf.profile's backend timer gives where the adapter has none. */
  timer: 'gpu-timestamp' | 'backend-timer';
  kernels: KernelShare[];
}

export interface PipelineTiming {
  imagesPerSec: number;
  msPerBatch: number;
  batches: number;
}

export interface TrainingRow {
  backend: string;
  requested: string;
  arch: Arch;
  size: number;
  batch: number;
  /** `custom`: src/engine/kernels and the fusions (or the autotuner's choice, with --kernels auto); `stock`: tfjs's own kernels; `n/a` off WebGPU. */
  kernels: 'custom' | 'stock' | 'n/a';
  engine: Measured<EngineTiming>;
  /** A bare tfjs loop on the same model: tf.train.momentum's minimize on one fixed, pre-uploaded batch. */
  bare: Measured<StepTiming>;
  /** engine ms/step ÷ bare ms/step, both measured in this run. */
  overhead: number | null;
  pipeline: Measured<PipelineTiming>;
}

export interface BenchPlan {
  backends: ('webgpu' | 'webgl' | 'cpu')[];
  models: ModelCase[];
  /** Trained on WebGPU with the custom kernels and with the stock ones, for the custom kernels' end-to-end speed-up. */
  compare: ModelCase | null;
  /** Time the bare tfjs loop for every model, or only for the first on each backend (and the comparison). */
  bareFor: 'first' | 'all';
  /** The model whose one step is profiled kernel by kernel (stock and custom kernels). */
  profile: ModelCase | null;
  /** Skip a case when its warm-up says it would take longer than this. */
  budgetSec: number;
  /** The kernel policy the engine-loop rows train with (`--kernels`); the comparison rows force custom and stock. */
  policy?: KernelPolicy;
}

/**
 * Dawn's null backend refuses allocations past 512 MB in all; a full-width
 * ResNet-50 (its weights, momentum and gradients alone near 300 MB, and tfjs
 * keeps freed buffers for reuse) runs out there. Dispatches and their host
 * cost do not depend on the channel count, so such a model is measured on
 * null at the largest of 1, ½, ¼ whose weights, momentum and gradients fit
 * in 64 MB, and the report says so.
 */
export function nullWidth(parameters: (width: number) => number): number {
  for (const width of [1, 0.5, 0.25]) if (parameters(width) * 3 * 4 <= 64 * 2 ** 20) return width;
  return 0.125;
}

/** The four figures of each model from the null backend's run. */
export function caseFigures(models: ModelCase[], host: DawnFigures | null): CaseFigures[] {
  return models.map((m) => {
    const found = host && 'cases' in host ? host.cases.find((c) => c.model.arch === m.arch && c.model.size === m.size && c.model.batch === m.batch) : undefined;
    const custom = found?.custom.status === 'ok' ? found.custom : null;
    const stock = found?.stock.status === 'ok' ? found.stock : null;
    return {
      arch: m.arch,
      size: m.size,
      batch: m.batch,
      hostWidth: found?.model.width ?? (found ? 1 : null),
      dispatchesPerStep: custom?.dispatchesPerStep ?? null,
      stockDispatchesPerStep: stock?.dispatchesPerStep ?? null,
      hostMsPerStep: custom?.msPerStep ?? null,
      stockHostMsPerStep: stock?.msPerStep ?? null,
      hostCpuMsPerStep: custom?.cpuMsPerStep ?? null,
      stockHostCpuMsPerStep: stock?.cpuMsPerStep ?? null,
      byKernel: custom?.byKernel ?? [],
      stockByKernel: stock?.byKernel ?? [],
    };
  });
}

/** A Dawn backend's figures (src/bench/dawn.ts), or why it gave none. */
export type DawnFigures = import('./dawn').DawnBench | { backend: string; unavailable: string };

/**
 * One model's machine-independent figures, with the custom kernels and
 * fusions and with stock tfjs, from the same run: dispatches per training
 * step (counted) and host milliseconds per step on Dawn's null backend.
 */
export interface CaseFigures {
  arch: Arch;
  size: number;
  batch: number;
  /** The width the host figures were measured at: below 1 where Dawn's null backend could not hold the full model (see nullWidth). */
  hostWidth: number | null;
  dispatchesPerStep: number | null;
  stockDispatchesPerStep: number | null;
  hostMsPerStep: number | null;
  stockHostMsPerStep: number | null;
  /** The same steps' CPU time (process.cpuUsage), less perturbed by a loaded machine than the wall time. */
  hostCpuMsPerStep: number | null;
  stockHostCpuMsPerStep: number | null;
  byKernel: { kernel: string; dispatches: number }[];
  stockByKernel: { kernel: string; dispatches: number }[];
}

export interface BenchReport {
  schema: 'classwise.bench/2';
  /** Where the training and kernel tables ran: Chromium's WebGPU, or Dawn's in Node (then those tables are empty and `dawn` has the adapters). */
  runtime: 'browser' | 'node';
  date: string;
  userAgent: string;
  tfjsVersion: string;
  cores: number;
  adapter: { vendor: string; architecture: string; description: string; shaderF16: boolean } | null;
  plan: BenchPlan;
  training: TrainingRow[];
  /** One step profiled with the stock kernels and with the custom ones, in this run. */
  breakdown: { model: ModelCase; stock: Breakdown; custom: Breakdown } | null;
  /** Each custom kernel against its stock kernel on the same inputs, alternating, in this run. */
  kernels: import('./kernels').KernelTiming[];
  /** Dawn's null backend: the host figures; null when not measured (--no-host). */
  host: DawnFigures | null;
  /** The Dawn backends that compute (node runtime). */
  dawn: DawnFigures[];
  /** Per model, the four figures and the dispatches by kernel. */
  cases: CaseFigures[];
  /** The machine's load average (1, 5, 15 min) before and after: host times on a loaded machine are too high. */
  load: { before: number[]; after: number[] } | null;
  wallSec: number;
}
