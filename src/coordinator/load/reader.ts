/**
 * The reader beside the volunteers: one small GET (the study list) every
 * `readEveryMs`, from an address of its own, in a process of its own. On the
 * generator's event loop, each answer waited behind the callbacks of
 * thousands of volunteers' requests (up to 100 ms on two cores, while the
 * coordinator's own event loop never stalled past 21 ms), so the figure
 * measured the generator; a real reader is another machine.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LoopbackClient, TimeoutError } from './http';
import type { Recorder } from './recorder';

interface ReaderData {
  base: string;
  readEveryMs: number;
  timeoutMs: number;
}

/** One read, its start on the wall clock (processes have their own performance.now() origins). */
interface Read {
  startedAtEpochMs: number;
  ms: number;
  status: number | 'timeout' | 'network';
}

/** Starts the reader; `stop()` ends it and records its reads into `recorder` on this process's clock. */
export function startReader(base: string, recorder: Recorder, options: { readEveryMs: number; timeoutMs: number }): { stop: () => Promise<void> } {
  // The CLIs run under tsx, and so does the reader.
  const child = fork(fileURLToPath(import.meta.url), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reads = new Promise<Read[]>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Read[]));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the load reader exited with ${code} before it reported`)));
  });
  child.send({ base, ...options } satisfies ReaderData);
  return {
    stop: async () => {
      child.send('stop');
      for (const read of await reads) recorder.record('read', read.startedAtEpochMs - performance.timeOrigin, read.ms, read.status);
    },
  };
}

async function readLoop(data: ReaderData): Promise<void> {
  let stopped = false;
  process.once('message', () => (stopped = true));
  const client = new LoopbackClient(data.base, '127.254.0.1', 1);
  const reads: Read[] = [];
  try {
    while (!stopped) {
      const t = performance.now();
      let status: Read['status'];
      try {
        status = (await client.request('GET', '/api/v1/studies', { timeoutMs: data.timeoutMs })).status;
      } catch (error) {
        status = error instanceof TimeoutError ? 'timeout' : 'network';
      }
      reads.push({ startedAtEpochMs: performance.timeOrigin + t, ms: performance.now() - t, status });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, data.readEveryMs - (performance.now() - t))));
    }
  } finally {
    client.close();
  }
  process.send!(reads, () => process.disconnect());
}

// Run as the reader process: its first message is what to read.
if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) process.once('message', (data) => void readLoop(data as ReaderData));
