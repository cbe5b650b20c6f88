/**
 * What the per-class views compare: the runs of the study on screen (finished,
 * or provisional at their latest evaluation) pooled with any results files the
 * user imported, analysed against the study's baseline. Files on another
 * dataset are refused when imported, so nothing is compared across datasets.
 */
import { analyzeRuns, DatasetMismatchError, type RunOutcome, type StudyAnalysis } from '../study/analysis';
import type { RunConfig } from '../study/config';
import { parseResultsFile, type RunResult } from '../study/results';
import type { StudySpec } from '../study/study';

/** A results file the user brought in (from a volunteer, or another machine). */
export interface ImportedResults {
  fileName: string;
  studyName: string;
  runs: RunResult[];
  baseline: RunConfig;
}

/** A run of the study on screen, as far as it has got. */
export interface LiveRun {
  config: RunConfig;
  configHash: string | null;
  seed: number;
  result: RunResult | null;
  /** The latest evaluation while it trains. */
  perClass: RunOutcome['perClass'] | null;
}

export function liveOutcomes(runs: LiveRun[], dataset: RunOutcome['dataset'] | null): RunOutcome[] {
  return runs.flatMap((run): RunOutcome[] => {
    if (run.result) return [run.result];
    if (!run.perClass || !run.configHash || !dataset) return [];
    return [{ config: run.config, configHash: run.configHash, seed: run.seed, dataset, perClass: run.perClass, confusion: null, provisional: true }];
  });
}

export interface ComparisonState {
  analysis: StudyAnalysis | null;
  /** Why there is nothing to compare (or why it could not be). */
  problem: string | null;
}

/**
 * The study's own baseline when a study is on screen, else the first
 * imported file's: imported runs of the same configs pool with the live ones
 * (more seeds), others show as their own groups.
 */
export function compare(spec: StudySpec | null, live: RunOutcome[], imported: ImportedResults[]): ComparisonState {
  const outcomes = [...live, ...imported.flatMap((file) => file.runs)];
  const baseline = spec?.baseline ?? imported[0]?.baseline;
  if (!baseline || outcomes.length === 0) return { analysis: null, problem: null };
  try {
    return { analysis: analyzeRuns(outcomes, baseline), problem: null };
  } catch (error) {
    if (error instanceof DatasetMismatchError) return { analysis: null, problem: error.message };
    throw error;
  }
}

/**
 * Parses and checks a results file the user picked; refuses it, naming the
 * file, when it is not one or when its dataset differs from the runs already
 * on screen.
 */
export async function readResultsFile(fileName: string, text: string, alongside: RunOutcome[]): Promise<ImportedResults> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${fileName} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  let file;
  try {
    file = await parseResultsFile(value);
  } catch (error) {
    throw new Error(`${fileName} is not a valid Classwise results file: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (file.runs.length === 0) throw new Error(`${fileName} holds no runs`);
  const other = alongside[0]?.dataset;
  for (const run of file.runs) {
    const dataset = run.dataset;
    if (other && (other.contentHash !== dataset.contentHash || other.classNames.join('\u0000') !== dataset.classNames.join('\u0000'))) {
      throw new Error(
        `${fileName} was not added: its runs are on ${dataset.name} (${dataset.contentHash.slice(0, 12)}), ` +
          `the runs on screen on ${other.name} (${other.contentHash.slice(0, 12)}); results on different datasets are never compared`,
      );
    }
  }
  return { fileName, studyName: file.study.name, runs: file.runs, baseline: file.study.baseline };
}
