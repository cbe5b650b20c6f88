/**
 * A small slice of a shard dataset, so that real data can be tried in
 * minutes: a subset of classes, a number of images per class in each split,
 * and a resize. The run config's slice fields (src/study/config.ts) say which.
 *
 * The selection, documented in docs/datasets.md:
 *   - classes keep the dataset's own order (a subset relabels them 0..k-1 in that order);
 *   - per class and split, `perClass` images are drawn without replacement by
 *     `Rng.fromSeed(seed, 'slice/<split>/<class name>')` (a partial Fisher–Yates over
 *     the class's images in split order), so a class gets the same images
 *     whichever other classes are chosen, and a larger count keeps a smaller one's images;
 *   - the chosen images keep their split order within a class, and the classes
 *     are interleaved (round robin), so any prefix of a split is balanced;
 *   - a resize follows (src/data/resize.ts, Pillow's bilinear).
 * Exactly that many per class (stratified): a class with fewer images is refused,
 * naming the field. The slice's identity (its source's content hash and these
 * fields) travels with the dataset into every result, and its content hash is
 * the slice's own, so only runs on equal slices are ever pooled.
 *
 * Pure: no tfjs, no DOM.
 */
import { ConfigError, sliceProblems, type DatasetConfig, type SliceFields } from '../study/config';
import { Rng } from '../util/rng';
import { datasetIdentity, type Dataset, type DatasetSlice, type Split } from './dataset';
import { resizeImages } from './resize';

/** The slice a dataset config asks for, or null when it asks for the whole dataset. */
export function sliceOf(config: DatasetConfig): SliceFields | null {
  if (config.kind !== 'builtin' && config.kind !== 'manifest') return null;
  const { trainPerClass, testPerClass, classes, resize, seed } = config;
  const slice: SliceFields = {
    ...(trainPerClass !== undefined && { trainPerClass }),
    ...(testPerClass !== undefined && { testPerClass }),
    ...(classes !== undefined && { classes }),
    ...(resize !== undefined && { resize }),
    ...(seed !== undefined && { seed }),
  };
  return Object.keys(slice).length ? slice : null;
}

/** Images of each class in a split, by class index, in split order. */
function indicesByClass(split: Split, classes: number): Uint32Array[] {
  const counts = new Uint32Array(classes);
  for (let i = 0; i < split.count; i++) counts[split.labels[i]!]!++;
  const byClass = Array.from(counts, (n) => new Uint32Array(n));
  const filled = new Uint32Array(classes);
  for (let i = 0; i < split.count; i++) {
    const k = split.labels[i]!;
    byClass[k]![filled[k]!++] = i;
  }
  return byClass;
}

/** `count` of `indices`, drawn by a partial Fisher–Yates, returned in their original order. */
function draw(indices: Uint32Array, count: number, rng: Rng): Uint32Array {
  if (count >= indices.length) return indices;
  const pool = indices.slice();
  for (let i = 0; i < count; i++) {
    const j = rng.int(i, pool.length);
    const held = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = held;
  }
  return pool.subarray(0, count).sort();
}

function cutSplit(split: Split, name: 'train' | 'test', dataset: Dataset, chosen: number[], perClass: number | undefined, seed: number): Split {
  const pixels = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
  const byClass = indicesByClass(split, dataset.classNames.length);
  const picked = chosen.map((k) => (perClass === undefined ? byClass[k]! : draw(byClass[k]!, perClass, Rng.fromSeed(seed, `slice/${name}/${dataset.classNames[k]}`))));
  const count = picked.reduce((n, p) => n + p.length, 0);
  const images = new Uint8Array(count * pixels);
  const labels = new Uint16Array(count);
  const longest = Math.max(...picked.map((p) => p.length));
  let at = 0;
  for (let r = 0; r < longest; r++) {
    picked.forEach((indices, label) => {
      if (r >= indices.length) return;
      const i = indices[r]!;
      images.set(split.images.subarray(i * pixels, (i + 1) * pixels), at * pixels);
      labels[at++] = label;
    });
  }
  return { images, labels, count };
}

/** "fashion-mnist (100 train + 50 test per class, 3 of 10 classes, 16×16, slice seed 0)". */
export function describeSlice(source: { name: string; classNames: readonly string[] }, slice: SliceFields): string {
  const seed = slice.seed ?? 0;
  const counts =
    slice.trainPerClass !== undefined || slice.testPerClass !== undefined
      ? [`${slice.trainPerClass ?? 'all'} train + ${slice.testPerClass ?? 'all'} test per class`]
      : [];
  const classes = slice.classes ? [`${slice.classes.length} of ${source.classNames.length} classes`] : [];
  const size = slice.resize !== undefined ? [`${slice.resize}×${slice.resize}`] : [];
  const drawn = counts.length ? [`slice seed ${seed}`] : [];
  return `${source.name} (${[...counts, ...classes, ...size, ...drawn].join(', ')})`;
}

/**
 * The slice of `dataset` that `slice` describes. Refuses (ConfigError naming
 * `dataset.<field>`) an unknown class or more images per class than a class has.
 */
export async function sliceDataset(dataset: Dataset, slice: SliceFields): Promise<Dataset> {
  const perClassCounts = (split: Split) => {
    const counts = new Map<string, number>(dataset.classNames.map((name) => [name, 0]));
    for (let i = 0; i < split.count; i++) {
      const name = dataset.classNames[split.labels[i]!]!;
      counts.set(name, counts.get(name)! + 1);
    }
    return (name: string) => counts.get(name) ?? 0;
  };
  const problems = sliceProblems(slice, {
    name: dataset.name,
    classNames: dataset.classNames,
    trainPerClass: perClassCounts(dataset.train),
    testPerClass: perClassCounts(dataset.test),
  });
  if (problems.length) throw new ConfigError('dataset config', problems.map(([field, message]) => `dataset.${field}: ${message}`));

  const seed = slice.seed ?? 0;
  const chosen = dataset.classNames.flatMap((name, k) => (slice.classes === undefined || slice.classes.includes(name) ? [k] : []));
  let train = cutSplit(dataset.train, 'train', dataset, chosen, slice.trainPerClass, seed);
  let test = cutSplit(dataset.test, 'test', dataset, chosen, slice.testPerClass, seed);
  let shape = dataset.shape;
  if (slice.resize !== undefined && (slice.resize !== shape[0] || slice.resize !== shape[1])) {
    const side = slice.resize;
    const resize = (split: Split): Split => ({ ...split, images: resizeImages(split.images, split.count, shape, side, side) });
    train = resize(train);
    test = resize(test);
    shape = [side, side, shape[2]];
  }
  const source = await datasetIdentity(dataset);
  const identity: DatasetSlice = {
    of: { name: source.name, contentHash: source.contentHash },
    ...(slice.trainPerClass !== undefined && { trainPerClass: slice.trainPerClass }),
    ...(slice.testPerClass !== undefined && { testPerClass: slice.testPerClass }),
    ...(slice.classes !== undefined && { classes: chosen.map((k) => dataset.classNames[k]!) }),
    ...(slice.resize !== undefined && { resize: slice.resize }),
    seed,
  };
  return {
    name: describeSlice(dataset, slice),
    classNames: chosen.map((k) => dataset.classNames[k]!),
    shape,
    train,
    test,
    slice: identity,
  };
}
