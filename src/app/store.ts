/**
 * The one place the workbench's state lives. Each controller writes its own
 * part through set() or patch(); components get every new snapshot through
 * subscribe(). A change of one field runs the hooks registered for it (the
 * dataset description follows the designed study, the comparison the shown one).
 */
import type { Remote } from 'comlink';
import type { EngineApi } from '../../workers/api';
import type { WorkbenchState } from './state';

/** The engine worker, once it has started (null before, or if it could not). */
export type EngineRef = () => Remote<EngineApi> | null;

/** The parts of the state that are objects of their own, patched field by field. */
type Section = 'datasets' | 'design' | 'comparison' | 'library';

export class Store {
  private listeners = new Set<(state: WorkbenchState) => void>();
  private hooks: { key: keyof WorkbenchState; hook: () => void }[] = [];

  constructor(private current: WorkbenchState) {}

  get state(): WorkbenchState {
    return this.current;
  }

  /** Calls `listener` now and on every change; returns the unsubscribe function. */
  subscribe(listener: (state: WorkbenchState) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  /** Runs `hook` after every change that gives `key` another value. */
  onChange(key: keyof WorkbenchState, hook: () => void): void {
    this.hooks.push({ key, hook });
  }

  set(patch: Partial<WorkbenchState>): void {
    const previous = this.current;
    this.current = { ...this.current, ...patch };
    for (const listener of this.listeners) listener(this.current);
    for (const { key, hook } of this.hooks) if (key in patch && patch[key] !== previous[key]) hook();
  }

  patch<K extends Section>(section: K, patch: Partial<WorkbenchState[K]>): void {
    this.set({ [section]: { ...this.current[section], ...patch } } as Partial<WorkbenchState>);
  }

  clear(): void {
    this.listeners.clear();
  }
}
