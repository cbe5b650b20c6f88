/**
 * The dataset format the workbench loads by URL: a JSON manifest and binary
 * shards beside it (docs/datasets.md describes both byte by byte).
 *
 *   manifest.json   { schema: 'classwise.manifest/1', name, classNames, shape,
 *                     splits: { train: ShardRef[], test: ShardRef[] } }
 *   train-000.bin   24-byte header, count uint16 LE labels, count × h × w × c uint8 pixels (NHWC)
 *
 * Pure: no tfjs, no DOM; runs in Node (the build and import CLIs) and in a Web
 * Worker (the loader).
 */
import { z } from 'zod';
import type { Dataset, Split } from '../data/dataset';
import { parseWith } from '../study/config';
import { sha256Hex } from '../util/hash';
import { FormatError } from './errors';

export { FormatError } from './errors';

export const MANIFEST_SCHEMA = 'classwise.manifest/1';
/** 'CWSH': the first four bytes of every shard. */
export const SHARD_MAGIC: readonly number[] = [0x43, 0x57, 0x53, 0x48];
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 24;
export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

export type Shape = [number, number, number];

const dimension = z.number().int().min(1).max(4096);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 digest: 64 lowercase hex digits');
const relativeUrl = z
  .string()
  .min(1)
  .refine(
    (url) => !/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('/') && !url.includes('\\') && !url.split('/').includes('..'),
    'must be a URL relative to the manifest (no scheme, no leading "/", no "..")',
  );

const shapeSchema = z.tuple([dimension, dimension, z.number().int().min(1).max(4)]);

export const shardRefSchema = z.strictObject({
  /** Resolved against the manifest's own URL. */
  url: relativeUrl,
  /** The shard's exact length in bytes. */
  bytes: z.number().int().min(SHARD_HEADER_BYTES),
  sha256: hex64,
  /** Images in the shard. */
  count: z.number().int().min(1),
});

export const manifestSchema = z
  .strictObject({
    schema: z.literal(MANIFEST_SCHEMA),
    name: z.string().min(1).max(200),
    description: z.string().optional(),
    /** Where the data came from: a URL, a package, a citation. */
    source: z.string().optional(),
    /** An opaque fingerprint of the inputs that produced the shards; builders compare it to skip work. */
    buildKey: z.string().optional(),
    classNames: z
      .array(z.string().min(1, 'a class name must not be empty'))
      .min(2, 'a dataset needs at least 2 classes')
      .max(65536, 'labels are uint16: at most 65536 classes')
      .refine((names) => new Set(names).size === names.length, 'class names must be unique'),
    /** [height, width, channels] */
    shape: shapeSchema,
    splits: z.strictObject({
      train: z.array(shardRefSchema).min(1, 'the train split needs at least one shard'),
      test: z.array(shardRefSchema).min(1, 'the test split needs at least one shard'),
    }),
  })
  .superRefine((manifest, ctx) => {
    // zod runs this after non-fatal issues too; byte counts mean nothing without a valid shape.
    if (!shapeSchema.safeParse(manifest.shape).success) return;
    const seen = new Set<string>();
    for (const split of ['train', 'test'] as const) {
      manifest.splits[split].forEach((ref, i) => {
        if (!shardRefSchema.safeParse(ref).success) return; // already reported
        const expected = shardByteLength(ref.count, manifest.shape);
        if (ref.bytes !== expected) {
          ctx.addIssue({
            code: 'custom',
            path: ['splits', split, i, 'bytes'],
            message: `${ref.bytes} bytes cannot hold ${ref.count} images of ${manifest.shape.join('×')} (a shard of them is ${expected} bytes)`,
          });
        }
        if (seen.has(ref.url)) ctx.addIssue({ code: 'custom', path: ['splits', split, i, 'url'], message: `"${ref.url}" is listed twice` });
        seen.add(ref.url);
      });
    }
  });

export type ShardRef = z.output<typeof shardRefSchema>;
export type Manifest = z.output<typeof manifestSchema>;

/** Validates a parsed manifest; throws a ConfigError naming every bad field. */
export function parseManifest(value: unknown, what = 'dataset manifest'): Manifest {
  return parseWith(manifestSchema, value, what);
}

/** Parses manifest text: not JSON → FormatError naming `file`; bad fields → ConfigError. */
export function parseManifestText(text: string, file: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FormatError(file, `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseManifest(value, `dataset manifest ${file}`);
}

/** Where a shard lives: its `url` resolved against the manifest's URL. */
export function shardUrl(manifestUrl: string | URL, ref: ShardRef): string {
  return new URL(ref.url, manifestUrl).href;
}

export function shardByteLength(count: number, shape: readonly number[]): number {
  const [h, w, c] = shape as Shape;
  return SHARD_HEADER_BYTES + count * (2 + h * w * c);
}

/** Throws a FormatError naming the shard when its bytes don't hash to the manifest's digest. */
export async function verifyShard(ref: ShardRef, bytes: Uint8Array): Promise<void> {
  if (bytes.length !== ref.bytes) throw new FormatError(ref.url, `${bytes.length} bytes, but the manifest says ${ref.bytes}`);
  const digest = await sha256Hex(bytes);
  if (digest !== ref.sha256) throw new FormatError(ref.url, `SHA-256 is ${digest}, but the manifest says ${ref.sha256}`);
}

/** One shard: header, labels (uint16 LE), pixels (uint8 NHWC). */
export function encodeShard(split: Pick<Split, 'images' | 'labels' | 'count'>, shape: readonly number[]): Uint8Array {
  const [h, w, c] = shape as Shape;
  const { count } = split;
  const pixels = h * w * c;
  if (split.labels.length !== count) throw new RangeError(`encodeShard: ${split.labels.length} labels for ${count} images`);
  if (split.images.length !== count * pixels) {
    throw new RangeError(`encodeShard: ${split.images.length} pixel bytes for ${count} images of ${h}×${w}×${c}`);
  }
  const out = new Uint8Array(shardByteLength(count, shape));
  const view = new DataView(out.buffer);
  out.set(SHARD_MAGIC, 0);
  view.setUint16(4, SHARD_VERSION, true);
  view.setUint16(6, 0, true); // flags: none defined
  view.setUint32(8, count, true);
  view.setUint32(12, h, true);
  view.setUint32(16, w, true);
  view.setUint32(20, c, true);
  for (let i = 0; i < count; i++) view.setUint16(SHARD_HEADER_BYTES + 2 * i, split.labels[i]!, true);
  out.set(split.images, SHARD_HEADER_BYTES + 2 * count);
  return out;
}

export interface DecodeShardOptions {
  /** The dataset's class count: a label at or above it is refused. */
  classes?: number;
  /** Named in error messages (default "shard"). */
  file?: string;
}

/**
 * Reads one shard. `images` is a view into `bytes` (no copy); `labels` is a
 * new array. Throws a FormatError for bad magic, an unknown version, a
 * truncated or overlong shard, a shape other than `expectedShape`, or (when
 * `classes` is given) a label out of range.
 */
export function decodeShard(bytes: Uint8Array, expectedShape: readonly number[], options: DecodeShardOptions = {}): Split {
  const file = options.file ?? 'shard';
  if (bytes.length < SHARD_HEADER_BYTES) {
    throw new FormatError(file, `truncated: ${bytes.length} bytes is shorter than the ${SHARD_HEADER_BYTES}-byte shard header`);
  }
  if (!SHARD_MAGIC.every((b, i) => bytes[i] === b)) throw new FormatError(file, 'not a Classwise shard (bad magic bytes; expected "CWSH")');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== SHARD_VERSION) throw new FormatError(file, `shard version ${version} is not supported (this build reads version ${SHARD_VERSION})`);
  const flags = view.getUint16(6, true);
  if (flags !== 0) throw new FormatError(file, `unknown shard flags 0x${flags.toString(16)}`);
  const count = view.getUint32(8, true);
  const shape: Shape = [view.getUint32(12, true), view.getUint32(16, true), view.getUint32(20, true)];
  if (shape.some((d, i) => d !== expectedShape[i])) {
    throw new FormatError(file, `holds ${shape.join('×')} images, but the dataset's shape is ${expectedShape.join('×')}`);
  }
  const expected = shardByteLength(count, shape);
  if (bytes.length < expected) throw new FormatError(file, `truncated: ${bytes.length} bytes, but ${count} images of ${shape.join('×')} need ${expected}`);
  if (bytes.length > expected) throw new FormatError(file, `${bytes.length - expected} unexpected bytes after the ${count} images`);
  const labels = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const label = view.getUint16(SHARD_HEADER_BYTES + 2 * i, true);
    if (options.classes !== undefined && label >= options.classes) {
      throw new FormatError(file, `image ${i} has label ${label}, but the dataset has ${options.classes} classes`);
    }
    labels[i] = label;
  }
  const start = SHARD_HEADER_BYTES + 2 * count;
  return { images: bytes.subarray(start, expected), labels, count };
}

export interface ShardOptions {
  /** The most bytes one shard may take (a shard always holds at least one image). Default 4 MiB. */
  targetBytes?: number;
  description?: string;
  source?: string;
  buildKey?: string;
}

export interface ShardedDataset {
  manifest: Manifest;
  /** Paths relative to the manifest, as its `url`s. */
  files: { path: string; bytes: Uint8Array }[];
}

/** Cuts a dataset into shards of at most `targetBytes` and writes their manifest. */
export async function shardDataset(dataset: Dataset, options: ShardOptions = {}): Promise<ShardedDataset> {
  const { shape, classNames } = dataset;
  const pixels = shape[0] * shape[1] * shape[2];
  const targetBytes = options.targetBytes ?? DEFAULT_SHARD_BYTES;
  if (!(targetBytes > 0)) throw new RangeError(`targetBytes must be positive, got ${targetBytes}`);
  const perShard = Math.max(1, Math.floor((targetBytes - SHARD_HEADER_BYTES) / (2 + pixels)));
  const files: ShardedDataset['files'] = [];
  const splits: Record<'train' | 'test', ShardRef[]> = { train: [], test: [] };
  for (const name of ['train', 'test'] as const) {
    const split = dataset[name];
    checkSplit(dataset, name, split, pixels);
    for (let start = 0, index = 0; start < split.count; start += perShard, index++) {
      const end = Math.min(start + perShard, split.count);
      const bytes = encodeShard(
        { images: split.images.subarray(start * pixels, end * pixels), labels: split.labels.subarray(start, end), count: end - start },
        shape,
      );
      const path = `${name}-${String(index).padStart(3, '0')}.bin`;
      files.push({ path, bytes });
      splits[name].push({ url: path, bytes: bytes.length, sha256: await sha256Hex(bytes), count: end - start });
    }
  }
  const manifest = parseManifest(
    {
      schema: MANIFEST_SCHEMA,
      name: dataset.name,
      ...(options.description !== undefined && { description: options.description }),
      ...(options.source !== undefined && { source: options.source }),
      ...(options.buildKey !== undefined && { buildKey: options.buildKey }),
      classNames,
      shape,
      splits,
    },
    `manifest for ${dataset.name}`,
  );
  return { manifest, files };
}

function checkSplit(dataset: Dataset, name: string, split: Split, pixels: number): void {
  const where = `${dataset.name} (${name} split)`;
  if (split.count < 1) throw new FormatError(where, 'has no images');
  if (split.labels.length !== split.count) throw new FormatError(where, `${split.labels.length} labels for ${split.count} images`);
  if (split.images.length !== split.count * pixels) throw new FormatError(where, `${split.images.length} pixel bytes for ${split.count} images of ${dataset.shape.join('×')}`);
  const classes = dataset.classNames.length;
  const bad = split.labels.findIndex((label) => label >= classes);
  if (bad >= 0) throw new FormatError(where, `image ${bad} has label ${split.labels[bad]}, but there are ${classes} classes`);
}

/**
 * Decodes and joins the shards a manifest lists, in order, into one Dataset.
 * Checks each shard's length, shape, labels and count against the manifest;
 * hashes are the caller's (see `verifyShard`).
 */
export function assembleDataset(manifest: Manifest, shards: { train: Uint8Array[]; test: Uint8Array[] }): Dataset {
  const shape: Shape = [manifest.shape[0], manifest.shape[1], manifest.shape[2]];
  const pixels = shape[0] * shape[1] * shape[2];
  const classes = manifest.classNames.length;
  const assemble = (name: 'train' | 'test'): Split => {
    const refs = manifest.splits[name];
    const given = shards[name];
    if (given.length !== refs.length) {
      throw new FormatError(manifest.name, `the manifest lists ${refs.length} ${name} shards, but ${given.length} were given`);
    }
    const count = refs.reduce((n, ref) => n + ref.count, 0);
    const images = new Uint8Array(count * pixels);
    const labels = new Uint16Array(count);
    let offset = 0;
    refs.forEach((ref, i) => {
      const bytes = given[i]!;
      if (bytes.length !== ref.bytes) throw new FormatError(ref.url, `${bytes.length} bytes, but the manifest says ${ref.bytes}`);
      const split = decodeShard(bytes, shape, { classes, file: ref.url });
      if (split.count !== ref.count) throw new FormatError(ref.url, `holds ${split.count} images, but the manifest says ${ref.count}`);
      images.set(split.images, offset * pixels);
      labels.set(split.labels, offset);
      offset += split.count;
    });
    return { images, labels, count };
  };
  return { name: manifest.name, classNames: [...manifest.classNames], shape, train: assemble('train'), test: assemble('test') };
}
