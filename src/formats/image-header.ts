/**
 * An image's size from its header, before anything is decoded, so that an
 * import can refuse a file whose pixels would not fit in memory: a 69-byte
 * PNG may claim 32,000 × 32,000 pixels (4 GiB of RGBA), and a decoder
 * allocates that before it finds out the data is missing.
 *
 *   PNG   the IHDR chunk, which the format puts first (bytes 16–23)
 *   JPEG  the first start-of-frame marker (SOF0–SOF15 but DHT, JPG, DAC), after any APPn/COM segments
 *   WebP  the VP8 (lossy), VP8L (lossless) or VP8X (extended) chunk of the RIFF container
 *
 * Pure: no tfjs, no DOM.
 */
import { FormatError } from './errors';
import { formatMemory } from '../util/units';

export type ImageKind = 'png' | 'jpeg' | 'webp';

export interface ImageHeader {
  kind: ImageKind;
  width: number;
  height: number;
}

/** The most pixels one image may have to be decoded (8192 × 8192: 256 MiB as RGBA). */
export const MAX_DECODED_PIXELS = 8192 * 8192;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

/** The format by content, whatever the extension says; undefined when none of the three. */
export function imageKind(bytes: Uint8Array): ImageKind | undefined {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  return undefined;
}

/**
 * The width and height an image's header declares. Throws a FormatError
 * naming `file` when the file is none of PNG, JPEG or WebP, or its header is
 * cut off or malformed.
 */
export function readImageHeader(bytes: Uint8Array, file: string): ImageHeader {
  const kind = imageKind(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cut = (what: string): never => {
    throw new FormatError(file, `is cut off before its ${what}`);
  };
  switch (kind) {
    case 'png': {
      if (bytes.length < 24) cut('PNG header (IHDR)');
      if (ascii(bytes, 12, 4) !== 'IHDR') throw new FormatError(file, 'is not a valid PNG (its first chunk is not IHDR)');
      return checked({ kind, width: view.getUint32(16), height: view.getUint32(20) }, file);
    }
    case 'jpeg': {
      let at = 2;
      for (;;) {
        // Markers may be padded with any number of 0xff bytes.
        while (at < bytes.length && bytes[at] === 0xff && bytes[at + 1] === 0xff) at++;
        if (at + 4 > bytes.length) cut('JPEG frame header');
        if (bytes[at] !== 0xff) throw new FormatError(file, `is not a valid JPEG (no marker at byte ${at})`);
        const marker = bytes[at + 1]!;
        if (marker === 0xd9 || marker === 0xda) throw new FormatError(file, 'is not a valid JPEG (image data before any frame header)');
        const length = view.getUint16(at + 2);
        const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
        if (isFrame) {
          if (at + 9 > bytes.length) cut('JPEG frame header');
          return checked({ kind, height: view.getUint16(at + 5), width: view.getUint16(at + 7) }, file);
        }
        if (length < 2) throw new FormatError(file, `is not a valid JPEG (a segment of length ${length} at byte ${at})`);
        at += 2 + length;
      }
    }
    case 'webp': {
      if (bytes.length < 30) cut('WebP header');
      const chunk = ascii(bytes, 12, 4);
      if (chunk === 'VP8 ') {
        // Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height.
        if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) throw new FormatError(file, 'is not a valid WebP (bad VP8 start code)');
        return checked({ kind, width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff }, file);
      }
      if (chunk === 'VP8L') {
        if (bytes[20] !== 0x2f) throw new FormatError(file, 'is not a valid WebP (bad VP8L signature)');
        const bits = view.getUint32(21, true);
        return checked({ kind, width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }, file);
      }
      if (chunk === 'VP8X') {
        const u24 = (at: number) => bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
        return checked({ kind, width: u24(24) + 1, height: u24(27) + 1 }, file);
      }
      throw new FormatError(file, `is not a WebP this importer reads (first chunk "${chunk}")`);
    }
    default:
      throw new FormatError(file, 'is not a PNG, JPEG or WebP image (by its first bytes), whatever its extension says');
  }
}

function checked(header: ImageHeader, file: string): ImageHeader {
  if (header.width === 0 || header.height === 0) throw new FormatError(file, `declares an empty image (${header.width}×${header.height} pixels)`);
  return header;
}

/**
 * Refuses, before decoding, an image too large to decode: more pixels than
 * MAX_DECODED_PIXELS, or (when given) a side over `maxSide`, with `hint`
 * saying what to do about it.
 */
export function checkDecodable(header: ImageHeader, file: string, side?: { maxSide: number; hint: string }): void {
  const { width, height } = header;
  if (width * height > MAX_DECODED_PIXELS) {
    throw new FormatError(
      file,
      `declares ${width}×${height} pixels (${formatMemory(width * height * 4)} decoded), more than the ${Math.sqrt(MAX_DECODED_PIXELS)}×${Math.sqrt(MAX_DECODED_PIXELS)} an import decodes; it is refused before decoding`,
    );
  }
  if (side && (width > side.maxSide || height > side.maxSide)) {
    throw new FormatError(file, `is ${width}×${height} pixels, larger than ${side.maxSide} on a side; ${side.hint}`);
  }
}
