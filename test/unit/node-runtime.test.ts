/**
 * The Node runtime: the engine on Dawn for Node (npm `webgpu`) with no
 * browser. These run on Dawn's OpenGL ES backend over Mesa's llvmpipe, which
 * Debian 12's own Mesa provides (.ci/run installs libegl-mesa0 and
 * libgl1-mesa-dri): the fused kernels against the composite ops, the smoke
 * study end to end through the CLI, and the refusals.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseKernelPolicy } from '../../src/engine/kernels/names';
import { parseDawnBackend, parseRuntime } from '../../src/runtime/options';
import { describeStudyDataset } from '../../src/cli/study-dataset';
import { parseResultsFile } from '../../src/study/results';
import { parseStudySpec } from '../../src/study/study';
import { SPEC, TestCoordinator } from './coordinator-fixtures';

const run = promisify(execFile);

async function cli(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', script, ...args], { timeout: 180_000, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the engine on Dawn (OpenGL ES, llvmpipe), in this process', () => {
  it('runs the fused BatchNorm and SGD as the composite ops compute them', async () => {
    const { startDawn } = await import('../../src/runtime/dawn');
    const runtime = await startDawn('opengles');
    try {
      const { selectBackend } = await import('../../src/engine/backend');
      const report = await selectBackend('webgpu');
      expect(report.backend).toBe('webgpu');
      const { compareFusions } = await import('../../src/bench/fusions');
      for (const got of await compareFusions()) {
        expect(got.gpuError, got.name).toBeNull();
        expect(got.fusedRan, got.name).toBe(true);
        expect(got.relativeError, `${got.name}, worst: ${got.worst}`).toBeLessThan(1e-5);
        expect(got.leaked, got.name).toBe(0);
      }
    } finally {
      runtime.close();
    }
  }, 120_000);
});

describe('both PyTorch reference files on Dawn (OpenGL ES), custom kernels and fusions on', () => {
  it.each(['torch-sgd-reference.json', 'torch-resnet-reference.json'])('%s: every case within its tolerance', async (file) => {
    const { code, stdout, stderr } = await cli('src/cli/reference.ts', [`../shared/fixtures/${file}`, '--runtime', 'node', '--dawn-backend', 'opengles']);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/verdict: all \d+ cases within tolerance \(webgpu .*custom kernels and fusions, Node\.js on Dawn \(opengles\)\)/);
  }, 180_000);
});

describe('npm run study -- --runtime node', () => {
  it('writes a valid results file for the smoke preset on Dawn (OpenGL ES, llvmpipe), recording the kernels it used', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'classwise-node-')), 'smoke.json');
    const { code, stdout, stderr } = await cli('src/cli/study.ts', ['--runtime', 'node', '--dawn-backend', 'opengles', '--preset', 'smoke', '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('backend: webgpu');
    expect(stdout).toContain('Dawn for Node, opengles backend');
    const results = await parseResultsFile(JSON.parse(await readFile(out, 'utf8')));
    expect(results.runs).toHaveLength(2);
    for (const r of results.runs) {
      expect(r.environment.backend).toBe('webgpu');
      expect(r.environment.browser).toMatch(/^Node\.js .* \(Dawn for Node, opengles backend\)$/);
      expect(r.environment.kernels).toMatchObject({ policy: 'custom', fusions: true });
      expect(r.perClass.reduce((n, c) => n + c.total, 0)).toBe(r.dataset.testCount);
      expect(r.history.every((h) => Number.isFinite(h.loss))).toBe(true);
    }
  }, 180_000);

  it('trains on a slice of the built-in Fashion-MNIST, fetched as the page fetches it, and prints the per-class verdicts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'classwise-node-'));
    const config = join(dir, 'fashion-slice.json');
    const out = join(dir, 'fashion-slice-results.json');
    const slice = { kind: 'builtin', name: 'fashion-mnist', trainPerClass: 20, testPerClass: 10, classes: ['Shirt', 'Trouser'] };
    const study = {
      schema: 'classwise.study/1',
      name: 'fashion-slice',
      baseline: {
        model: { arch: 'resnet8', width: 0.25 },
        dataset: slice,
        augmentation: { crop: { kind: 'none' }, flip: false },
        training: { epochs: 1, batchSize: 20, optimizer: { lr: 0.1, momentum: 0.9 }, schedule: { kind: 'constant' }, evalEvery: 1 },
      },
      sweep: { crop: [{ kind: 'resized', scale: 0.25 }] },
      seeds: [0, 1],
    };
    await writeFile(config, JSON.stringify(study));
    const { code, stdout, stderr } = await cli('src/cli/study.ts', ['--runtime', 'node', '--dawn-backend', 'opengles', '--config', config, '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('dataset fashion-mnist (20 train + 10 test per class, 2 of 10 classes, slice seed 0): 40 train, 20 test images');
    // A download is reported a tenth at a time, not once per chunk.
    expect(stdout.split('\n').filter((line) => line.includes('dataset shard')).length).toBeLessThanOrEqual(11);
    expect(stdout).toMatch(/resized crop s=0\.25, wd 0 \(\w+\) vs no crop, wd 0/);
    expect(stdout).toMatch(/\nclass +baseline +treatment +Δ pp .* verdict/);
    const results = await parseResultsFile(JSON.parse(await readFile(out, 'utf8')));
    expect(results.runs).toHaveLength(4);
    expect(results.runs.map((r) => r.perClass.map((c) => c.class))).toEqual(Array(4).fill(['Trouser', 'Shirt']));
  }, 180_000);

  it('says which Dawn backends it tried and why each failed, and suggests the browser', async () => {
    // No Vulkan driver to be found, and EGL asked for an X display there is not.
    const { code, stderr } = await cli('src/cli/study.ts', ['--runtime', 'node', '--preset', 'smoke', '--out', join(tmpdir(), 'never.json')], {
      VK_ICD_FILENAMES: '/nonexistent/icd.json',
      VK_DRIVER_FILES: '/nonexistent/icd.json',
      EGL_PLATFORM: 'x11',
      DISPLAY: ':99',
    });
    expect(code).toBe(2);
    expect(stderr).toContain('no WebGPU adapter could be had from Dawn for Node');
    expect(stderr).toMatch(/\n\s+vulkan: \S/);
    expect(stderr).toMatch(/\n\s+opengles: \S/);
    expect(stderr).toContain('--runtime browser');
  }, 120_000);

  it('refuses unknown --runtime, --dawn-backend and --kernels values, listing the valid ones', async () => {
    expect(() => parseRuntime('deno')).toThrow('unknown --runtime "deno"; use one of browser, node');
    expect(() => parseDawnBackend('metal')).toThrow('unknown --dawn-backend "metal"; use one of auto, vulkan, opengles, null');
    expect(() => parseKernelPolicy('fastest')).toThrow('unknown --kernels "fastest"; use one of auto, custom, tiled, stock');
    // And the CLIs say so before starting anything.
    const study = await cli('src/cli/study.ts', ['--runtime', 'node', '--dawn-backend', 'metal', '--preset', 'smoke']);
    expect(study.code).toBe(2);
    expect(study.stderr).toContain('unknown --dawn-backend "metal"; use one of auto, vulkan, opengles, null');
    const bench = await cli('src/cli/bench.ts', ['--kernels', 'fastest']);
    expect(bench.code).toBe(2);
    expect(bench.stderr).toContain('unknown --kernels "fastest"; use one of auto, custom, tiled, stock');
  }, 120_000);
});

describe('npm run contribute -- --runtime node', () => {
  it('leases a unit from a coordinator, trains it on Dawn and uploads it, keeping its credential in a file', async () => {
    const coordinator = await new TestCoordinator().start();
    try {
      const spec = parseStudySpec(SPEC);
      const id = await coordinator.publish(await describeStudyDataset(spec.baseline.dataset, coordinator.base), SPEC);
      const volunteerFile = join(await mkdtemp(join(tmpdir(), 'classwise-volunteer-')), 'volunteer.json');
      const { code, stdout, stderr } = await cli('src/cli/contribute.ts', ['--coordinator', coordinator.base, '--dawn-backend', 'opengles', '--units', '1', '--name', 'dawn-test', '--volunteer', volunteerFile]);
      expect(code, stderr).toBe(0);
      expect(stdout).toContain(`study: coordinator-test (${id})`);
      expect(stdout).toContain('1 unit uploaded.');
      const kept = JSON.parse(await readFile(volunteerFile, 'utf8')) as { credentials: Record<string, string>; leases: Record<string, unknown> };
      expect(Object.keys(kept.credentials)).toEqual([coordinator.base]);
      expect(kept.leases).toEqual({});
      const detail = await coordinator.call('GET', `/studies/${id}`);
      expect(detail.json.contributors.map((c: { displayName: string | null }) => c.displayName)).toEqual(['dawn-test']);
    } finally {
      await coordinator.stop();
    }
  }, 180_000);
});
