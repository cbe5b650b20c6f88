/**
 * A seeds × images table with one value per cell (a run's correctness on an
 * image, or the paired difference of two runs' correctness), read as the
 * crossed random-effects design it is: every seed saw every image. The
 * two-way analysis of variance without replication splits its spread into a
 * seed part, an image part and their interaction, from which the variance of
 * the table's grand mean follows (Cornfield & Tukey 1956):
 *
 *   Var(mean) = σ²_seed/S + σ²_image/n + σ²_residual/(nS)
 *             = (MS_seed + MS_image − MS_residual)/(nS).
 *
 * Only sufficient statistics are needed, so the caller never builds the table.
 */

/** A table's sufficient statistics. */
export interface CrossedTable {
  /** S, the rows. */
  seeds: number;
  /** n, the columns. */
  images: number;
  /** Each seed's sum over the images. */
  rowSums: readonly number[];
  /** Σ over images of (the image's sum over seeds)². */
  columnSquares: number;
  /** Σ over every cell of its value². */
  squares: number;
}

export interface MeanSquares {
  /** The grand mean. */
  mean: number;
  /** Between seeds, S − 1 degrees of freedom (NaN for one seed). */
  seed: number;
  /** Between images, n − 1 degrees of freedom (NaN for one image). */
  image: number;
  /** The interaction, (S − 1)(n − 1) degrees of freedom (NaN when either is 1). */
  residual: number;
}

export function meanSquares(table: CrossedTable): MeanSquares {
  const { seeds: S, images: n, rowSums, columnSquares, squares } = table;
  if (!(Number.isInteger(S) && S >= 1 && Number.isInteger(n) && n >= 1)) throw new RangeError(`a crossed table needs whole seeds and images >= 1, got ${S} × ${n}`);
  if (rowSums.length !== S) throw new RangeError(`${rowSums.length} row sums for ${S} seeds`);
  const total = rowSums.reduce((a, b) => a + b, 0);
  const mean = total / (n * S);
  const rowMean = total / S;
  // Centred sums keep the small differences of large integer sums exact enough.
  let ssSeed = 0;
  for (const r of rowSums) ssSeed += (r - rowMean) * (r - rowMean);
  ssSeed /= n;
  const ssImage = (columnSquares - (total * total) / n) / S;
  const ssTotal = squares - total * mean;
  const ssResidual = ssTotal - ssSeed - ssImage;
  return {
    mean,
    seed: S > 1 ? ssSeed / (S - 1) : NaN,
    image: n > 1 ? Math.max(0, ssImage) / (n - 1) : NaN,
    // Rounding can leave a tiny negative sum where the interaction is exactly 0.
    residual: S > 1 && n > 1 ? Math.max(0, ssResidual) / ((S - 1) * (n - 1)) : NaN,
  };
}

/**
 * Satterthwaite's degrees of freedom for a sum of independent variance
 * estimates, each with its own df: (Σ vᵢ)² / Σ (vᵢ²/dfᵢ). Terms that are 0
 * carry no uncertainty; with every term 0 the df is Infinity.
 */
export function satterthwaite(terms: readonly { variance: number; df: number }[]): number {
  let total = 0;
  let weight = 0;
  for (const { variance, df } of terms) {
    if (!(variance >= 0)) throw new RangeError(`a variance must be >= 0, got ${variance}`);
    if (variance === 0) continue;
    total += variance;
    weight += (variance * variance) / df;
  }
  return weight === 0 ? Infinity : (total * total) / weight;
}
