/**
 * The per-class view's "mitigate" action: from the shown study's comparison,
 * the follow-up study that turns the crop off for the classes it hurt
 * (src/study/mitigation.ts), designed as the study Run would run, while the
 * shown study's views stay on screen. The follow-up's original configs are
 * the shown study's, so only its new variant trains.
 */
import { canonicalJson } from '../util/hash';
import { messageOf } from '../util/errors';
import { mitigationOffer, mitigationStudy } from '../study/mitigation';
import { planRuns } from '../study/study';
import { isActive } from './state';
import { selectedStudy } from './study-selection';
import type { Store } from './store';

export class MitigationController {
  constructor(private readonly store: Store) {
    // Another design (a preset, a file, an edit) replaces the follow-up, and once it runs its views replace the note: it goes.
    const clear = () => {
      const { mitigation, study, shown } = this.store.state;
      if (!mitigation.followUp && !mitigation.problem) return;
      if (study?.spec.name !== mitigation.followUp?.name || shown?.spec.name === mitigation.followUp?.name) this.store.set({ mitigation: { followUp: null, problem: null } });
    };
    store.onChange('study', clear);
    store.onChange('shown', clear);
  }

  /** Designs the follow-up of the shown comparison whose treatment has this hash. */
  mitigate(treatmentHash: string): void {
    const { shown, phase, comparison } = this.store.state;
    const fail = (problem: string) => this.store.set({ mitigation: { followUp: null, problem } });
    if (isActive(phase)) return fail('A study is running: design the follow-up once it has finished.');
    const chosen = comparison.analysis?.comparisons.find((c) => c.treatment.configHash === treatmentHash);
    if (!shown || !chosen) return fail('That comparison is no longer on screen.');
    const offer = mitigationOffer(chosen);
    if ('none' in offer) return fail(`Nothing to mitigate: ${offer.none}.`);
    try {
      const spec = mitigationStudy(shown.spec, chosen);
      const stored = new Set(planRuns(shown.spec).map((run) => `${canonicalJson(run.config)} ${run.seed}`));
      const newRuns = planRuns(spec).filter((run) => !stored.has(`${canonicalJson(run.config)} ${run.seed}`)).length;
      this.store.set({
        study: selectedStudy({ kind: 'designed' }, spec),
        studyError: null,
        mitigation: { followUp: { name: spec.name, of: chosen.treatment.label, classes: offer.classes, newRuns }, problem: null },
      });
    } catch (error) {
      fail(`The follow-up could not be designed: ${messageOf(error)}`);
    }
  }
}
