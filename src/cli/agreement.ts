/**
 * npm run agreement -- [--backends webgpu,webgl,cpu] [--repeat 2] [--case NAME]… [--out DIR]
 *
 * Measures how closely two honest runs of one unit (config × seed) agree,
 * on each backend and across backends, on their per-image predictions: the
 * figures the coordinator's replica tolerance is set from (docs/coordinator.md).
 * Each case is run `--repeat` times on every backend with `npm run study`
 * (headless Chromium, WebGPU on SwiftShader here), and once with another
 * seed on the first backend for scale; then every pair of runs of one config
 * is compared with the coordinator's own measure (validate.ts). Result files
 * are kept in --out, and an interrupted measurement picks up where it was.
 *
 * Cases: `smoke` (the smoke preset), `teaching` (the teaching set at 16 px)
 * and `fashion-1k` (Fashion-MNIST, the first 1,000 training and 1,000 test
 * images of the built-in split, written to public/datasets/fashion-mnist-1k/).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { disagreement, type Disagreement } from '../coordinator/validate';
import { BACKENDS, type BackendName } from '../engine/backend';
import { FASHION_MNIST_MANIFEST_PATH } from '../data/fashion-mnist';
import { assembleDataset, parseManifestText, shardDataset, shardUrl } from '../formats/shards';
import { parseRunConfig } from '../study/config';
import { parseResultsFile, type RunResult } from '../study/results';
import { PRESETS } from '../study/presets';
import { STUDY_SCHEMA, type StudySpecInput } from '../study/study';
import { describeStudyDataset } from './study-dataset';
import { runCommand } from './command';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SUBSET_DIR = join(ROOT, 'public/datasets/fashion-mnist-1k');

const CASES: Record<string, StudySpecInput> = {
  smoke: { ...PRESETS.smoke, name: 'agreement-smoke' },
  // The teaching demo with five times its test images (1,000), one seed.
  teaching: {
    ...PRESETS['teaching-demo'],
    name: 'agreement-teaching',
    description: 'The teaching demo with 1,000 test images, one seed.',
    baseline: { ...PRESETS['teaching-demo'].baseline, dataset: { ...PRESETS['teaching-demo'].baseline.dataset, testPerClass: 100 } },
    seeds: [0],
  },
  'fashion-1k': {
    schema: STUDY_SCHEMA,
    name: 'agreement-fashion-1k',
    baseline: {
      model: { arch: 'resnet20', width: 0.25 },
      dataset: { kind: 'manifest', url: '/datasets/fashion-mnist-1k/manifest.json' },
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
    { name: 'fashion-mnist-1k', classNames: full.classNames, shape: full.shape, train: take(full.train, train), test: take(full.test, test) },
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
  if (cases.includes('fashion-1k')) await writeFashionSubset(1000, 1000);

  for (const name of cases) {
    const runs: Labelled[] = [];
    for (const backend of backends) {
      for (let r = 0; r < Number(values.repeat); r++) runs.push(...(await runCase(name, CASES[name]!, backend, join(out, `${name}-${backend}-${r}.json`), `${backend}#${r}`)));
    }
    // Two seeds of one config on one backend: what two independent runs differ by, for scale.
    const other = { ...CASES[name]!, seeds: [1] };
    const seed1 = await runCase(name, other, backends[0]!, join(out, `${name}-${backends[0]}-seed1.json`), `${backends[0]} seed 1`);
    const dataset = await describeStudyDataset(parseRunConfig(CASES[name]!.baseline).dataset, new URL(`file://${join(ROOT, 'public')}/`).href);
    const classes = dataset.classNames.length;
    const compare = (a: Labelled, b: Labelled) => disagreement(a.run.predictions!, b.run.predictions!, dataset.testLabels, classes);
    console.log(`\n${name}: ${dataset.testCount} test images, ${classes} classes`);
    console.log('pair                      | config   | images predicted differently | most in one class | largest |Δ accuracy| of a class');
    const row = (a: Labelled, b: Labelled, d: Disagreement) =>
      console.log(
        `${`${a.label} / ${b.label}`.padEnd(25)} | ${a.run.configHash.slice(0, 8)} | ${`${d.differing}/${d.images} (${pct(d.fraction)})`.padEnd(28)} | ` +
          `${`${d.worstClass.differing}/${d.worstClass.images} (${pct(d.worstClass.fraction)})`.padEnd(17)} | ${(100 * Math.max(...d.perClass.map((c) => c.accuracyDelta))).toFixed(1)} pt`,
      );
    const same: number[] = [];
    const cross: number[] = [];
    for (let i = 0; i < runs.length; i++) {
      for (let j = i + 1; j < runs.length; j++) {
        const [a, b] = [runs[i]!, runs[j]!];
        if (a.run.configHash !== b.run.configHash) continue;
        const d = compare(a, b);
        row(a, b, d);
        (a.run.environment.backend === b.run.environment.backend ? same : cross).push(d.fraction);
      }
    }
    const seeds: number[] = [];
    for (const b of seed1) {
      const a = runs.find((r) => r.run.configHash === b.run.configHash && r.run.environment.backend === b.run.environment.backend)!;
      const d = compare(a, b);
      row(a, b, d);
      seeds.push(d.fraction);
    }
    const range = (xs: number[]) => (xs.length ? `${pct(Math.min(...xs))}–${pct(Math.max(...xs))} (${xs.length} pairs)` : 'none');
    console.log(`summary ${name}: same backend ${range(same)}; across backends ${range(cross)}; two seeds ${range(seeds)}`);
  }
}

interface Labelled {
  label: string;
  run: RunResult;
}

/** The runs of a case on one backend, from `file` when an earlier invocation left it there. */
async function runCase(name: string, spec: StudySpecInput, backend: BackendName, file: string, label: string): Promise<Labelled[]> {
  if ((await readFile(file, 'utf8').catch(() => null)) === null) {
    const specPath = `${file}.spec.json`;
    await writeFile(specPath, JSON.stringify(spec));
    const started = Date.now();
    await run('npx', ['tsx', 'src/cli/study.ts', '--config', specPath, '--backend', backend, '--out', file], { cwd: ROOT, maxBuffer: 64 << 20 });
    console.log(`${name} ${label}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const results = await parseResultsFile(JSON.parse(await readFile(file, 'utf8')));
  return results.runs.map((result) => {
    if (result.environment.backend !== backend) throw new Error(`${file}: ran on ${result.environment.backend}, not ${backend}`);
    if (!result.predictions) throw new Error(`${file}: no predictions`);
    return { label, run: result };
  });
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

runCommand(main);
