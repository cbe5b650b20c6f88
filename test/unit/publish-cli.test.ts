/**
 * npm run publish-study against a real coordinator on loopback: the dataset
 * identity it publishes is the one the engine reports (for the generated set,
 * recomputed here; for the built-in Fashion-MNIST, the content hash the
 * browser's worker reported for the same shards), and refusals say why.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/coordinator/server';
import { datasetIdentity } from '../../src/data/dataset';
import { generateSynthetic } from '../../src/data/synthetic';
import { parseStudySpec } from '../../src/study/study';
import { PRESETS } from '../../src/study/presets';
import type { SyntheticDatasetConfig } from '../../src/study/config';

const run = promisify(execFile);
const TOKEN = 'organiser-token-for-the-publish-test';

describe('npm run publish-study', { timeout: 60_000 }, () => {
  let dir: string;
  let server: FastifyInstance;
  let origin: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'classwise-publish-'));
    server = await buildServer({ dbPath: join(dir, 'coordinator.sqlite'), adminToken: TOKEN, logger: false });
    origin = await server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function publish(args: string[], token: string | null = TOKEN): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env };
    delete env.CLASSWISE_ADMIN_TOKEN;
    if (token !== null) env.CLASSWISE_ADMIN_TOKEN = token;
    try {
      const { stdout, stderr } = await run('npx', ['tsx', 'src/cli/publish.ts', ...args], { timeout: 60_000, env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  async function published(stdout: string): Promise<{ dataset: { contentHash: string; testCount: number; classNames: string[] }; units: unknown[] }> {
    const id = /id ([0-9a-f-]{36})/.exec(stdout)?.[1];
    expect(id).toBeDefined();
    return (await (await fetch(`${origin}/api/v1/studies/${id}`)).json()) as never;
  }

  it('publishes a study on a generated set with the identity the engine computes', async () => {
    const { code, stdout, stderr } = await publish(['--preset', 'smoke', '--coordinator', origin]);
    expect(stderr.replace(/npm warn.*\n/g, '')).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/published "smoke": 2 units/);
    expect(stdout).toContain(`${origin}/study.html?id=`);
    const study = await published(stdout);
    const spec = parseStudySpec(PRESETS.smoke);
    const identity = await datasetIdentity(generateSynthetic(spec.baseline.dataset as SyntheticDatasetConfig));
    expect(study.dataset).toMatchObject({ contentHash: identity.contentHash, testCount: 64, classNames: identity.classNames });
    expect(study.units).toHaveLength(2);
  });

  it('publishes the built-in Fashion-MNIST with the content hash the browser reports for its shards', async () => {
    const { code, stdout } = await publish(['--preset', 'fashion-crop-sweep', '--coordinator', origin]);
    expect(code).toBe(0);
    const study = await published(stdout);
    // The engine worker reported 85b8ce9ddab9… for these shards (test/browser/datasets.test.ts loads them in Chromium).
    expect(study.dataset.contentHash.startsWith('85b8ce9ddab9')).toBe(true);
    expect(study.dataset.testCount).toBe(10_000);
    expect(study.units).toHaveLength(42);
  });

  it('says why when the token is wrong or missing, or the spec is not one', async () => {
    const wrong = await publish(['--preset', 'smoke', '--coordinator', origin], 'not-the-organiser-token');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/the coordinator at http:\/\/127\.0\.0\.1:\d+ refused the study \(401\)/);
    const missing = await publish(['--preset', 'smoke', '--coordinator', origin], null);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/set CLASSWISE_ADMIN_TOKEN/);
    const unknown = await publish(['--preset', 'nope', '--coordinator', origin]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown preset "nope"/);
    const notUrl = await publish(['--preset', 'smoke', '--coordinator', 'localhost-8787']);
    expect(notUrl.stderr).toMatch(/--coordinator must be a URL such as http:\/\/127\.0\.0\.1:8787/);
  });

  it('publishes to the local coordinator, http://127.0.0.1:8787, when no --coordinator is given', async () => {
    // Whatever answers there (nothing, or another coordinator with another token), the answer names that address.
    const local = await publish(['--preset', 'smoke'], 'a-token-no-coordinator-here-knows');
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/(no coordinator answered at|the coordinator at) http:\/\/127\.0\.0\.1:8787/);
  });

  it('sends the test labels, so that replicas are compared image by image', async () => {
    const { stdout } = await publish(['--preset', 'smoke', '--coordinator', origin]);
    const id = /id ([0-9a-f-]{36})/.exec(stdout)![1]!;
    const study = server.store.studies.get(id)!;
    const dataset = generateSynthetic(parseStudySpec(PRESETS.smoke).baseline.dataset as SyntheticDatasetConfig);
    expect([...study.testLabels!]).toEqual([...dataset.test.labels]);
    expect(study.dataset.classTestCounts).toEqual([16, 16, 16, 16]);
  });
});
