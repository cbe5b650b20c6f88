/** A study as the workbench selects it: its spec, where it came from, and its planned runs. */
import { PRESETS, type PresetName } from '../study/presets';
import { parseStudySpec, planRuns, type StudySpec } from '../study/study';
import { canonicalJson } from '../util/hash';
import type { SelectedStudy, StudySource } from './state';

export function presetStudy(name: PresetName): SelectedStudy {
  return selectedStudy({ kind: 'preset', name }, parseStudySpec(PRESETS[name]));
}

export function selectedStudy(source: StudySource, spec: StudySpec): SelectedStudy {
  const baseline = canonicalJson(spec.baseline);
  const planned = planRuns(spec).map((run) => ({ ...run, baseline: canonicalJson(run.config) === baseline }));
  return { source, spec, planned };
}
