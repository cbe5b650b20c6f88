/** Timing the input pipeline, shared by `npm run bench:pipeline` and `npm run bench`. */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../engine/batches';

/**
 * Seconds for `batches` batches from `batch` (called with 1…batches), after
 * `warmups` untimed ones (called with 0…warmups−1). Each batch is summed into
 * a running total on the GPU, so the timing covers the work without reading
 * whole batches back; the warm-ups run that same reduction, so no shader
 * (assembly, crop, normalisation, sum, add) is compiled inside the timing.
 */
export async function timeBatches(batch: (i: number) => Batch, batches: number, warmups: number): Promise<number> {
  const run = async (first: number, count: number): Promise<number> => {
    const t0 = performance.now();
    let total: tf.Tensor = tf.scalar(0);
    for (let i = first; i < first + count; i++) {
      const { x, labels } = batch(i);
      const next = tf.tidy(() => tf.add(total, tf.sum(x)));
      tf.dispose([x, labels, total]);
      total = next;
    }
    await total.data();
    total.dispose();
    return (performance.now() - t0) / 1000;
  };
  if (warmups > 0) await run(0, warmups);
  return run(1, batches);
}
