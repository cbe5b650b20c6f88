/**
 * Crop sampling for a training batch. The GPU engine applies the result with
 * `tf.image.cropAndResize(images, boxes, boxInd, [H, W], 'bilinear', 0)`, so
 * every augmentation becomes one box per image: random-resized crops, padded
 * translations (the padding is the extrapolation value 0) and flips alike.
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
 * One normalized box [y1, x1, y2, x2] per image, as `cropAndResize` reads
 * them: coordinate c is pixel c·(side − 1), first and last samples on the
 * window's first and last pixels. Boxes may reach outside [0, 1]; those
 * samples read the extrapolation value, which is the zero padding.
 *
 * Draw order, image by image: the crop's draws (see `sampleResizedCrop`,
 * `sampleTranslation`; none for no crop), then, when flipping is on, one
 * float for the flip. The same seed therefore gives the same boxes.
 */
/** In pixels: moves no sample by more than 1/5000 of a pixel, far above float32 rounding at 1,000 px. */
const EDGE_INSET = 2e-4;

export function cropBoxes(
  rng: Rng,
  augmentation: AugmentationConfig,
  batchSize: number,
  imageHeight: number,
  imageWidth: number,
): Float32Array {
  // A 1-pixel side has a single coordinate: cropAndResize reads pixel 0 whatever the box says.
  const toY = (pixel: number) => (imageHeight > 1 ? pixel / (imageHeight - 1) : 0);
  const toX = (pixel: number) => (imageWidth > 1 ? pixel / (imageWidth - 1) : 0);
  const { crop } = augmentation;
  const boxes = new Float32Array(4 * batchSize);
  for (let i = 0; i < batchSize; i++) {
    let y1 = 0;
    let x1 = 0;
    let y2 = 1;
    let x2 = 1;
    if (crop.kind !== 'none') {
      const window =
        crop.kind === 'resized'
          ? sampleResizedCrop(rng, imageHeight, imageWidth, [crop.scale, 1], crop.ratio)
          : translatedWindow(sampleTranslation(rng, crop.padding), imageHeight, imageWidth);
      // Inset by a hair: cropAndResize fills any sample outside [0, H-1] with
      // zeros, and float32 rounding would otherwise push a window's edge
      // samples (at exactly 0 or H-1) outside, blacking out an edge row.
      const insetY = window.height > 1 ? EDGE_INSET : 0;
      const insetX = window.width > 1 ? EDGE_INSET : 0;
      y1 = toY(window.top + insetY);
      x1 = toX(window.left + insetX);
      y2 = toY(window.top + window.height - 1 - insetY);
      x2 = toX(window.left + window.width - 1 - insetX);
    }
    // cropAndResize mirrors a box whose x1 > x2.
    if (augmentation.flip && rng.float() < 0.5) [x1, x2] = [x2, x1];
    boxes.set([y1, x1, y2, x2], 4 * i);
  }
  return boxes;
}

function translatedWindow(offset: { dy: number; dx: number }, imageHeight: number, imageWidth: number): CropWindow {
  return { top: offset.dy, left: offset.dx, height: imageHeight, width: imageWidth };
}
