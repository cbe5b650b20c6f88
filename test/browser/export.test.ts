/**
 * Model export in real Chromium: runs trained in the engine worker with
 * checkpoints on are exported from IndexedDB as model.json plus weights,
 * loaded back with tf.loadLayersModel (through browserFiles, as a user's two
 * files), and must compute what the engine computes: the same logits, to
 * float rounding, and the run's predictions. A model is exported without its
 * dataset, which may have been deleted since.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/study/config';
import { parseRunResult } from '../../src/study/results';
import type { Comparison, ExportedFiles } from './export-harness';
import { ok } from './outcome';
import { openHarness, waitForHarness, type HarnessSession } from './session';

const PAGE = 'test/browser/export-harness.html';
const READY = 'exportHarness';

const training = { epochs: 1, batchSize: 16, optimizer: { lr: 0.1, momentum: 0.9 }, bnMomentum: 0.5, lossReadEvery: 4 };

/** Option-A shortcuts (stride-2 subsampling and zero channels), stride-2 3×3 convs on even sizes. */
const resnet20: RunConfigInput = {
  model: { arch: 'resnet20', width: 0.25 },
  dataset: { kind: 'synthetic', size: 8, classes: 4, trainPerClass: 16, testPerClass: 10 },
  augmentation: { crop: { kind: 'resized', scale: 0.5 }, flip: true },
  training,
};
/** Small stem, basic blocks, 1×1 stride-2 projections; one grey channel. */
const resnet18: RunConfigInput = {
  model: { arch: 'resnet18', width: 0.125, stem: 'small' },
  dataset: { kind: 'synthetic', size: 8, channels: 1, classes: 3, trainPerClass: 16, testPerClass: 8 },
  training: { ...training, optimizer: { lr: 0.02, momentum: 0.9 } },
};
/** ImageNet stem (7×7 stride 2, max-pool), bottlenecks with the stride on the 3×3 conv. */
const resnet50: RunConfigInput = {
  model: { arch: 'resnet50', width: 0.125, stem: 'imagenet' },
  dataset: { kind: 'synthetic', size: 16, classes: 3, trainPerClass: 6, testPerClass: 6 },
  // A small step: at 0.1 a few steps of batch 6 blow the eval-mode logits up to ~1e16.
  training: { ...training, batchSize: 6, optimizer: { lr: 0.001, momentum: 0.9 } },
};

/** Stored in the cache as an import is, to be deleted from it; 8 px keeps the steps short on SwiftShader. */
const cachedDataset = { kind: 'synthetic', size: 8, classes: 3, trainPerClass: 16, testPerClass: 8, seed: 7 } as const;

const BUILT_IN_LAYERS = ['Activation', 'Add', 'BatchNormalization', 'Conv2D', 'Dense', 'DepthwiseConv2D', 'GlobalAveragePooling2D', 'InputLayer', 'MaxPooling2D', 'ReLU', 'ZeroPadding2D'];

let session: HarnessSession;
beforeAll(async () => {
  session = await openHarness({ page: PAGE, ready: READY });
});
afterAll(async () => {
  await session?.close();
});

const harness = () => session.page;
const exportInNewWorker = (config: RunConfigInput, seed: number) =>
  harness().evaluate(([c, s]) => window.exportHarness!.exportInNewWorker(c, s), [config, seed] as const);
const compare = (config: RunConfigInput, seed: number, files: ExportedFiles, backend: 'webgpu' | 'cpu' = 'webgpu') =>
  harness().evaluate(([c, s, f, b]) => window.exportHarness!.compareExport(c, s, f, b), [config, seed, files, backend] as const);

function expectSameNetwork(name: string, comparison: Comparison): void {
  console.log(
    `${name} on ${comparison.backend}: ${comparison.testCount} test images, max |Δlogit| ${comparison.maxAbsError.toExponential(2)} ` +
      `(relative ${comparison.relativeError.toExponential(2)} of max |logit| ${comparison.maxLogit.toFixed(3)}); ` +
      `predictions agree with the run on ${comparison.agreeWithRun}/${comparison.testCount}, with the engine on ${comparison.agreeWithEngine}/${comparison.testCount}; ` +
      `load ${comparison.ms.load.toFixed(0)} ms, exported model ${comparison.ms.exported.toFixed(0)} ms, engine ${comparison.ms.engine.toFixed(0)} ms`,
  );
  expect(comparison.nonFiniteTensors).toEqual([]);
  expect(comparison.maxLogit).toBeGreaterThan(0);
  expect(comparison.relativeError).toBeLessThan(1e-4);
  expect(comparison.exportedPredictions).toEqual(comparison.enginePredictions);
  expect(comparison.exportedPredictions).toEqual(comparison.runPredictions);
  expect(comparison.leaked).toBe(0);
  for (const layer of comparison.layerClasses) expect(BUILT_IN_LAYERS).toContain(layer);
}

describe('model export', () => {
  let files: ExportedFiles;

  it('exports a trained ResNet-20 that loads with tf.loadLayersModel and computes what the engine computes', async () => {
    const run = await harness().evaluate((c) => window.exportHarness!.trainAndExport({ config: c, seed: 3, checkpointEverySteps: 2 }), resnet20);
    files = run.files;
    const result = await parseRunResult(run.result);
    expect(run.tensorsAfterExport).toBe(run.tensorsBeforeExport);
    expect(files.fileNames).toEqual(['model.json', files.weightsFileName]);
    expect(files.weightsFileName).toMatch(new RegExp(`^classwise-resnet20-${result.configHash.slice(0, 12)}-seed3\\.weights\\.bin$`));

    const comparison = await compare(resnet20, 3, files);
    expect(comparison.weightsPaths).toEqual([`./${files.weightsFileName}`]);
    expect(comparison.metadata).toMatchObject({
      format: 'classwise.model/1',
      arch: 'resnet20',
      inputShape: [8, 8, 3],
      classNames: result.dataset.classNames,
      configHash: result.configHash,
      seed: 3,
      dataset: result.dataset.name,
    });
    expect(comparison.layerClasses).toContain('DepthwiseConv2D'); // the input normalisation
    expectSameNetwork('resnet20', comparison);
    // The same files on the CPU backend: the format does not depend on WebGPU.
    expectSameNetwork('resnet20', await compare(resnet20, 3, files, 'cpu'));
  });

  it('exports the same model from a new worker after a reload', async () => {
    await session.page.reload();
    await waitForHarness(session.page, READY);
    const again = ok(await exportInNewWorker(resnet20, 3));
    expect(again.modelJson).toBe(files.modelJson);
    expect(again.weightsBase64).toBe(files.weightsBase64);
  });

  it('says why a run cannot be exported: never run, unfinished, or finished before models were kept', async () => {
    const never = await exportInNewWorker(resnet20, 4);
    expect(never).toMatchObject({ ok: false, name: 'ModelNotExportable' });
    expect(never.ok || never.message).toMatch(/has not finished in this browser: there is no stored result/);

    await harness().evaluate((c) => window.exportHarness!.leaveCheckpoint(c, 5, 3), resnet20);
    const unfinished = await exportInNewWorker(resnet20, 5);
    expect(unfinished).toMatchObject({ ok: false, name: 'ModelNotExportable' });
    expect(unfinished.ok || unfinished.message).toMatch(/has not finished: its checkpoint is at step 3/);

    await harness().evaluate((c) => window.exportHarness!.leaveResultWithoutModel(c, 3, 6), resnet20);
    const old = await exportInNewWorker(resnet20, 6);
    expect(old).toMatchObject({ ok: false, name: 'ModelNotExportable' });
    expect(old.ok || old.message).toMatch(/finished before Classwise kept trained models/);
  });

  it('exports a ResNet-18 with the small stem and projection shortcuts', async () => {
    const started = Date.now();
    const run = await harness().evaluate((c) => window.exportHarness!.trainAndExport({ config: c, seed: 0, checkpointEverySteps: 2 }), resnet18);
    console.log(`resnet18 trained and exported in ${Date.now() - started} ms`);
    expect(run.tensorsAfterExport).toBe(run.tensorsBeforeExport);
    const comparison = await compare(resnet18, 0, run.files);
    expect(comparison.metadata).toMatchObject({ arch: 'resnet18', inputShape: [8, 8, 1] });
    expectSameNetwork('resnet18 (small stem)', comparison);
  });

  it('exports a ResNet-50 with the ImageNet stem and bottleneck blocks', async () => {
    const run = await harness().evaluate((c) => window.exportHarness!.trainAndExport({ config: c, seed: 0, checkpointEverySteps: 2 }), resnet50);
    expect(run.tensorsAfterExport).toBe(run.tensorsBeforeExport);
    const comparison = await compare(resnet50, 0, run.files);
    expect(comparison.layerClasses).toEqual(expect.arrayContaining(['MaxPooling2D', 'ZeroPadding2D']));
    expectSameNetwork('resnet50 (imagenet stem)', comparison);
  });

  it('exports a model whose dataset was deleted from storage, and an older model only through its dataset', async () => {
    const dataset = await harness().evaluate((d) => window.exportHarness!.importGenerated(d), cachedDataset);
    const config: RunConfigInput = { model: { arch: 'resnet20', width: 0.25 }, dataset, training };
    const run = await harness().evaluate((c) => window.exportHarness!.trainAndExport({ config: c, seed: 1, checkpointEverySteps: 2 }), config);
    const normalization = (files: ExportedFiles) => (JSON.parse(files.modelJson) as { userDefinedMetadata: { normalization: unknown } }).userDefinedMetadata.normalization;

    // A model stored without its input (as before it was kept) is exported
    // through its dataset: the same normalisation, so the same weights file.
    await harness().evaluate((c) => window.exportHarness!.leaveModelWithoutInput(c, 1, 2), config);
    const older = ok(await exportInNewWorker(config, 2));
    expect(older.weightsBase64).toBe(run.files.weightsBase64);
    expect(normalization(older)).toEqual(normalization(run.files));

    await harness().evaluate((id) => window.exportHarness!.deleteDataset(id), dataset.url);
    const gone = ok(await exportInNewWorker(config, 1));
    expect(gone.modelJson).toBe(run.files.modelJson);
    expect(gone.weightsBase64).toBe(run.files.weightsBase64);
    const olderGone = await exportInNewWorker(config, 2);
    expect(olderGone.ok).toBe(false);
    expect(olderGone.ok || olderGone.message).toMatch(/is not in this browser's storage; import it again/);

    // Only the comparison with the engine needs the pixels back.
    expect(await harness().evaluate((d) => window.exportHarness!.importGenerated(d), cachedDataset)).toEqual(dataset);
    const comparison = await compare(config, 1, gone);
    expect(comparison.metadata).toMatchObject({ inputShape: [8, 8, 3], classNames: ['pattern-0', 'pattern-1', 'pattern-2'] });
    expectSameNetwork('resnet20 (dataset deleted)', comparison);
  });
});
