/** `npm run study -- --preset smoke` end to end: a real Chromium, the app's worker, a valid results file, which `npm run analyze` reads. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { parseResultsFile } from '../../src/study/results';

it('runs the smoke preset headless and writes a valid results file', async () => {
  const out = join(await mkdtemp(join(tmpdir(), 'classwise-study-')), 'r.json');
  const started = Date.now();
  const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/cli/study.ts', '--preset', 'smoke', '--out', out], { timeout: 240_000 });
  const seconds = (Date.now() - started) / 1000;
  expect(stdout).toMatch(/^backend: webgpu \(google swiftshader/m);
  expect(stdout).toMatch(/\[run 2\/2\] resized crop s=0\.5, wd 0, seed 0/);
  expect(stdout).toMatch(/step 12 epoch 3 loss/);
  expect(stdout).toContain(`wrote ${out}`);
  const results = await parseResultsFile(JSON.parse(await readFile(out, 'utf8')));
  expect(results.study.name).toBe('smoke');
  expect(results.runs).toHaveLength(2);
  for (const run of results.runs) {
    expect(run.environment.backend).toBe('webgpu');
    expect(run.history).toHaveLength(12);
    expect(run.perClass.reduce((n, c) => n + c.total, 0)).toBe(64);
  }
  expect(results.runs[0]!.configHash).not.toBe(results.runs[1]!.configHash);
  // The worker keeps each run's test labels beside its predictions, so the file analyses image by image.
  for (const run of results.runs) expect(run.labels).toHaveLength(64);
  const analysis = JSON.parse((await promisify(execFile)('npx', ['tsx', 'src/cli/analyze.ts', out, '--format', 'json'])).stdout);
  expect(analysis.comparisons).toHaveLength(1);
  expect(analysis.comparisons[0]).toMatchObject({ method: 'model-vs-model', evidence: 'images', seeds: 1 });
  expect(analysis.comparisons[0].classes.map((c: { class: string; verdict: unknown }) => [c.class, c.verdict])).toEqual(results.runs[0]!.dataset.classNames.map((name) => [name, null]));
  console.log(`smoke preset: ${seconds.toFixed(1)} s end to end, top-1 ${results.runs.map((r) => r.top1).join(' / ')}`);
});
