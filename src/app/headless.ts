/**
 * The page the headless runner (npm run study) opens: the same worker and
 * study runner as the workbench, driven from Node through two globals.
 */
import { startEngine } from '../../workers/client';
import type { BackendName } from '../engine/backend';
import type { KernelPolicy } from '../engine/kernels/names';
import { parseStudySpec } from '../study/study';
import { Contributor, studyToContribute, type ContributeBudget, type ContributeState } from './contributor';
import { runStudy, type StudyEvent } from './study-runner';

declare global {
  interface Window {
    /** Set by the Node side (npm run contribute -- --runtime browser) to receive the contributor's state. */
    classwiseContributeReport?: (state: ContributeState) => void;
    classwiseContribute?: (options: { study: string | null; budget: ContributeBudget; name: string | null }, kernels: KernelPolicy) => Promise<ContributeState>;
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

/** The volunteer loop of Contribute mode on this page's engine worker, against the coordinator this page's origin forwards to. */
window.classwiseContribute = async ({ study, budget, name }, kernels) => {
  const { engine, terminate } = startEngine();
  const contributor = new Contributor(() => engine, (state) => void window.classwiseContributeReport?.(state));
  try {
    await engine.init('webgpu', kernels);
    await contributor.listStudies();
    const { studies, listError } = contributor.current;
    if (listError) throw new Error(listError);
    const chosen = studyToContribute(studies ?? [], study);
    if (!chosen) throw new Error(study ? `no study "${study}" on this coordinator` : 'the coordinator has no published study');
    await contributor.start(chosen.id, budget, name ?? undefined);
    return contributor.current;
  } finally {
    terminate();
  }
};
