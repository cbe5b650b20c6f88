/**
 * A generated teaching dataset built so that random crop destroys the cue of
 * some classes and not of others, which makes the class-dependent effect of
 * augmentation visible in minutes rather than on CIFAR in hours.
 *
 * Ten classes of RGB images (32×32 by default), labels interleaved (i % 10):
 *
 *   0–3  edge-mark-{top,bottom,left,right}: a neutral noisy grey image with one small yellow square
 *        touching that edge, at a random place along it (never in a corner). The four classes differ
 *        ONLY in the outer band of the image: a crop that cuts the band away leaves nothing to tell
 *        them apart (and a translation can push the mark out).
 *   4–5  small-disc / large-disc: the same grey background with one light disc near the centre, of
 *        radius 12 % or 30 % of the side. The cue is the object's size, which a resized crop rescales:
 *        a zoomed-in small disc looks like a large one.
 *   6–7  stripes / checks: a diagonal grating or a checkerboard over the whole image. Every window
 *        of the image carries the cue, so any crop keeps it.
 *   8–9  reddish / bluish: the grey noise tinted red or blue everywhere. Colour survives any crop.
 *
 * Pure and seeded (src/util/rng): the same options give the same bytes. The
 * train and test splits come from separate generator streams, so changing
 * `perClassTrain` leaves the test split unchanged.
 */
import { Rng } from '../util/rng';
import type { Dataset, Split } from './dataset';

export interface TeachingClass {
  name: string;
  /** What identifies the class, in a sentence. */
  cue: string;
  /** Whether the cue is still in every crop (texture, colour) or can be cut away or rescaled (border mark, size). */
  survivesCrop: boolean;
}

export const TEACHING_CLASSES: readonly TeachingClass[] = [
  { name: 'edge-mark-top', cue: 'a small yellow square touching the top edge; otherwise neutral grey noise', survivesCrop: false },
  { name: 'edge-mark-bottom', cue: 'a small yellow square touching the bottom edge; otherwise neutral grey noise', survivesCrop: false },
  { name: 'edge-mark-left', cue: 'a small yellow square touching the left edge; otherwise neutral grey noise', survivesCrop: false },
  { name: 'edge-mark-right', cue: 'a small yellow square touching the right edge; otherwise neutral grey noise', survivesCrop: false },
  { name: 'small-disc', cue: 'a light disc of radius 12% of the side near the centre (size is the cue)', survivesCrop: false },
  { name: 'large-disc', cue: 'a light disc of radius 30% of the side near the centre (size is the cue)', survivesCrop: false },
  { name: 'stripes', cue: 'a diagonal grating over the whole image (texture everywhere)', survivesCrop: true },
  { name: 'checks', cue: 'a checkerboard over the whole image (texture everywhere)', survivesCrop: true },
  { name: 'reddish', cue: 'grey noise tinted red everywhere (colour everywhere)', survivesCrop: true },
  { name: 'bluish', cue: 'grey noise tinted blue everywhere (colour everywhere)', survivesCrop: true },
];

export interface TeachingOptions {
  /** Image side in pixels (square), 16–256; default 32. */
  size?: number;
  perClassTrain: number;
  perClassTest: number;
  /** The dataset's own seed; default 0. */
  seed?: number;
}

/** The band along each edge that holds the marks: round(size / 8) pixels (4 at 32 px). */
export function teachingBorderBand(size: number): number {
  return Math.max(2, Math.round(size / 8));
}

export function generateTeaching(options: TeachingOptions): Dataset {
  const size = options.size ?? 32;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(size) || size < 16 || size > 256) throw new RangeError(`teaching dataset size must be an integer in [16, 256], got ${size}`);
  for (const key of ['perClassTrain', 'perClassTest'] as const) {
    const n = options[key];
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${key} must be a positive integer, got ${n}`);
  }
  return {
    name: `teaching-${size}px-seed${seed}`,
    classNames: TEACHING_CLASSES.map((c) => c.name),
    shape: [size, size, 3],
    train: generateSplit(Rng.fromSeed(seed, 'teaching-train'), size, options.perClassTrain),
    test: generateSplit(Rng.fromSeed(seed, 'teaching-test'), size, options.perClassTest),
  };
}

function generateSplit(rng: Rng, size: number, perClass: number): Split {
  const classes = TEACHING_CLASSES.length;
  const count = classes * perClass;
  const pixels = size * size * 3;
  const images = new Uint8Array(count * pixels);
  const labels = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % classes; // any prefix is class-balanced
    labels[i] = label;
    draw(rng, images.subarray(i * pixels, (i + 1) * pixels), label, size);
  }
  return { images, labels, count };
}

const NOISE = 16;
const MARK: readonly [number, number, number] = [250, 215, 40];
const DISC: readonly [number, number, number] = [225, 225, 225];

function draw(rng: Rng, out: Uint8Array, label: number, size: number): void {
  const brightness = rng.uniform(-16, 16);
  const put = (x: number, y: number, rgb: readonly [number, number, number]) => {
    for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = clamp(rgb[c]! + brightness + NOISE * rng.normal());
  };
  const grey = (x: number, y: number, offset: number, tint: readonly [number, number, number] = [0, 0, 0]) =>
    put(x, y, [128 + offset + tint[0], 128 + offset + tint[1], 128 + offset + tint[2]]);

  switch (TEACHING_CLASSES[label]!.name) {
    case 'edge-mark-top':
    case 'edge-mark-bottom':
    case 'edge-mark-left':
    case 'edge-mark-right': {
      const band = teachingBorderBand(size);
      const mark = band - 1;
      // Along the edge, away from the corners (which belong to two edges); across it, within the band.
      const along = rng.int(band, size - band - mark + 1);
      const across = rng.int(0, band - mark + 1);
      const edge = TEACHING_CLASSES[label]!.name.slice('edge-mark-'.length);
      const [mx, my] =
        edge === 'top' ? [along, across] : edge === 'bottom' ? [along, size - mark - across] : edge === 'left' ? [across, along] : [size - mark - across, along];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          if (x >= mx && x < mx + mark && y >= my && y < my + mark) put(x, y, MARK);
          else grey(x, y, 0);
        }
      }
      return;
    }
    case 'small-disc':
    case 'large-disc': {
      const radius = size * (label === 4 ? 0.12 : 0.3) * rng.uniform(0.9, 1.1);
      const jitter = size / 10;
      const cx = (size - 1) / 2 + rng.uniform(-jitter, jitter);
      const cy = (size - 1) / 2 + rng.uniform(-jitter, jitter);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          if ((x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2) put(x, y, DISC);
          else grey(x, y, 0);
        }
      }
      return;
    }
    case 'stripes': {
      // Period size / 8 pixels (4 at 32 px) across diagonal lines, random phase, slightly tilted.
      const period = size / 8;
      const angle = Math.PI / 4 + rng.uniform(-0.15, 0.15);
      const phase = rng.uniform(0, 2 * Math.PI);
      const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) grey(x, y, 55 * Math.sin((2 * Math.PI * (x * dx + y * dy)) / period + phase));
      }
      return;
    }
    case 'checks': {
      // Square cells of size / 16 pixels (2 at 32 px), random offset.
      const cell = Math.max(1, Math.round(size / 16));
      const ox = rng.int(0, 2 * cell);
      const oy = rng.int(0, 2 * cell);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const parity = (Math.floor((x + ox) / cell) + Math.floor((y + oy) / cell)) % 2;
          grey(x, y, parity ? 50 : -50);
        }
      }
      return;
    }
    case 'reddish':
    case 'bluish': {
      const tint: [number, number, number] = label === 8 ? [45, -20, -20] : [-25, -5, 45];
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) grey(x, y, 0, tint);
      return;
    }
  }
}

function clamp(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}
