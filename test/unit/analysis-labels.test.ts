/**
 * The test labels a results file now carries beside its predictions: checked
 * at the schema (one per test image, counting each class's images, and with
 * the predictions reproducing the confusion matrix exactly), since the
 * paired analysis trusts them image by image.
 */
import { describe, expect, it } from 'vitest';
import { parseResultsFile } from '../../src/study/results';
import { resultsFile, studySpec } from './analysis-results-fixtures';

async function refusal(mutate: (labels: number[], predictions: number[]) => void): Promise<string> {
  const file = JSON.parse(JSON.stringify(await resultsFile(studySpec([0]))));
  mutate(file.runs[0].labels, file.runs[0].predictions);
  return parseResultsFile(file).then(
    () => 'accepted',
    (error: Error) => error.message,
  );
}

describe('results: test labels', () => {
  it('accepts labels that agree with the predictions and the confusion matrix', async () => {
    expect(await refusal(() => {})).toBe('accepted');
    const file = await resultsFile(studySpec([0]));
    expect(file.runs[0]!.labels).toHaveLength(240);
  });

  it('refuses labels of the wrong length, of a class that does not exist, or counting a class wrongly', async () => {
    expect(await refusal((labels) => labels.pop())).toMatch(/runs\.0\.labels: has 239 entries for 240 test images/);
    expect(await refusal((labels) => (labels[5] = 9))).toMatch(/runs\.0\.labels\.5: class 9 does not exist \(4 classes\)/);
    expect(await refusal((labels) => ([labels[0], labels[1]] = [1, 1]))).toMatch(/runs\.0\.labels: label 59 images class 0, perClass total is 60/);
  });

  it('refuses labels that, with the predictions, make another confusion matrix', async () => {
    // Swap two images' labels across classes: the counts still add up, the matrix does not.
    const message = await refusal((labels, predictions) => {
      const i = labels.findIndex((l, j) => l === 0 && predictions[j] === 0);
      const j = labels.findIndex((l, k) => l === 1 && predictions[k] === 1);
      [labels[i], labels[j]] = [labels[j]!, labels[i]!];
    });
    expect(message).toMatch(/runs\.0\.labels: with the predictions give \d+ images of class 0 predicted \d, the confusion matrix \d+/);
  });
});
