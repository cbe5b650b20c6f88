/** A study as the workbench selects it: its spec, where it came from, and its planned runs. */
import { isPresetName, PRESETS, type PresetName } from '../study/presets';
import { parseStudySpec, planRuns, type StudySpec } from '../study/study';
import { canonicalJson, sha256Hex } from '../util/hash';
import type { CachedDataset } from '../../workers/api';
import type { SelectedStudy, StudySource } from './state';

export function presetStudy(name: PresetName): SelectedStudy {
  return selectedStudy({ kind: 'preset', name }, parseStudySpec(PRESETS[name]));
}

export function selectedStudy(source: StudySource, spec: StudySpec): SelectedStudy {
  const baseline = canonicalJson(spec.baseline);
  const planned = planRuns(spec).map((run) => ({ ...run, baseline: canonicalJson(run.config) === baseline }));
  return { source, spec, planned };
}

/**
 * A design's identity in the list of past studies: the SHA-256 of its spec
 * without its name and description, so that renaming a study or running the
 * same design again keeps one entry.
 */
export function studyId(spec: StudySpec): Promise<string> {
  return sha256Hex(canonicalJson({ ...spec, name: '', description: '' }));
}

/**
 * Where a stored study came from, as far as this version can use it: a
 * preset it still has, or a file's name; anything else reopens as designed.
 */
export function storedSource(value: unknown): StudySource {
  const source = value as { kind?: unknown; name?: unknown; fileName?: unknown } | null;
  if (source?.kind === 'preset' && typeof source.name === 'string' && isPresetName(source.name)) return { kind: 'preset', name: source.name };
  if (source?.kind === 'file' && typeof source.fileName === 'string') return { kind: 'file', fileName: source.fileName };
  return { kind: 'designed' };
}

/**
 * Why the study's dataset cannot be read here any more, when it cannot: an
 * imported set deleted from the cache (it cannot be downloaded again). Null
 * while the cache has not been listed, and for sets that are generated,
 * built in or downloadable.
 */
export function missingDataset(study: SelectedStudy | null, cached: readonly CachedDataset[] | null): string | null {
  const dataset = study?.spec.baseline.dataset;
  if (!cached || dataset?.kind !== 'manifest' || !dataset.url.startsWith('import:')) return null;
  if (cached.some((c) => c.id === dataset.url && c.complete)) return null;
  return `The dataset this study trained on (${dataset.url.slice('import:'.length).replace(/\/[0-9a-f]{12}$/, '')}) is no longer in this browser's storage. Its stored results are shown; to run it again or see its images in the inspector, import the dataset again.`;
}
