import { describe, expect, it } from 'vitest';
import type { CachedDataset } from '../../workers/api';
import { checkDraft, datasetOptions, draftFromSpec, editDraft, type Draft } from '../../src/study/draft';
import { PRESETS } from '../../src/study/presets';
import { parseStudySpec } from '../../src/study/study';
import { canonicalJson } from '../../src/util/hash';

const teaching = () => draftFromSpec(parseStudySpec(PRESETS['teaching-demo']));

function fieldsOf(patch: Partial<Draft>) {
  const { draft, carried } = teaching();
  return checkDraft({ ...draft, ...patch }, carried);
}

describe('the study draft', () => {
  it('gives back every preset unchanged: spec → draft → spec', () => {
    for (const value of Object.values(PRESETS)) {
      const spec = parseStudySpec(value);
      const { draft, carried } = draftFromSpec(spec);
      const check = checkDraft(draft, carried);
      expect(check.fields).toEqual({});
      expect(check.general).toEqual([]);
      expect(canonicalJson(check.spec)).toBe(canonicalJson(spec));
    }
  });

  it('keeps what the form does not show: the loss read-back interval and the aspect ratios of resized crops', () => {
    const spec = parseStudySpec({
      ...PRESETS['teaching-demo'],
      baseline: { ...PRESETS['teaching-demo'].baseline, training: { ...PRESETS['teaching-demo'].baseline.training, lossReadEvery: 7 } },
      sweep: { crop: [{ kind: 'resized', scale: 0.25, ratio: [0.5, 2] }], weightDecay: [] },
    });
    const { draft, carried } = draftFromSpec(spec);
    const built = checkDraft({ ...draft, epochs: '3' }, carried).spec!;
    expect(built.baseline.training.lossReadEvery).toBe(7);
    expect(built.sweep.crop).toEqual([{ kind: 'resized', scale: 0.25, ratio: [0.5, 2] }]);
    expect(built.baseline.training.epochs).toBe(3);
  });

  it('reports text that is not a number, and an empty field, at that field, and builds no spec', () => {
    const check = fieldsOf({ epochs: 'abc', lr: ' ' });
    expect(check.spec).toBeNull();
    expect(check.fields.epochs).toEqual(['“abc” is not a number']);
    expect(check.fields.lr).toEqual(['required']);
    expect(Object.keys(check.fields).sort()).toEqual(['epochs', 'lr']);
  });

  it("moves the schema's messages to the field whose value they are about", () => {
    expect(Object.keys(fieldsOf({ width: '0' }).fields)).toEqual(['width']);
    expect(Object.keys(fieldsOf({ batchSize: '0' }).fields)).toEqual(['batchSize']);
    expect(Object.keys(fieldsOf({ name: '' }).fields)).toEqual(['name']);
    expect(Object.keys(fieldsOf({ dataset: 'synthetic', synSize: '3' }).fields)).toEqual(['synSize']);
    expect(Object.keys(fieldsOf({ teachSize: '8' }).fields)).toEqual(['teachSize']);
  });

  it('slices a shard dataset from its fields: blank ones take it whole, class names by commas, each mistake at its field', () => {
    const fashion = (patch: Partial<Draft>) => fieldsOf({ dataset: 'builtin:fashion-mnist', ...patch });
    expect(fashion({}).spec!.baseline.dataset).toEqual({ kind: 'builtin', name: 'fashion-mnist' });
    const sliced = fashion({ sliceTrain: '100', sliceTest: ' 30 ', sliceClasses: 'Shirt, Ankle boot,,T-shirt/top', sliceResize: '14', sliceSeed: '2' });
    expect(sliced.fields).toEqual({});
    expect(sliced.spec!.baseline.dataset).toEqual({ kind: 'builtin', name: 'fashion-mnist', trainPerClass: 100, testPerClass: 30, classes: ['Shirt', 'Ankle boot', 'T-shirt/top'], resize: 14, seed: 2 });
    // Back to the form as typed in it, and built again unchanged.
    const again = draftFromSpec(sliced.spec!);
    expect(again.draft).toMatchObject({ sliceTrain: '100', sliceTest: '30', sliceClasses: 'Shirt, Ankle boot, T-shirt/top', sliceResize: '14', sliceSeed: '2' });
    expect(canonicalJson(checkDraft(again.draft, again.carried).spec)).toBe(canonicalJson(sliced.spec));

    expect(fashion({ sliceTrain: '7000' }).fields).toEqual({ sliceTrain: [expect.stringContaining('6000')] });
    expect(fashion({ sliceClasses: 'Shirt, Sock' }).fields).toEqual({ sliceClasses: [expect.stringContaining('no class "Sock" in fashion-mnist')] });
    expect(fashion({ sliceClasses: 'Shirt' }).fields).toEqual({ sliceClasses: ['a subset needs at least 2 classes'] });
    expect(fashion({ sliceResize: '0' }).fields).toEqual({ sliceResize: ['a resize must be a whole number of pixels from 1 to 512'] });
    expect(fashion({ sliceResize: '513' }).fields).toEqual({ sliceResize: ['a resize must be a whole number of pixels from 1 to 512'] });
    expect(fashion({ sliceTest: 'many' }).fields).toEqual({ sliceTest: ['“many” is not a number'] });
    // Another dataset drops the class names, which were this one's, and keeps the counts.
    const switched = editDraft({ ...teaching().draft, dataset: 'builtin:fashion-mnist', sliceTrain: '100', sliceClasses: 'Shirt, Coat' }, 'dataset', 'manifest:import:cifar-10');
    expect(switched).toMatchObject({ sliceTrain: '100', sliceClasses: '' });
    // A generated set ignores them: its own fields say how many images it makes.
    expect(fieldsOf({ sliceTrain: '7000' }).spec!.baseline.dataset.kind).toBe('teaching');
  });

  it('names the entry of a list field that is wrong', () => {
    expect(fieldsOf({ sweepDecays: '5e-4, -1' }).fields.sweepDecays).toEqual([expect.stringMatching(/^-1: /)]);
    expect(fieldsOf({ sweepScales: '0.5, 2' }).fields.sweepScales).toEqual([expect.stringMatching(/^2: /)]);
    expect(fieldsOf({ sweepScales: '0.5, x, y' }).fields.sweepScales).toEqual(['“x”, “y” are not numbers']);
  });

  it('checks the seeds: a count is a whole number from 1 to 1000, a list is distinct', () => {
    expect(fieldsOf({ seeds: '0' }).fields.seeds).toEqual(['the number of seeds must be a whole number ≥ 1']);
    expect(fieldsOf({ seeds: '2.5' }).fields.seeds).toEqual(['the number of seeds must be a whole number ≥ 1']);
    expect(fieldsOf({ seeds: '1001' }).fields.seeds?.[0]).toMatch(/at most 1000 seeds/);
    expect(fieldsOf({ seeds: '3' }).spec?.seeds).toEqual([0, 1, 2]);
    expect(fieldsOf({ seedMode: 'list', seeds: '' }).fields.seeds).toEqual(['at least one seed']);
    expect(fieldsOf({ seedMode: 'list', seeds: '1, 1' }).fields.seeds).toHaveLength(1);
    expect(fieldsOf({ seedMode: 'list', seeds: '4; 9 2' }).spec?.seeds).toEqual([4, 9, 2]);
  });

  it('builds the schedule the draft chose, and the crops of the sweep in order: no crop, scales, paddings', () => {
    const step = fieldsOf({ schedule: 'step', warmup: '0', milestones: '2, 4', gamma: '0.2' }).spec!;
    expect(step.baseline.training.schedule).toEqual({ kind: 'step', warmupEpochs: 0, milestones: [2, 4], gamma: 0.2 });
    const cropped = fieldsOf({ baseCrop: 'translate', basePadding: '2', sweepNoCrop: true, sweepScales: '0.5', sweepPaddings: '4' }).spec!;
    expect(cropped.baseline.augmentation.crop).toEqual({ kind: 'translate', padding: 2 });
    expect(cropped.sweep.crop.map((c) => c.kind)).toEqual(['none', 'resized', 'translate']);
    // Without a baseline crop, "also without a crop" would repeat the baseline: it is left out.
    expect(fieldsOf({ sweepNoCrop: true }).spec!.sweep.crop.map((c) => c.kind)).toEqual(['resized']);
  });

  it('rewrites the seeds when switching between a count and a list, where it can', () => {
    const { draft } = teaching();
    const listed = editDraft(draft, 'seedMode', 'list');
    expect(listed.seeds).toBe('0, 1, 2, 3, 4');
    expect(editDraft(listed, 'seedMode', 'count').seeds).toBe('5');
    const odd = editDraft({ ...listed, seeds: '3, 7' }, 'seedMode', 'count');
    expect(odd.seeds).toBe('3, 7');
    expect(editDraft(draft, 'epochs', '9')).toEqual({ ...draft, epochs: '9' });
    expect(draft.epochs).toBe('8');
  });

  it('offers the complete cached datasets, not the built-in set twice, and keeps a manifest the cache lacks', () => {
    const cached = (id: string, complete: boolean, name: string): CachedDataset => ({ id, complete, name, bytes: 1, addedAt: '2026-01-01T00:00:00Z' });
    const { draft } = teaching();
    const options = datasetOptions({ ...draft, dataset: 'manifest:https://example.org/m.json' }, [
      cached('http://localhost/datasets/fashion-mnist/manifest.json', true, 'Fashion-MNIST'),
      cached('import:pets', true, 'pets'),
      cached('https://example.org/half.json', false, 'half'),
    ]);
    expect(options.map(([value]) => value)).toEqual([
      'builtin:fashion-mnist',
      'synthetic',
      'teaching',
      'manifest:import:pets',
      'manifest:https://example.org/m.json',
    ]);
    expect(options[3]![1]).toBe('pets (imported)');
    expect(options[4]![1]).toMatch(/not in the cache yet/);
  });

  it('words every field error plainly: none of the schema library\'s own phrasing', () => {
    const bad: Partial<Draft>[] = [
      { epochs: '1.5' },
      { width: '0' },
      { batchSize: '-3' },
      { name: '' },
      { lr: '-1' },
      { momentum: '2' },
      { teachSize: '8' },
      { teachTrain: '0.5' },
      { evalEvery: '0' },
      { bnMomentum: '7' },
      { schedule: 'step', milestones: '0.5', gamma: '0' },
      { sweepScales: '0, 1.5' },
      { seedMode: 'list', seeds: '1.5, -2' },
    ];
    for (const patch of bad) {
      const messages = Object.values(fieldsOf(patch).fields).flat();
      expect(messages.length, JSON.stringify(patch)).toBeGreaterThan(0);
      for (const message of messages) expect(message, JSON.stringify(patch)).not.toMatch(/Invalid (input|option)|Too (small|big)|expected (int|number|string)|received/);
    }
    expect(fieldsOf({ epochs: '1.5' }).fields.epochs).toEqual(['must be a whole number']);
  });
});
