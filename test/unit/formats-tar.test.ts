import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/errors';
import { gunzip, isGzip, isTar, readTar } from '../../src/formats/tar';
import { concat, gzip, gzipBomb, makeTar } from './formats-fixtures';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('readTar', () => {
  const longName = `deep/${'nested-folder/'.repeat(9)}file.txt`;
  const archive = makeTar([
    { name: 'top/', type: '5' },
    { name: 'top/a.txt', data: 'alpha' },
    { name: 'top/empty.bin', data: new Uint8Array(0) },
    { name: 'top/big.bin', data: new Uint8Array(1300).fill(7) },
    { name: longName, data: 'long' },
  ]);

  it('lists regular files with their contents, skipping directories, with GNU long names', () => {
    expect(isTar(archive)).toBe(true);
    const entries = readTar(archive);
    expect(entries.map((e) => [e.name, e.size])).toEqual([
      ['top/a.txt', 5],
      ['top/empty.bin', 0],
      ['top/big.bin', 1300],
      [longName, 4],
    ]);
    expect(longName.length).toBeGreaterThan(100);
    expect(text(entries[0]!.data)).toBe('alpha');
    expect(entries[2]!.data.every((b) => b === 7)).toBe(true);
    expect(text(entries[3]!.data)).toBe('long');
  });

  it('accepts an archive without its end-of-archive blocks, as tar does', () => {
    expect(readTar(archive.subarray(0, archive.length - 1024))).toHaveLength(4);
  });

  it('refuses truncated archives, naming the file', () => {
    // Cut inside big.bin's data: 512 (dir) + 1024 (a.txt) + 512 (empty.bin) + 512 (big.bin header) + 100.
    const cut = archive.subarray(0, 512 + 1024 + 512 + 512 + 100);
    expect(() => readTar(cut, 'x.tar')).toThrow(new FormatError('x.tar', 'truncated tar archive: member "top/big.bin" needs 1300 bytes, only 100 remain'));
    expect(() => readTar(archive.subarray(0, 700), 'x.tar')).toThrow(/^x\.tar: truncated tar archive \(a partial header at byte 512\)/);
  });

  it('refuses what is not tar', () => {
    const random = Uint8Array.from({ length: 2048 }, (_, i) => (i * 2654435761) >>> 24);
    expect(isTar(random)).toBe(false);
    expect(() => readTar(random, 'noise.bin')).toThrow('noise.bin: not a tar archive (no valid tar header)');
    expect(() => readTar(new Uint8Array(0), 'empty.tar')).toThrow('empty.tar: empty file, not a tar archive');
    const corrupt = archive.slice();
    corrupt[512 + 3] = corrupt[512 + 3]! ^ 0xff; // the second header's name: its checksum no longer matches
    expect(() => readTar(corrupt, 'c.tar')).toThrow('c.tar: corrupt tar archive (bad header checksum at byte 512)');
  });
});

describe('gunzip', () => {
  const payload = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31) % 251);

  it('inflates node:zlib gzip, concatenated members included', async () => {
    const gz = gzip(payload);
    expect(isGzip(gz)).toBe(true);
    expect(Array.from(await gunzip(gz))).toEqual(Array.from(payload));
    const two = concat([gz, new Uint8Array(gzipSync(Buffer.from('tail')))]);
    expect(text((await gunzip(two)).subarray(200_000))).toBe('tail');
  });

  it('refuses truncated gzip, non-gzip and corrupt data, naming the file', async () => {
    const gz = gzip(payload);
    await expect(gunzip(gz.subarray(0, gz.length >> 1), 'a.tar.gz')).rejects.toThrow(new FormatError('a.tar.gz', 'truncated gzip data'));
    await expect(gunzip(gz.subarray(0, gz.length - 4), 'a.tar.gz')).rejects.toThrow('a.tar.gz: truncated gzip data');
    await expect(gunzip(new TextEncoder().encode('PK\u0003\u0004 a zip file'), 'a.zip')).rejects.toThrow(/^a\.zip: not a gzip file/);
    const corrupt = gz.slice();
    corrupt[3] = 0xff; // reserved FLG bits
    await expect(gunzip(corrupt, 'c.gz')).rejects.toThrow(/^c\.gz: corrupt gzip data/);
  });

  it('refuses data that inflates past its limit while inflating, holding no more than the limit', async () => {
    const limit = { maxBytes: 199_999, why: 'a test limit' };
    expect((await gunzip(gzip(payload), 'ok.gz', { ...limit, maxBytes: 200_000 })).length).toBe(200_000);
    await expect(gunzip(gzip(payload), 'big.gz', limit)).rejects.toThrow(
      new FormatError('big.gz', 'inflates to more than the 200 kB allowed (a test limit); refused before it fills memory'),
    );
    // 1 MB of gzip that would inflate to 1 GiB stops at the limit: 48 MiB here.
    const bomb = gzipBomb(64);
    expect(bomb.length).toBeLessThan(1.1e6);
    await expect(gunzip(bomb, 'bomb.tar.gz', { maxBytes: 48 * 2 ** 20, why: 'a test limit' })).rejects.toThrow(/^bomb\.tar\.gz: inflates to more than the 50.3 MB allowed/);
  });
});
