import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset';
import {
  assembleDataset,
  decodeShard,
  encodeShard,
  FormatError,
  MANIFEST_SCHEMA,
  parseManifest,
  parseManifestText,
  SHARD_HEADER_BYTES,
  shardByteLength,
  shardDataset,
  shardUrl,
  verifyShard,
  type Manifest,
} from '../../src/formats/shards';
import { ConfigError } from '../../src/study/config';

function tinyDataset(trainCount = 23, testCount = 7, shape: [number, number, number] = [4, 3, 2]): Dataset {
  const pixels = shape[0] * shape[1] * shape[2];
  const split = (count: number, salt: number) => ({
    images: Uint8Array.from({ length: count * pixels }, (_, i) => (i * 13 + salt) & 255),
    labels: Uint16Array.from({ length: count }, (_, i) => (i * 5 + salt) % 3),
    count,
  });
  return { name: 'tiny', classNames: ['a', 'b', 'c'], shape, train: split(trainCount, 1), test: split(testCount, 2) };
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('shard encoding', () => {
  const shape = [4, 3, 2] as const;
  const split = tinyDataset().train;

  it('round-trips images and labels, with the documented header', () => {
    const bytes = encodeShard(split, shape);
    expect(bytes.length).toBe(SHARD_HEADER_BYTES + split.count * (2 + 24));
    expect(bytes.length).toBe(shardByteLength(split.count, shape));
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('CWSH');
    const view = new DataView(bytes.buffer);
    expect([view.getUint16(4, true), view.getUint16(6, true), view.getUint32(8, true)]).toEqual([1, 0, 23]);
    expect([view.getUint32(12, true), view.getUint32(16, true), view.getUint32(20, true)]).toEqual([4, 3, 2]);
    expect(view.getUint16(SHARD_HEADER_BYTES + 2 * 5, true)).toBe(split.labels[5]);
    const decoded = decodeShard(bytes, shape, { classes: 3 });
    expect(decoded.count).toBe(split.count);
    expect(Array.from(decoded.labels)).toEqual(Array.from(split.labels));
    expect(Array.from(decoded.images)).toEqual(Array.from(split.images));
  });

  it('decodes a shard at an odd offset inside a larger buffer', () => {
    const bytes = encodeShard(split, shape);
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    expect(Array.from(decodeShard(host.subarray(3), shape).labels)).toEqual(Array.from(split.labels));
  });

  it('refuses bad magic, truncation, trailing bytes, another shape, a bad label and an unknown version, naming the file', () => {
    const bytes = encodeShard(split, shape);
    const file = 'train-003.bin';
    const bad = (mutate: (b: Uint8Array) => Uint8Array, expectedShape: readonly number[] = shape, classes?: number) =>
      thrown(() => decodeShard(mutate(bytes.slice()), expectedShape, { file, ...(classes !== undefined && { classes }) }));

    const magic = bad((b) => ((b[0] = 0x50), b));
    expect(magic).toBeInstanceOf(FormatError);
    expect(magic.name).toBe('FormatError');
    expect(magic.message).toBe('train-003.bin: not a Classwise shard (bad magic bytes; expected "CWSH")');
    expect(bad((b) => b.subarray(0, 10)).message).toMatch(/^train-003\.bin: truncated: 10 bytes is shorter than the 24-byte shard header/);
    expect(bad((b) => b.subarray(0, b.length - 1)).message).toMatch(/^train-003\.bin: truncated: \d+ bytes, but 23 images of 4×3×2 need \d+/);
    expect(bad((b) => Uint8Array.from([...b, 0, 0])).message).toMatch(/2 unexpected bytes after the 23 images/);
    expect(bad((b) => b, [4, 3, 3]).message).toBe("train-003.bin: holds 4×3×2 images, but the dataset's shape is 4×3×3");
    expect(bad((b) => b, shape, 2).message).toMatch(/^train-003\.bin: image \d+ has label 2, but the dataset has 2 classes/);
    expect(bad((b) => ((b[4] = 9), b)).message).toMatch(/shard version 9 is not supported/);
  });
});

describe('shardDataset and assembleDataset', () => {
  it('cuts a dataset into shards under the target size and reassembles it exactly', async () => {
    const dataset = tinyDataset();
    const perImage = 2 + 24;
    const { manifest, files } = await shardDataset(dataset, { targetBytes: SHARD_HEADER_BYTES + 10 * perImage, description: 'd', source: 's' });
    expect(files.map((f) => f.path)).toEqual(['train-000.bin', 'train-001.bin', 'train-002.bin', 'test-000.bin']);
    expect(manifest.splits.train.map((r) => r.count)).toEqual([10, 10, 3]);
    expect(manifest.splits.test.map((r) => r.count)).toEqual([7]);
    expect(manifest).toMatchObject({ schema: MANIFEST_SCHEMA, name: 'tiny', classNames: ['a', 'b', 'c'], shape: [4, 3, 2], description: 'd', source: 's' });
    for (const file of files) expect(file.bytes.length).toBeLessThanOrEqual(SHARD_HEADER_BYTES + 10 * perImage);
    for (const [i, ref] of [...manifest.splits.train, ...manifest.splits.test].entries()) await verifyShard(ref, files[i]!.bytes);
    // The manifest survives JSON and validation.
    const reread = parseManifestText(JSON.stringify(manifest), 'manifest.json');
    const byPath = new Map(files.map((f) => [f.path, f.bytes]));
    const assembled = assembleDataset(reread, {
      train: reread.splits.train.map((r) => byPath.get(r.url)!),
      test: reread.splits.test.map((r) => byPath.get(r.url)!),
    });
    expect(assembled.shape).toEqual(dataset.shape);
    for (const split of ['train', 'test'] as const) {
      expect(assembled[split].count).toBe(dataset[split].count);
      expect(Array.from(assembled[split].labels)).toEqual(Array.from(dataset[split].labels));
      expect(Array.from(assembled[split].images)).toEqual(Array.from(dataset[split].images));
    }
  });

  it('puts at least one image in a shard whatever the target, and one shard per split by default', async () => {
    const dataset = tinyDataset(3, 2);
    expect((await shardDataset(dataset, { targetBytes: 1 })).files).toHaveLength(5);
    expect((await shardDataset(dataset)).files.map((f) => f.path)).toEqual(['train-000.bin', 'test-000.bin']);
  });

  it('refuses an inconsistent dataset', async () => {
    const dataset = tinyDataset();
    dataset.train.labels[4] = 3;
    await expect(shardDataset(dataset)).rejects.toThrow('tiny (train split): image 4 has label 3, but there are 3 classes');
  });

  it('checks shard lengths and counts against the manifest, and hashes on request', async () => {
    const { manifest, files } = await shardDataset(tinyDataset(), { targetBytes: 200 });
    const train = files.filter((f) => f.path.startsWith('train')).map((f) => f.bytes);
    const test = files.filter((f) => f.path.startsWith('test')).map((f) => f.bytes);
    expect(() => assembleDataset(manifest, { train: train.slice(1), test })).toThrow(/lists \d+ train shards, but \d+ were given/);
    const swapped = [train[train.length - 1]!, ...train.slice(1, -1), train[0]!];
    expect(() => assembleDataset(manifest, { train: swapped, test })).toThrow(/^train-000\.bin: \d+ bytes, but the manifest says \d+/);
    const tampered = train[0]!.slice();
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1;
    await expect(verifyShard(manifest.splits.train[0]!, tampered)).rejects.toThrow(/^train-000\.bin: SHA-256 is [0-9a-f]{64}, but the manifest says/);
  });

  it('resolves shard URLs against the manifest URL', () => {
    const ref = { url: 'train-000.bin', bytes: 24, sha256: '0'.repeat(64), count: 1 };
    expect(shardUrl('https://example.org/data/cifar/manifest.json', ref)).toBe('https://example.org/data/cifar/train-000.bin');
  });
});

describe('parseManifest', () => {
  async function validManifest(): Promise<Manifest> {
    return (await shardDataset(tinyDataset())).manifest;
  }
  function issues(value: unknown): string[] {
    const error = thrown(() => parseManifest(JSON.parse(JSON.stringify(value))));
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }

  it('accepts what shardDataset writes', async () => {
    const manifest = await validManifest();
    expect(parseManifest(JSON.parse(JSON.stringify(manifest)))).toEqual(manifest);
  });

  it('refuses bad fields, naming each', async () => {
    const m = await validManifest();
    expect(issues({ ...m, schema: 'classwise.manifest/2' })).toEqual([expect.stringMatching(/^schema: /)]);
    expect(issues({ ...m, classNames: ['a', 'a', 'c'] })).toEqual(['classNames: class names must be unique']);
    expect(issues({ ...m, shape: [4, 3, 0] })).toEqual([expect.stringMatching(/^shape\.2: /)]);
    expect(issues({ ...m, extra: 1 })).toEqual(['unknown field extra']);
    const { name: _name, ...nameless } = m;
    expect(issues(nameless)).toEqual([expect.stringMatching(/^name: /)]);
    const ref = m.splits.train[0]!;
    const withRef = (r: object) => ({ ...m, splits: { ...m.splits, train: [{ ...ref, ...r }] } });
    expect(issues(withRef({ sha256: 'ABC' }))).toEqual(['splits.train.0.sha256: must be a SHA-256 digest: 64 lowercase hex digits']);
    expect(issues(withRef({ url: 'https://elsewhere.example/x.bin' }))).toEqual([expect.stringMatching(/^splits\.train\.0\.url: must be a URL relative to the manifest/)]);
    expect(issues(withRef({ url: '../x.bin' }))).toEqual([expect.stringMatching(/^splits\.train\.0\.url: /)]);
    expect(issues(withRef({ count: 0 }))).toEqual([expect.stringMatching(/^splits\.train\.0\.count: /)]);
    expect(issues(withRef({ bytes: ref.bytes + 1 }))).toEqual([expect.stringMatching(/^splits\.train\.0\.bytes: \d+ bytes cannot hold 23 images of 4×3×2/)]);
    expect(issues({ ...m, splits: { train: m.splits.train, test: [] } })).toEqual(['splits.test: the test split needs at least one shard']);
    expect(issues({ ...m, splits: { train: m.splits.train, test: m.splits.train } })).toEqual([expect.stringMatching(/^splits\.test\.0\.url: "train-000\.bin" is listed twice/)]);
  });

  it('names the file when the text is not JSON', () => {
    expect(() => parseManifestText('{"schema": ', 'data/manifest.json')).toThrow(/^data\/manifest\.json: not JSON/);
    expect(() => parseManifestText('{}', 'data/manifest.json')).toThrow(/invalid dataset manifest data\/manifest\.json/);
  });
});
