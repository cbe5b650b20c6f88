/**
 * npm run agreement -- [--backends webgpu,webgl,cpu] [--repeat 2] [--case NAME]… [--out DIR]
 *
 * Measures how closely two honest runs of one unit (config × seed) agree,
 * on each backend and across backends, on their per-image predictions: the
 * figures the coordinator's replica tolerance is set from (docs/coordinator.md).
 * Each case is run `--repeat` times on every backend with `npm run study`
 * (headless Chromium, WebGPU on SwiftShader here); then every pair of runs
 * is compared with the coordinator's own measure (validate.ts).
 *
 * Cases: `smoke` (the smoke preset), `teaching` (the teaching set at 16 px)
 * and `fashion-2k` (Fashion-MNIST, the first 2,000 training and 1,000 test
 * images of the built-in split, written to public/datasets/fashion-mnist-2k/).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { disagreement } from '../coordinator/validate';
import { BACKENDS, type BackendName } from '../engine/backend';
import { FASHION_MNIST_MANIFEST_PATH } from '../data/fashion-mnist';
import { assembleDataset, parseManifestText, shardDataset, shardUrl } from '../formats/shards';
import { parseRunConfig } from '../study/config';
import { parseResultsFile, type RunResult } from '../study/results';
import { PRESETS } from '../study/presets';
import { STUDY_SCHEMA, type StudySpecInput } from '../study/study';
import { describeStudyDataset } from './study-dataset';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SUBSET_DIR = join(ROOT, 'public/datasets/fashion-mnist-2k');

const CASES: Record<string, StudySpecInput> = {
  smoke: { ...PRESETS.smoke, name: 'agreement-smoke' },
  teaching: {
    schema: STUDY_SCHEMA,
    name: 'agreement-teaching',
    baseline: {
      model: { arch: 'resnet20', width: 0.25 },
      dataset: { kind: 'teaching', size: 16, trainPerClass: 30, testPerClass: 100 },
      augmentation: { crop: { kind: 'none' }, flip: false },
      training: { epochs: 6, batchSize: 30, optimizer: { lr: 0.1, momentum: 0.9 }, bnMomentum: 0.3, lossReadEvery: 5 },
    },
    sweep: { crop: [{ kind: 'resized', scale: 0.25 }] },
    seeds: [0],
  },
  'fashion-2k': {
    schema: STUDY_SCHEMA,
    name: 'agreement-fashion-2k',
    baseline: {
      model: { arch: 'resnet20', width: 0.25 },
      dataset: { kind: 'manifest', url: '/datasets/fashion-mnist-2k/manifest.json' },
      augmentation: { crop: { kind: 'none' }, flip: false },
      training: { epochs: 3, batchSize: 50, optimizer: { lr: 0.05, momentum: 0.9 }, lossReadEvery: 10 },
    },
    sweep: { crop: [{ kind: 'resized', scale: 0.5 }] },
    seeds: [0],
  },
};

/** The first `train` and `test` images of the built-in Fashion-MNIST (class-interleaved, so about a tenth of each class). */
async function writeFashionSubset(train: number, test: number): Promise<void> {
  const path = join(ROOT, 'public', FASHION_MNIST_MANIFEST_PATH);
  const manifest = parseManifestText(await readFile(path, 'utf8'), path);
  const read = (refs: typeof manifest.splits.train) => Promise.all(refs.map(async (ref) => new Uint8Array(await readFile(fileURLToPath(shardUrl(new URL(`file://${path}`), ref))))));
  const full = assembleDataset(manifest, { train: await read(manifest.splits.train), test: await read(manifest.splits.test) });
  const pixels = full.shape[0] * full.shape[1] * full.shape[2];
  const take = (split: typeof full.train, n: number) => ({ images: split.images.slice(0, n * pixels), labels: split.labels.slice(0, n), count: n });
  const sharded = await shardDataset(
    { name: 'fashion-mnist-2k', classNames: full.classNames, shape: full.shape, train: take(full.train, train), test: take(full.test, test) },
    { description: `The first ${train} training and ${test} test images of the built-in Fashion-MNIST split.` },
  );
  await mkdir(SUBSET_DIR, { recursive: true });
  for (const file of sharded.files) await writeFile(join(SUBSET_DIR, file.path), file.bytes);
  await writeFile(join(SUBSET_DIR, 'manifest.json'), JSON.stringify(sharded.manifest, null, 2));
}

const run = promisify(execFile);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backends: { type: 'string', default: BACKENDS.join(',') },
      repeat: { type: 'string', default: '2' },
      case: { type: 'string', multiple: true },
      out: { type: 'string', default: 'test-results/agreement' },
    },
  });
  const backends = values.backends.split(',') as BackendName[];
  for (const b of backends) if (!BACKENDS.includes(b)) throw new Error(`unknown backend "${b}"; use ${BACKENDS.join(', ')}`);
  const cases = values.case ?? Object.keys(CASES);
  for (const c of cases) if (!(c in CASES)) throw new Error(`unknown case "${c}"; cases: ${Object.keys(CASES).join(', ')}`);
  const out = resolve(values.out);
  await mkdir(out, { recursive: true });
  if (cases.includes('fashion-2k')) await writeFashionSubset(2000, 1000);

  for (const name of cases) {
    const specPath = join(out, `${name}.spec.json`);
    await writeFile(specPath, JSON.stringify(CASES[name]));
    const runs: { label: string; run: RunResult }[] = [];
    for (const backend of backends) {
      for (let r = 0; r < Number(values.repeat); r++) {
        const file = join(out, `${name}-${backend}-${r}.json`);
        const existing = await readFile(file, 'utf8').catch(() => null);
        if (existing === null) {
          const started = Date.now();
          await run('npx', ['tsx', 'src/cli/study.ts', '--config', specPath, '--backend', backend, '--out', file], { cwd: ROOT, maxBuffer: 64 << 20 });
          console.log(`${name} ${backend} #${r}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
        const results = await parseResultsFile(JSON.parse(await readFile(file, 'utf8')));
        for (const result of results.runs) {
          if (result.environment.backend !== backend) throw new Error(`${file}: ran on ${result.environment.backend}, not ${backend}`);
          runs.push({ label: `${backend}#${r} ${result.configHash.slice(0, 8)}`, run: result });
        }
      }
    }
    const dataset = await describeStudyDataset(parseRunConfig(CASES[name]!.baseline).dataset, new URL(`file://${join(ROOT, 'public')}/`).href);
    const classes = dataset.classNames.length;
    console.log(`\n${name}: ${dataset.testCount} test images, ${classes} classes; pairs of replicas (same config and seed)`);
    console.log('backends        | config   | images differing | worst class: differing (|Δ accuracy|)');
    for (let i = 0; i < runs.length; i++) {
      for (let j = i + 1; j < runs.length; j++) {
        const a = runs[i]!;
        const b = runs[j]!;
        if (a.run.configHash !== b.run.configHash) continue;
        const d = disagreement(a.run.predictions!, b.run.predictions!, dataset.testLabels, classes);
        console.log(
          `${a.run.environment.backend.padEnd(6)} ${b.run.environment.backend.padEnd(6)}  | ${a.run.configHash.slice(0, 8)} | ` +
            `${d.differing}/${d.images} (${(100 * d.fraction).toFixed(2)} %) | ${d.worstClass.differing}/${d.worstClass.images} (${(100 * d.worstClass.fraction).toFixed(1)} %, Δ ${(100 * d.worstClass.accuracyDelta).toFixed(1)} pt)`,
        );
      }
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
