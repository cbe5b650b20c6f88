/** Resolves a dataset config into pixels in memory. */
import type { DatasetConfig } from '../study/config';
import { canonicalJson } from '../util/hash';
import type { Dataset } from './dataset';
import { generateSynthetic } from './synthetic';

// Runs of one study share their dataset; keep the last one rather than regenerate it.
let cached: { key: string; dataset: Dataset } | null = null;

export function loadDataset(config: DatasetConfig): Dataset {
  const key = canonicalJson(config);
  if (cached?.key !== key) cached = { key, dataset: generateSynthetic(config) };
  return cached.dataset;
}
