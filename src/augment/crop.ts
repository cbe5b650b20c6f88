/**
 * Crops and flips for a training batch, as torchvision computes them.
 *
 * The windows are drawn here (`sampleResizedCrop` is RandomResizedCrop's
 * get_params, `sampleTranslation` RandomCrop's offset after zero padding);
 * each window then becomes a resampling plan: for every output row and every
 * output column, two source taps and their weights, so that
 *
 *   out[i][j] = Σ_a Σ_b rowWeight_a[i] · colWeight_b[j] · image[rowIndex_a[i]][colIndex_b[j]]
 *
 * A resized crop's taps are torchvision's `resized_crop` (bilinear, half-pixel
 * centres, edge clamping, antialias off: a window is never larger than the
 * image), a translation's are whole-pixel shifts reading zeros outside the
 * image (the padding), and a flip reverses the column taps, which is the
 * horizontal flip of the result. The engine applies a plan with gathers
 * (src/engine/resample.ts), so the same plan gives the same pixels on every
 * backend.
 *
 * Pure logic: no tfjs, no DOM.
 */
import type { AugmentationConfig } from '../study/config';
import type { Rng } from '../util/rng';

/** A window of whole pixels: rows [top, top + height), columns [left, left + width). */
export interface CropWindow {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** Python's `round`: halves go to the even neighbour, so torchvision's sizes come out the same. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor; // exact for doubles
  if (fraction !== 0.5) return fraction < 0.5 ? floor : floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * torchvision's `RandomResizedCrop.get_params`, step for step: up to ten
 * tries of (area fraction ~ U[scale], log aspect ~ U[log ratio]), then a
 * central crop clamped to the ratio range.
 *
 * Draw order: per try, the area fraction then the log aspect ratio; on
 * success, the top then the left offset. The fallback draws nothing.
 *
 * One deliberate difference: where torchvision's fallback would return an
 * empty crop (a ratio so extreme that a side rounds to 0), the side is 1 pixel.
 */
export function sampleResizedCrop(
  rng: Rng,
  imageHeight: number,
  imageWidth: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
): CropWindow {
  const area = imageHeight * imageWidth;
  const logRatio: [number, number] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const width = roundHalfEven(Math.sqrt(targetArea * aspect));
    const height = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (width > 0 && width <= imageWidth && height > 0 && height <= imageHeight) {
      const top = rng.int(0, imageHeight - height + 1);
      const left = rng.int(0, imageWidth - width + 1);
      return { top, left, height, width };
    }
  }
  const inRatio = imageWidth / imageHeight;
  const minRatio = Math.min(ratio[0], ratio[1]);
  const maxRatio = Math.max(ratio[0], ratio[1]);
  let width = imageWidth;
  let height = imageHeight;
  if (inRatio < minRatio) height = Math.max(1, roundHalfEven(width / minRatio));
  else if (inRatio > maxRatio) width = Math.max(1, roundHalfEven(height * maxRatio));
  return {
    top: Math.floor((imageHeight - height) / 2),
    left: Math.floor((imageWidth - width) / 2),
    height,
    width,
  };
}

/**
 * CIFAR's pad-and-crop as an offset of the image-sized window: padding by p
 * and taking a random H×W window of the padded image is the window starting
 * at (dy, dx) ∈ [-p, p]² in the original image. Draws dy, then dx.
 */
export function sampleTranslation(rng: Rng, padding: number): { dy: number; dx: number } {
  const dy = rng.int(-padding, padding + 1);
  const dx = rng.int(-padding, padding + 1);
  return { dy, dx };
}

/**
 * How one output axis reads its source axis: output coordinate i is
 * weight0[i] · source[index0[i]] + weight1[i] · source[index1[i]].
 */
export interface AxisTaps {
  index0: Int32Array;
  index1: Int32Array;
  weight0: Float32Array;
  weight1: Float32Array;
}

/**
 * torchvision's bilinear resize of the window [start, start + length) of an
 * axis to `size` samples (`interpolate(..., align_corners=False)`, antialias
 * off): output i sits at source position (i + ½) · length / size − ½ of the
 * window, clamped to 0 below; it blends the two window pixels around it, the
 * last one with itself. So `scale` means what it means in torchvision: the
 * window's area is the share of the image that the crop shows.
 */
export function resizeTaps(start: number, length: number, size: number): AxisTaps {
  const taps = emptyTaps(size);
  const scale = length / size;
  for (let i = 0; i < size; i++) {
    const position = Math.max((i + 0.5) * scale - 0.5, 0);
    const below = Math.floor(position);
    const above = below < length - 1 ? below + 1 : below;
    const fraction = position - below;
    taps.index0[i] = start + below;
    taps.index1[i] = start + above;
    taps.weight0[i] = 1 - fraction;
    taps.weight1[i] = fraction;
  }
  return taps;
}

/** Output i reads source i + offset, and zero where that is outside [0, size): pad-and-crop, or no crop at offset 0. */
export function shiftTaps(offset: number, size: number): AxisTaps {
  const taps = emptyTaps(size);
  for (let i = 0; i < size; i++) {
    const source = i + offset;
    const inside = source >= 0 && source < size;
    taps.index0[i] = taps.index1[i] = inside ? source : 0;
    taps.weight0[i] = inside ? 1 : 0;
  }
  return taps;
}

/** The same taps in reverse order: the horizontal flip of what they produce. */
export function reversedTaps(taps: AxisTaps): AxisTaps {
  return {
    index0: taps.index0.slice().reverse(),
    index1: taps.index1.slice().reverse(),
    weight0: taps.weight0.slice().reverse(),
    weight1: taps.weight1.slice().reverse(),
  };
}

function emptyTaps(size: number): AxisTaps {
  return { index0: new Int32Array(size), index1: new Int32Array(size), weight0: new Float32Array(size), weight1: new Float32Array(size) };
}

/** What one image's augmentation resolves to: its row taps and column taps, each the image's size. */
export interface ImageResampling {
  rows: AxisTaps;
  cols: AxisTaps;
}

/** torchvision's `resized_crop` of `window` back to the image size, then `hflip` when `flip`. */
export function resizedCropResampling(window: CropWindow, imageHeight: number, imageWidth: number, flip: boolean): ImageResampling {
  const cols = resizeTaps(window.left, window.width, imageWidth);
  return { rows: resizeTaps(window.top, window.height, imageHeight), cols: flip ? reversedTaps(cols) : cols };
}

/** The image shifted by (dy, dx) with zeros around it (pad-and-crop), then flipped when `flip`. */
export function translationResampling(offset: { dy: number; dx: number }, imageHeight: number, imageWidth: number, flip: boolean): ImageResampling {
  const cols = shiftTaps(offset.dx, imageWidth);
  return { rows: shiftTaps(offset.dy, imageHeight), cols: flip ? reversedTaps(cols) : cols };
}

/** No crop: the image itself, or its mirror image. */
export function identityResampling(imageHeight: number, imageWidth: number, flip: boolean): ImageResampling {
  return translationResampling({ dy: 0, dx: 0 }, imageHeight, imageWidth, flip);
}

/**
 * One image's augmentation drawn from `rng`: the crop's draws (see
 * `sampleResizedCrop`, `sampleTranslation`; none for no crop), then, when
 * flipping is on, one float for the flip.
 */
export function drawImageResampling(rng: Rng, augmentation: AugmentationConfig, imageHeight: number, imageWidth: number): ImageResampling {
  const { crop } = augmentation;
  // Called after the crop's own draws: the flip is always the image's last draw.
  const flipped = () => augmentation.flip && rng.float() < 0.5;
  switch (crop.kind) {
    case 'none':
      return identityResampling(imageHeight, imageWidth, flipped());
    case 'resized': {
      const window = sampleResizedCrop(rng, imageHeight, imageWidth, [crop.scale, 1], crop.ratio);
      return resizedCropResampling(window, imageHeight, imageWidth, flipped());
    }
    case 'translate': {
      const offset = sampleTranslation(rng, crop.padding);
      return translationResampling(offset, imageHeight, imageWidth, flipped());
    }
  }
}

/** A whole batch's plan: image n's row taps at [n·H, (n+1)·H) of `rows`, its column taps at [n·W, (n+1)·W) of `cols`. */
export interface BatchResampling {
  batchSize: number;
  height: number;
  width: number;
  rows: AxisTaps;
  cols: AxisTaps;
}

export function batchResampling(images: readonly ImageResampling[], height: number, width: number): BatchResampling {
  const concat = (axis: 'rows' | 'cols', size: number): AxisTaps => {
    const out = emptyTaps(images.length * size);
    images.forEach((image, n) => {
      const taps = image[axis];
      if (taps.index0.length !== size) throw new Error(`image ${n} has ${taps.index0.length} ${axis}, the batch ${size}`);
      out.index0.set(taps.index0, n * size);
      out.index1.set(taps.index1, n * size);
      out.weight0.set(taps.weight0, n * size);
      out.weight1.set(taps.weight1, n * size);
    });
    return out;
  };
  return { batchSize: images.length, height, width, rows: concat('rows', height), cols: concat('cols', width) };
}

/** A batch's labels and the dataset's class names: what a per-class crop needs to give each image its class's crop. */
export interface BatchClasses {
  labels: ArrayLike<number>;
  names: readonly string[];
}

/**
 * One class's augmentation: its per-class crop in place of the config's own
 * (class-conditional augmentation, Kirichenko et al., NeurIPS 2023), the flip as configured.
 */
export function classAugmentation(augmentation: AugmentationConfig, className: string): AugmentationConfig {
  const crop = augmentation.perClass?.[className];
  return crop ? { ...augmentation, crop } : augmentation;
}

/** Whether an augmentation changes any image: a crop, for every class or for some, or the flip. */
export function augments(augmentation: AugmentationConfig): boolean {
  return augmentation.flip || augmentation.crop.kind !== 'none' || Object.values(augmentation.perClass ?? {}).some((crop) => crop.kind !== 'none');
}

/**
 * A batch's crops and flips drawn from the run's generator, image by image
 * (see `drawImageResampling` for the draw order), each image with its class's
 * crop when the augmentation has per-class crops (`classes` then says which
 * class each image is). The same seed gives the same windows and flips; a
 * class whose crop is 'none' draws nothing but its flip.
 */
export function cropResampling(
  rng: Rng,
  augmentation: AugmentationConfig,
  batchSize: number,
  imageHeight: number,
  imageWidth: number,
  classes?: BatchClasses,
): BatchResampling {
  if (augmentation.perClass && !classes) throw new Error('per-class crops need the batch’s labels and the class names');
  const forImage = (n: number): AugmentationConfig => {
    if (!augmentation.perClass || !classes) return augmentation;
    const name = classes.names[classes.labels[n]!];
    if (name === undefined) throw new Error(`image ${n} of the batch has label ${classes.labels[n]}, beyond the ${classes.names.length} classes`);
    return classAugmentation(augmentation, name);
  };
  const images = Array.from({ length: batchSize }, (_, n) => drawImageResampling(rng, forImage(n), imageHeight, imageWidth));
  return batchResampling(images, imageHeight, imageWidth);
}
