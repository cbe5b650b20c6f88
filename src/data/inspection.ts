/**
 * Which test images to show for a class a regularizer hurt: those of the
 * class the treatment now gets wrong although the baseline (same seed) got
 * them right. Without the baseline's predictions, every image of the class
 * the treatment gets wrong.
 */
export interface WrongImage {
  index: number;
  predicted: number;
  /** What the baseline predicted for it, when known. */
  baselinePredicted: number | null;
}

export function newlyWrong(
  labels: ArrayLike<number>,
  classIndex: number,
  treatment: ArrayLike<number>,
  baseline: ArrayLike<number> | null,
  limit: number,
): WrongImage[] {
  if (treatment.length !== labels.length) throw new Error(`${treatment.length} predictions for ${labels.length} test images`);
  if (baseline && baseline.length !== labels.length) throw new Error(`${baseline.length} baseline predictions for ${labels.length} test images`);
  const wrong: WrongImage[] = [];
  for (let i = 0; i < labels.length && wrong.length < limit; i++) {
    if (labels[i] !== classIndex || treatment[i] === classIndex) continue;
    if (baseline && baseline[i] !== classIndex) continue;
    wrong.push({ index: i, predicted: treatment[i]!, baselinePredicted: baseline ? baseline[i]! : null });
  }
  return wrong;
}
