/**
 * The reference runner's core in Node, on tfjs's CPU backend: the crop cases
 * through the portable path of the resampler (gathers, multiplies, adds) and
 * the micro-net. The ResNet cases take 7–30 s each on this backend; the
 * browser tests run them on WebGPU.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseReferenceText } from '../../src/engine/reference/fixture';
import { formatCaseReport } from '../../src/engine/reference/report';
import { runReferenceCase } from '../../src/engine/reference/run';

const read = (file: string) => parseReferenceText(readFileSync(new URL(`../../../shared/fixtures/${file}`, import.meta.url), 'utf8')).cases;
const cases = [...read('torch-resnet-reference.json').filter((c) => c.kind === 'resized-crop'), ...read('torch-sgd-reference.json')];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the reference runner on the CPU backend', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, kase) => {
    const report = await runReferenceCase(kase);
    expect(report.ok, formatCaseReport(report).join('\n')).toBe(true);
    expect(report.leakedTensors).toBe(0);
    expect(report.quantities.length).toBeGreaterThan(10);
  });
});
