import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkCifarArchiveSize, detectCifar, MAX_CIFAR_TAR_BYTES, parseCifarArchive } from '../../src/formats/cifar';
import { FormatError } from '../../src/formats/errors';
import { CIFAR100_COARSE, CIFAR100_FINE, CIFAR10_NAMES, fixturePixel, gzip, gzipBomb, makeCifar10, makeCifar100, makeTar } from './formats-fixtures';

/** Every pixel of a split against the fixture's planar pattern, read back as HWC. */
function expectPixels(images: Uint8Array, count: number, indexOf: (n: number) => number): void {
  expect(images.length).toBe(count * 3072);
  for (let n = 0; n < count; n++) {
    const i = indexOf(n);
    for (let p = 0; p < 1024; p += 37) {
      for (let c = 0; c < 3; c++) expect(images[n * 3072 + p * 3 + c]).toBe(fixturePixel(i, p, c));
    }
  }
}

describe('CIFAR-10', () => {
  it('reads the five training batches in order, the test batch and the class names; planar → HWC', async () => {
    const { bytes, trainLabels, testLabels } = makeCifar10({ perBatch: 3, testCount: 4 });
    const dataset = await parseCifarArchive(bytes, 'cifar-10-binary.tar.gz');
    expect(dataset.name).toBe('cifar-10');
    expect(dataset.classNames).toEqual(CIFAR10_NAMES);
    expect(dataset.shape).toEqual([32, 32, 3]);
    expect(dataset.train.count).toBe(15);
    expect(Array.from(dataset.train.labels)).toEqual(trainLabels);
    expect(Array.from(dataset.test.labels)).toEqual(testLabels);
    expectPixels(dataset.train.images, 15, (n) => n);
    expectPixels(dataset.test.images, 4, (n) => n);
    // The very first pixel: R, G, B of record 0, pixel 0.
    expect(Array.from(dataset.train.images.subarray(0, 3))).toEqual([0, 101, 202]);
  });

  it('accepts an uncompressed tar too', async () => {
    const { bytes } = makeCifar10();
    const dataset = await parseCifarArchive(new Uint8Array(gunzipSync(bytes)), 'cifar-10-binary.tar');
    expect(dataset.test.count).toBe(4);
  });

  it('refuses a missing member, a partial record, coarse labels and a label without a name', async () => {
    await expect(parseCifarArchive(makeCifar10({ omit: 'data_batch_4.bin' }).bytes, 'c10.tar.gz')).rejects.toThrow(
      new FormatError('c10.tar.gz', 'missing member data_batch_4.bin (a CIFAR-10 archive has it)'),
    );
    await expect(parseCifarArchive(makeCifar10({ omit: 'batches.meta.txt' }).bytes, 'c10.tar.gz')).rejects.toThrow('c10.tar.gz: missing member batches.meta.txt');
    await expect(parseCifarArchive(makeCifar10({ corrupt: 'data_batch_2.bin' }).bytes, 'c10.tar.gz')).rejects.toThrow(
      'c10.tar.gz: data_batch_2.bin: 9222 bytes is not a whole number of 3073-byte records (3.00)',
    );
    await expect(parseCifarArchive(makeCifar10().bytes, 'c10.tar.gz', { labels: 'coarse' })).rejects.toThrow(/^c10\.tar\.gz: is CIFAR-10, which has no coarse labels/);
    const fewNames = gzip(
      makeTar([
        ...['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'].map((name) => ({
          name,
          data: Uint8Array.from({ length: 3073 }, (_, i) => (i === 0 ? 5 : 0)),
        })),
        { name: 'batches.meta.txt', data: 'a\nb\nc\n' },
      ]),
    );
    await expect(parseCifarArchive(fewNames, 'few.tar.gz')).rejects.toThrow('few.tar.gz: data_batch_1.bin: record 0 has label 5, but there are only 3 class names');
  });
});

describe('CIFAR-100', () => {
  it('reads fine labels by default and coarse labels on request', async () => {
    const fixture = makeCifar100({ trainCount: 6, testCount: 3 });
    const fine = await parseCifarArchive(fixture.bytes, 'cifar-100-binary.tar.gz');
    expect(fine.name).toBe('cifar-100');
    expect(fine.classNames).toEqual(CIFAR100_FINE);
    expect(Array.from(fine.train.labels)).toEqual(fixture.trainLabels);
    expect(Array.from(fine.test.labels)).toEqual(fixture.testLabels);
    expectPixels(fine.train.images, 6, (n) => n);
    expectPixels(fine.test.images, 3, (n) => n);
    const coarse = await parseCifarArchive(fixture.bytes, 'cifar-100-binary.tar.gz', { labels: 'coarse' });
    expect(coarse.name).toBe('cifar-100-coarse');
    expect(coarse.classNames).toEqual(CIFAR100_COARSE);
    expect(Array.from(coarse.train.labels)).toEqual(fixture.trainCoarse);
    expect(Array.from(coarse.train.images)).toEqual(Array.from(fine.train.images));
  });

  it('refuses a record size that is not whole', async () => {
    const bytes = gzip(
      makeTar([
        { name: 'cifar-100-binary/train.bin', data: new Uint8Array(3074 * 2 + 10) },
        { name: 'cifar-100-binary/test.bin', data: new Uint8Array(3074) },
        { name: 'cifar-100-binary/fine_label_names.txt', data: CIFAR100_FINE.join('\n') },
        { name: 'cifar-100-binary/coarse_label_names.txt', data: CIFAR100_COARSE.join('\n') },
      ]),
    );
    await expect(parseCifarArchive(bytes, 'c100.tar.gz')).rejects.toThrow('c100.tar.gz: train.bin: 6158 bytes is not a whole number of 3074-byte records (2.00)');
  });
});

describe('archives that are not CIFAR', () => {
  it('refuses a truncated archive, a zip, random bytes and a tar of something else, naming the file', async () => {
    const { bytes } = makeCifar10();
    await expect(parseCifarArchive(bytes.subarray(0, bytes.length - 100), 'cut.tar.gz')).rejects.toThrow(new FormatError('cut.tar.gz', 'truncated gzip data'));
    // Cut the tar itself, inside a member, and gzip that: the tar reader notices.
    const tar = new Uint8Array(gunzipSync(bytes));
    await expect(parseCifarArchive(gzip(tar.subarray(0, 5000)), 'cut2.tar.gz')).rejects.toThrow(/^cut2\.tar\.gz: truncated tar archive: member "cifar-10-batches-bin\/data_batch_1\.bin"/);
    const zip = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...new Uint8Array(600)]);
    await expect(parseCifarArchive(zip, 'cifar.zip')).rejects.toThrow(/^cifar\.zip: not a gzip-compressed tar archive/);
    const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    await expect(parseCifarArchive(random, 'random.bin')).rejects.toThrow(/^random\.bin: not a gzip-compressed tar archive/);
    await expect(parseCifarArchive(gzip(random), 'random.gz')).rejects.toThrow('random.gz: not a tar archive (no valid tar header)');
    await expect(parseCifarArchive(gzip(makeTar([{ name: 'photos/cat.jpg', data: 'x' }])), 'photos.tar.gz')).rejects.toThrow(/^photos\.tar\.gz: not a CIFAR binary archive/);
  });

  it('refuses, naming the file, an archive larger than any CIFAR archive can be, or one that inflates past that', async () => {
    // 1 MB of gzip that would inflate to 1 GiB stops inflating at the 200 MB a CIFAR archive may hold.
    await expect(parseCifarArchive(gzipBomb(64), 'cifar-10-binary.tar.gz')).rejects.toThrow(
      new FormatError('cifar-10-binary.tar.gz', 'inflates to more than the 200 MB allowed (a CIFAR-10 or CIFAR-100 binary archive is 184 MB as tar); refused before it fills memory'),
    );
    expect(() => checkCifarArchiveSize(MAX_CIFAR_TAR_BYTES, 'ok.tar')).not.toThrow();
    expect(() => checkCifarArchiveSize(3e8, 'big.tar')).toThrow(
      new FormatError('big.tar', 'is 300 MB, more than the 200 MB allowed (a CIFAR-10 or CIFAR-100 binary archive is 184 MB as tar); refused before reading it'),
    );
  });

  it('detects which CIFAR from member names', () => {
    expect(detectCifar([{ name: 'x/data_batch_1.bin' }])).toBe('cifar-10');
    expect(detectCifar([{ name: 'cifar-100-binary/train.bin' }])).toBe('cifar-100');
    expect(detectCifar([{ name: 'train.csv' }])).toBeUndefined();
  });
});
