/**
 * The class inspector: for one class of the selected comparison, the test
 * images the treatment now gets wrong (for one seed both sides ran, so the
 * images are the same) and crops of its training images at the treatment's
 * strength, read by the worker from the stored dataset.
 */
import type { ClassInspection } from '../ui/views/types';
import { messageOf } from '../util/errors';
import type { ComparisonController } from './comparison-controller';
import type { EngineRef, Store } from './store';

/** How many wrong test images the inspector shows at most. */
const WRONG_IMAGES = 24;

export class Inspector {
  constructor(
    private readonly store: Store,
    private readonly engine: EngineRef,
    private readonly comparison: ComparisonController,
  ) {}

  async inspectClass(classIndex: number | null): Promise<void> {
    const set = (inspected: ClassInspection | null) => this.store.patch('comparison', { inspected });
    const { analysis, selectedComparison } = this.store.state.comparison;
    const comparison = analysis?.comparisons.find((c) => c.treatment.configHash === selectedComparison) ?? analysis?.comparisons[0];
    if (classIndex === null || !comparison || !analysis) return set(null);
    const className = analysis.dataset.classNames[classIndex] ?? `class ${classIndex}`;
    const base = { classIndex, className, treatmentLabel: comparison.treatment.label, wrong: [], crops: [] };
    const runs = this.comparison.resultsOf(comparison.treatment.configHash);
    const baselines = this.comparison.resultsOf(comparison.baseline.configHash);
    const treatment = runs.find((r) => r.predictions && baselines.some((b) => b.seed === r.seed && b.predictions)) ?? runs.find((r) => r.predictions);
    const engine = this.engine();
    if (!treatment?.predictions || !engine) {
      const reason = runs.length ? 'these results carry no per-image predictions (made by an older version)' : 'no run of this configuration has finished yet';
      return set({ ...base, status: 'unavailable', reason });
    }
    const baseline = baselines.find((b) => b.seed === treatment.seed)?.predictions ?? null;
    set({ ...base, status: 'loading' });
    try {
      const data = await engine.inspectClass({
        dataset: treatment.config.dataset,
        classIndex,
        treatment: treatment.predictions,
        baseline,
        augmentation: treatment.config.augmentation,
        limit: WRONG_IMAGES,
      });
      if (this.store.state.comparison.inspected?.classIndex !== classIndex) return;
      const names = analysis.dataset.classNames;
      set({
        ...base,
        status: 'ready',
        reason: baseline ? `seed ${treatment.seed}: right without the regularizer, wrong with it` : `seed ${treatment.seed}: wrong with the regularizer`,
        wrong: data.wrong.map((w) => ({ ...w, caption: `test #${w.index} → ${names[w.predicted] ?? w.predicted}` })),
        crops: data.crops.map((c, i) => ({ ...c, caption: `crop ${i + 1}` })),
      });
    } catch (error) {
      set({ ...base, status: 'unavailable', reason: `the images could not be read: ${messageOf(error)}` });
    }
  }
}
