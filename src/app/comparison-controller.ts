/**
 * The per-class views' input: the runs of the shown study (finished, or
 * at their latest evaluation) pooled with the results files the user imported,
 * analysed again whenever any of them changes; and what the views look at (one
 * comparison, the highlighted classes).
 */
import type { RunOutcome } from '../study/analysis';
import type { RunResult } from '../study/results';
import { messageOf } from '../util/errors';
import { compare, liveOutcomes, readResultsFile, type ImportedResults } from './comparison';
import type { ComparisonState } from './state';
import type { Store } from './store';

/** A run's identity in the views: its config and seed. */
const runIdentity = (run: { configHash: string; seed: number }) => `${run.configHash}:${run.seed}`;

export class ComparisonController {
  /** Results files the user brought in, pooled with the study's runs in the views. */
  private imported: ImportedResults[] = [];
  /** The dataset the study's runs train on, as the worker identified it. */
  private liveDataset: RunOutcome['dataset'] | null = null;

  constructor(private readonly store: Store) {
    store.onChange('shown', () => {
      // A refusal or note about the last import is about what was on screen then.
      this.store.patch('comparison', { importError: null, importNote: null });
      this.recompare();
    });
  }

  /** The worker named the dataset a run trains on: live runs are compared on it before they finish. */
  setLiveDataset(dataset: RunOutcome['dataset']): void {
    this.liveDataset = dataset;
  }

  /** The name of the first imported file's study, for files made when no study is on screen. */
  get importedStudyName(): string | null {
    return this.imported[0]?.studyName ?? null;
  }

  /**
   * Results files to compare with (and pool into) the views; each is checked,
   * and one on another dataset is refused. Runs already on screen (the same
   * config and seed) are counted once: a file that adds none is refused, one
   * that adds some says how many it repeated.
   */
  async importResults(files: { name: string; text: string }[]): Promise<void> {
    this.store.patch('comparison', { importError: null, importNote: null });
    const refused: string[] = [];
    const notes: string[] = [];
    for (const { name, text } of files) {
      try {
        const alongside = [...this.liveRunOutcomes(), ...this.imported.flatMap((f) => f.runs)];
        const file = await readResultsFile(name, text, alongside);
        const seen = new Set(alongside.map(runIdentity));
        const fresh = file.runs.filter((r) => !seen.has(runIdentity(r)));
        const repeated = file.runs.length - fresh.length;
        if (fresh.length === 0) {
          refused.push(`${name} was not added: its ${file.runs.length === 1 ? 'run is' : `${file.runs.length} runs are all`} already on screen (the same config and seed)`);
          continue;
        }
        if (repeated) notes.push(`${name}: ${repeated} of its ${file.runs.length} runs were already on screen and are counted once.`);
        this.imported = [...this.imported, { ...file, runs: fresh }];
      } catch (error) {
        refused.push(messageOf(error));
      }
    }
    this.store.patch('comparison', {
      ...this.importedView(),
      importError: refused.length ? refused.join('\n') : null,
      importNote: notes.length ? notes.join(' ') : null,
    });
    this.recompare();
  }

  clearImported(): void {
    this.imported = [];
    this.store.patch('comparison', { ...this.importedView(), importError: null, importNote: null });
    this.recompare();
  }

  private importedView(): Pick<ComparisonState, 'imported' | 'importedRuns'> {
    return {
      imported: this.imported.map((f) => ({ fileName: f.fileName, studyName: f.studyName, runs: f.runs.length })),
      importedRuns: this.imported.flatMap((f) => f.runs.map((result) => ({ fileName: f.fileName, result }))),
    };
  }

  selectComparison(treatmentHash: string): void {
    this.store.patch('comparison', { selectedComparison: treatmentHash, inspected: null });
  }

  selectClasses(classes: number[]): void {
    this.store.patch('comparison', { selectedClasses: classes });
  }

  /** Finished runs of a config, from this study and the imported files. */
  resultsOf(hash: string): RunResult[] {
    const live = this.store.state.runs.flatMap((r) => (r.result && r.configHash === hash ? [r.result] : []));
    return [...live, ...this.imported.flatMap((f) => f.runs.filter((r) => r.configHash === hash))];
  }

  /** Analyses the runs again: after an evaluation, a finished run, an import, or another study. */
  recompare(): void {
    const { shown, comparison } = this.store.state;
    const { analysis, problem } = compare(shown?.spec ?? null, this.liveRunOutcomes(), this.imported);
    const hashes = analysis?.comparisons.map((c) => c.treatment.configHash) ?? [];
    const { selectedComparison } = comparison;
    this.store.patch('comparison', {
      analysis,
      problem,
      selectedComparison: selectedComparison && hashes.includes(selectedComparison) ? selectedComparison : (hashes[0] ?? null),
    });
  }

  private liveRunOutcomes(): RunOutcome[] {
    return liveOutcomes(
      this.store.state.runs.map((r) => ({ ...r, perClass: r.evaluation?.perClass ?? null })),
      this.liveDataset,
    );
  }
}
