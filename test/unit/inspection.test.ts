import { describe, expect, it } from 'vitest';
import { newlyWrong } from '../../src/data/inspection';

describe('newlyWrong', () => {
  const labels = [0, 1, 1, 2, 1, 1, 0];
  const baseline = [0, 1, 1, 2, 0, 1, 0];
  const treatment = [0, 2, 1, 2, 0, 0, 1];

  it('keeps the class images the treatment gets wrong and the baseline got right', () => {
    expect(newlyWrong(labels, 1, treatment, baseline, 10)).toEqual([
      { index: 1, predicted: 2, baselinePredicted: 1 },
      { index: 5, predicted: 0, baselinePredicted: 1 },
    ]);
  });

  it('without a baseline, keeps every wrong image of the class', () => {
    expect(newlyWrong(labels, 1, treatment, null, 10).map((w) => w.index)).toEqual([1, 4, 5]);
  });

  it('stops at the limit and refuses predictions of another test set', () => {
    expect(newlyWrong(labels, 1, treatment, null, 2).map((w) => w.index)).toEqual([1, 4]);
    expect(() => newlyWrong(labels, 1, treatment.slice(1), null, 2)).toThrow(/6 predictions for 7 test images/);
  });
});
