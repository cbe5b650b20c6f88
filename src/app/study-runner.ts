/**
 * Runs a study's runs one after another in an engine worker and gathers them
 * into a results file. The workbench and the headless runner both use it.
 */
import type { Remote } from 'comlink';
import { proxy } from 'comlink';
import type { BackendReport, EngineApi, RunEvent } from '../../workers/api';
import { planRuns, type StudySpec } from '../study/study';
import { parseResultsFile, parseRunResult, RESULTS_SCHEMA, type ResultsFile, type RunResult } from '../study/results';

export type StudyEvent =
  | { kind: 'backend'; report: BackendReport }
  | { kind: 'run-start'; index: number; total: number; label: string }
  | { kind: 'run-event'; index: number; event: RunEvent }
  | { kind: 'run-done'; index: number; result: RunResult };

export interface StudyOptions {
  /** Make every run durable (see RunRequest): checkpoint every N steps, resume, keep finished results. */
  checkpointEverySteps?: number;
}

export async function runStudy(
  engine: Remote<EngineApi>,
  spec: StudySpec,
  onEvent: (event: StudyEvent) => void,
  options: StudyOptions = {},
): Promise<ResultsFile> {
  const planned = planRuns(spec);
  const runs: RunResult[] = [];
  for (const [index, run] of planned.entries()) {
    onEvent({ kind: 'run-start', index, total: planned.length, label: run.label });
    const sink = proxy((event: RunEvent) => onEvent({ kind: 'run-event', index, event }));
    // The worker validated it too; checking again here means a worker of
    // another version cannot slip a malformed result into the file.
    const result = await parseRunResult(await engine.run({ config: run.config, seed: run.seed, ...options }, sink));
    runs.push(result);
    onEvent({ kind: 'run-done', index, result });
  }
  return parseResultsFile({ schema: RESULTS_SCHEMA, createdAt: new Date().toISOString(), study: spec, runs });
}
