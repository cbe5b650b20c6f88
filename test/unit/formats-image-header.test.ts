/** Image sizes read from headers before decoding (src/formats/image-header.ts), on files made in the real formats. */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/errors';
import { checkDecodable, MAX_DECODED_PIXELS, readImageHeader } from '../../src/formats/image-header';
import { concat, pngClaiming } from './formats-fixtures';

function png(width: number, height: number, colorType: 0 | 2 | 6 = 6): Uint8Array {
  const image = new PNG({ width, height, colorType, inputColorType: 6 });
  image.data.fill(90);
  return PNG.sync.write(image, { colorType });
}

function jpg(width: number, height: number): Uint8Array {
  return jpeg.encode({ width, height, data: new Uint8Array(width * height * 4).fill(120) }, 90).data;
}

/** A JPEG with an APP1 (EXIF-like) segment of `bytes` bytes before its frame header. */
function jpgWithApp1(width: number, height: number, bytes: number): Uint8Array {
  const plain = jpg(width, height);
  const app1 = new Uint8Array(4 + bytes);
  app1.set([0xff, 0xe1, ((bytes + 2) >> 8) & 255, (bytes + 2) & 255]);
  return concat([plain.subarray(0, 2), app1, plain.subarray(2)]);
}

/** The first 30 bytes of a WebP: RIFF header and the first chunk's header, as the three bitstreams write them. */
function webpHeader(chunk: 'VP8 ' | 'VP8L' | 'VP8X', width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(30);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(`RIFF\0\0\0\0WEBP${chunk}`));
  if (chunk === 'VP8 ') {
    bytes.set([0x9d, 0x01, 0x2a], 23);
    view.setUint16(26, width, true);
    view.setUint16(28, height, true);
  } else if (chunk === 'VP8L') {
    bytes[20] = 0x2f;
    view.setUint32(21, (width - 1) | ((height - 1) << 14), true);
  } else {
    bytes.set([(width - 1) & 255, ((width - 1) >> 8) & 255, ((width - 1) >> 16) & 255], 24);
    bytes.set([(height - 1) & 255, ((height - 1) >> 8) & 255, ((height - 1) >> 16) & 255], 27);
  }
  return bytes;
}

function problem(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return (error as FormatError).message;
  }
  throw new Error('no error');
}

describe('readImageHeader', () => {
  it('reads PNG sizes (grey, RGB, RGBA) and JPEG sizes, also after a large APP1 segment', () => {
    expect(readImageHeader(png(7, 5), 'a.png')).toEqual({ kind: 'png', width: 7, height: 5 });
    expect(readImageHeader(png(28, 28, 0), 'grey.png')).toEqual({ kind: 'png', width: 28, height: 28 });
    expect(readImageHeader(png(3, 9, 2), 'rgb.png')).toEqual({ kind: 'png', width: 3, height: 9 });
    expect(readImageHeader(jpg(13, 6), 'a.jpg')).toEqual({ kind: 'jpeg', width: 13, height: 6 });
    expect(readImageHeader(jpgWithApp1(10, 20, 40_000), 'exif.jpg')).toEqual({ kind: 'jpeg', width: 10, height: 20 });
  });

  it('reads WebP sizes from each of its three bitstreams', () => {
    expect(readImageHeader(webpHeader('VP8 ', 640, 480), 'lossy.webp')).toMatchObject({ kind: 'webp', width: 640, height: 480 });
    expect(readImageHeader(webpHeader('VP8L', 16383, 2), 'lossless.webp')).toMatchObject({ width: 16383, height: 2 });
    expect(readImageHeader(webpHeader('VP8X', 20000, 30000), 'extended.webp')).toMatchObject({ width: 20000, height: 30000 });
  });

  it('reads the size a hostile PNG claims, without decoding it', () => {
    const bomb = pngClaiming(32000, 32000);
    expect(bomb.length).toBeLessThan(70);
    expect(readImageHeader(bomb, 'bomb.png')).toEqual({ kind: 'png', width: 32000, height: 32000 });
  });

  it('refuses files that are no image, or whose header is cut off, naming the file', () => {
    expect(problem(() => readImageHeader(new TextEncoder().encode('GIF89a....'), 'x.png'))).toBe(
      'x.png: is not a PNG, JPEG or WebP image (by its first bytes), whatever its extension says',
    );
    expect(problem(() => readImageHeader(png(4, 4).subarray(0, 20), 'cut.png'))).toBe('cut.png: is cut off before its PNG header (IHDR)');
    expect(problem(() => readImageHeader(jpgWithApp1(4, 4, 500).subarray(0, 300), 'cut.jpg'))).toBe('cut.jpg: is cut off before its JPEG frame header');
    expect(problem(() => readImageHeader(pngClaiming(0, 5), 'empty.png'))).toBe('empty.png: declares an empty image (0×5 pixels)');
  });
});

describe('checkDecodable', () => {
  it('refuses more pixels than an import decodes, and a side over the limit when one is given', () => {
    expect(() => checkDecodable({ kind: 'png', width: 8192, height: 8192 }, 'a.png')).not.toThrow();
    expect(8192 * 8192).toBe(MAX_DECODED_PIXELS);
    expect(problem(() => checkDecodable({ kind: 'png', width: 32000, height: 32000 }, 'bomb.png'))).toBe(
      'bomb.png: declares 32000×32000 pixels (3.81 GiB decoded), more than the 8192×8192 an import decodes; it is refused before decoding',
    );
    expect(problem(() => checkDecodable({ kind: 'jpeg', width: 5000, height: 100 }, 'wide.jpg', { maxSide: 4096, hint: 'choose a resolution to resize to' }))).toBe(
      'wide.jpg: is 5000×100 pixels, larger than 4096 on a side; choose a resolution to resize to',
    );
  });
});
