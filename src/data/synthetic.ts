/**
 * A generated dataset for smoke runs and tests: class k is a grating at its
 * own orientation and frequency, tinted by its own colour, under noise. A tiny
 * ResNet separates the classes within a few epochs, so its loss visibly falls.
 */
import { syntheticClassName, type SyntheticDatasetConfig } from '../study/config';
import { Rng } from '../util/rng';
import type { Dataset, Split } from './dataset';

export function generateSynthetic(config: SyntheticDatasetConfig): Dataset {
  const { size, channels, classes } = config;
  const rng = Rng.fromSeed(config.seed, 'synthetic-dataset');
  return {
    name: `synthetic-${classes}x${size}px-${channels}ch-seed${config.seed}`,
    classNames: Array.from({ length: classes }, (_, k) => syntheticClassName(k)),
    shape: [size, size, channels],
    train: generateSplit(rng, config, config.trainPerClass),
    test: generateSplit(rng, config, config.testPerClass),
  };
}

function generateSplit(rng: Rng, config: SyntheticDatasetConfig, perClass: number): Split {
  const { size, channels, classes } = config;
  const count = classes * perClass;
  const pixels = size * size * channels;
  const images = new Uint8Array(count * pixels);
  const labels = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    // Interleaved labels, so any prefix of the split is class-balanced.
    const label = i % classes;
    labels[i] = label;
    drawPattern(rng, images.subarray(i * pixels, (i + 1) * pixels), label, classes, size, channels);
  }
  return { images, labels, count };
}

function drawPattern(rng: Rng, out: Uint8Array, label: number, classes: number, size: number, channels: number): void {
  const angle = (Math.PI * label) / classes + rng.uniform(-0.1, 0.1);
  const cycles = 1.5 + (label % 3) + rng.uniform(-0.2, 0.2);
  const phase = rng.uniform(0, 2 * Math.PI);
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const wave = Math.sin((2 * Math.PI * cycles * (x * dx + y * dy)) / size + phase);
      for (let c = 0; c < channels; c++) {
        const tint = channels === 1 ? 1 : 0.6 + 0.4 * Math.cos((2 * Math.PI * (label + c)) / classes);
        const value = 128 + 90 * tint * wave + 20 * rng.normal();
        out[(y * size + x) * channels + c] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
}
