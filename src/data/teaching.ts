/**
 * A generated teaching dataset built so that random crop destroys the cue of
 * some classes and not of others, which makes the class-dependent effect of
 * augmentation visible in minutes rather than on CIFAR in hours.
 *
 * Eight classes of RGB images, labels interleaved (i % 8). Two families by
 * background: marks and discs on dark grey, texture and colour on light grey.
 *
 *   one-edge-mark / two-edge-marks   one yellow square (a quarter of the side) touching one
 *        edge (any of the four, at least its side from the corners), or two on opposite edges. The count is the cue, and it
 *        lives at the border: a crop cuts marks away, so trained on crops the network
 *        sees "two marks" images showing one mark, and no longer trusts a single mark.
 *   small-disc / medium-disc / large-disc   a light disc near the centre of radius 14%,
 *        20% or 28% of the side. Size is the cue, and a resized crop zooms in (up to 2×
 *        at s = 0.25): a zoomed small disc looks medium, a zoomed medium one large, so a
 *        network trained on crops calls the medium and large discs of the full test
 *        images smaller than they are.
 *   stripes   a grating of random angle and period (25–40% of the side) over the whole
 *        image: every window at every zoom still shows stripes.
 *   reddish / bluish   the light grey tinted red or blue everywhere: colour survives any crop.
 *
 * No pixel noise, deliberately: a crop's zoom turns per-pixel noise into a
 * coarser grain, which tells a network trained on crops how far an image was
 * magnified, and some seeds learn to undo the zoom and read the disc's true
 * size (teaching-demo, measured: with noise, the disc classes' drop ran from 0 to 90 points
 * seed to seed, too spread for a verdict from a few seeds). Each image still
 * varies in brightness, and in the cue's place, angle or size.
 *
 * The dark background is deliberate: the network's zero padding, after the
 * per-channel normalisation, reads as the dataset's mean (a mid grey), so only
 * on a background that differs from it can a small network see where the
 * image ends, and learn marks that touch its edges.
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
  /** Whether the cue is still in every crop (texture, colour) or can be cut away or rescaled (border marks, size). */
  survivesCrop: boolean;
  /** What a random-resized crop should do to the class, and why: what the demo shows. */
  underCrop: string;
}

export const TEACHING_CLASSES: readonly TeachingClass[] = [
  {
    name: 'one-edge-mark',
    cue: 'one yellow square touching one edge, on dark grey',
    survivesCrop: false,
    underCrop:
      'often hurt: a crop often cuts one mark of a two-mark image away, so a network trained on crops learns that a lone mark may be "two marks, one cut off"; on some seeds it then calls one-mark images two-mark (teaching-demo, measured: −6 points on average, short of a verdict)',
  },
  {
    name: 'two-edge-marks',
    cue: 'two yellow squares touching opposite edges, on dark grey',
    survivesCrop: false,
    underCrop:
      'often hurt: a crop rarely shows both opposite edges, so the network seldom sees two marks together while it trains (teaching-demo, measured: −20 points on average, on some seeds, short of a verdict)',
  },
  {
    name: 'small-disc',
    cue: 'a light disc of radius 14% of the side near the centre, on dark grey (size is the cue)',
    survivesCrop: false,
    underCrop: 'unchanged: zooming in only makes discs look larger, and nothing is smaller than a small disc',
  },
  {
    name: 'medium-disc',
    cue: 'a light disc of radius 20% of the side near the centre, on dark grey (size is the cue)',
    survivesCrop: false,
    underCrop: 'hurt: a crop zooms a small disc up to the medium size, so the network trained on crops calls a medium disc at its true size small (teaching-demo, measured: −50 points, a verdict)',
  },
  {
    name: 'large-disc',
    cue: 'a light disc of radius 28% of the side near the centre, on dark grey (size is the cue)',
    survivesCrop: false,
    underCrop: 'hurt: zoomed small and medium discs fill the large sizes during training, so a large disc at its true size is called medium (teaching-demo, measured: −55 points, a verdict)',
  },
  {
    name: 'stripes',
    cue: 'a grating of random angle and period over the whole image, on light grey (texture everywhere)',
    survivesCrop: true,
    underCrop: 'unchanged: every window at every zoom still shows stripes',
  },
  {
    name: 'reddish',
    cue: 'light grey tinted red everywhere (colour everywhere)',
    survivesCrop: true,
    underCrop: 'unchanged: every crop has the colour',
  },
  {
    name: 'bluish',
    cue: 'light grey tinted blue everywhere (colour everywhere)',
    survivesCrop: true,
    underCrop: 'unchanged: every crop has the colour',
  },
];

export const TEACHING_MIN_SIZE = 12;

export interface TeachingOptions {
  /** Image side in pixels (square), 12–256; default 32. */
  size?: number;
  perClassTrain: number;
  perClassTest: number;
  /** The dataset's own seed; default 0. */
  seed?: number;
}

/** The side of an edge mark: a quarter of the image's side (3 px at 12 px), at least 2. */
export function teachingMarkSide(size: number): number {
  return Math.max(2, Math.round(size / 4));
}

/** Disc radii as fractions of the side, by class name. */
export const TEACHING_DISC_RADII: Readonly<Record<string, number>> = { 'small-disc': 0.14, 'medium-disc': 0.2, 'large-disc': 0.28 };

export function generateTeaching(options: TeachingOptions): Dataset {
  const size = options.size ?? 32;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(size) || size < TEACHING_MIN_SIZE || size > 256) {
    throw new RangeError(`teaching dataset size must be an integer in [${TEACHING_MIN_SIZE}, 256], got ${size}`);
  }
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

type Rgb = readonly [number, number, number];

const DARK: Rgb = [60, 60, 60];
const LIGHT = 150;
const MARK: Rgb = [250, 215, 40];
const DISC: Rgb = [225, 225, 225];
const TINT = 90;

/** Top-left corner of a mark touching edge 0 (top), 1 (bottom), 2 (left) or 3 (right), at least its own side from the corners. */
function markCorner(rng: Rng, edge: number, size: number, side: number): [number, number] {
  const along = rng.int(side, size - 2 * side + 1);
  return edge === 0 ? [along, 0] : edge === 1 ? [along, size - side] : edge === 2 ? [0, along] : [size - side, along];
}

function draw(rng: Rng, out: Uint8Array, label: number, size: number): void {
  const brightness = rng.uniform(-12, 12);
  const put = (x: number, y: number, rgb: Rgb) => {
    for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = clamp(rgb[c]! + brightness);
  };
  const fill = (colour: (x: number, y: number) => Rgb) => {
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) put(x, y, colour(x, y));
  };

  const name = TEACHING_CLASSES[label]!.name;
  switch (name) {
    case 'one-edge-mark':
    case 'two-edge-marks': {
      const side = teachingMarkSide(size);
      const edges = name === 'one-edge-mark' ? [rng.int(0, 4)] : rng.float() < 0.5 ? [0, 1] : [2, 3];
      const corners = edges.map((edge) => markCorner(rng, edge, size, side));
      fill((x, y) => (corners.some(([mx, my]) => x >= mx && x < mx + side && y >= my && y < my + side) ? MARK : DARK));
      return;
    }
    case 'small-disc':
    case 'medium-disc':
    case 'large-disc': {
      const radius = size * TEACHING_DISC_RADII[name]! * rng.uniform(0.95, 1.05);
      const jitter = size / 12;
      const cx = (size - 1) / 2 + rng.uniform(-jitter, jitter);
      const cy = (size - 1) / 2 + rng.uniform(-jitter, jitter);
      fill((x, y) => ((x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2 ? DISC : DARK));
      return;
    }
    case 'stripes': {
      // Angle and period vary from image to image: the kind of texture is the cue, not its scale, so a zoomed crop keeps it.
      const period = size * rng.uniform(0.25, 0.4);
      const angle = rng.uniform(0, Math.PI);
      const phase = rng.uniform(0, 2 * Math.PI);
      const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
      fill((x, y) => {
        const v = LIGHT + 60 * Math.sin((2 * Math.PI * (x * dx + y * dy)) / period + phase);
        return [v, v, v];
      });
      return;
    }
    case 'reddish':
    case 'bluish': {
      const tint: Rgb = name === 'reddish' ? [LIGHT + TINT, LIGHT - TINT / 2, LIGHT - TINT / 2] : [LIGHT - 0.6 * TINT, LIGHT - 0.1 * TINT, LIGHT + TINT];
      fill(() => tint);
      return;
    }
  }
}

function clamp(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}
