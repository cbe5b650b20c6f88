/**
 * The autotuner's timings in IndexedDB (through idb), in a database of their
 * own, so the study storage's schema and migrations are not involved: one
 * record per tuning key (adapter, tfjs version, kernels' version).
 */
import { openDB } from 'idb';
import type { CaseTiming, TuningCache } from './autotune';

const DB = 'classwise-kernel-timings';
const STORE = 'timings';

export function indexedDbCache(): TuningCache {
  const db = () => openDB(DB, 1, { upgrade: (d) => void d.createObjectStore(STORE) });
  return {
    async load(key) {
      const handle = await db();
      try {
        return ((await handle.get(STORE, key)) as Record<string, CaseTiming> | undefined) ?? {};
      } finally {
        handle.close();
      }
    },
    async save(key, timings) {
      const handle = await db();
      try {
        await handle.put(STORE, timings, key);
      } finally {
        handle.close();
      }
    },
  };
}
