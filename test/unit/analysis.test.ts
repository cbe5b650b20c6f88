/**
 * analyzeRuns on a hand-built study: 4 classes of 40 test images (in mixed
 * test order), a baseline and four regularized configs with matched, unmatched,
 * partly matched and single seeds, and one config on another model. The runs'
 * per-image predictions are in test/unit/reference/analysis-fixture.json;
 * test/unit/reference/analysis_reference.R wrote them and computed every
 * expected number below in R (aov, limma's squeezeVar, pt/qt, binom.test,
 * p.adjust), independently of the TypeScript.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeRuns, DatasetMismatchError, type RunOutcome, type StudyAnalysis } from '../../src/study/analysis';
import { configHash, parseRunConfig, type RunConfig } from '../../src/study/config';

interface Fixture {
  classes: string[];
  labels: number[];
  runs: { config: Name; seed: number; predictions: number[] }[];
}
const FIXTURE = JSON.parse(readFileSync(new URL('./reference/analysis-fixture.json', import.meta.url), 'utf8')) as Fixture;
const CLASSES = FIXTURE.classes;
const PER_CLASS = 40;
const DATASET = { name: 'four', classNames: CLASSES, testCount: 160, contentHash: 'c0ffee'.padEnd(64, '0') };

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

const hashes = {} as Record<Name, string>;
beforeAll(async () => {
  for (const name of Object.keys(CONFIGS) as Name[]) hashes[name] = await configHash(CONFIGS[name]);
});

function run(name: Name, seed: number, extra: Partial<RunOutcome> = {}): RunOutcome {
  const { predictions } = FIXTURE.runs.find((r) => r.config === name && r.seed === seed)!;
  const labels = FIXTURE.labels;
  const confusion = CLASSES.map(() => CLASSES.map(() => 0));
  predictions.forEach((p, i) => confusion[labels[i]!]![p]!++);
  return {
    config: CONFIGS[name],
    configHash: hashes[name],
    seed,
    dataset: DATASET,
    perClass: CLASSES.map((c, k) => ({ class: c, correct: confusion[k]![k]!, total: PER_CLASS })),
    confusion,
    predictions,
    labels,
    ...extra,
  };
}

/** Every run of the fixture, seeds deliberately out of order. */
function allRuns(): RunOutcome[] {
  return [...FIXTURE.runs].reverse().map((r) => run(r.config, r.seed));
}

function expectClose(actual: number, expected: number, tolerance = 1e-12): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

function comparison(analysis: StudyAnalysis, name: Name) {
  const c = analysis.comparisons.find((x) => x.treatment.configHash === hashes[name]);
  if (!c) throw new Error(`no comparison for ${name}`);
  return c;
}

type Triple = [number, number, number];
interface ExpectedClass {
  base: Triple;
  treat: Triple;
  delta: Triple;
  p: number;
  q: number;
  se?: number;
  df?: number;
  seedSd?: number;
  discordant?: number;
}

// Printed by analysis_reference.R.
const EXPECTED: Record<'crop' | 'wd' | 'crop-half' | 'crop-wd', { priorDf?: number; meanDelta: Triple; classes: ExpectedClass[] }> = {
  crop: {
    priorDf: Infinity,
    meanDelta: [-0.079166666666666663, -0.29121526105054985, 0.13288192771721649],
    classes: [
      { base: [0.7416666666666667, 0.44546295753561377, 1], treat: [0.89166666666666672, 0.79425112019525856, 0.98908221313807487], delta: [0.14999999999999999, 0.015976472801329078, 0.28402352719867091], p: 0.0313257955505339, q: 0.1879547733032034, se: 0.061302538852479216, df: 11.642144710688511, seedSd: 0.096451282848520614 },
      { base: [0.6166666666666667, 0.46410419376249779, 0.76922913957083561], treat: [0.6166666666666667, 0.48804023710202338, 0.74529309623131001], delta: [0, -0.1980573097866567, 0.1980573097866567], p: 1, q: 1, se: 0.085887664624296686, df: 8, seedSd: 0.14876179887271798 },
      { base: [0.65, 0.5047543197507548, 0.79524568024924525], treat: [0.23333333333333334, 0.1117240601838492, 0.3549426064828175], delta: [-0.41666666666666669, -0.59521160755596114, -0.2381217257773722], p: 0.00032585963858372432, q: 0.0039103156630046921, se: 0.08110937095743484, df: 10.987682821596627, seedSd: 0.1295664780049777 },
      { base: [0.8, 0.67498786209213801, 0.92501213790786208], treat: [0.75, 0.6323118710719976, 0.8676881289280024], delta: [-0.049999999999999996, -0.20819111449974989, 0.10819111449974991], p: 0.51026558976222425, q: 0.76539838464333632, se: 0.07409707275986574, df: 14.725358025674673, seedSd: 0.10939800476488315 },
    ],
  },
  wd: {
    priorDf: Infinity,
    meanDelta: [0.01041666666666663, -0.11630569780251662, 0.13713903113584988],
    classes: [
      { base: [0.7416666666666667, 0.44546295753561377, 1], treat: [0.70833333333333337, 0.55771575555500019, 0.85895091111166655], delta: [-0.033333333333333215, -0.20588736572160016, 0.13922069905493373], p: 0.69256734836372624, q: 0.83108081803647149, se: 0.083205816411307684, df: 22.009392304925552, seedSd: 0.093784873115545467 },
      { base: [0.6166666666666667, 0.46410419376249779, 0.76922913957083561], treat: [0.7416666666666667, 0.54111437215325542, 0.94221896118007797], delta: [0.125, -0.05204273462610487, 0.30204273462610487], p: 0.15392466000744007, q: 0.5153589420737178, se: 0.083514454485840189, df: 16, seedSd: 0.10228389981859906 },
      { base: [0.65, 0.5047543197507548, 0.79524568024924525], treat: [0.58333333333333337, 0.4543433960699782, 0.71232327059668854], delta: [-0.066666666666666652, -0.23807227396352554, 0.10473894063019223], p: 0.42452926011890146, q: 0.72776444591811673, se: 0.081584248865227693, df: 17.994931293323123, seedSd: 0.096990006791586689 },
      { base: [0.8, 0.67498786209213801, 0.92501213790786208], treat: [0.81666666666666665, 0.57189291618307125, 1], delta: [0.016666666666666607, -0.13064704883130318, 0.1639803821646364], p: 0.81349974697650607, q: 0.88745426942891559, se: 0.069490705812229159, df: 16, seedSd: 0.085108385552909352 },
    ],
  },
  'crop-half': {
    priorDf: 1.74408978500566,
    meanDelta: [-0.0093750000000000066, -0.44615078780600509, 0.42740078780600504],
    classes: [
      { base: [0.7, 0, 1], treat: [0.8875, 0.41101732239344851, 1], delta: [0.1875, -0.1548651424461, 0.52986514244610006], p: 0.17178631402457259, q: 0.5153589420737178, se: 0.10198189634801752, df: 2.7440897850056603, seedSd: 0.1442241809318936 },
      { base: [0.6625, 0.20444586985328617, 1], treat: [0.5625, 0.34640140794652119, 0.77859859205347881], delta: [-0.1, -0.35499132940896205, 0.15499132940896207], p: 0.28714657931558857, q: 0.57429315863117747, se: 0.075955452531275031, df: 2.7440897850056603, seedSd: 0.10741723110591497 },
      { base: [0.65, 0.25009205909208299, 1], treat: [0.55, 0.065244556068936366, 1], delta: [-0.1, -0.35499132940896228, 0.15499132940896224], p: 0.28714657931558873, q: 0.57429315863117747, se: 0.075955452531275072, df: 2.7440897850056603, seedSd: 0.10741723110591504 },
      { base: [0.825, 0.58284997414021567, 1], treat: [0.8, 0.25849008906575677, 1], delta: [-0.025, -0.20480455033175152, 0.15480455033175153], p: 0.67519507109690191, q: 0.83108081803647149, se: 0.053559217167446958, df: 2.7440897850056603, seedSd: 0.075744171308289393 },
    ],
  },
  'crop-wd': {
    meanDelta: [-0.03125, -0.11020310098092095, 0.047703100980920954],
    classes: [
      { base: [0.825, 0.68050009668212286, 0.91254586253964076], treat: [0.85, 0.70927675633510301, 0.92938812282679639], delta: [0.025, -0.12959617194950937, 0.16335195198067504], p: 1, q: 1, discordant: 9 },
      { base: [0.525, 0.37497362106692478, 0.670645298873211], treat: [0.475, 0.32935470112678905, 0.62502637893307522], delta: [-0.05, -0.20900866211494196, 0.13399818859073651], p: 0.77441406250000022, q: 1, discordant: 12 },
      { base: [0.65, 0.49505880837257699, 0.77865471126823704], treat: [0.45, 0.30705307810904925, 0.60170908201067941], delta: [-0.2, -0.31739449847709283, 0.0055829739339302575], p: 0.057373046875000042, q: 0.22949218750000017, discordant: 14 },
      { base: [0.75, 0.59806038579231979, 0.85812881360903692], treat: [0.85, 0.70927675633510301, 0.92938812282679639], delta: [0.1, -0.060342317765129688, 0.1872583895000223], p: 0.28906250000000011, q: 0.57812500000000022, discordant: 8 },
    ],
  },
};

describe('analyzeRuns: grouping and methods', () => {
  it('groups runs by config with sorted seeds and per-class means, the baseline found by its config or its hash', () => {
    const analysis = analyzeRuns(allRuns(), CONFIGS.base);
    expect(analysis.dataset).toEqual(DATASET);
    expect(analysis.groups).toHaveLength(6);
    expect(analysis.baseline?.configHash).toBe(hashes.base);
    expect(analysis.baseline?.label).toBe('no crop, wd 0');
    expect(analysis.baseline?.seeds).toEqual([0, 1, 2]);
    expect(analysis.groups.find((g) => g.configHash === hashes['crop-half'])!.seeds).toEqual([1, 2, 3]);
    expect(analysis.groups.every((g) => !g.provisional)).toBe(true);
    expect(analyzeRuns(allRuns(), hashes.base).baseline?.configHash).toBe(hashes.base);
    expect(analysis.duplicates).toEqual([]);
  });

  it('compares nothing when no group is the baseline', () => {
    const none = analyzeRuns(allRuns(), config({ kind: 'translate', padding: 4 }, 0));
    expect(none.baseline).toBeNull();
    expect(none.groups).toHaveLength(6);
    expect(none.comparisons).toEqual([]);
    expect(none.multiplicity).toEqual({ fdr: 0.05, tests: 0, flagged: 0, modelTests: 0, modelFlagged: 0 });
  });

  it('picks the method from the seeds: paired on shared seeds, unpaired, model vs model', () => {
    const analysis = analyzeRuns(allRuns(), CONFIGS.base);
    expect(comparison(analysis, 'crop')).toMatchObject({ method: 'moderated-paired', pairedSeeds: [0, 1, 2], baselineSeeds: [0, 1, 2], treatmentSeeds: [0, 1, 2], evidence: 'images' });
    expect(comparison(analysis, 'wd')).toMatchObject({ method: 'moderated-unpaired', pairedSeeds: [], baselineSeeds: [0, 1, 2], treatmentSeeds: [3, 4, 5] });
    // Seeds {0,1,2} against {1,2,3}: paired on 1 and 2, the unshared seeds left out of both sides.
    const half = comparison(analysis, 'crop-half');
    expect(half).toMatchObject({ method: 'moderated-paired', pairedSeeds: [1, 2], baselineSeeds: [1, 2], treatmentSeeds: [1, 2] });
    expect(half.classes.every((c) => c.baseline.seeds === 2 && c.treatment.seeds === 2)).toBe(true);
    // One seed of the treatment: its model against the baseline's model of the same seed.
    expect(comparison(analysis, 'crop-wd')).toMatchObject({ method: 'model-vs-model', pairedSeeds: [0], baselineSeeds: [0], treatmentSeeds: [0], moderation: null });
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
    const paced = parseRunConfig({ ...input, augmentation: { crop: { kind: 'resized', scale: 0.25 } }, training: { ...input.training, evalEvery: 2, lossReadEvery: 3 } });
    const hash = await configHash(paced);
    const runs = [run('base', 0), run('base', 1), { ...run('crop', 0), config: paced, configHash: hash }, { ...run('crop', 1), config: paced, configHash: hash }];
    const analysis = analyzeRuns(runs, CONFIGS.base);
    expect(analysis.notComparable).toEqual([]);
    expect(analysis.comparisons.map((c) => c.treatment.configHash)).toEqual([hash]);
  });
});

describe('analyzeRuns: per-class numbers against R', () => {
  for (const name of ['crop', 'wd', 'crop-half', 'crop-wd'] as const) {
    it(`${name} against the baseline`, () => {
      const c = comparison(analyzeRuns(allRuns(), CONFIGS.base), name);
      const expected = EXPECTED[name];
      if (expected.priorDf !== undefined) expect(c.moderation!.priorDf).toBeCloseTo(expected.priorDf, 10);
      c.classes.forEach((d, k) => {
        const e = expected.classes[k]!;
        expect(d.classIndex).toBe(k);
        expect(d.className).toBe(CLASSES[k]);
        expect(d.testImages).toBe(PER_CLASS);
        [d.baseline.estimate, d.baseline.low, d.baseline.high].forEach((v, i) => expectClose(v, e.base[i]!));
        [d.treatment.estimate, d.treatment.low, d.treatment.high].forEach((v, i) => expectClose(v, e.treat[i]!));
        [d.delta.estimate, d.delta.low, d.delta.high].forEach((v, i) => expectClose(v, e.delta[i]!));
        expectClose(d.p, e.p);
        expectClose(d.q, e.q);
        if (e.se !== undefined) expectClose(d.se, e.se);
        if (e.df !== undefined) expectClose(d.df, e.df, 1e-10);
        if (e.seedSd !== undefined) expectClose(d.seedSd!, e.seedSd);
        expect(d.discordant).toBe(e.discordant ?? null);
        const call = e.q < 0.05 ? (e.delta[0] < 0 ? 'hurt' : 'helped') : null;
        expect(d.verdict).toBe(name === 'crop-wd' ? null : call);
        expect(d.modelDifference).toBe(name === 'crop-wd' && call ? (call === 'hurt' ? 'lower' : 'higher') : null);
      });
      const m = c.summary.meanDelta;
      [m.estimate, m.low, m.high].forEach((v, i) => expectClose(v, expected.meanDelta[i]!));
    });
  }

  it('controls false discoveries over the study: one family for the regularizer tests, one for model vs model', () => {
    const analysis = analyzeRuns(allRuns(), CONFIGS.base);
    expect(analysis.multiplicity).toEqual({ fdr: 0.05, tests: 12, flagged: 1, modelTests: 4, modelFlagged: 0 });
    const crop = comparison(analysis, 'crop');
    expect(crop.summary).toMatchObject({ hurt: 1, helped: 0, lower: 0, higher: 0 });
    expect(crop.classes[2]!.verdict).toBe('hurt');
    // Alone, the crop comparison's class 0 (p = 0.031) would pass BH over its 4 classes (q = 0.063 → no); with the study's 12 tests, q = 0.19.
    expectClose(crop.classes[0]!.q, 0.1879547733032034);
  });

  it('from per-class counts alone (no predictions): a binomial floor, no image part, and says so', () => {
    const counts = allRuns().map(({ predictions: _p, ...rest }) => rest);
    const c = comparison(analyzeRuns(counts, CONFIGS.base), 'crop');
    expect(c.evidence).toBe('counts');
    // [base, treat, delta, p] printed by analysis_reference.R, "counts only".
    const expected: [Triple, Triple, Triple, number][] = [
      [[0.74166666666666659, 0.47162177766633151, 1], [0.89166666666666661, 0.77142254867367166, 1], [0.14999999999999999, 0.013905674438165455, 0.28609432556183456], 0.034623128742149789],
      [[0.6166666666666667, 0.42950333488959391, 0.80382999844373948], [0.6166666666666667, 0.4550776088717926, 0.77825572446154079], [0, -0.17431138070144928, 0.17431138070144928], 1],
      [[0.65, 0.46970027463830161, 0.83029972536169838], [0.23333333333333334, 0.090900297397096208, 0.37576636926957047], [-0.41666666666666669, -0.57827662864501139, -0.25505670468832203], 0.0003437479640507864],
      [[0.8, 0.64599425421719936, 0.95400574578280073], [0.75, 0.60234364780609173, 0.89765635219390827], [-0.049999999999999996, -0.19944267056678755, 0.099442670566787572], 0.46256840778770969],
    ];
    c.classes.forEach((d, k) => {
      const [base, treat, delta, p] = expected[k]!;
      [d.baseline.estimate, d.baseline.low, d.baseline.high].forEach((v, i) => expectClose(v, base[i]!));
      [d.treatment.estimate, d.treatment.low, d.treatment.high].forEach((v, i) => expectClose(v, treat[i]!));
      [d.delta.estimate, d.delta.low, d.delta.high].forEach((v, i) => expectClose(v, delta[i]!));
      expectClose(d.p, p);
    });
  });

  it('plans every class: the smallest drop these seeds detect and the seeds a 10-point drop needs', () => {
    const analysis = analyzeRuns(allRuns(), CONFIGS.base);
    for (const c of analysis.comparisons) {
      for (const d of c.classes) {
        expect(d.plan).not.toBeNull();
        expect(d.plan!.measured).toBe(c.method !== 'model-vs-model');
        if (c.method === 'model-vs-model') expect(d.plan!.detectable).toBeNull();
      }
    }
    // With 3 paired seeds every class of the crop comparison has a detectable drop; with 2 (crop-half) it is larger, or none under 100 points.
    for (const d of comparison(analysis, 'crop').classes) {
      expect(d.plan!.detectable).toBeGreaterThan(0.1);
      expect(d.plan!.detectable).toBeLessThan(1);
      // 40 images a class: a 10-point drop needs more seeds than these 3, often more than 50 (null).
      if (d.plan!.seedsForPlannedDrop !== null) expect(d.plan!.seedsForPlannedDrop).toBeGreaterThan(3);
    }
    for (const d of comparison(analysis, 'crop-half').classes) {
      if (d.plan!.detectable !== null) expect(d.plan!.detectable).toBeGreaterThan(comparison(analysis, 'crop').classes[d.classIndex]!.plan!.detectable!);
    }
    expect(comparison(analysis, 'crop').summary.detectable).toBeGreaterThan(0);
    expect(analyzeRuns(allRuns(), CONFIGS.base, { plan: false }).comparisons[0]!.classes[0]!.plan).toBeNull();
  });
});

describe('analyzeRuns: summary, confusion, axes', () => {
  it('summarizes the crop comparison: the worst class and the most hurt', () => {
    const s = comparison(analyzeRuns(allRuns(), CONFIGS.base), 'crop').summary;
    expect(s.worstClass.treatment.className).toBe('barn "spider"');
    expectClose(s.worstClass.treatment.accuracy, 0.23333333333333334);
    expect(s.mostHurt?.className).toBe('barn "spider"');
    expectClose(s.mostHurt!.before, 0.65);
    expectClose(s.mostHurt!.after, 0.23333333333333334);
    expectClose(s.baselineMeanAccuracy, (0.7416666666666667 + 0.6166666666666667 + 0.65 + 0.8) / 4);
  });

  it('averages the confusion matrices over the seeds behind the comparison and subtracts', () => {
    const analysis = analyzeRuns(allRuns(), CONFIGS.base);
    const half = comparison(analysis, 'crop-half');
    const mean = (name: Name, seeds: number[], i: number, j: number) => seeds.reduce((a, s) => a + run(name, s).confusion![i]![j]!, 0) / seeds.length;
    expectClose(half.confusionDelta![2]![2]!, mean('crop-half', [1, 2], 2, 2) - mean('base', [1, 2], 2, 2));
    expectClose(half.confusionDelta![0]![3]!, mean('crop-half', [1, 2], 0, 3) - mean('base', [1, 2], 0, 3));
    expect(half.confusionDelta!.flat().reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
  });

  it('draws each regularizer against strength at each fixed value of the other', () => {
    const analysis = analyzeRuns(allRuns(), CONFIGS.base);
    expect(analysis.axes.map((a) => [a.regularizer, a.fixed, a.points.map((p) => [p.label, p.strength])])).toEqual([
      ['crop', 'wd 0', [['no crop', 0], ['resized crop s=0.5', 0.5], ['resized crop s=0.25', 0.75]]],
      ['crop', 'wd 0.0005', [['no crop', 0], ['resized crop s=0.25', 0.75]]],
      ['weightDecay', 'no crop', [['wd 0', 0], ['wd 0.0005', 0.0005]]],
      ['weightDecay', 'resized crop s=0.25', [['wd 0', 0], ['wd 0.0005', 0.0005]]],
    ]); // prettier-ignore
    expect(analysis.axes.flatMap((a) => a.points.map((p) => p.configHash))).not.toContain(hashes.r18);
    // A crop axis says which crop its strength measures.
    expect(analysis.axes.map((a) => a.cropKind)).toEqual(['resized', 'resized', undefined, undefined]);
  });
});

describe('analyzeRuns: datasets, duplicates and provisional runs', () => {
  it('refuses runs on two datasets, naming both', () => {
    const other = { ...run('crop', 0), dataset: { ...DATASET, name: 'cifar-10', contentHash: 'abcdef12'.padEnd(64, '9') } };
    expect(() => analyzeRuns([run('base', 0), other], CONFIGS.base)).toThrow(DatasetMismatchError);
    expect(() => analyzeRuns([run('base', 0), other], CONFIGS.base)).toThrow(/"four" \(c0ffee00\) and "cifar-10" \(abcdef12\)/);
    const renamed = { ...run('crop', 0), dataset: { ...DATASET, classNames: ['a', 'b', 'c', 'd'] } };
    expect(() => analyzeRuns([run('base', 0), renamed], CONFIGS.base)).toThrow(/same pixels, different class names/);
    expect(() => analyzeRuns([], CONFIGS.base)).toThrow(/no runs/);
  });

  it('refuses runs that count the test images, or label them, differently', () => {
    const recounted = run('crop', 0);
    recounted.perClass = recounted.perClass.map((c, k) => ({ ...c, total: k === 0 ? 39 : k === 1 ? 41 : c.total }));
    expect(() => analyzeRuns([run('base', 0), recounted], CONFIGS.base)).toThrow(/counts 39 test images of cat, another run 40: not one test set/);
    const relabelled = run('crop', 0, { labels: [...FIXTURE.labels].reverse() });
    expect(() => analyzeRuns([run('base', 0), relabelled], CONFIGS.base)).toThrow(/label the test images differently/);
    const short = run('crop', 0, { predictions: FIXTURE.runs[0]!.predictions.slice(1) });
    expect(() => analyzeRuns([run('base', 0), short], CONFIGS.base)).toThrow(/159 predictions for 160 test images/);
  });

  it('reports the same config and seed given twice, keeping one run', () => {
    const analysis = analyzeRuns([...allRuns(), run('crop', 1), run('crop', 1), run('base', 0)], CONFIGS.base);
    expect(analysis.duplicates).toEqual([
      { configHash: hashes.crop, label: 'resized crop s=0.25, wd 0', seed: 1, runs: 3 },
      { configHash: hashes.base, label: 'no crop, wd 0', seed: 0, runs: 2 },
    ].sort((a, b) => analysis.duplicates.findIndex((d) => d.configHash === a.configHash) - analysis.duplicates.findIndex((d) => d.configHash === b.configHash)));
    expect(comparison(analysis, 'crop').classes).toEqual(comparison(analyzeRuns(allRuns(), CONFIGS.base), 'crop').classes);
  });

  it('keeps a finished run over a provisional one of the same config and seed, wherever it comes', () => {
    const reference = comparison(analyzeRuns(allRuns(), CONFIGS.base), 'crop');
    const stale = { ...run('crop', 0), perClass: run('crop', 0).perClass.map((c) => ({ ...c, correct: 10 })), provisional: true, confusion: null, predictions: undefined };
    for (const runs of [[...allRuns(), stale], [stale, ...allRuns()]]) {
      const c = comparison(analyzeRuns(runs, CONFIGS.base), 'crop');
      expect(c.classes).toEqual(reference.classes);
      expect(c.treatment.provisional).toBe(false);
    }
  });

  it('uses a provisional run while it trains: from counts, marked provisional', () => {
    const live = { ...run('crop', 1), provisional: true, confusion: null, predictions: undefined };
    const runs = [run('base', 0), run('base', 1), run('crop', 0), live];
    const c = analyzeRuns(runs, CONFIGS.base).comparisons[0]!;
    expect(c.treatment.provisional).toBe(true);
    expect(c).toMatchObject({ method: 'moderated-paired', evidence: 'counts' });
    // Only seed 0 of the treatment has a confusion matrix; the baseline's two are averaged.
    expectClose(c.confusionDelta![2]![2]!, run('crop', 0).confusion![2]![2]! - (run('base', 0).confusion![2]![2]! + run('base', 1).confusion![2]![2]!) / 2);
  });
});
