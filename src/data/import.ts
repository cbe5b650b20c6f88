/**
 * Imports from the user's own files into the dataset cache: a CIFAR-10/100
 * binary archive (a picked file or a URL) or a folder of images, decoded here
 * (in the engine worker, off the main thread) with createImageBitmap and an
 * OffscreenCanvas. Either way the dataset is cut into shards (docs/datasets.md)
 * and stored under the id `import:<name>/<first 12 hex of its content hash>`,
 * which a run config names as `{ kind: 'manifest', url: id }`: it loads through
 * the same cache path as a downloaded dataset, with no network request.
 *
 * Shards are stored first, the manifest last and marked complete, so a
 * half-written import never looks complete; a failed import removes what it
 * wrote (unless the same dataset was already stored complete). Every problem
 * with the input is a FormatError naming the file (or URL, or path inside the
 * folder); a full quota is the storage layer's StorageFullError.
 *
 * Runs in a Web Worker (or a page): fetch, Blob, createImageBitmap, OffscreenCanvas, IndexedDB.
 */
import type { CachedDataset, ImageFolderFile, ImageFolderOptions, ImportedDataset, ImportProgress } from '../../workers/api';
import { checkCifarArchiveSize, CIFAR_SOURCE, describeCifar, MAX_CIFAR_TAR_BYTES, parseCifarArchive, type CifarLabels } from '../formats/cifar';
import { FormatError } from '../formats/errors';
import { checkImportSize, checkSameSize, firstChannel, isGreyRgb, planImageFolder, type PlannedImage } from '../formats/image-folder';
import { checkDecodable, readImageHeader } from '../formats/image-header';
import { shardDataset, type ShardOptions } from '../formats/shards';
import { DatasetCache } from '../storage/dataset-cache';
import { describeError } from '../storage/errors';
import { readAll, TooManyBytes } from '../util/bytes';
import { datasetIdentity, type Dataset, type Split } from './dataset';

export type ImportProgressCallback = (progress: ImportProgress) => void;

/** The prefix of every imported dataset's cache id. */
export const IMPORT_PREFIX = 'import:';

/** The largest side an image may have without resizing (the manifest's limit), and the largest `size`. */
const MAX_SIDE = 4096;

/** Bytes of an image read for its header (a JPEG's frame header follows any EXIF and thumbnails). */
const HEADER_BYTES = 1 << 20;

/** Images being decoded at once (createImageBitmap decodes off this thread too). */
const DECODE_AHEAD = 8;

/** Reading progress is reported at most once per this many bytes (and at the end). */
const READ_REPORT_BYTES = 1 << 20;

/**
 * The cache id of an imported dataset: `import:<name>/<12 hex>`. The name is
 * percent-encoded (encodeURIComponent), so the id is a URL that
 * `new URL(id, base)` keeps exactly as it is ("import:" is a scheme of its own,
 * and nothing in it is re-encoded).
 */
export function importId(name: string, contentHash: string): string {
  return `${IMPORT_PREFIX}${encodeURIComponent(name)}/${contentHash.slice(0, 12)}`;
}

export function isImportId(id: string): boolean {
  return id.startsWith(IMPORT_PREFIX);
}

/**
 * A CIFAR-10 or CIFAR-100 binary archive into the cache. `source` is a
 * picked file (named in errors by `name`) or a URL (fetched; named in errors
 * by its absolute form). Progress: `reading` by bytes (total 0 when a server
 * sends no Content-Length), then `decoding`, `sharding` and `storing` (by shard).
 */
export async function importArchive(
  source: { file: Blob; name: string } | { url: string },
  options: { labels?: CifarLabels } = {},
  onProgress?: ImportProgressCallback,
): Promise<ImportedDataset> {
  if ('file' in source) checkCifarArchiveSize(source.file.size, source.name);
  const { bytes, name } = 'url' in source ? await download(source.url, onProgress) : { bytes: await readBlob(source.file, source.name, onProgress), name: source.name };
  onProgress?.({ stage: 'decoding', done: 0, total: 1 });
  const dataset = await parseCifarArchive(bytes, name, options.labels ? { labels: options.labels } : {});
  onProgress?.({ stage: 'decoding', done: 1, total: 1 });
  return storeImport(dataset, { description: describeCifar(dataset), source: `${CIFAR_SOURCE}; imported from ${name}` }, name, onProgress);
}

/**
 * An image folder into the cache: planned by path (`planImageFolder`: class
 * folders, train/test folders or a seeded test fraction, no empty class, no
 * file that is not an image), then every image decoded to RGB (alpha
 * dropped), resized to `size` × `size` when a size is given (stretched, not
 * cropped: torchvision's `Resize((size, size))`), otherwise all of one size
 * (`checkSameSize`). A path ending in `/` is a folder (so an empty class
 * folder can be named); its blob is not read. Progress: `decoding` per image,
 * then `sharding` and `storing`.
 */
export async function importImageFolder(files: readonly ImageFolderFile[], options: ImageFolderOptions, onProgress?: ImportProgressCallback): Promise<ImportedDataset> {
  const name = options.name.trim();
  if (name === '' || name.length > 200) throw new RangeError(`a dataset name must be 1–200 characters, got ${JSON.stringify(options.name)}`);
  const size = options.size;
  if (size !== undefined && !(Number.isInteger(size) && size >= 1 && size <= MAX_SIDE)) {
    throw new RangeError(`the resize resolution must be a whole number of pixels from 1 to ${MAX_SIDE}, got ${size}`);
  }
  const blobs = new Map<string, Blob>();
  for (const { path, file } of files) if (!path.endsWith('/')) blobs.set(path, file);
  const plan = planImageFolder(
    files.map((f) => f.path),
    {
      root: name,
      ...(options.testFraction !== undefined && { testFraction: options.testFraction }),
      ...(options.seed !== undefined && { seed: options.seed }),
    },
  );
  const decoder = new ImageDecoder(size, plan.train.length + plan.test.length, name, onProgress);
  let train = await decoder.split(plan.train, blobs);
  let test = await decoder.split(plan.test, blobs);
  const { width, height } = decoder.shape!;
  // MNIST-style folders: grey images (R = G = B everywhere) are one channel, not three copies of it.
  const grey = isGreyRgb(train.images) && isGreyRgb(test.images);
  if (grey) {
    train = { ...train, images: firstChannel(train.images) };
    test = { ...test, images: firstChannel(test.images) };
  }
  const dataset: Dataset = { name, classNames: plan.classNames, shape: [height, width, grey ? 1 : 3], train, test };
  const resized = size === undefined ? '' : `, resized to ${size}×${size}`;
  return storeImport(
    dataset,
    {
      description: `Imported from an image folder: ${train.count} training and ${test.count} test images, ${height}×${width} ${grey ? 'grey (every pixel grey, so one channel)' : 'RGB'}${resized}; ${plan.layout === 'split-folders' ? 'the folder’s own train/test split' : `a seeded test fraction (${options.testFraction ?? 0.2}, seed ${options.seed ?? 0}) of each class held out`}.`,
      source: `image folder ${name} (${files.length} entries)`,
    },
    name,
    onProgress,
  );
}

/** Every dataset the cache holds, oldest first. */
export async function listDatasets(): Promise<CachedDataset[]> {
  const cache = await DatasetCache.open();
  try {
    return (await cache.list()).map(({ id, name, bytes, complete, addedAt }) => ({ id, name: name ?? null, bytes, complete, addedAt }));
  } finally {
    cache.close();
  }
}

/** Removes a dataset and every shard no other dataset uses. */
export async function deleteDataset(id: string): Promise<void> {
  const cache = await DatasetCache.open();
  try {
    await cache.delete(id);
  } finally {
    cache.close();
  }
}

/**
 * Shards `dataset` and stores it under its import id: every shard, then the
 * manifest, complete. On failure, what this import wrote is removed again,
 * unless the same dataset (same id) was already stored complete.
 */
export async function storeImport(dataset: Dataset, shardOptions: ShardOptions, what: string, onProgress?: ImportProgressCallback): Promise<ImportedDataset> {
  onProgress?.({ stage: 'sharding', done: 0, total: 1 });
  const identity = await datasetIdentity(dataset);
  const id = importId(dataset.name, identity.contentHash);
  const { manifest, files } = await shardDataset(dataset, shardOptions);
  onProgress?.({ stage: 'sharding', done: 1, total: 1 });
  const refs = new Map([...manifest.splits.train, ...manifest.splits.test].map((ref) => [ref.url, ref]));
  const bytes = files.reduce((n, f) => n + f.bytes.byteLength, 0);
  const cache = await DatasetCache.open();
  try {
    const existing = await cache.getManifest(id);
    try {
      onProgress?.({ stage: 'storing', done: 0, total: files.length });
      for (const [i, file] of files.entries()) {
        await cache.putShard(refs.get(file.path)!.sha256, file.bytes, id, `${file.path} of the import of ${what}`);
        onProgress?.({ stage: 'storing', done: i + 1, total: files.length });
      }
      await cache.putManifest(id, manifest, true, bytes);
    } catch (error) {
      if (!existing?.complete) await cache.delete(id).catch(() => undefined);
      throw error;
    }
  } finally {
    cache.close();
  }
  return {
    config: { kind: 'manifest', url: id },
    summary: { ...identity, shape: dataset.shape, trainCount: dataset.train.count },
  };
}

async function readBlob(blob: Blob, name: string, onProgress?: ImportProgressCallback): Promise<Uint8Array> {
  onProgress?.({ stage: 'reading', done: 0, total: blob.size });
  try {
    return await readStream(blob.stream(), blob.size, onProgress);
  } catch (error) {
    throw new Error(`${name}: could not read the file (${describeError(error)})`, { cause: error });
  }
}

async function download(url: string, onProgress?: ImportProgressCallback): Promise<{ bytes: Uint8Array; name: string }> {
  const href = new URL(url, self.location.href).href;
  let response: Response;
  try {
    response = await fetch(href);
  } catch (error) {
    throw new Error(`could not download ${href}: ${describeError(error)}`, { cause: error });
  }
  if (!response.ok) throw new Error(`could not download ${href}: the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  const length = Number(response.headers.get('Content-Length'));
  const total = Number.isSafeInteger(length) && length > 0 ? length : 0;
  // What the server says first, then what it sends: neither may exceed what a CIFAR archive can be.
  checkCifarArchiveSize(total, href);
  onProgress?.({ stage: 'reading', done: 0, total });
  try {
    const bytes = response.body ? await readStream(response.body, total, onProgress, MAX_CIFAR_TAR_BYTES) : new Uint8Array(await response.arrayBuffer());
    return { bytes, name: href };
  } catch (error) {
    if (error instanceof TooManyBytes) checkCifarArchiveSize(error.maxBytes + 1, href);
    throw new Error(`could not download ${href}: the download broke off (${describeError(error)})`, { cause: error });
  }
}

/** All of a stream's bytes, reporting `reading` progress; `total` 0 means unknown (the end reports done = total). */
async function readStream(stream: ReadableStream<Uint8Array>, total: number, onProgress?: ImportProgressCallback, maxBytes?: number): Promise<Uint8Array> {
  let reported = 0;
  const bytes = await readAll(
    stream,
    (received) => {
      if (received - reported < READ_REPORT_BYTES) return;
      reported = received;
      // A compressed transfer can deliver more than Content-Length says.
      onProgress?.({ stage: 'reading', done: received, total: Math.max(total, received) });
    },
    maxBytes,
  );
  onProgress?.({ stage: 'reading', done: bytes.byteLength, total: bytes.byteLength });
  return bytes;
}

/** Decodes images to RGB, split after split, keeping one size across them all. */
class ImageDecoder {
  shape: { width: number; height: number } | undefined;
  private first: { path: string; width: number; height: number } | undefined;
  private canvas: OffscreenCanvas | undefined;
  private context: OffscreenCanvasRenderingContext2D | undefined;
  private done = 0;

  constructor(
    private readonly size: number | undefined,
    private readonly total: number,
    /** The dataset's name, for a message about the whole folder. */
    private readonly root: string,
    private readonly onProgress: ImportProgressCallback | undefined,
  ) {}

  async split(images: readonly PlannedImage[], blobs: ReadonlyMap<string, Blob>): Promise<Split> {
    const labels = new Uint16Array(images.length);
    let pixels: Uint8Array | undefined;
    // A window of decodes in flight, consumed in order so that the first bad image in plan order is the one reported.
    const pending: Promise<ImageBitmap>[] = [];
    const start = (i: number) => {
      const image = images[i]!;
      const decoding = this.decode(blobs.get(image.path)!, image.path);
      decoding.catch(() => undefined); // observed when its turn comes
      pending.push(decoding);
    };
    let next = 0;
    try {
      for (let i = 0; i < images.length; i++) {
        while (next < images.length && next < i + DECODE_AHEAD) start(next++);
        const bitmap = await pending.shift()!;
        try {
          const path = images[i]!.path;
          const { width, height } = bitmap;
          if (!this.first) {
            this.first = { path, width, height };
            this.shape = { width, height };
            checkImportSize(this.total, width, height, this.root);
          }
          checkSameSize([this.first, { path, width, height }]);
          const imageBytes = width * height * 3;
          pixels ??= new Uint8Array(images.length * imageBytes);
          this.toRgb(bitmap, pixels, i * imageBytes);
          labels[i] = images[i]!.label;
        } finally {
          bitmap.close();
        }
        this.onProgress?.({ stage: 'decoding', done: ++this.done, total: this.total });
      }
    } finally {
      for (const decoding of pending) void decoding.then((bitmap) => bitmap.close(), () => undefined);
    }
    return { images: pixels ?? new Uint8Array(0), labels, count: images.length };
  }

  /**
   * The image as a bitmap of its stored pixel values (no colour management,
   * no premultiplication), resized when a size is set. Its header is read
   * first: an image too large to decode is refused before the browser
   * allocates its pixels (a 69-byte PNG can claim 32,000 × 32,000).
   */
  private async decode(blob: Blob, path: string): Promise<ImageBitmap> {
    const head = blob.size > HEADER_BYTES ? blob.slice(0, HEADER_BYTES) : blob;
    let header;
    try {
      header = readImageHeader(new Uint8Array(await head.arrayBuffer()), path);
    } catch (error) {
      if (error instanceof FormatError && head !== blob) throw new FormatError(path, `${error.problem} (within its first ${HEADER_BYTES / 2 ** 20} MiB)`);
      throw error;
    }
    // Without a resize the pixels are kept as they are, so a side must fit the shard format.
    checkDecodable(header, path, this.size === undefined ? { maxSide: MAX_SIDE, hint: 'choose a resolution to resize to' } : undefined);
    const options: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' };
    if (this.size !== undefined) Object.assign(options, { resizeWidth: this.size, resizeHeight: this.size, resizeQuality: 'high' });
    try {
      return await createImageBitmap(blob, options);
    } catch (error) {
      throw new FormatError(path, `cannot be decoded as an image (${describeError(error)})`);
    }
  }

  /** Writes the bitmap's RGB bytes (alpha dropped) at `offset`. */
  private toRgb(bitmap: ImageBitmap, out: Uint8Array, offset: number): void {
    const { width, height } = bitmap;
    if (!this.canvas || this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas = new OffscreenCanvas(width, height);
      const context = this.canvas.getContext('2d', { willReadFrequently: true });
      if (!context) throw new Error('this browser gives no 2D context on an OffscreenCanvas, which decoding images needs');
      this.context = context;
    }
    const context = this.context!;
    context.clearRect(0, 0, width, height);
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height).data;
    for (let p = 0, o = offset; p < rgba.length; p += 4, o += 3) {
      out[o] = rgba[p]!;
      out[o + 1] = rgba[p + 1]!;
      out[o + 2] = rgba[p + 2]!;
    }
  }
}
