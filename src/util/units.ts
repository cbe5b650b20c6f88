/**
 * Sizes written one way everywhere, in the UI, the CLIs and every message:
 * what is stored, downloaded or uploaded in decimal units, as browsers, disks
 * and servers count them; memory a computation would hold in binary units, as
 * memory is sized. Three significant digits, trailing zeros dropped.
 */

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
const BINARY = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

function scaled(bytes: number, base: number, units: string[]): string {
  let value = bytes;
  let unit = 0;
  // 999.6 rounds to 1000 at three digits: that is already the next unit's 1.
  while (Math.abs(value) >= base - base / 2000 && unit < units.length - 1) {
    value /= base;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} ${units[0]}` : `${Number(value.toPrecision(3))} ${units[unit]}`;
}

/** Bytes stored, downloaded or read from a file: "512 B", "1.96 MB", "55 MB" (powers of 1000). */
export function formatBytes(bytes: number): string {
  return Number.isFinite(bytes) ? scaled(bytes, 1000, DECIMAL) : 'an unknown amount';
}

/** Bytes of memory a computation would hold: "640 bytes", "3.81 GiB", "1 GiB" (powers of 1024). */
export function formatMemory(bytes: number): string {
  return Number.isFinite(bytes) ? scaled(bytes, 1024, BINARY) : 'an unknown amount';
}
