/**
 * Designing a study: choosing a preset, a spec file, the designer's form or a
 * cached dataset for the baseline; saving the spec; and what the designer's
 * estimate needs (the dataset's size, a measured warm-up step). A design is a
 * draft beside the shown study's results, which stay until it runs. Nothing
 * here changes while a study runs: its design is locked.
 */
import { proxy } from 'comlink';
import type { MeasureProgress } from '../../workers/api';
import { isPresetName } from '../study/presets';
import { parseStudySpec, type StudySpecInput } from '../study/study';
import { configHash } from '../study/config';
import { stepKey, type StepEstimate } from '../study/estimate';
import { canonicalJson } from '../util/hash';
import { messageOf } from '../util/errors';
import { fileNameFor, type Download } from './download';
import { isActive, type StudySource } from './state';
import { presetStudy, selectedStudy } from './study-selection';
import type { EngineRef, Store } from './store';

/** What designing needs from the rest of the workbench. */
export interface DesignHooks {
  /** The worker loaded a dataset for the designer: it may have downloaded it into the cache. */
  afterLoad(): void;
  /** Something else holds the worker (an import, a contribution): no measurement now. */
  busy(): boolean;
}

export class DesignController {
  /** Which dataset config the design state describes, so a study change on the same data costs nothing. */
  private describedDataset: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly engine: EngineRef,
    private readonly download: Download,
    private readonly hooks: DesignHooks,
  ) {
    store.onChange('study', () => void this.describeStudyDataset());
  }

  private get locked(): boolean {
    return isActive(this.store.state.phase);
  }

  selectPreset(name: string): void {
    if (this.locked) return;
    if (!isPresetName(name)) {
      this.store.set({ studyError: `there is no preset named "${name}"; the design is unchanged` });
      return;
    }
    this.store.set({ study: presetStudy(name), studyError: null });
  }

  /**
   * A study spec file's text: refused (with every bad field named) unless it
   * is valid JSON and a valid spec. A refused file changes nothing: the
   * designer keeps the study it had, and can still run it.
   */
  loadSpecFile(fileName: string, text: string): void {
    if (this.locked) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.store.set({ studyError: `${fileName} is not valid JSON: ${plainMessage(error)}` });
      return;
    }
    try {
      this.store.set({ study: selectedStudy({ kind: 'file', fileName }, parseStudySpec(value)), studyError: null });
    } catch (error) {
      this.store.set({ studyError: `${fileName} was refused: ${plainMessage(error)}` });
    }
  }

  /** The designer's form, each time it holds a spec: validated again here, since intents cross a boundary. */
  designStudy(input: StudySpecInput): void {
    if (this.locked) return;
    try {
      this.store.set({ study: selectedStudy({ kind: 'designed' }, parseStudySpec(input)), studyError: null });
    } catch (error) {
      this.store.set({ studyError: `The designed study was refused: ${plainMessage(error)}` });
    }
  }

  /**
   * Selects the current study (preset or spec file) with its baseline trained
   * on a cached dataset instead; the name says which. Validated like any
   * study; a refusal is shown where a refused spec file is.
   */
  useDataset(dataset: { url: string; name: string }): void {
    const study = this.store.state.study;
    if (!study || this.locked) return;
    const base = study.source.kind === 'dataset' ? study.source.base : study.source;
    const baseSpec = study.source.kind === 'dataset' ? study.source.baseSpec : study.spec;
    const source: StudySource = { kind: 'dataset', base, baseSpec, dataset };
    const value = { ...baseSpec, name: `${baseSpec.name} · ${dataset.name}`, baseline: { ...baseSpec.baseline, dataset: { kind: 'manifest', url: dataset.url } } };
    try {
      this.store.set({ study: selectedStudy(source, parseStudySpec(value)), studyError: null });
    } catch (error) {
      this.store.set({ studyError: `${dataset.name} cannot be used in ${baseSpec.name}: ${plainMessage(error)}` });
    }
  }

  /** A study trained on a deleted dataset could not run: back to the study it came from. */
  datasetDeleted(id: string): void {
    const source = this.store.state.study?.source;
    if (source?.kind === 'dataset' && source.dataset.url === id && !this.locked) {
      this.store.set({ study: selectedStudy(source.base, source.baseSpec), studyError: null });
    }
  }

  /** Downloads the chosen study's spec, to load again later or share. */
  saveSpec(): void {
    const spec = this.store.state.study?.spec;
    if (!spec) return;
    this.download(fileNameFor('classwise-study', spec.name, 'json'), new Blob([JSON.stringify(spec, null, 2)], { type: 'application/json' }));
  }

  /** Times a few training steps of the study's baseline on this GPU, for the designer's estimate; it reports its stage as it goes. */
  async measureStep(): Promise<void> {
    const spec = this.store.state.study?.spec;
    const engine = this.engine();
    if (!spec || !engine || this.locked || this.store.state.design.measuring || this.hooks.busy()) return;
    this.store.patch('design', { measuring: true, measureCancelling: false, measureProgress: null, problem: null });
    const onProgress = proxy((measureProgress: MeasureProgress) => {
      if (!this.store.state.design.measureCancelling) this.store.patch('design', { measureProgress });
    });
    try {
      const measured = await engine.measureStep({ config: spec.baseline }, onProgress);
      const estimate: StepEstimate = {
        configHash: await configHash(spec.baseline),
        msPerStep: measured.msPerStep,
        backend: measured.backend,
        batchSize: measured.batchSize,
        stepKey: stepKey(spec.baseline),
      };
      this.store.patch('design', { estimate, measuring: false, measureCancelling: false, measureProgress: null });
    } catch (error) {
      const cancelled = error instanceof Error && error.name === 'MeasureCancelled';
      this.store.patch('design', {
        measuring: false,
        measureCancelling: false,
        measureProgress: null,
        problem: cancelled ? null : `The warm-up step could not be measured: ${messageOf(error)}`,
      });
    }
    this.hooks.afterLoad();
  }

  /**
   * Stops the measurement under way. The worker stops after the step it is
   * on, which the GPU cannot interrupt (the first step of a large model on a
   * CPU-emulated GPU can take minutes): until then the designer says so, and
   * nothing new can start.
   */
  cancelMeasure(): void {
    const engine = this.engine();
    if (!engine || !this.store.state.design.measuring || this.store.state.design.measureCancelling) return;
    this.store.patch('design', { measureCancelling: true });
    void engine.cancelMeasure();
  }

  /** The study's dataset size, for the designer's estimate: described by the worker once per dataset config. */
  async describeStudyDataset(): Promise<void> {
    const dataset = this.store.state.study?.spec.baseline.dataset;
    const engine = this.engine();
    if (!dataset || !engine || this.store.state.backend.status !== 'ready') return;
    const key = canonicalJson(dataset);
    if (key === this.describedDataset) return;
    this.describedDataset = key;
    this.store.patch('design', { datasetSummary: null, problem: null });
    try {
      const summary = await engine.describeDataset(dataset);
      if (this.describedDataset === key) this.store.patch('design', { datasetSummary: summary });
      this.hooks.afterLoad();
    } catch (error) {
      if (this.describedDataset === key) this.store.patch('design', { problem: `The dataset could not be loaded: ${messageOf(error)}` });
    }
  }
}

/** A refused spec's message without the error's name: it is the reason itself ("baseline.model.width: …"). */
function plainMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
