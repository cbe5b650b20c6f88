/** The study CLI refuses bad input before it starts a browser. */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function study(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run('npx', ['tsx', 'src/cli/study.ts', ...args], { timeout: 60_000 });
    return { code: 0, stderr: '' };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('npm run study, bad input', () => {
  it('refuses an unknown preset', async () => {
    const { code, stderr } = await study('--preset', 'nope');
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown preset "nope"; presets: smoke/);
  });

  it('refuses a config with an impossible value, naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'classwise-cli-'));
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({
        model: { arch: 'resnet99' },
        dataset: { kind: 'synthetic', size: 8, classes: 2, trainPerClass: 4, testPerClass: 2 },
        augmentation: { crop: { kind: 'resized', scale: 1.5 } },
        training: { epochs: 1, batchSize: 4, optimizer: { lr: 0.1 } },
      }),
    );
    const { code, stderr } = await study('--config', file);
    expect(code).toBe(2);
    expect(stderr).toMatch(/baseline\.model\.arch/);
    expect(stderr).toMatch(/baseline\.augmentation\.crop\.scale: a crop scale must be in \(0, 1\]/);
  });

  it('refuses a file that is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'classwise-cli-'));
    const file = join(dir, 'broken.json');
    await writeFile(file, '{"model": ');
    const { code, stderr } = await study('--config', file);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot read .*broken\.json as JSON/);
  });
});
