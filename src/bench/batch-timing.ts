/** Timing the input pipeline, shared by `npm run bench:pipeline` and `npm run bench`. */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../engine/batches';

/**
 * Seconds for `batches` batches from `batch` (called with 1…batches), after
 * `warmups` untimed ones (called with 0…warmups−1) so neither shader
 * compilation nor the JIT is timed. Each batch is reduced to a scalar on the
 * GPU, so the timing covers the work without reading whole batches back.
 */
export async function timeBatches(batch: (i: number) => Batch, batches: number, warmups: number): Promise<number> {
  for (let i = 0; i < warmups; i++) {
    const warm = batch(i);
    await warm.x.data();
    tf.dispose([warm.x, warm.labels]);
  }
  const t0 = performance.now();
  const sums: tf.Scalar[] = [];
  for (let i = 1; i <= batches; i++) {
    const { x, labels } = batch(i);
    sums.push(tf.sum(x));
    tf.dispose([x, labels]);
  }
  const total = tf.addN(sums);
  await total.data();
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([total, ...sums]);
  return seconds;
}
