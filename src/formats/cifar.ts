/**
 * CIFAR-10 and CIFAR-100 from their "binary version" archives
 * (https://www.cs.toronto.edu/~kriz/cifar.html), as downloaded:
 *
 *   cifar-10-binary.tar.gz   cifar-10-batches-bin/{data_batch_1..5.bin, test_batch.bin, batches.meta.txt}
 *                            record: 1 label byte + 3072 pixel bytes
 *   cifar-100-binary.tar.gz  cifar-100-binary/{train.bin, test.bin, fine_label_names.txt, coarse_label_names.txt}
 *                            record: 1 coarse label byte + 1 fine label byte + 3072 pixel bytes
 *
 * Pixels are stored planar (1024 red, then 1024 green, then 1024 blue bytes,
 * each 32×32 row-major); the Dataset is interleaved HWC. The members are
 * found by their file names wherever they sit in the archive.
 *
 * Pure: no tfjs, no DOM.
 */
import type { Dataset, Split } from '../data/dataset';
import { FormatError } from './errors';
import { gunzip, isGzip, isTar, readTar, type TarEntry } from './tar';
import { formatBytes } from '../util/units';

export const CIFAR_SOURCE = 'https://www.cs.toronto.edu/~kriz/cifar.html (Krizhevsky, 2009: Learning Multiple Layers of Features from Tiny Images)';

const SIDE = 32;
const PIXELS = SIDE * SIDE;
const IMAGE_BYTES = 3 * PIXELS;
const CIFAR10_TRAIN = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];

export type CifarLabels = 'fine' | 'coarse';

/**
 * The most bytes a CIFAR binary archive may hold as tar: both weigh 184.4 MB
 * (60,000 records of 3,073 or 3,074 bytes) plus a few kB of names, readme and
 * tar headers. Anything larger is not one, so it is refused before it is read
 * or inflated (a 1 MB gzip can inflate to gigabytes).
 */
export const MAX_CIFAR_TAR_BYTES = 200_000_000;
export const CIFAR_SIZE_REASON = 'a CIFAR-10 or CIFAR-100 binary archive is 184 MB as tar';

export interface CifarOptions {
  /** CIFAR-100 only: the 100 fine classes (default) or the 20 coarse superclasses. */
  labels?: CifarLabels;
}

export type CifarKind = 'cifar-10' | 'cifar-100';

/**
 * Reads a CIFAR-10 or CIFAR-100 binary archive (.tar.gz, or an already
 * decompressed .tar). Which one it is follows from the member names. Every
 * problem (not gzip or tar, truncated, a missing member, a member that is not
 * a whole number of records, a label with no class name) is a FormatError
 * whose message starts with `fileName`.
 */
export async function parseCifarArchive(bytes: Uint8Array, fileName: string, options: CifarOptions = {}): Promise<Dataset> {
  let tar: Uint8Array;
  checkCifarArchiveSize(bytes.length, fileName);
  if (isGzip(bytes)) tar = await gunzip(bytes, fileName, { maxBytes: MAX_CIFAR_TAR_BYTES, why: CIFAR_SIZE_REASON });
  else if (isTar(bytes)) tar = bytes;
  else throw new FormatError(fileName, 'not a gzip-compressed tar archive (expected cifar-10-binary.tar.gz or cifar-100-binary.tar.gz)');
  const entries = readTar(tar, fileName);
  const kind = detectCifar(entries);
  if (kind === undefined) {
    throw new FormatError(fileName, 'not a CIFAR binary archive: it has neither data_batch_1.bin (CIFAR-10) nor train.bin (CIFAR-100)');
  }
  const member = (name: string): TarEntry => {
    const entry = entries.find((e) => baseName(e.name) === name);
    if (!entry) throw new FormatError(fileName, `missing member ${name} (a ${kind === 'cifar-10' ? 'CIFAR-10' : 'CIFAR-100'} archive has it)`);
    return entry;
  };
  const labelsOption = options.labels ?? 'fine';

  if (kind === 'cifar-10') {
    if (labelsOption === 'coarse') throw new FormatError(fileName, 'is CIFAR-10, which has no coarse labels (--labels coarse is for CIFAR-100)');
    const classNames = readNames(member('batches.meta.txt'), fileName);
    const train = readSplit(CIFAR10_TRAIN.map(member), fileName, 1, 0, classNames.length);
    const test = readSplit([member('test_batch.bin')], fileName, 1, 0, classNames.length);
    return { name: 'cifar-10', classNames, shape: [SIDE, SIDE, 3], train, test };
  }
  const fine = labelsOption === 'fine';
  const classNames = readNames(member(fine ? 'fine_label_names.txt' : 'coarse_label_names.txt'), fileName);
  const labelByte = fine ? 1 : 0;
  const train = readSplit([member('train.bin')], fileName, 2, labelByte, classNames.length);
  const test = readSplit([member('test.bin')], fileName, 2, labelByte, classNames.length);
  return { name: fine ? 'cifar-100' : 'cifar-100-coarse', classNames, shape: [SIDE, SIDE, 3], train, test };
}

/** Refuses, before it is read, a file too large to be a CIFAR binary archive (gzip never makes data much larger). */
export function checkCifarArchiveSize(bytes: number, fileName: string): void {
  if (bytes > MAX_CIFAR_TAR_BYTES) {
    throw new FormatError(fileName, `is ${formatBytes(bytes)}, more than the ${formatBytes(MAX_CIFAR_TAR_BYTES)} allowed (${CIFAR_SIZE_REASON}); refused before reading it`);
  }
}

/** Which CIFAR an archive holds, from its member names; undefined when neither. */
export function detectCifar(entries: readonly { name: string }[]): CifarKind | undefined {
  const names = new Set(entries.map((e) => baseName(e.name)));
  if (names.has('data_batch_1.bin') || names.has('test_batch.bin') || names.has('batches.meta.txt')) return 'cifar-10';
  if (names.has('train.bin') || names.has('fine_label_names.txt') || names.has('coarse_label_names.txt')) return 'cifar-100';
  return undefined;
}

/** A human description for a manifest. */
export function describeCifar(dataset: Dataset): string {
  const which = dataset.name === 'cifar-10' ? 'CIFAR-10' : dataset.name === 'cifar-100' ? 'CIFAR-100 (100 fine classes)' : 'CIFAR-100 (20 coarse superclasses)';
  return `${which}: ${dataset.train.count} training and ${dataset.test.count} test images, 32×32 RGB, converted from the binary version's planar records to HWC.`;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** One class name a line; blank lines (the files end with some) are dropped. */
function readNames(entry: TarEntry, fileName: string): string[] {
  const names = new TextDecoder()
    .decode(entry.data)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (names.length < 2) throw new FormatError(fileName, `${baseName(entry.name)} lists ${names.length} class names; a dataset needs at least 2`);
  if (new Set(names).size !== names.length) throw new FormatError(fileName, `${baseName(entry.name)} lists a class name twice`);
  return names;
}

/**
 * The records of one or more members, joined in order: each record is
 * `labelBytes` label bytes then 3072 planar pixel bytes; the label used is
 * byte `labelByte` of the record. Pixels become HWC.
 */
function readSplit(entries: TarEntry[], fileName: string, labelBytes: number, labelByte: number, classes: number): Split {
  const record = labelBytes + IMAGE_BYTES;
  for (const entry of entries) {
    const member = baseName(entry.name);
    if (entry.data.length === 0) throw new FormatError(fileName, `${member} is empty`);
    if (entry.data.length % record !== 0) {
      const records = (entry.data.length / record).toFixed(2);
      throw new FormatError(fileName, `${member}: ${entry.data.length} bytes is not a whole number of ${record}-byte records (${records})`);
    }
  }
  const count = entries.reduce((n, e) => n + e.data.length / record, 0);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint16Array(count);
  let i = 0;
  for (const entry of entries) {
    const { data } = entry;
    for (let r = 0; r < data.length / record; r++, i++) {
      const at = r * record;
      const label = data[at + labelByte]!;
      if (label >= classes) {
        throw new FormatError(fileName, `${baseName(entry.name)}: record ${r} has label ${label}, but there are only ${classes} class names`);
      }
      labels[i] = label;
      const pixels = at + labelBytes;
      const out = i * IMAGE_BYTES;
      for (let p = 0; p < PIXELS; p++) {
        images[out + 3 * p] = data[pixels + p]!;
        images[out + 3 * p + 1] = data[pixels + PIXELS + p]!;
        images[out + 3 * p + 2] = data[pixels + 2 * PIXELS + p]!;
      }
    }
  }
  return { images, labels, count };
}
