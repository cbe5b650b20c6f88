/** Which controller of the workbench each intent a component sends goes to. */
import type { Workbench } from '../app/workbench';
import { DEMO_PRESET } from '../study/demo';
import type { Intent } from './intents';

export function routeIntent(wb: Workbench, intent: Intent): void {
  switch (intent.kind) {
    case 'select-preset':
      return wb.design.selectPreset(intent.name);
    case 'load-spec':
      return wb.design.loadSpecFile(intent.fileName, intent.text);
    case 'design-study':
      return wb.design.designStudy(intent.spec);
    case 'measure-step':
      return void wb.design.measureStep();
    case 'cancel-measure':
      return wb.design.cancelMeasure();
    case 'save-spec':
      return wb.design.saveSpec();
    case 'use-dataset':
      return wb.design.useDataset({ url: intent.url, name: intent.name });
    case 'run':
      return void wb.runs.run();
    case 'run-demo':
      wb.design.selectPreset(DEMO_PRESET);
      return void wb.runs.run();
    case 'pause':
      return wb.runs.pause();
    case 'resume':
      return wb.runs.resume();
    case 'cancel':
      return wb.runs.cancel();
    case 'resume-interrupted':
      return void wb.runs.resumeInterrupted();
    case 'discard-interrupted':
      return wb.runs.discardInterrupted();
    case 'open-study':
      return void wb.library.open(intent.id);
    case 'rename-study':
      return void wb.library.rename(intent.id, intent.name);
    case 'delete-study':
      return void wb.library.remove(intent.id);
    case 'refresh-datasets':
      return void wb.datasets.refreshDatasets();
    case 'keep-persistent':
      return void wb.datasets.keepPersistent();
    case 'import-archive':
      return void wb.datasets.importArchive(intent.source, intent.labels);
    case 'import-folder':
      return void wb.datasets.importImageFolder(intent.files, intent.options);
    case 'delete-dataset':
      return void wb.datasets.deleteDataset(intent.id);
    case 'export':
      return wb.exports.exportResults();
    case 'export-csv':
      return wb.exports.exportCsv();
    case 'save-chart':
      return wb.exports.saveChart(intent.fileName, intent.blob);
    case 'export-model':
      return void wb.exports.exportModel(intent.runIndex);
    case 'import-results':
      return void wb.comparison.importResults(intent.files);
    case 'try-image':
      return void wb.trial.tryImage(intent.name, intent.image, intent.original);
    case 'clear-imported':
      return wb.comparison.clearImported();
    case 'select-comparison':
      return wb.comparison.selectComparison(intent.treatmentHash);
    case 'select-classes':
      return wb.comparison.selectClasses(intent.classes);
    case 'inspect-class':
      return void wb.inspector.inspectClass(intent.classIndex);
    case 'mitigate':
      return wb.mitigation.mitigate(intent.treatmentHash);
    case 'list-shared-studies':
      return void wb.listSharedStudies();
    case 'contribute':
      return void wb.contribute(intent.studyId, intent.budget, intent.displayName);
    case 'pause-contributing':
      return wb.pauseContributing();
    case 'resume-contributing':
      return wb.resumeContributing();
    case 'stop-contributing':
      return wb.stopContributing();
  }
}
