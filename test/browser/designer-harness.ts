/**
 * Mounts the study designer alone. designer.test.ts sets its properties the
 * way the workbench would (study, datasets, summary, estimate, flags) and
 * reads back the intents it sent: they are recorded from the document, where
 * they arrive after crossing the component's shadow root.
 */
import '../../src/ui/study-designer';
import type { SelectedStudy, StudySource } from '../../src/app/state';
import { INTENT_EVENT, type Intent } from '../../src/ui/intents';
import { isPresetName, PRESETS } from '../../src/study/presets';
import { parseStudySpec } from '../../src/study/study';
import { selectedStudy } from '../../src/app/study-selection';

const designer = document.createElement('cw-study-designer');
document.body.append(designer);

const intents: Intent[] = [];
document.addEventListener(INTENT_EVENT, (event) => intents.push(structuredClone((event as CustomEvent<Intent>).detail)));

/** What the workbench makes of a spec it accepted. */
function selected(source: StudySource, value: unknown): SelectedStudy {
  return selectedStudy(source, parseStudySpec(value));
}

const api = {
  /** The intents sent since the last call. */
  take(): Intent[] {
    return intents.splice(0);
  },
  async usePreset(name: string): Promise<void> {
    if (!isPresetName(name)) throw new Error(`no preset ${name}`);
    designer.study = selected({ kind: 'preset', name }, PRESETS[name]);
    await designer.updateComplete;
  },
  /** The workbench accepting a spec (a file, or the designer's own design-study coming back). */
  async useSpec(fileName: string, value: unknown): Promise<void> {
    designer.study = selected({ kind: 'file', fileName }, value);
    await designer.updateComplete;
  },
  async set(props: Partial<Pick<typeof designer, 'datasets' | 'datasetSummary' | 'estimate' | 'measuring' | 'measureProgress' | 'measureCancelling' | 'locked' | 'canRun' | 'error'>>): Promise<void> {
    Object.assign(designer, props);
    await designer.updateComplete;
    // The plan and the planned runs are components of their own: wait for their renders too.
    await designer.shadowRoot?.querySelector('cw-study-plan')?.updateComplete;
    await designer.shadowRoot?.querySelector('cw-planned-runs')?.updateComplete;
  },
};

declare global {
  interface Window {
    designer: typeof api;
  }
}
window.designer = api;
