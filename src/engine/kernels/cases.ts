/**
 * Inputs for comparing a custom kernel with the stock one: which kernel, the
 * shapes and the attributes; and the cases a model's training step runs,
 * which the autotuner times. Pure: no tfjs.
 */
import type { ArchitectureSpec, ConvSpec } from '../../model/architecture';
import { convOutputSize } from '../../model/architecture';
export type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

export type KernelCase =
  | { kernel: 'Conv2D'; x: number[]; filter: number[]; stride: number; pad: Pad }
  | { kernel: 'Conv2DBackpropFilter'; x: number[]; filter: number[]; stride: number; pad: Pad }
  | { kernel: 'Conv2DBackpropInput'; x: number[]; filter: number[]; stride: number; pad: Pad }
  | { kernel: 'Multiply' | 'Sub' | 'Add' | 'RealDiv'; a: number[]; b: number[]; fallback?: true }
  | { kernel: 'Sum' | 'Mean'; x: number[]; axis: number[]; keepDims: boolean; fallback?: true };

export function caseName(c: KernelCase): string {
  if ('filter' in c) return `${c.kernel} x${c.x.join('×')} w${c.filter.join('×')} s${c.stride} ${JSON.stringify(c.pad)}`;
  if ('a' in c) return `${c.kernel} ${c.a.join('×')} ∘ ${c.b.join('×')}`;
  return `${c.kernel} ${c.x.join('×')} axis ${c.axis.join(',')}${c.keepDims ? ' keepDims' : ''}`;
}

/**
 * Every distinct kernel case one training step of `spec` at `batch` runs:
 * each convolution forward and its two gradients (the stem's input needs no
 * gradient), and the per-channel ops at the largest activation, which the
 * composite BatchNorm and its gradient are made of.
 */
export function modelCases(spec: ArchitectureSpec, inputShape: [number, number, number], batch: number): KernelCase[] {
  const cases = new Map<string, KernelCase>();
  const add = (c: KernelCase) => cases.set(caseName(c), c);
  let largest: number[] = [];
  const conv = (s: ConvSpec, h: number, w: number, isStem: boolean): [number, number] => {
    const x = [batch, h, w, s.inChannels];
    const filter = [s.kernel, s.kernel, s.inChannels, s.outChannels];
    add({ kernel: 'Conv2D', x, filter, stride: s.stride, pad: s.padding });
    add({ kernel: 'Conv2DBackpropFilter', x, filter, stride: s.stride, pad: s.padding });
    if (!isStem) add({ kernel: 'Conv2DBackpropInput', x, filter, stride: s.stride, pad: s.padding });
    const out: [number, number] = [convOutputSize(h, s.kernel, s.stride, s.padding), convOutputSize(w, s.kernel, s.stride, s.padding)];
    const activation = [batch, out[0], out[1], s.outChannels];
    if (activation.reduce((a, b) => a * b, 1) > largest.reduce((a, b) => a * b, 1)) largest = activation;
    return out;
  };
  let [h, w] = conv(spec.stem.conv, inputShape[0], inputShape[1], true);
  if (spec.stem.maxPool) [h, w] = [convOutputSize(h, 3, 2, 1), convOutputSize(w, 3, 2, 1)];
  for (const block of spec.blocks) {
    let [bh, bw] = [h, w];
    for (const { conv: c } of block.layers) [bh, bw] = conv(c, bh, bw, false);
    if (block.shortcut.kind === 'projection') conv(block.shortcut.conv, h, w, false);
    [h, w] = [bh, bw];
  }
  const channels = largest[3]!;
  for (const kernel of ['Multiply', 'Sub', 'Add', 'RealDiv'] as const) add({ kernel, a: largest, b: [channels] });
  for (const kernel of ['Sum', 'Mean'] as const) add({ kernel, x: largest, axis: [0, 1, 2], keepDims: kernel === 'Mean' });
  return [...cases.values()];
}
