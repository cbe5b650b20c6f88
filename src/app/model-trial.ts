/**
 * Try the model: an image the user brings, through the trained models of the
 * shown comparison's baseline and treatment (one seed both finished here), for
 * their predicted classes and probabilities side by side.
 */
import type { ImagePixels, PredictOutcome } from '../../workers/api';
import { messageOf } from '../util/errors';
import type { StudyAnalysis } from '../study/analysis';
import { isActive, type RunView } from './state';
import type { EngineRef, Store } from './store';

export interface TrialState {
  status: 'idle' | 'running' | 'ready' | 'failed';
  /** The image's file name, and its size as given. */
  image: { name: string; width: number; height: number } | null;
  /** What the two runs are: labels of the comparison's sides, and the seed used. */
  pair: { baseline: string; treatment: string; seed: number } | null;
  outcome: PredictOutcome | null;
  error: string | null;
}

export const IDLE_TRIAL: TrialState = { status: 'idle', image: null, pair: null, outcome: null, error: null };

export class ModelTrial {
  constructor(
    private readonly store: Store,
    private readonly engine: EngineRef,
  ) {
    // Another study on screen: the last trial was of other models.
    store.onChange('shown', () => store.set({ trial: IDLE_TRIAL }));
  }

  /** Why no image can be tried now, or null when one can. */
  get unavailable(): string | null {
    const { comparison, runs, phase } = this.store.state;
    if (isActive(phase)) return 'A study is training: try the models once it has stopped.';
    if (!this.engine()) return 'The engine has not started.';
    if (!this.pairOf(comparison.analysis, comparison.selectedComparison, runs)) return 'Needs a baseline and a treatment run of one seed that finished in this browser.';
    return null;
  }

  async tryImage(name: string, image: ImagePixels, original: { width: number; height: number }): Promise<void> {
    const engine = this.engine();
    const { comparison, runs } = this.store.state;
    const pair = this.pairOf(comparison.analysis, comparison.selectedComparison, runs);
    const base = { image: { name, ...original }, outcome: null };
    if (!engine || !pair || this.unavailable) {
      this.store.set({ trial: { ...IDLE_TRIAL, ...base, status: 'failed', error: this.unavailable ?? 'There is no model to try yet.' } });
      return;
    }
    const labels = { baseline: pair.baseline.label, treatment: pair.treatment.label, seed: pair.seed };
    this.store.set({ trial: { ...base, status: 'running', pair: labels, error: null } });
    try {
      const outcome = await engine.predict({ runs: [pair.baseline, pair.treatment], image });
      this.store.set({ trial: { ...base, status: 'ready', pair: labels, outcome, error: null } });
    } catch (error) {
      this.store.set({ trial: { ...base, status: 'failed', pair: labels, error: `${name} could not be classified: ${messageOf(error)}` } });
    }
  }

  /** A seed whose baseline and treatment runs of the shown comparison both finished here (their models are stored). */
  private pairOf(analysis: StudyAnalysis | null, selected: string | null, runs: RunView[]) {
    const chosen = analysis?.comparisons.find((c) => c.treatment.configHash === selected) ?? analysis?.comparisons[0];
    if (!chosen) return null;
    const finished = (hash: string) => runs.filter((r) => r.result && r.configHash === hash);
    const treatments = finished(chosen.treatment.configHash);
    for (const baseline of finished(chosen.baseline.configHash)) {
      const treatment = treatments.find((t) => t.seed === baseline.seed);
      if (treatment) {
        return {
          seed: baseline.seed,
          baseline: { config: baseline.config, seed: baseline.seed, label: chosen.baseline.label },
          treatment: { config: treatment.config, seed: treatment.seed, label: chosen.treatment.label },
        };
      }
    }
    return null;
  }
}
