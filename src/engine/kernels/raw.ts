/**
 * Dispatches that tfjs's program model cannot express: a WebGPUProgram has
 * exactly one writable output, while a fused BatchNorm writes its output and
 * the running statistics in one pass, and a fused SGD step writes a parameter
 * and its momentum in place. A RawProgram declares its own bindings (any mix
 * of read and read_write storage buffers) and is recorded into the backend's
 * own command encoder and compute pass, so it is ordered with every tfjs
 * kernel around it exactly as a tfjs program would be, and it is timed by
 * tf.profile the same way.
 *
 * This leans on WebGPUBackend fields that its typings mark private (named in
 * `Internals` below), in the tfjs-backend-webgpu version package-lock.json
 * pins; the kernel tests run every raw program against the composite ops.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { Uniform } from './program';

export interface RawBinding {
  name: string;
  access: 'read' | 'read_write';
  /** WGSL element type: f32 or vec4<f32>. */
  type: string;
}

export interface RawProgram {
  /** Names everything that changes the generated WGSL: pipelines are cached by it. */
  key: string;
  /** How tf.profile lists the dispatch (as tfjs lists a program by its class name). */
  name: string;
  bindings: RawBinding[];
  /** WGSL struct fields of the uniform block, e.g. `rows : i32, eps : f32,`. */
  uniforms: string;
  /** Everything after the declarations: helpers, workgroup variables and the @compute entry point. */
  code: string;
}

/** The WebGPUBackend internals recording a dispatch needs (see the header). */
interface Internals {
  device: GPUDevice;
  tensorMap: { get(dataId: object): { resource?: unknown; values: unknown } };
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  dispatchCountInPass: number;
  activeTimers: { name: string; query: Promise<number> }[] | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  uploadToGPU(dataId: object): void;
  makeUniforms(uniforms: Uniform[]): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  getQueryTime(): Promise<number>;
}

let recording: string | null = null;

/** The raw program being recorded, for the dispatch counter (src/bench/dispatches.ts) to name a dispatch no tfjs kernel made. */
export function rawProgramName(): string | null {
  return recording;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function shaderOf(program: RawProgram): string {
  const declarations = program.bindings.map((b, i) => `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name} : array<${b.type}>;`);
  return [
    `struct Uniforms { ${program.uniforms} };`,
    ...declarations,
    `@group(0) @binding(${program.bindings.length}) var<uniform> u : Uniforms;`,
    program.code,
  ].join('\n');
}

function pipelineFor(device: GPUDevice, program: RawProgram): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let pipeline = cache.get(program.key);
  if (!pipeline) {
    const module = device.createShaderModule({ code: shaderOf(program) });
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    cache.set(program.key, pipeline);
  }
  return pipeline;
}

/**
 * Records `program` over `tensors` (in the order of its bindings) with
 * `uniforms` as its uniform block, dispatching `workgroups`. Writable
 * bindings are written in place: a tensor passed there must be one the
 * caller owns alone (a new output, or a variable's own buffer).
 */
export function runRaw(backend: WebGPUBackend, program: RawProgram, tensors: tf.TensorInfo[], uniforms: Uniform[], workgroups: [number, number?, number?]): void {
  if (tensors.length !== program.bindings.length) throw new Error(`${program.name}: ${program.bindings.length} bindings, ${tensors.length} tensors`);
  const b = backend as unknown as Internals;
  program.bindings.forEach((binding, i) => {
    if (binding.access === 'read_write' && backend.refCount(tensors[i]!.dataId) > 1) {
      throw new Error(`${program.name}: ${binding.name} is written in place but its data is shared with another tensor (call exclusive() first)`);
    }
  });
  const entries: GPUBindGroupEntry[] = tensors.map((t, i) => {
    b.uploadToGPU(t.dataId);
    const resource = b.tensorMap.get(t.dataId).resource;
    if (!(resource instanceof GPUBuffer)) throw new Error(`${program.name}: binding ${program.bindings[i]!.name} is not a GPU buffer`);
    b.commandQueueOwnedIds.add(t.dataId);
    return { binding: i, resource: { buffer: resource } };
  });
  entries.push({ binding: tensors.length, resource: b.makeUniforms(uniforms) });
  const pipeline = pipelineFor(b.device, program);
  const bindGroup = b.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });

  b.ensureCommandEncoderReady();
  const timed = b.activeTimers !== null && b.activeTimers !== undefined;
  if (timed && b.supportTimestampQuery) {
    // As tfjs times its own programs: a pass of its own, bracketed by timestamps.
    b.endComputePassEncoder();
    b.querySet ??= b.device.createQuerySet({ type: 'timestamp', count: b.querySetCount });
    b.computePassEncoder = b.commandEncoder!.beginComputePass({ timestampWrites: { querySet: b.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
  } else if (!b.computePassEncoder) {
    b.computePassEncoder = b.commandEncoder!.beginComputePass({});
  }
  const pass = b.computePassEncoder!;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  recording = program.name;
  try {
    pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
  } finally {
    recording = null;
  }
  b.dispatchCountInPass++;
  // A tensor read back keeps its values on the CPU and tfjs serves later reads
  // (and small ops) from them: what was written in place must be read again.
  program.bindings.forEach((binding, i) => {
    if (binding.access === 'read_write') b.tensorMap.get(tensors[i]!.dataId).values = null;
  });
  if (timed) {
    b.endComputePassEncoder();
    b.activeTimers!.push({ name: program.name, query: b.getQueryTime() });
  } else if (b.dispatchCountInPass >= (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number)) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
}

/**
 * Makes `variable` the only owner of its data before a raw program writes it
 * in place: a tf.clone (or any tensor made from the variable without a
 * kernel) shares the variable's buffer, and must keep the value it had.
 * Costs nothing in a training step, where nothing else holds the data.
 */
export function exclusive(variable: tf.Variable): void {
  if (tf.backend().refCount(variable.dataId) > 1) tf.tidy(() => variable.assign(tf.add(variable, 0)));
}

/** A new float32 output of `shape` on the backend, for a raw program to write. */
export function newOutput(backend: WebGPUBackend, shape: number[]): tf.TensorInfo {
  return backend.makeTensorInfo(shape, 'float32');
}

/** Workgroups for `threads` invocations of `size`, within the per-dimension limit (the shader loops over the rest). */
export function flatWorkgroups(threads: number, size: number): number {
  return Math.max(1, Math.min(Math.ceil(threads / size), 65535));
}
