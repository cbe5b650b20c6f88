/**
 * Resizing uint8 images as Pillow's `Image.resize(size, BILINEAR)` does, to
 * the byte: a triangle filter whose support widens with the shrink factor (so
 * shrinking averages every source pixel, antialiased), fixed-point weights of
 * 22 fractional bits, a horizontal pass rounded to uint8, then a vertical one.
 * That is also what torchvision's `Resize` does to PIL images, so a slice
 * resized here matches a torchvision pipeline on the same data.
 *
 * Pure: no tfjs, no DOM.
 */

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Coefficients {
  /** First source index of each output position. */
  start: Int32Array;
  /** Taps of each output position. */
  taps: Int32Array;
  /** `width` fixed-point weights per output position. */
  weights: Float64Array;
  width: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear filter (support 1). */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const width = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const taps = new Int32Array(outSize);
  const weights = new Float64Array(outSize * width);
  const raw = new Float64Array(width);
  for (let x = 0; x < outSize; x++) {
    const center = (x + 0.5) * scale;
    // Pillow's (int) casts truncate toward zero.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const n = hi - lo;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const t = Math.abs((i + lo - center + 0.5) / filterScale);
      raw[i] = t < 1 ? 1 - t : 0;
      sum += raw[i]!;
    }
    for (let i = 0; i < n; i++) {
      const w = sum !== 0 ? raw[i]! / sum : raw[i]!;
      weights[x * width + i] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[x] = lo;
    taps[x] = n;
  }
  return { start, taps, weights, width };
}

function clip8(value: number): number {
  if (value >= ONE * 256) return 255;
  if (value <= 0) return 0;
  return Math.floor(value / ONE);
}

/**
 * `count` images of height × width × channels (HWC, back to back) resized to
 * outHeight × outWidth. A side that keeps its size is not resampled (Pillow
 * skips that pass too).
 */
export function resizeImages(
  images: Uint8Array,
  count: number,
  [height, width, channels]: readonly [number, number, number],
  outHeight: number,
  outWidth: number,
): Uint8Array {
  const out = new Uint8Array(count * outHeight * outWidth * channels);
  const horizontal = width !== outWidth ? coefficients(width, outWidth) : null;
  const vertical = height !== outHeight ? coefficients(height, outHeight) : null;
  const middle = new Uint8Array(height * outWidth * channels);
  for (let n = 0; n < count; n++) {
    const source = images.subarray(n * height * width * channels, (n + 1) * height * width * channels);
    const target = out.subarray(n * outHeight * outWidth * channels, (n + 1) * outHeight * outWidth * channels);
    // Horizontal pass into `middle` (height × outWidth), rounded to uint8 as Pillow does.
    if (horizontal) {
      const { start, taps, weights, width: k } = horizontal;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < outWidth; x++) {
          for (let c = 0; c < channels; c++) {
            let sum = HALF;
            for (let i = 0; i < taps[x]!; i++) sum += source[(y * width + start[x]! + i) * channels + c]! * weights[x * k + i]!;
            middle[(y * outWidth + x) * channels + c] = clip8(sum);
          }
        }
      }
    } else {
      middle.set(source);
    }
    if (vertical) {
      const { start, taps, weights, width: k } = vertical;
      for (let y = 0; y < outHeight; y++) {
        for (let x = 0; x < outWidth; x++) {
          for (let c = 0; c < channels; c++) {
            let sum = HALF;
            for (let i = 0; i < taps[y]!; i++) sum += middle[((start[y]! + i) * outWidth + x) * channels + c]! * weights[y * k + i]!;
            target[(y * outWidth + x) * channels + c] = clip8(sum);
          }
        }
      }
    } else {
      target.set(middle);
    }
  }
  return out;
}
