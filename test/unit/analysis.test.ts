/**
 * analyzeRuns on a hand-built study: 4 classes of 50 test images, a baseline
 * and four regularized configs with matched, partly matched, unmatched and
 * single seeds, and one config on another model. The expected intervals,
 * p- and q-values were printed by test/unit/reference/stats_reference.py
 * (scipy), from the same counts as COUNTS below.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeRuns, DatasetMismatchError, perClassCsv, type RunOutcome, type StudyAnalysis } from '../../src/study/analysis';
import { configHash, parseRunConfig, type RunConfig } from '../../src/study/config';

const CLASSES = ['cat', 'dog, spotted', 'barn "spider"', 'truck'];
const PER_CLASS = 50;
const DATASET = { name: 'four', classNames: CLASSES, testCount: 200, contentHash: 'c0ffee'.padEnd(64, '0') };

const input = {
  model: { arch: 'resnet20', width: 0.25 },
  dataset: { kind: 'synthetic', size: 8, classes: 4, trainPerClass: 16, testPerClass: PER_CLASS },
  training: { epochs: 2, batchSize: 16, optimizer: { lr: 0.1 } },
} as const;

function config(crop: object, weightDecay: number, arch = 'resnet20'): RunConfig {
  return parseRunConfig({
    ...input,
    model: { ...input.model, arch },
    augmentation: { crop },
    training: { ...input.training, optimizer: { ...input.training.optimizer, weightDecay } },
  });
}

const CONFIGS = {
  base: config({ kind: 'none' }, 0),
  crop: config({ kind: 'resized', scale: 0.25 }, 0),
  wd: config({ kind: 'none' }, 5e-4),
  'crop-half': config({ kind: 'resized', scale: 0.5 }, 0),
  'crop-wd': config({ kind: 'resized', scale: 0.25 }, 5e-4),
  r18: config({ kind: 'none' }, 0, 'resnet18'),
};
type Name = keyof typeof CONFIGS;

/** Correct out of 50 per class, by config and seed (the same table as the reference script's). */
const COUNTS: Record<Name, Record<number, number[]>> = {
  base: { 0: [40, 35, 34, 45], 1: [42, 33, 35, 45], 2: [41, 36, 33, 45] },
  crop: { 0: [43, 33, 23, 45], 1: [44, 31, 22, 45], 2: [42, 34, 24, 45] },
  wd: { 3: [41, 36, 30, 46], 4: [39, 37, 31, 44], 5: [43, 34, 29, 45] },
  'crop-half': { 1: [43, 30, 28, 44], 2: [40, 34, 27, 46], 3: [44, 33, 30, 45] },
  'crop-wd': { 0: [44, 30, 20, 46] },
  r18: { 0: [30, 30, 30, 30] },
};

const hashes = {} as Record<Name, string>;
beforeAll(async () => {
  for (const name of Object.keys(CONFIGS) as Name[]) hashes[name] = await configHash(CONFIGS[name]);
});

/** Every miss of class k goes to class k+1, so the confusion matrix agrees with the counts. */
function confusionOf(correct: number[]): number[][] {
  return correct.map((c, k) => correct.map((_, j) => (j === k ? c : j === (k + 1) % correct.length ? PER_CLASS - c : 0)));
}

function run(name: Name, seed: number, correct = COUNTS[name][seed]!, extra: Partial<RunOutcome> = {}): RunOutcome {
  return {
    config: CONFIGS[name],
    configHash: hashes[name],
    seed,
    dataset: DATASET,
    perClass: correct.map((c, k) => ({ class: CLASSES[k]!, correct: c, total: PER_CLASS })),
    confusion: confusionOf(correct),
    ...extra,
  };
}

/** Every run of the table, seeds deliberately out of order. */
function allRuns(): RunOutcome[] {
  return (Object.keys(COUNTS) as Name[]).flatMap((name) =>
    Object.keys(COUNTS[name])
      .map(Number)
      .reverse()
      .map((seed) => run(name, seed)),
  );
}

function expectClose(actual: number, expected: number, tolerance = 1e-12): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

type Triple = [number, number, number];
interface ExpectedClass {
  base: Triple;
  treat: Triple;
  delta: Triple;
  p: number;
  q: number;
  fallback?: true;
}

// From stats_reference.py: scipy's ttest_rel / ttest_ind(equal_var=False) with .confidence_interval(),
// t.interval for the accuracies, binomtest(...).proportion_ci('wilson') and Newcombe for the binomial ones.
// The four accuracy bounds written as 1 were above 1 in scipy's output (1.07 to 1.21): the analysis cuts them at 1.
const EXPECTED: Record<'crop' | 'wd' | 'crop-half' | 'crop-wd', { classes: ExpectedClass[]; meanDelta: Triple }> = {
  crop: {
    classes: [
      {
        base: [0.82, 0.7703172457649935, 0.8696827542350064],
        treat: [0.86, 0.8103172457649933, 0.9096827542350067],
        delta: [0.040000000000000036, -0.009682754235006502, 0.0896827542350065],
        p: 0.07417990022744829,
        q: 0.14835980045489658,
      },
      {
        base: [0.6933333333333334, 0.6174416726613983, 0.7692249940052684],
        treat: [0.6533333333333333, 0.577441672661398, 0.7292249940052686],
        delta: [-0.040000000000000036, -0.14446146120677672, 0.06568389991527468],
        p: 0.4601356150150132,
        q: 0.6135141533533509,
        fallback: true,
      },
      {
        base: [0.68, 0.6303172457649936, 0.7296827542350065],
        treat: [0.45999999999999996, 0.4103172457649934, 0.5096827542350065],
        delta: [-0.22000000000000008, -0.3193655084700131, -0.12063449152998691],
        p: 0.010840428605201865,
        q: 0.04336171442080746,
      },
      {
        base: [0.9, 0.8415651883318529, 0.9384586161736859],
        treat: [0.9, 0.8415651883318529, 0.9384586161736859],
        delta: [0.0, -0.06995493101052072, 0.06995493101052072],
        p: 1.0,
        q: 1.0,
        fallback: true,
      },
    ],
    meanDelta: [-0.05500000000000002, -0.07651326364874737, -0.033486736351252724],
  },
  wd: {
    classes: [
      {
        base: [0.82, 0.7703172457649935, 0.8696827542350064],
        treat: [0.82, 0.7206344915299868, 0.9193655084700131],
        delta: [0.0, -0.08310799006365005, 0.08310799006365005],
        p: 1.0,
        q: 1.0,
      },
      {
        base: [0.6933333333333334, 0.6174416726613983, 0.7692249940052684],
        treat: [0.7133333333333334, 0.6374416726613983, 0.7892249940052685],
        delta: [0.020000000000000018, -0.049256708912237754, 0.08925670891223779],
        p: 0.46760475460939666,
        q: 0.9352095092187933,
      },
      {
        base: [0.68, 0.6303172457649936, 0.7296827542350065],
        treat: [0.6, 0.5503172457649933, 0.6496827542350067],
        delta: [-0.08000000000000007, -0.1253391587105504, -0.03466084128944974],
        p: 0.008049893100837672,
        q: 0.03219957240335069,
      },
      {
        base: [0.9, 0.8415651883318529, 0.9384586161736859],
        treat: [0.9, 0.8503172457649933, 0.9496827542350067],
        delta: [0.0, -0.04968275423500665, 0.04968275423500665],
        p: 1.0,
        q: 1.0,
      },
    ],
    meanDelta: [-0.015000000000000013, -0.026995605108764305, -0.003004394891235721],
  },
  'crop-half': {
    classes: [
      {
        base: [0.83, 0.7029379526382529, 0.957062047361747],
        treat: [0.8300000000000001, 0.44881385791475964, 1],
        delta: [1.1102230246251565e-16, -0.25412409472349334, 0.25412409472349345],
        p: 1.0,
        q: 1.0,
      },
      {
        base: [0.69, 0.3088138579147595, 1],
        treat: [0.64, 0.13175181055301177, 1],
        delta: [-0.04999999999999993, -0.17706204736174774, 0.07706204736174777],
        p: 0.12566591637800317,
        q: 0.25133183275600635,
      },
      {
        base: [0.6799999999999999, 0.42587590527650654, 0.9341240947234933],
        treat: [0.55, 0.42293795263825296, 0.6770620473617471],
        delta: [-0.1299999999999999, -0.2570620473617463, -0.0029379526382536103],
        p: 0.04887450394439459,
        q: 0.19549801577757836,
      },
      {
        base: [0.9, 0.8256343384950865, 0.9447708629393249],
        treat: [0.9, 0.645875905276506, 1],
        delta: [0.0, -0.2541240947234941, 0.2541240947234941],
        p: 1.0,
        q: 1.0,
      },
    ],
    meanDelta: [-0.04499999999999993, -0.10853102368087357, 0.01853102368087349],
  },
  'crop-wd': {
    classes: [
      {
        base: [0.82, 0.7507767216820398, 0.873242321922391],
        treat: [0.88, 0.7619518261679702, 0.9438239984906772],
        delta: [0.06000000000000005, -0.06949948335327305, 0.15415606748597643],
        p: 0.32223375139813115,
        q: 0.42964500186417487,
      },
      {
        base: [0.6933333333333334, 0.6154815486776256, 0.7615299568333848],
        treat: [0.6, 0.4618143774758936, 0.7239161026974346],
        delta: [-0.09333333333333338, -0.247430853524875, 0.05300907638374025],
        p: 0.22417216724945221,
        q: 0.42964500186417487,
      },
      {
        base: [0.68, 0.6016560026038712, 0.7493547094236214],
        treat: [0.4, 0.2760838973025654, 0.5381856225241064],
        delta: [-0.28, -0.4220044936857849, -0.12115086339429021],
        p: 0.0004390693915858666,
        q: 0.0017562775663434664,
      },
      {
        base: [0.9, 0.8415651883318529, 0.9384586161736859],
        treat: [0.92, 0.8116175308165716, 0.9684504859114069],
        delta: [0.020000000000000018, -0.0950035859627503, 0.09590834473062407],
        p: 0.676169945123893,
        q: 0.676169945123893,
      },
    ],
    meanDelta: [-0.07333333333333333, -0.14726496946618917, -0.004425138763937866],
  },
};

function comparison(analysis: StudyAnalysis, name: Name) {
  const c = analysis.comparisons.find((x) => x.treatment.configHash === hashes[name]);
  if (!c) throw new Error(`no comparison for ${name}`);
  return c;
}

describe('analyzeRuns: grouping and methods', () => {
  it('groups runs by config with sorted seeds and per-class means, the baseline found by its config', () => {
    const analysis = analyzeRuns(allRuns(), CONFIGS.base);
    expect(analysis.dataset).toEqual(DATASET);
    expect(analysis.groups).toHaveLength(6);
    expect(analysis.baseline?.configHash).toBe(hashes.base);
    expect(analysis.baseline?.label).toBe('no crop, wd 0');
    expect(analysis.baseline?.seeds).toEqual([0, 1, 2]);
    const half = analysis.groups.find((g) => g.configHash === hashes['crop-half'])!;
    expect(half.label).toBe('resized crop s=0.5, wd 0');
    expect(half.seeds).toEqual([1, 2, 3]);
    expectClose(half.perClassMean[2]!, 85 / 150);
    expectClose(analysis.baseline!.meanAccuracy, (123 + 104 + 102 + 135) / 600);
    expect(analysis.groups.every((g) => !g.provisional)).toBe(true);
  });

  it('finds the baseline by its hash as well, and compares nothing when no group is the baseline', () => {
    const byHash = analyzeRuns(allRuns(), hashes.base);
    expect(byHash.baseline?.configHash).toBe(hashes.base);
    expect(byHash.comparisons).toHaveLength(4);
    const none = analyzeRuns(allRuns(), config({ kind: 'translate', padding: 4 }, 0));
    expect(none.baseline).toBeNull();
    expect(none.groups).toHaveLength(6);
    expect(none.comparisons).toEqual([]);
    expect(none.notComparable).toEqual([]);
    expect(none.axes).toEqual([]);
  });

  it('picks the method from the seeds: paired on shared seeds, Welch, binomial', () => {
    const analysis = analyzeRuns(allRuns(), CONFIGS.base);
    expect(analysis.comparisons.map((c) => c.treatment.configHash).sort()).toEqual(
      [hashes.crop, hashes.wd, hashes['crop-half'], hashes['crop-wd']].sort(),
    );
    expect(comparison(analysis, 'crop')).toMatchObject({ method: 'paired-t', pairedSeeds: [0, 1, 2] });
    expect(comparison(analysis, 'wd')).toMatchObject({ method: 'welch-t', pairedSeeds: [] });
    // Seeds {0,1,2} against {1,2,3}: paired on 1 and 2, the unshared seeds left out of both sides.
    const half = comparison(analysis, 'crop-half');
    expect(half).toMatchObject({ method: 'paired-t', pairedSeeds: [1, 2] });
    expect(half.classes.every((c) => c.baseline.seeds === 2 && c.treatment.seeds === 2)).toBe(true);
    const single = comparison(analysis, 'crop-wd');
    expect(single).toMatchObject({ method: 'binomial', pairedSeeds: [0] });
    expect(single.classes[0]!.baseline.seeds).toBe(3);
    expect(single.classes[0]!.treatment.seeds).toBe(1);
  });

  it('sets apart a config on another model, with why', () => {
    const analysis = analyzeRuns(allRuns(), CONFIGS.base);
    expect(analysis.notComparable).toHaveLength(1);
    const [entry] = analysis.notComparable;
    expect(entry!.group.configHash).toBe(hashes.r18);
    expect(entry!.reason).toBe('another model: model.arch resnet18 vs resnet20');
    expect(entry!.group.label).toBe('no crop, wd 0 (model.arch resnet18)');
  });

  it('compares a config that evaluates or reads its losses at another pace: the trained model is the same', async () => {
    const paced = parseRunConfig({
      ...input,
      augmentation: { crop: { kind: 'resized', scale: 0.25 } },
      training: { ...input.training, evalEvery: 2, lossReadEvery: 3 },
    });
    const hash = await configHash(paced);
    const runs = [run('base', 0), run('base', 1), { ...run('crop', 0), config: paced, configHash: hash }, { ...run('crop', 1), config: paced, configHash: hash }];
    const analysis = analyzeRuns(runs, CONFIGS.base);
    expect(analysis.notComparable).toEqual([]);
    expect(analysis.comparisons.map((c) => c.treatment.configHash)).toEqual([hash]);
  });
});

describe('analyzeRuns: per-class numbers against scipy', () => {
  for (const name of ['crop', 'wd', 'crop-half', 'crop-wd'] as const) {
    it(`${name} against the baseline`, () => {
      const c = comparison(analyzeRuns(allRuns(), CONFIGS.base), name);
      const expected = EXPECTED[name];
      c.classes.forEach((d, k) => {
        const e = expected.classes[k]!;
        expect(d.classIndex).toBe(k);
        expect(d.className).toBe(CLASSES[k]);
        [d.baseline.estimate, d.baseline.low, d.baseline.high].forEach((v, i) => expectClose(v, e.base[i]!));
        [d.treatment.estimate, d.treatment.low, d.treatment.high].forEach((v, i) => expectClose(v, e.treat[i]!));
        [d.delta.estimate, d.delta.low, d.delta.high].forEach((v, i) => expectClose(v, e.delta[i]!));
        expectClose(d.p, e.p);
        expectClose(d.q, e.q);
        expect(d.method).toBe(e.fallback ? 'binomial' : undefined);
        const significant = e.q < 0.05 ? (e.delta[0] < 0 ? 'hurt' : 'helped') : null;
        expect(d.significant).toBe(significant);
      });
      const m = c.summary.meanDelta;
      [m.estimate, m.low, m.high].forEach((v, i) => expectClose(v, expected.meanDelta[i]!));
    });
  }

  it('falls back to the pooled counts for a class whose seeds show no spread, rather than p = 0', () => {
    const c = comparison(analyzeRuns(allRuns(), CONFIGS.base), 'crop');
    // "dog, spotted" loses exactly 2 images on every seed: a t test would give p = 0 and a zero-width interval.
    const dog = c.classes[1]!;
    expect(dog.method).toBe('binomial');
    expect(dog.p).toBeGreaterThan(0.4);
    expect(dog.delta.high - dog.delta.low).toBeGreaterThan(0.2);
  });
});

describe('analyzeRuns: summary, confusion, axes', () => {
  it('summarizes the crop comparison: one class hurt, the worst class and the most hurt', () => {
    const s = comparison(analyzeRuns(allRuns(), CONFIGS.base), 'crop').summary;
    expect(s.hurt).toBe(1);
    expect(s.helped).toBe(0);
    expectClose(s.expectedByChanceUncorrected, 0.2);
    expectClose(s.expectedFalseDiscoveries, 0.05);
    expectClose(s.baselineMeanAccuracy, (0.82 + 104 / 150 + 0.68 + 0.9) / 4);
    expectClose(s.treatmentMeanAccuracy, (0.86 + 98 / 150 + 0.46 + 0.9) / 4);
    expect(s.worstClass.baseline.className).toBe('barn "spider"');
    expectClose(s.worstClass.baseline.accuracy, 0.68);
    expect(s.worstClass.treatment.className).toBe('barn "spider"');
    expectClose(s.worstClass.treatment.accuracy, 0.46);
    expect(s.mostHurt?.className).toBe('barn "spider"');
    expectClose(s.mostHurt!.before, 0.68);
    expectClose(s.mostHurt!.after, 0.46);
  });

  it('has no most-hurt class when no class fell', () => {
    const better = [0, 1, 2].map((seed) => run('crop', seed, COUNTS.base[seed]!.map((c) => c + 1 + seed)));
    const analysis = analyzeRuns([...[0, 1, 2].map((seed) => run('base', seed)), ...better], CONFIGS.base);
    const s = analysis.comparisons[0]!.summary;
    expect(s.mostHurt).toBeNull();
    expect(s.hurt).toBe(0);
    expect(s.worstClass.treatment.className).toBe('barn "spider"');
  });

  it('averages the confusion matrices over seeds and subtracts', () => {
    const c = comparison(analyzeRuns(allRuns(), CONFIGS.base), 'crop');
    const delta = c.confusionDelta!;
    // cat: 41 correct on average at baseline, 43 with the crop; its misses all go to "dog, spotted".
    expectClose(delta[0]![0]!, 2);
    expectClose(delta[0]![1]!, -2);
    // barn spider: 34 → 23 correct on average; misses go to truck.
    expectClose(delta[2]![2]!, 23 - 34);
    expectClose(delta[2]![3]!, 34 - 23);
    expectClose(delta[3]![3]!, 0);
    expect(delta.flat().reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
  });

  it('draws each regularizer against strength at each fixed value of the other', () => {
    const analysis = analyzeRuns(allRuns(), CONFIGS.base);
    const summary = analysis.axes.map((a) => ({
      regularizer: a.regularizer,
      fixed: a.fixed,
      points: a.points.map((p) => [p.label, p.strength]),
    }));
    expect(summary).toEqual([
      {
        regularizer: 'crop',
        fixed: 'wd 0',
        points: [
          ['no crop', 0],
          ['resized crop s=0.5', 0.5],
          ['resized crop s=0.25', 0.75],
        ],
      },
      {
        regularizer: 'crop',
        fixed: 'wd 0.0005',
        points: [
          ['no crop', 0],
          ['resized crop s=0.25', 0.75],
        ],
      },
      {
        regularizer: 'weightDecay',
        fixed: 'no crop',
        points: [
          ['wd 0', 0],
          ['wd 0.0005', 0.0005],
        ],
      },
      {
        regularizer: 'weightDecay',
        fixed: 'resized crop s=0.25',
        points: [
          ['wd 0', 0],
          ['wd 0.0005', 0.0005],
        ],
      },
    ]);
    const crop = analysis.axes[0]!;
    expect(crop.points.map((p) => p.configHash)).toEqual([hashes.base, hashes['crop-half'], hashes.crop]);
    expect(crop.perClass).toHaveLength(4);
    [0.68, 85 / 150, 0.46].forEach((v, i) => expectClose(crop.perClass[2]![i]!, v));
    [(123 + 104 + 102 + 135) / 600, (127 + 97 + 85 + 135) / 600, (129 + 98 + 69 + 135) / 600].forEach((v, i) => expectClose(crop.mean[i]!, v));
    // The model on another architecture never joins an axis.
    expect(analysis.axes.flatMap((a) => a.points.map((p) => p.configHash))).not.toContain(hashes.r18);
  });

  it('orders pad-and-crop by padding over the image side', () => {
    const pad = (padding: number) => config({ kind: 'translate', padding }, 0);
    const runs: RunOutcome[] = [];
    const padded = [pad(2), pad(1)];
    return Promise.all(padded.map(configHash)).then(([h2, h1]) => {
      for (const seed of [0, 1]) {
        runs.push(run('base', seed));
        runs.push({ ...run('base', seed), config: padded[0]!, configHash: h2! });
        runs.push({ ...run('base', seed), config: padded[1]!, configHash: h1! });
      }
      const [axis] = analyzeRuns(runs, CONFIGS.base).axes;
      // The synthetic images are 8 px wide: padding 1 may shift the window by 1/8 of the side.
      expect(axis!.points.map((p) => [p.label, p.strength])).toEqual([
        ['no crop', 0],
        ['pad-and-crop p=1', 0.125],
        ['pad-and-crop p=2', 0.25],
      ]);
    });
  });
});

describe('analyzeRuns: datasets and provisional runs', () => {
  it('refuses runs on two datasets, naming both', () => {
    const other = { ...run('crop', 0), dataset: { ...DATASET, name: 'cifar-10', contentHash: 'abcdef12'.padEnd(64, '9') } };
    expect(() => analyzeRuns([run('base', 0), other], CONFIGS.base)).toThrow(DatasetMismatchError);
    expect(() => analyzeRuns([run('base', 0), other], CONFIGS.base)).toThrow(/"four" \(c0ffee00\) and "cifar-10" \(abcdef12\)/);
    const renamed = { ...run('crop', 0), dataset: { ...DATASET, classNames: ['a', 'b', 'c', 'd'] } };
    expect(() => analyzeRuns([run('base', 0), renamed], CONFIGS.base)).toThrow(/same pixels, different class names/);
    expect(() => analyzeRuns([], CONFIGS.base)).toThrow(/no runs/);
  });

  it('carries the per-class test counts, and refuses runs that count them differently', () => {
    expect(analyzeRuns(allRuns(), CONFIGS.base).classTestCounts).toEqual([50, 50, 50, 50]);
    const recounted = run('crop', 0);
    recounted.perClass = recounted.perClass.map((c, k) => ({ ...c, total: k === 0 ? 49 : k === 1 ? 51 : c.total }));
    expect(() => analyzeRuns([run('base', 0), recounted], CONFIGS.base)).toThrow(DatasetMismatchError);
    expect(() => analyzeRuns([run('base', 0), recounted], CONFIGS.base)).toThrow(/counts 49 test images of cat, another run 50: not one test set/);
  });

  it('keeps a finished run over a provisional one of the same config and seed, wherever it comes', () => {
    const reference = comparison(analyzeRuns(allRuns(), CONFIGS.base), 'crop');
    const stale = run('crop', 0, [10, 10, 10, 10], { provisional: true, confusion: null });
    for (const runs of [[...allRuns(), stale], [stale, ...allRuns()]]) {
      const c = comparison(analyzeRuns(runs, CONFIGS.base), 'crop');
      expect(c.classes).toEqual(reference.classes);
      expect(c.treatment.provisional).toBe(false);
    }
  });

  it('uses a provisional run while it trains, the later evaluation of two, and the confusion of the seeds that have one', () => {
    const runs = [
      run('base', 0),
      run('base', 1),
      run('crop', 0),
      run('crop', 1, [20, 20, 20, 20], { provisional: true, confusion: null }),
      run('crop', 1, [44, 31, 22, 45], { provisional: true, confusion: null }),
    ];
    const c = analyzeRuns(runs, CONFIGS.base).comparisons[0]!;
    expect(c.treatment.provisional).toBe(true);
    expect(c.method).toBe('paired-t');
    expectClose(c.treatment.perClassMean[2]!, (23 + 22) / 100);
    // Only seed 0 of the treatment has a confusion matrix; the baseline's two are averaged.
    expectClose(c.confusionDelta![2]![2]!, 23 - (34 + 35) / 2);
    const none = analyzeRuns([run('base', 0), run('crop', 0, COUNTS.crop[0], { provisional: true, confusion: null })], CONFIGS.base);
    expect(none.comparisons[0]!.confusionDelta).toBeNull();
  });
});

/** A small RFC 4180 reader, to check the writer's quoting by reading its output back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

describe('perClassCsv', () => {
  it('writes one row per comparison and class that reads back to the same values', () => {
    const analysis = analyzeRuns(allRuns(), CONFIGS.base);
    const text = perClassCsv(analysis);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([
      'dataset', 'baseline', 'treatment', 'method', 'class index', 'class',
      'baseline mean', 'baseline low', 'baseline high', 'treatment mean', 'treatment low', 'treatment high',
      'delta', 'delta low', 'delta high', 'p', 'q', 'significant', 'baseline seed ids', 'treatment seed ids',
    ]); // prettier-ignore
    expect(rows).toHaveLength(4 * 4);
    for (const row of rows) expect(row).toHaveLength(header!.length);
    const col = (name: string) => header!.indexOf(name);
    const crop = comparison(analysis, 'crop');
    const spider = rows.find((r) => r[col('treatment')] === 'resized crop s=0.25, wd 0' && r[col('class index')] === '2')!;
    expect(spider[col('class')]).toBe('barn "spider"');
    expect(spider[col('dataset')]).toBe('four');
    expect(spider[col('baseline')]).toBe('no crop, wd 0');
    expect(spider[col('method')]).toBe('paired-t');
    expect(spider[col('significant')]).toBe('hurt');
    expect(Number(spider[col('delta')])).toBe(crop.classes[2]!.delta.estimate);
    expect(Number(spider[col('q')])).toBe(crop.classes[2]!.q);
    expect(Number(spider[col('treatment high')])).toBe(crop.classes[2]!.treatment.high);
    expect(spider[col('baseline seed ids')]).toBe('0 1 2');
    const dog = rows.find((r) => r[col('treatment')] === 'resized crop s=0.25, wd 0' && r[col('class index')] === '1')!;
    expect(dog[col('class')]).toBe('dog, spotted');
    expect(dog[col('method')]).toBe('binomial');
    expect(dog[col('significant')]).toBe('');
    const welch = rows.find((r) => r[col('treatment')] === 'no crop, wd 0.0005')!;
    expect([welch[col('baseline seed ids')], welch[col('treatment seed ids')]]).toEqual(['0 1 2', '3 4 5']);
    const half = rows.find((r) => r[col('treatment')] === 'resized crop s=0.5, wd 0')!;
    expect([half[col('baseline seed ids')], half[col('treatment seed ids')]]).toEqual(['1 2', '1 2']);
    expect(text).toContain('"barn ""spider"""');
  });
});
