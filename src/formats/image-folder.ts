/**
 * Planning an image-folder import from file paths alone, before any pixel is
 * decoded (the browser decodes in the workbench, the import CLI in Node).
 * Two layouts, torchvision ImageFolder style:
 *
 *   train/<class>/<image>, test/<class>/<image>   the archive's own split ("val" is taken for "test")
 *   <class>/<image>                               split here: a seeded `testFraction` of each class → test
 *
 * A single folder enclosing either layout (what a browser's folder picker
 * reports: `pets/train/cat/1.jpg`) is looked through. Hidden files and folders
 * (a name starting with ".") and `__MACOSX/` are ignored. Images are .jpg,
 * .jpeg, .png or .webp (any case); any other file is refused, as is a class
 * with no images, a file at the wrong depth, or a class missing from one of
 * the two split folders. Decoders share the rest: the memory cap checked
 * before pixels are allocated, and a folder whose every pixel is grey
 * (R = G = B, as MNIST's PNGs) becomes one channel.
 *
 * Pure: no tfjs, no DOM.
 */
import { Rng } from '../util/rng';
import { FormatError } from './errors';
import { formatMemory } from '../util/units';

export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp'] as const;
export const DEFAULT_TEST_FRACTION = 0.2;

export interface PlannedImage {
  /** The path as given. */
  path: string;
  label: number;
}

export interface ImageFolderPlan {
  /** Sorted (code-unit order, as Python's sorted()); a label indexes this list. */
  classNames: string[];
  /** `split-folders`: train/ and test/ given; `class-folders`: split here by `testFraction`. */
  layout: 'split-folders' | 'class-folders';
  /** Interleaved by class (round-robin in class order), so a prefix is roughly balanced. */
  train: PlannedImage[];
  test: PlannedImage[];
}

export interface PlanOptions {
  /** class-folders layout only: the share of each class sent to test (default 0.2). */
  testFraction?: number;
  /** class-folders layout only: seeds which images go to test (default 0). */
  seed?: number;
  /** Named in messages about the whole folder (default "folder"). */
  root?: string;
}

const SPLIT_NAMES: Record<string, 'train' | 'test'> = { train: 'train', test: 'test', val: 'test' };

export function isImagePath(path: string): boolean {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') && (IMAGE_EXTENSIONS as readonly string[]).includes(path.slice(dot + 1).toLowerCase());
}

/**
 * Plans an import from relative paths ('/' or '\\' separated). A path ending
 * in '/' names a folder (so an empty class folder can be reported); any other
 * path is a file.
 */
export function planImageFolder(paths: readonly string[], options: PlanOptions = {}): ImageFolderPlan {
  const root = options.root ?? 'folder';
  const items = paths
    .map((original) => {
      const normal = original.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
      const isDir = normal.endsWith('/');
      return { original, parts: normal.split('/').filter((p) => p !== ''), isDir };
    })
    .filter(({ parts }) => parts.length > 0 && !parts.some((p) => p.startsWith('.') || p === '__MACOSX'));
  if (!items.some((i) => !i.isDir)) throw new FormatError(root, 'has no files');

  // Look through single enclosing folders (never a split folder itself).
  for (;;) {
    const files = items.filter((i) => !i.isDir);
    const first = files[0]!.parts[0]!;
    if (first.toLowerCase() in SPLIT_NAMES) break;
    if (!items.every((i) => i.parts[0] === first) || !files.every((f) => f.parts.length >= 3)) break;
    for (const item of items) item.parts.shift();
    for (let i = items.length - 1; i >= 0; i--) if (items[i]!.parts.length === 0) items.splice(i, 1);
  }

  const files = items.filter((i) => !i.isDir);
  const splitLayout = files.every((f) => f.parts[0]!.toLowerCase() in SPLIT_NAMES);
  const depth = splitLayout ? 3 : 2;
  const expected = splitLayout ? 'train|test/<class>/<image>' : '<class>/<image> or train|test/<class>/<image>';

  // class → split → paths; folders seen, to report empty ones.
  const classes = new Map<string, { train: string[]; test: string[] }>();
  const classDirs = new Map<string, string>();
  const classOf = (name: string) => {
    let entry = classes.get(name);
    if (!entry) classes.set(name, (entry = { train: [], test: [] }));
    return entry;
  };
  const splitsSeen = new Set<'train' | 'test'>();
  for (const item of items) {
    const { parts, original } = item;
    if (item.isDir) {
      // A class folder (possibly empty): <class>/ or <split>/<class>/.
      const name = splitLayout ? (parts.length === 2 && parts[0]!.toLowerCase() in SPLIT_NAMES ? parts[1] : undefined) : parts.length === 1 ? parts[0] : undefined;
      if (name !== undefined) {
        classOf(name);
        classDirs.set(name, classDirs.get(name) ?? original);
      }
      continue;
    }
    if (!isImagePath(original)) throw new FormatError(original, `is not an image (by its extension; images are ${IMAGE_EXTENSIONS.map((e) => '.' + e).join(', ')})`);
    if (parts.length !== depth) throw new FormatError(original, `is not where an image belongs (expected ${expected})`);
    if (splitLayout) {
      const split = SPLIT_NAMES[parts[0]!.toLowerCase()]!;
      splitsSeen.add(split);
      classOf(parts[1]!)[split].push(original);
    } else {
      classOf(parts[0]!).train.push(original);
    }
  }
  if (splitLayout && !splitsSeen.has('test')) throw new FormatError(root, 'has a train/ folder but no test/ (or val/) folder');
  if (splitLayout && !splitsSeen.has('train')) throw new FormatError(root, 'has a test/ folder but no train/ folder');

  const classNames = [...classes.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classNames.length < 2) throw new FormatError(root, `has ${classNames.length} class folder${classNames.length === 1 ? '' : 's'}; a dataset needs at least 2`);
  if (classNames.length > 65536) throw new FormatError(root, `has ${classNames.length} classes; labels are uint16, at most 65536`);
  for (const name of classNames) {
    const c = classes.get(name)!;
    if (c.train.length + c.test.length === 0) throw new FormatError(classDirs.get(name) ?? `${name}/`, `class "${name}" has no images`);
    if (splitLayout && c.train.length === 0) throw new FormatError(`train/${name}/`, `class "${name}" has no training images`);
    if (splitLayout && c.test.length === 0) throw new FormatError(`test/${name}/`, `class "${name}" has no test images`);
  }

  let perClass: { train: string[]; test: string[] }[];
  if (splitLayout) {
    perClass = classNames.map((name) => {
      const c = classes.get(name)!;
      return { train: [...c.train].sort(), test: [...c.test].sort() };
    });
  } else {
    const fraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
    if (!(fraction > 0 && fraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${fraction}`);
    const rng = Rng.fromSeed(options.seed ?? 0, 'image-folder-split');
    perClass = classNames.map((name) => {
      // Sorted first, so the split depends on the files, not the order they were listed in.
      const all = [...classes.get(name)!.train].sort();
      if (all.length < 2) throw new FormatError(classDirs.get(name) ?? `${name}/`, `class "${name}" has ${all.length} image; splitting into train and test needs at least 2`);
      const testCount = Math.min(all.length - 1, Math.max(1, Math.round(all.length * fraction)));
      const order = rng.permutation(all.length);
      const chosen = new Set(Array.from(order.subarray(0, testCount)));
      return { train: all.filter((_, i) => !chosen.has(i)), test: all.filter((_, i) => chosen.has(i)) };
    });
  }
  return {
    classNames,
    layout: splitLayout ? 'split-folders' : 'class-folders',
    train: interleave(perClass.map((c) => c.train)),
    test: interleave(perClass.map((c) => c.test)),
  };
}

/** Round-robin over the classes: class 0's first image, class 1's first, …, class 0's second, … */
function interleave(byClass: string[][]): PlannedImage[] {
  const out: PlannedImage[] = [];
  const longest = Math.max(...byClass.map((c) => c.length));
  for (let r = 0; r < longest; r++) {
    byClass.forEach((paths, label) => {
      if (r < paths.length) out.push({ path: paths[r]!, label });
    });
  }
  return out;
}

export interface ImageSize {
  path: string;
  width: number;
  height: number;
}

/**
 * The one size every image has; mixed sizes are refused, naming the first
 * image whose size differs from the first image's. (The workbench resizes
 * when a resolution is chosen; without one, mixed sizes are an error.)
 */
export function checkSameSize(sizes: readonly ImageSize[]): { width: number; height: number } {
  const first = sizes[0];
  if (!first) throw new FormatError('folder', 'has no images');
  const odd = sizes.find((s) => s.width !== first.width || s.height !== first.height);
  if (odd) {
    throw new FormatError(
      odd.path,
      `is ${odd.width}×${odd.height} pixels, but ${first.path} is ${first.width}×${first.height}; images of mixed sizes need a resolution to resize to`,
    );
  }
  return { width: first.width, height: first.height };
}

/** The most bytes an imported dataset's pixels may take in memory (as RGB, before a grey set drops to one channel). */
export const MAX_IMPORT_BYTES = 2 ** 30;

/** Refuses, before any pixel buffer is allocated, a folder whose images would not fit in memory at this size. */
export function checkImportSize(count: number, width: number, height: number, root: string): void {
  const bytes = count * width * height * 3;
  if (bytes <= MAX_IMPORT_BYTES) return;
  throw new FormatError(
    root,
    `${count} images of ${width}×${height} RGB would take ${formatMemory(bytes)} in memory, more than the ${formatMemory(MAX_IMPORT_BYTES)} an import may hold; resize to a smaller resolution or import fewer images`,
  );
}

/** Whether every pixel of RGB data is grey (R = G = B): such a folder is imported as one channel. */
export function isGreyRgb(rgb: Uint8Array): boolean {
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return false;
  return true;
}

/** The first channel of RGB data: the grey level of grey pixels. */
export function firstChannel(rgb: Uint8Array): Uint8Array {
  const grey = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < grey.length; i++) grey[i] = rgb[3 * i]!;
  return grey;
}
