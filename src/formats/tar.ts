/**
 * Just enough tar and gzip to open the archives datasets ship in: a ustar/GNU
 * tar reader over bytes in memory (regular files; GNU 'L' long names and pax
 * 'path' records) and gunzip through the platform's DecompressionStream,
 * which Node 20, browsers and workers all have.
 *
 * Pure: no tfjs, no DOM.
 */
import { readAll, TooManyBytes } from '../util/bytes';
import { FormatError } from './errors';
import { formatBytes } from '../util/units';

const BLOCK = 512;

export interface TarEntry {
  /** The member's path inside the archive, '/'-separated. */
  name: string;
  size: number;
  /** A view into the archive's bytes. */
  data: Uint8Array;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Whether `bytes` starts with a tar header whose checksum is right. */
export function isTar(bytes: Uint8Array): boolean {
  return bytes.length >= BLOCK && checksumMatches(bytes.subarray(0, BLOCK));
}

export interface GunzipLimit {
  /** The most bytes the data may inflate to. */
  maxBytes: number;
  /** Why, for the message: "the largest CIFAR binary archive is 184 MB as tar". */
  why: string;
}

/**
 * Decompresses gzip (several concatenated members too); anything else or a
 * cut-off stream → FormatError naming `file`. With a limit, data that would
 * inflate past it is refused while inflating, so a small file that inflates
 * to gigabytes never holds more than the limit. (The trailer's declared size
 * is not trusted: in a cut-off file those four bytes are anything.)
 */
export async function gunzip(bytes: Uint8Array, file = 'archive', limit?: GunzipLimit): Promise<Uint8Array> {
  if (!isGzip(bytes)) throw new FormatError(file, 'not a gzip file (it does not start with the gzip magic bytes 1f 8b)');
  const allowed = () => `the ${formatBytes(limit!.maxBytes)} allowed (${limit!.why})`;
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  try {
    return await readAll(input.pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>), undefined, limit?.maxBytes);
  } catch (error) {
    if (error instanceof TooManyBytes) throw new FormatError(file, `inflates to more than ${allowed()}; refused before it fills memory`);
    const message = error instanceof Error ? error.message : String(error);
    throw new FormatError(file, /end of file|unexpected end|truncat/i.test(message) ? 'truncated gzip data' : `corrupt gzip data (${message})`);
  }
}

/**
 * Lists the regular files of a tar archive (ustar, GNU or pax), in archive
 * order. Directories, links and other special entries are skipped. Not tar,
 * a bad header checksum or a cut-off archive → FormatError naming `file`.
 */
export function readTar(bytes: Uint8Array, file = 'archive'): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  let paxSize: number | undefined;
  for (;;) {
    if (offset === bytes.length) {
      // No end-of-archive blocks; tar itself accepts this, so do we, but not an empty "archive".
      if (offset === 0) throw new FormatError(file, 'empty file, not a tar archive');
      break;
    }
    if (offset + BLOCK > bytes.length) throw new FormatError(file, `truncated tar archive (a partial header at byte ${offset})`);
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end of archive
    if (!checksumMatches(header)) {
      throw new FormatError(file, offset === 0 ? 'not a tar archive (no valid tar header)' : `corrupt tar archive (bad header checksum at byte ${offset})`);
    }
    const type = String.fromCharCode(header[156]!);
    const magic = ascii(header, 257, 6);
    let name = text(header, 0, 100);
    // POSIX ustar keeps a path prefix at 345; GNU's "ustar  " magic uses that area for other fields.
    if (magic === 'ustar\0') {
      const prefix = text(header, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const size = paxSize ?? parseNumber(header, 124, 12, file, offset);
    const start = offset + BLOCK;
    const end = start + size;
    if (end > bytes.length) {
      throw new FormatError(file, `truncated tar archive: member "${longName ?? paxPath ?? name}" needs ${size} bytes, only ${Math.max(bytes.length - start, 0)} remain`);
    }
    const data = bytes.subarray(start, end);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = decodeText(data).replace(/\0+$/, '');
      continue;
    }
    if (type === 'x') {
      const records = parsePax(data);
      paxPath = records.get('path');
      const paxSizeText = records.get('size');
      paxSize = paxSizeText !== undefined && /^\d+$/.test(paxSizeText) ? Number(paxSizeText) : undefined;
      continue;
    }
    if (type === 'g') continue; // pax global header: nothing we use
    const fullName = (paxPath ?? longName ?? name).replace(/^\.\//, '');
    longName = paxPath = paxSize = undefined;
    if (type === '0' || type === '\0' || type === '7') entries.push({ name: fullName, size, data });
  }
  return entries;
}

function checksumMatches(header: Uint8Array): boolean {
  const field = ascii(header, 148, 8).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]+$/.test(field)) return false;
  const stored = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : header[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** An octal field, or GNU's base-256 form (high bit of the first byte set) for large sizes. */
function parseNumber(header: Uint8Array, at: number, length: number, file: string, offset: number): number {
  if (header[at]! & 0x80) {
    let value = header[at]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + header[at + i]!;
    return value;
  }
  const field = ascii(header, at, length).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (field === '') return 0;
  if (!/^[0-7]+$/.test(field)) throw new FormatError(file, `corrupt tar archive (bad size field at byte ${offset + at})`);
  return parseInt(field, 8);
}

function parsePax(data: Uint8Array): Map<string, string> {
  // Records are "<length> <key>=<value>\n", the length in bytes and counting the whole record.
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(ascii(data, at, space - at));
    if (!Number.isInteger(length) || length <= space - at || at + length > data.length) break;
    const record = decodeText(data.subarray(space + 1, at + length)).replace(/\n$/, '');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

/** A NUL-terminated UTF-8 field. */
function text(bytes: Uint8Array, at: number, length: number): string {
  const field = bytes.subarray(at, at + length);
  const nul = field.indexOf(0);
  return decodeText(nul < 0 ? field : field.subarray(0, nul));
}

function decodeText(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
