import { describe, expect, it } from 'vitest';
import { formatBytes, formatMemory } from '../../src/util/units';

describe('sizes', () => {
  it('writes stored and downloaded bytes in decimal units, three digits, trailing zeros dropped', () => {
    expect([0, 512, 999, 1000, 1955088, 55e6, 184_320_000, 12_345_678, 999_600, 2.5e12].map(formatBytes)).toEqual([
      '0 B',
      '512 B',
      '999 B',
      '1 kB',
      '1.96 MB',
      '55 MB',
      '184 MB',
      '12.3 MB',
      '1 MB',
      '2.5 TB',
    ]);
    expect(formatBytes(Number.NaN)).toBe('an unknown amount');
  });

  it('writes memory in binary units', () => {
    expect([640, 2 ** 30, 32000 * 32000 * 4, 1.03 * 2 ** 30, 22.4 * 2 ** 40, 1023.9 * 2 ** 20].map(formatMemory)).toEqual([
      '640 bytes',
      '1 GiB',
      '3.81 GiB',
      '1.03 GiB',
      '22.4 TiB',
      '1 GiB',
    ]);
  });
});
