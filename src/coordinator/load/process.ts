/**
 * The coordinator as `npm run coordinator` runs it, in a child process of
 * its own (its own event loop, so a load generator beside it does not slow
 * it down), on a free port, with its database in `dataDir`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface CoordinatorProcess {
  child: ChildProcess;
  base: string;
  /** Everything it printed up to listening. */
  printed: string;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
}

export async function spawnCoordinator(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<CoordinatorProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', CLASSWISE_LOG: '0', STATIC_DIR: join(dataDir, 'no-app'), ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/coordinator/main.ts')], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  const base = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`the coordinator did not start:\n${printed}`)), 60_000);
    const read = (chunk: Buffer) => {
      printed += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(printed);
      if (match) {
        clearTimeout(timer);
        resolvePromise(match[1]!);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the coordinator exited with ${code}:\n${printed}`));
    });
  });
  return {
    child,
    base,
    printed,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
