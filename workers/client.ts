/** The page's handle on an engine worker. */
import { proxy, wrap, type Remote } from 'comlink';
import type { EngineApi, RunEvent } from './api';

export interface EngineHandle {
  engine: Remote<EngineApi>;
  terminate(): void;
}

export function startEngine(): EngineHandle {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'classwise-engine' });
  return { engine: wrap<EngineApi>(worker), terminate: () => worker.terminate() };
}

/** Wraps an event callback so the worker can call it across the boundary. */
export function eventSink(onEvent: (event: RunEvent) => void): (event: RunEvent) => void {
  return proxy(onEvent);
}
