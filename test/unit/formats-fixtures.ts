/**
 * Small files in the real formats, made by the tests: ustar tar archives
 * (written here, gzipped with node:zlib), and CIFAR-10/100 binary archives
 * with a few records each.
 */
import { crc32, deflateSync, gzipSync } from 'node:zlib';

export interface TarInput {
  name: string;
  data?: Uint8Array | string;
  /** '0' file (default), '5' directory. */
  type?: '0' | '5';
}

const encoder = new TextEncoder();

/** A POSIX ustar archive; names over 100 bytes get a GNU 'L' long-name entry, as GNU tar writes them. */
export function makeTar(inputs: TarInput[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const pushEntry = (name: string, data: Uint8Array, type: string) => {
    const header = new Uint8Array(512);
    const put = (text: string, at: number, length: number) => header.set(encoder.encode(text).subarray(0, length), at);
    const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0';
    put(name, 0, 100);
    put(octal(type === '5' ? 0o755 : 0o644, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(data.length, 12), 124, 12);
    put(octal(1_700_000_000, 12), 136, 12);
    put('        ', 148, 8);
    put(type, 156, 1);
    put('ustar\u000000', 257, 8);
    put('classwise', 265, 32);
    let sum = 0;
    for (const b of header) sum += b;
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
    blocks.push(header);
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  };
  for (const input of inputs) {
    const data = typeof input.data === 'string' ? encoder.encode(input.data) : (input.data ?? new Uint8Array(0));
    const nameBytes = encoder.encode(input.name);
    if (nameBytes.length > 100) pushEntry('././@LongLink', new Uint8Array([...nameBytes, 0]), 'L');
    pushEntry(input.name, data, input.type ?? '0');
  }
  blocks.push(new Uint8Array(1024)); // end of archive
  return concat(blocks);
}

export function gzip(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(gzipSync(bytes));
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Pixel (channel c of pixel p) of record i in a fixture: a pattern that tells channels and pixels apart. */
export function fixturePixel(i: number, p: number, c: number): number {
  return (i * 31 + p * 7 + c * 101) & 255;
}

/** A record: label bytes, then 1024 R, 1024 G, 1024 B (planar). */
function record(labels: number[], i: number): Uint8Array {
  const out = new Uint8Array(labels.length + 3072);
  out.set(labels);
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) out[labels.length + c * 1024 + p] = fixturePixel(i, p, c);
  return out;
}

export const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export interface CifarFixture {
  bytes: Uint8Array;
  trainLabels: number[];
  testLabels: number[];
}

/**
 * cifar-10-binary.tar.gz in miniature: `perBatch` records in each of the five
 * training batches and `testCount` in test_batch.bin. Record i (counted across
 * the training batches, then afresh in the test batch) has label i % 10.
 */
export function makeCifar10(options: { perBatch?: number; testCount?: number; omit?: string; corrupt?: string } = {}): CifarFixture {
  const perBatch = options.perBatch ?? 3;
  const testCount = options.testCount ?? 4;
  const entries: TarInput[] = [{ name: 'cifar-10-batches-bin/', type: '5' }];
  const trainLabels: number[] = [];
  for (let b = 1; b <= 5; b++) {
    const records: Uint8Array[] = [];
    for (let j = 0; j < perBatch; j++) {
      const i = (b - 1) * perBatch + j;
      trainLabels.push(i % 10);
      records.push(record([i % 10], i));
    }
    entries.push({ name: `cifar-10-batches-bin/data_batch_${b}.bin`, data: concat(records) });
  }
  const testLabels = Array.from({ length: testCount }, (_, i) => (i * 3) % 10);
  entries.push({ name: 'cifar-10-batches-bin/test_batch.bin', data: concat(testLabels.map((l, i) => record([l], i))) });
  entries.push({ name: 'cifar-10-batches-bin/batches.meta.txt', data: CIFAR10_NAMES.join('\n') + '\n\n' });
  entries.push({ name: 'cifar-10-batches-bin/readme.html', data: '<html></html>' });
  const kept = entries
    .filter((e) => !options.omit || !e.name.endsWith(options.omit))
    .map((e) => (options.corrupt && e.name.endsWith(options.corrupt) ? { ...e, data: concat([e.data as Uint8Array, new Uint8Array([1, 2, 3])]) } : e));
  return { bytes: gzip(makeTar(kept)), trainLabels, testLabels };
}

export const CIFAR100_FINE = Array.from({ length: 100 }, (_, k) => `fine_${String(k).padStart(2, '0')}`);
export const CIFAR100_COARSE = Array.from({ length: 20 }, (_, k) => `coarse_${String(k).padStart(2, '0')}`);

/** cifar-100-binary.tar.gz in miniature: record i has coarse label i % 20 and fine label (i * 7) % 100. */
export function makeCifar100(options: { trainCount?: number; testCount?: number } = {}): CifarFixture & { trainCoarse: number[]; testCoarse: number[] } {
  const make = (n: number) => {
    const fine = Array.from({ length: n }, (_, i) => (i * 7) % 100);
    const coarse = Array.from({ length: n }, (_, i) => i % 20);
    return { fine, coarse, data: concat(fine.map((f, i) => record([coarse[i]!, f], i))) };
  };
  const train = make(options.trainCount ?? 6);
  const test = make(options.testCount ?? 3);
  const bytes = gzip(
    makeTar([
      { name: 'cifar-100-binary/', type: '5' },
      { name: 'cifar-100-binary/coarse_label_names.txt', data: CIFAR100_COARSE.join('\n') + '\n' },
      { name: 'cifar-100-binary/fine_label_names.txt', data: CIFAR100_FINE.join('\n') + '\n' },
      { name: 'cifar-100-binary/train.bin', data: train.data },
      { name: 'cifar-100-binary/test.bin', data: test.data },
    ]),
  );
  return { bytes, trainLabels: train.fine, testLabels: test.fine, trainCoarse: train.coarse, testCoarse: test.coarse };
}

/** A PNG chunk: length, type, data, CRC-32 of type and data. */
function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  const view = new DataView(head.buffer);
  view.setUint32(0, data.length);
  head.set(encoder.encode(type), 4);
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, crc32(concat([encoder.encode(type), data])));
  return concat([head, data, crc]);
}

/**
 * A well-formed PNG (valid chunks and CRCs) whose header claims width × height
 * RGBA pixels while its image data is one tiny zlib stream: the 69-byte kind
 * of file that makes a decoder allocate gigabytes before it finds the data missing.
 */
export function pngClaiming(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter method, no interlace
  const signature = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', new Uint8Array(deflateSync(new Uint8Array(8)))), pngChunk('IEND', new Uint8Array(0))]);
}

/**
 * A gzip file of `members` concatenated members, each 16 MiB of zeros (16 kB
 * compressed): about 1 kB per 1 MiB inflated, so a 1 MB file inflates to 1 GiB.
 * Built from one member repeated, so the test never holds the inflated bytes.
 */
export function gzipBomb(members: number): Uint8Array {
  const member = gzip(new Uint8Array(16 * 2 ** 20));
  return concat(new Array<Uint8Array>(members).fill(member));
}
