/**
 * npm run bench:pipeline -- [--backend webgpu|webgl|cpu] [--batches 40] [--hardware-gpu]
 *
 * Measures the input pipeline alone (assembly, upload, crop, normalisation)
 * in headless Chromium, on the built-in Fashion-MNIST and a CIFAR-sized
 * generated set, with and without augmentation. Writes bench/pipeline-<date>.json
 * and prints a markdown table.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { PipelineCase } from '../bench/pipeline';
import { BACKENDS, type BackendName } from '../engine/backend';
import { withHeadlessPage } from './browser';
import { runCommand, UsageError } from './command';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'webgpu' },
      batches: { type: 'string', default: '40' },
      'hardware-gpu': { type: 'boolean', default: false },
    },
  });
  const backend = values.backend as BackendName;
  if (!BACKENDS.includes(backend)) throw new UsageError(`unknown backend "${values.backend}"; use one of ${BACKENDS.join(', ')}`);
  const batches = Number(values.batches);
  const crop = { crop: { kind: 'resized' as const, scale: 0.08, ratio: [3 / 4, 4 / 3] as [number, number] }, flip: true };
  const none = { crop: { kind: 'none' as const }, flip: false };
  const cifarSized = { kind: 'synthetic' as const, size: 32, channels: 3 as const, classes: 10, trainPerClass: 600, testPerClass: 1 };
  const fashion = { kind: 'builtin' as const, name: 'fashion-mnist' as const };
  const cases: PipelineCase[] = [
    { dataset: fashion, augmentation: none, batchSize: 128, batches },
    { dataset: fashion, augmentation: crop, batchSize: 128, batches },
    { dataset: cifarSized, augmentation: none, batchSize: 128, batches },
    { dataset: cifarSized, augmentation: crop, batchSize: 128, batches },
  ];

  await withHeadlessPage(ROOT, 'src/bench/pipeline.html', { hardwareGpu: values['hardware-gpu'] }, async (page) => {
    await page.waitForFunction(() => typeof window.classwisePipelineBench === 'function');
    const results = await page.evaluate(([c, b]) => window.classwisePipelineBench!(c, b), [cases, backend] as const);
    const date = new Date().toISOString();
    await mkdir(resolve(ROOT, 'bench'), { recursive: true });
    const out = resolve(ROOT, 'bench', `pipeline-${date.slice(0, 10)}.json`);
    await writeFile(out, JSON.stringify({ date, results }, null, 2) + '\n');
    console.log(`| dataset | shape | augmentation | batch | images/s | ms/batch | tensors before → after |`);
    console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
    for (const r of results) {
      const augmentation = r.augmentation === 'none' ? 'none' : 'resized crop s=0.08 + flip';
      console.log(`| ${r.dataset} | ${r.shape.join('×')} | ${augmentation} | ${r.batchSize} | ${r.imagesPerSec.toFixed(0)} | ${r.msPerBatch.toFixed(1)} | ${r.tensors[0]} → ${r.tensors[1]} |`);
    }
    console.log(`\n${results[0]?.backend} (${results[0]?.adapter}); wrote ${out}`);
  });
}

runCommand(main, { stacks: false });
