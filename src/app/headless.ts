/**
 * The page the headless runner (npm run study) opens: the same worker and
 * study runner as the workbench, driven from Node through two globals.
 */
import { startEngine } from '../../workers/client';
import type { BackendName } from '../engine/backend';
import type { KernelPolicy } from '../engine/kernels/names';
import { parseStudySpec } from '../study/study';
import { runStudy, type StudyEvent } from './study-runner';

declare global {
  interface Window {
    /** Set by the Node side (page.exposeFunction) to receive progress. */
    classwiseReport?: (event: StudyEvent) => void;
    classwiseRunStudy?: (spec: unknown, backend: BackendName, kernels?: KernelPolicy) => Promise<unknown>;
  }
}

window.classwiseRunStudy = async (specValue, backend, kernels) => {
  const spec = parseStudySpec(specValue);
  const { engine, terminate } = startEngine();
  const report = (event: StudyEvent) => void window.classwiseReport?.(event);
  try {
    report({ kind: 'backend', report: await engine.init(backend, kernels) });
    return await runStudy(engine, spec, report);
  } finally {
    terminate();
  }
};
