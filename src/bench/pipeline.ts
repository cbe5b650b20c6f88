/**
 * The input pipeline on its own: batches assembled from a loaded dataset,
 * uploaded, cropped and normalised on the GPU, with no model behind them.
 * Driven by `npm run bench:pipeline`.
 */
import * as tf from '@tensorflow/tfjs';
import { cropResampling } from '../augment/crop';
import { loadDataset } from '../data/load';
import { selectBackend, type BackendName } from '../engine/backend';
import { BatchLoader } from '../engine/batches';
import { parseWith, augmentationSchema, datasetSchema, type AugmentationConfig, type DatasetConfigInput } from '../study/config';
import { Rng } from '../util/rng';
import { timeBatches } from './batch-timing';

export interface PipelineCase {
  dataset: DatasetConfigInput;
  augmentation: AugmentationConfig;
  batchSize: number;
  batches: number;
}

export interface PipelineMeasurement {
  backend: string;
  adapter: string;
  dataset: string;
  shape: number[];
  augmentation: string;
  batchSize: number;
  batches: number;
  imagesPerSec: number;
  msPerBatch: number;
  /** Live tensors before and after: the pipeline must not leak. */
  tensors: [number, number];
}

async function measure(c: PipelineCase, backendName: BackendName): Promise<PipelineMeasurement> {
  const backend = await selectBackend(backendName);
  const dataset = await loadDataset(parseWith(datasetSchema, c.dataset, 'dataset'));
  const augmentation = parseWith(augmentationSchema, c.augmentation, 'augmentation');
  const [h, w] = dataset.shape;
  const before = tf.memory().numTensors;
  const loader = new BatchLoader(dataset, c.batchSize);
  const rng = Rng.fromSeed(0, 'augment');
  const order = Rng.fromSeed(0, 'shuffle').permutation(dataset.train.count);
  const augmenting = augmentation.crop.kind !== 'none' || augmentation.flip;
  const batch = (i: number) => {
    const start = (i * c.batchSize) % (dataset.train.count - c.batchSize);
    const plan = augmenting ? cropResampling(rng, augmentation, c.batchSize, h, w) : null;
    return loader.batch(dataset.train, order.subarray(start, start + c.batchSize), plan);
  };
  const seconds = await timeBatches(batch, c.batches, 3);
  loader.dispose();
  const { adapter } = backend;
  return {
    backend: backend.backend,
    adapter: adapter ? [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ') : '',
    dataset: dataset.name,
    shape: dataset.shape,
    augmentation: augmenting ? JSON.stringify(augmentation) : 'none',
    batchSize: c.batchSize,
    batches: c.batches,
    imagesPerSec: (c.batches * c.batchSize) / seconds,
    msPerBatch: (1000 * seconds) / c.batches,
    tensors: [before, tf.memory().numTensors],
  };
}

declare global {
  interface Window {
    classwisePipelineBench?: (cases: PipelineCase[], backend: BackendName) => Promise<PipelineMeasurement[]>;
  }
}

window.classwisePipelineBench = async (cases, backend) => {
  const results: PipelineMeasurement[] = [];
  for (const c of cases) results.push(await measure(c, backend));
  return results;
};
