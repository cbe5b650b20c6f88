/**
 * `npm run analyze`: results files in the study's (and the workbench
 * export's) schema, pooled as the workbench pools them, in text, CSV and
 * JSON; refused input exits 2 with the workbench's message, naming the file
 * or the config. Most cases call the command in-process (analyzeCommand);
 * one runs the npm script itself.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze';
import { analyzeRuns } from '../../src/study/analysis';
import { perClassCsv } from '../../src/study/analysis-report';
import { configHash, parseRunConfig } from '../../src/study/config';
import type { ResultsFile } from '../../src/study/results';
import { CLASSES, OTHER_DATASET, resultsFile, studySpec } from './analysis-results-fixtures';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let dir: string;
const files: Record<string, string> = {};
let full: ResultsFile;

async function write(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  files[name] = path;
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'classwise-analyze-'));
  const spec = studySpec([0, 1, 2]);
  full = await resultsFile(spec);
  await write('full.json', full);
  // The same study in two files: seeds 0 and 1 on one machine, seed 2 on another.
  await write('part-a.json', await resultsFile(spec, { keep: (_, seed) => seed < 2 }));
  await write('part-b.json', await resultsFile(spec, { keep: (_, seed) => seed === 2 }));
  await write('one-seed.json', await resultsFile(studySpec([0])));
  await write('baseline-only.json', await resultsFile(spec, { keep: (config) => config.augmentation.crop.kind === 'none' }));
  await write('other-dataset.json', await resultsFile(spec, { dataset: OTHER_DATASET }));
  await write('not-json.json', '{"schema": "classwise.results/1", ');
  await write('not-results.json', { ...full, runs: full.runs.map((r, i) => (i === 0 ? { ...r, top1: 0.01 } : r)) });
  // A study whose only other config is another model: nothing to compare.
  const other = parseRunConfig({ ...spec.baseline, model: { arch: 'resnet18', width: 0.25 } });
  const hash = await configHash(other);
  await write('other-model.json', { ...full, runs: full.runs.map((r) => (r.config.augmentation.crop.kind === 'none' ? r : { ...r, config: other, configHash: hash })) });
});

const analyze = (...args: string[]) => analyzeCommand(args.map((a) => files[a] ?? a));

describe('npm run analyze: the three formats', () => {
  it('prints one JSON object: a comparison per regularized config, classes in order, deltas in accuracy units, verdicts', async () => {
    const { code, stdout, stderr } = await analyze('full.json', '--format', 'json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.comparisons).toHaveLength(1);
    const [c] = json.comparisons;
    expect(c).toMatchObject({ baseline: full.runs[0]!.configHash, method: 'moderated-paired', evidence: 'images', seeds: 3, provisional: false });
    expect(c.treatment).toMatch(/^[0-9a-f]{64}$/);
    expect(c.classes.map((x: { class: string }) => x.class)).toEqual(['class 0', 'class 1', 'class 2', 'class 3']);
    for (const x of c.classes) {
      expect(x.delta.low).toBeLessThanOrEqual(x.delta.estimate);
      expect(x.delta.high).toBeGreaterThanOrEqual(x.delta.estimate);
      expect(Math.abs(x.delta.estimate)).toBeLessThanOrEqual(1);
      expect(x.p).toBeGreaterThan(0);
      expect(x.q).toBeGreaterThanOrEqual(x.p);
      expect([null, 'hurt', 'helped']).toContain(x.verdict);
    }
    // The treatment loses a quarter of class 0's images: a drop of about 25 points, flagged.
    expect(c.classes[0].delta.estimate).toBeLessThan(-0.15);
    expect(c.classes[0].verdict).toBe('hurt');
    expect(json.multiplicity).toMatchObject({ fdr: 0.05, tests: CLASSES });
    expect(json.duplicates).toEqual([]);
  });

  it('prints the workbench CSV, and a readable report', async () => {
    const csv = await analyze('full.json', '--format', 'csv');
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(perClassCsv(analyzeRuns(full.runs, full.study.baseline)));
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^dataset,baseline,treatment,baseline config,treatment config,method,evidence,provisional,class index,class,/);
    const text = await analyze('full.json');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Dataset: synthetic-4 \(4 classes, 240 test images\)/);
    expect(text.stdout).toContain('resized crop s=0.5, wd 0 (');
    expect(text.stdout).toMatch(/a moderated t over 3 seeds paired \(0, 1, 2\)/);
    expect(text.stdout).toMatch(/^class 0 +[\d.]+% +[\d.]+% +-\d+\.\d +\[-\d+\.\d, -\d+\.\d\] +\S+ +\S+ +hurt/m);
    expect(text.stdout).toMatch(/Planning \(80% power\): with 3 seeds a side/);
  });

  it('pools files as the workbench does: two machines’ seeds make the same study', async () => {
    const pooled = JSON.parse((await analyze('part-a.json', 'part-b.json', '--format', 'json')).stdout);
    const whole = JSON.parse((await analyze('full.json', '--format', 'json')).stdout);
    expect(pooled.comparisons).toEqual(whole.comparisons);
  });

  it('takes another baseline by its hash or a unique prefix of it', async () => {
    const treatment = full.runs.find((r) => r.config.augmentation.crop.kind !== 'none')!.configHash;
    const { code, stdout } = await analyze('full.json', '--baseline', treatment.slice(0, 10), '--format', 'json');
    expect(code).toBe(0);
    const [c] = JSON.parse(stdout).comparisons;
    expect(c.baseline).toBe(treatment);
    const forward = JSON.parse((await analyze('full.json', '--format', 'json')).stdout).comparisons[0];
    expect(c.classes[0].delta.estimate).toBeCloseTo(-forward.classes[0].delta.estimate, 12);
  });

  it('says model vs model with one seed a side, with no verdicts', async () => {
    const { code, stdout } = await analyze('one-seed.json', '--format', 'json');
    expect(code).toBe(0);
    const [c] = JSON.parse(stdout).comparisons;
    expect(c).toMatchObject({ method: 'model-vs-model', seeds: 1 });
    expect(c.classes.every((x: { verdict: unknown }) => x.verdict === null)).toBe(true);
    expect((await analyze('one-seed.json')).stdout).toMatch(/Model vs model: one model each, seed 0\. With one seed a side, whether the regularizer hurts a class has no answer/);
  });

  it('reports duplicates instead of dropping them silently', async () => {
    const { code, stdout, stderr } = await analyze('full.json', 'part-b.json', '--format', 'json');
    expect(code).toBe(0);
    expect(stderr).toMatch(/^note: 2 runs of no crop, wd 0 \([0-9a-f]{12}\) seed 2; one kept/m);
    expect(stderr).toMatch(/^note: 2 runs of resized crop s=0\.5, wd 0 \([0-9a-f]{12}\) seed 2; one kept/m);
    expect(JSON.parse(stdout).duplicates).toHaveLength(2);
  });
});

describe('npm run analyze: refused input, exit 2 with the message', () => {
  it.each([
    [['not-json.json'], /^error: .*not-json\.json is not JSON: /],
    [['not-results.json'], /^error: .*not-results\.json is not a valid Classwise results file: [\s\S]*runs\.0\.top1: 0\.01 differs from the per-class counts/],
    [['full.json', 'other-dataset.json'], /^error: .*other-dataset\.json was not added: its runs are on synthetic-4b \(cdcdcdcdcdcd\), the runs on screen on synthetic-4 \(abababababab\); results on different datasets are never compared/],
    [['full.json', '--baseline', 'ffffffffff'], /^error: --baseline ffffffffff matches no config in .*full\.json; the configs are:\n {2}[0-9a-f]{12} \(in .*full\.json\)/],
    [['full.json', '--baseline', 'abc'], /^error: --baseline abc: give at least 8 characters/],
    [['baseline-only.json'], /^error: no config in .*baseline-only\.json can be compared with the baseline no crop, wd 0 \([0-9a-f]{12}\): the files hold runs of the baseline only/],
    [['other-model.json'], /^error: no config in .*other-model\.json can be compared with the baseline no crop, wd 0 \([0-9a-f]{12}\): each differs from it by more than regularization:\n {2}no crop, wd 0 \(model\.arch resnet18\) \([0-9a-f]{12}\): another model: model\.arch resnet18 vs resnet20/],
    [['missing.json'], /^error: missing\.json: no such file/],
    [[], /^error: give one or more results files/],
    [['full.json', '--format', 'xml'], /^error: --format must be one of text, csv, json, not "xml"/],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await analyze(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('as an npm script: the report on stdout, and exit 2 with the message on refused input', async () => {
    const run = promisify(execFile);
    const ok = await run('npm', ['run', '--silent', 'analyze', '--', files['full.json']!, '--format', 'json'], { cwd: ROOT });
    expect(JSON.parse(ok.stdout).comparisons[0].classes).toHaveLength(CLASSES);
    const refused = await run('npm', ['run', '--silent', 'analyze', '--', files['other-dataset.json']!, files['full.json']!], { cwd: ROOT }).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr).toMatch(/full\.json was not added: its runs are on synthetic-4 /);
  });
});
