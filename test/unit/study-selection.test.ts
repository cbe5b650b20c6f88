import { describe, expect, it } from 'vitest';
import { missingDataset, selectedStudy, storedSource, studyId } from '../../src/app/study-selection';
import { PRESETS } from '../../src/study/presets';
import { parseStudySpec } from '../../src/study/study';

const onImport = (url: string) =>
  selectedStudy({ kind: 'designed' }, parseStudySpec({ ...PRESETS.smoke, baseline: { ...PRESETS.smoke.baseline, dataset: { kind: 'manifest', url } } }));
const cached = (id: string, complete = true) => ({ id, name: null, bytes: 1, complete, addedAt: '2026-01-01T00:00:00Z' });

describe('a stored study', () => {
  it('keeps its identity through a rename and a new description, not through another design', async () => {
    const spec = parseStudySpec(PRESETS.smoke);
    expect(await studyId({ ...spec, name: 'other', description: 'changed' })).toBe(await studyId(spec));
    expect(await studyId({ ...spec, seeds: [0, 1] })).not.toBe(await studyId(spec));
  });

  it('reopens from a source this version still knows, and as designed otherwise', () => {
    expect(storedSource({ kind: 'preset', name: 'smoke' })).toEqual({ kind: 'preset', name: 'smoke' });
    expect(storedSource({ kind: 'preset', name: 'gone' })).toEqual({ kind: 'designed' });
    expect(storedSource({ kind: 'file', fileName: 'a.json' })).toEqual({ kind: 'file', fileName: 'a.json' });
    expect(storedSource(null)).toEqual({ kind: 'designed' });
  });

  it('says when the imported dataset it trained on was deleted, and nothing for data it can get again', () => {
    const study = onImport('import:tiny-pets/0123456789ab');
    expect(missingDataset(study, null)).toBeNull();
    expect(missingDataset(study, [cached('import:tiny-pets/0123456789ab')])).toBeNull();
    expect(missingDataset(study, [])).toMatch(/^The dataset this study trained on \(tiny-pets\) is no longer in this browser's storage\. Its stored results are shown/);
    expect(missingDataset(study, [cached('import:tiny-pets/0123456789ab', false)])).not.toBeNull();
    expect(missingDataset(onImport('https://example.org/manifest.json'), [])).toBeNull();
    expect(missingDataset(selectedStudy({ kind: 'preset', name: 'smoke' }, parseStudySpec(PRESETS.smoke)), [])).toBeNull();
  });
});
