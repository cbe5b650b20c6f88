/**
 * The one source of randomness in a run: sfc32 (Chris Doty-Humphrey's Small
 * Fast Counting generator, 128-bit state, passes PractRand) seeded through
 * splitmix32. Its whole state is four uint32 words, so a checkpoint can store
 * it as plain JSON and resume the exact same stream.
 *
 * Pure logic: no tfjs, no DOM.
 */

const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;
/** 2^32 / golden ratio: splitmix32's increment, so successive seeds land far apart. */
const GOLDEN_GAMMA = 0x9e3779b9;

/** splitmix32's finaliser: a bijective avalanche of one 32-bit word. */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** FNV-1a over UTF-16 code units, then mixed: a stream name becomes a seed word. */
function hashStreamName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return mix32(h);
}

export class Rng {
  // Kept as int32 internally (what `| 0` arithmetic produces); exported as uint32.
  private constructor(
    private a: number,
    private b: number,
    private c: number,
    private d: number,
  ) {}

  /**
   * An independent generator for each (seed, stream) pair, so adding draws to
   * one stream (say, augmentation) leaves the others (say, init) unchanged.
   */
  static fromSeed(seed: number, stream = ''): Rng {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    // Both halves of a 53-bit seed count, so seeds 1 and 2^32 + 1 differ.
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    let splitmix = mix32(mix32(low ^ hashStreamName(stream)) ^ high);
    const next = () => {
      splitmix = (splitmix + GOLDEN_GAMMA) | 0;
      return mix32(splitmix);
    };
    const rng = new Rng(next(), next(), next(), next());
    // sfc32's author recommends discarding early outputs so the counter and
    // the mixed words decorrelate.
    for (let i = 0; i < 12; i++) rng.uint32();
    return rng;
  }

  /** Four uint32 words; `Rng.fromState(rng.state())` continues the same stream. */
  state(): number[] {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
      throw new RangeError(`an Rng state is four uint32 words, got ${JSON.stringify(state)}`);
    }
    const [a, b, c, d] = state as [number, number, number, number];
    return new Rng(a | 0, b | 0, c | 0, d | 0);
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) on a grid of 2^-53: every double's worth of precision. */
  float(): number {
    const high = this.uint32() >>> 5; // 27 bits
    const low = this.uint32() >>> 6; // 26 bits
    return (high * 2 ** 26 + low) / TWO_POW_53;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [lo, hiExclusive); rejection sampling keeps every value equally likely. */
  int(lo: number, hiExclusive: number): number {
    const range = hiExclusive - lo;
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hiExclusive) || range < 1 || range > TWO_POW_32) {
      throw new RangeError(`int(${lo}, ${hiExclusive}) needs integers with 1 <= hi - lo <= 2^32`);
    }
    // The largest multiple of `range` that fits in 32 bits; draws at or above it would favour small values.
    const limit = TWO_POW_32 - (TWO_POW_32 % range);
    let x = this.uint32();
    while (x >= limit) x = this.uint32();
    return lo + (x % range);
  }

  /**
   * Standard normal by Box–Muller. The second variate of each pair is thrown
   * away rather than cached, so the state stays four words.
   */
  normal(): number {
    const u = 1 - this.float(); // (0, 1]: log never sees 0
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A uniformly random ordering of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const held = order[i]!;
      order[i] = order[j]!;
      order[j] = held;
    }
    return order;
  }
}
