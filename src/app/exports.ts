/**
 * What the workbench hands the user as files: the results file, the per-class
 * CSV, a chart a view drew, and a finished run's trained model.
 */
import { perClassCsv } from '../study/analysis-report';
import { messageOf } from '../util/errors';
import type { ComparisonController } from './comparison-controller';
import { fileNameFor, type Download } from './download';
import type { EngineRef, Store } from './store';

function resultsFileName(studyName: string): string {
  return fileNameFor('classwise-results', studyName, 'json');
}

export class Exports {
  constructor(
    private readonly store: Store,
    private readonly engine: EngineRef,
    private readonly comparison: ComparisonController,
    private readonly download: Download,
  ) {}

  /** Downloads the results file (classwise-results-<name>.json); only once the study has finished. */
  exportResults(): void {
    const { results, phase } = this.store.state;
    if (!results || phase !== 'finished') return;
    const blob = new Blob([JSON.stringify(results, null, 2)], { type: 'application/json' });
    this.download(resultsFileName(results.study.name), blob);
  }

  /** The per-class table of every comparison, as CSV. */
  exportCsv(): void {
    const { analysis } = this.store.state.comparison;
    if (!analysis) return;
    const name = this.store.state.shown?.spec.name ?? this.comparison.importedStudyName ?? 'study';
    this.download(fileNameFor('classwise-per-class', name, 'csv'), new Blob([perClassCsv(analysis)], { type: 'text/csv' }));
  }

  /** A chart a view drew: the view makes the image, the page saves it. */
  saveChart(fileName: string, blob: Blob): void {
    this.download(fileName, blob);
  }

  /** A finished run's trained model, as TensorFlow.js files (model.json and its weights), loadable with tf.loadLayersModel. */
  async exportModel(runIndex: number): Promise<void> {
    const run = this.store.state.runs[runIndex];
    const engine = this.engine();
    if (!run?.result || !engine) return;
    this.store.patch('comparison', { exportError: null });
    try {
      const exported = await engine.exportModel({ config: run.config, seed: run.seed });
      for (const file of exported.files) this.download(file.name, new Blob([file.data], { type: file.type }));
    } catch (error) {
      this.store.patch('comparison', { exportError: `The model of run ${runIndex + 1} could not be exported: ${messageOf(error)}` });
    }
  }
}
