/**
 * The per-class views of one comparison (a regularized config against the
 * baseline): a picker, the summary in words with the method behind its
 * intervals, class-conditional augmentation (mitigate the hurt classes; a
 * follow-up's recovery), then (a) the change per class, (b) accuracy against strength,
 * (c) the confusion change and (d) the class inspector. Renders the analysis
 * it is given and sends intents; the controller owns the selection.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Comparison, StudyAnalysis } from '../../study/analysis';
import { methodWords, multiplicityWords, planningWords } from '../../study/analysis-report';
import { percent, pointsDelta } from '../format';
import { sendIntent } from '../intents';
import { panelStyles } from '../styles';
import { intervalPoints } from './text';
import type { ClassInspection } from './types';
import './delta-chart';
import './strength-chart';
import './confusion-diff';
import './class-inspector';
import './mitigation-panel';
import type { MitigationState } from '../../app/state';

/** The comparison a treatment hash names, or the first. */
export function pickComparison(analysis: StudyAnalysis | null, treatmentHash: string | null): Comparison | null {
  const comparisons = analysis?.comparisons ?? [];
  return comparisons.find((c) => c.treatment.configHash === treatmentHash) ?? comparisons[0] ?? null;
}

const plural = (n: number, one: string, many = `${one}es`) => `${n} ${n === 1 ? one : many}`;

/** The summary line: mean change with its interval, how many classes moved, the worst and the most hurt. */
export function summaryWords(c: Comparison): string {
  const s = c.summary;
  const worst =
    s.worstClass.baseline.className === s.worstClass.treatment.className
      ? `worst class: ${s.worstClass.treatment.className} ${percent(s.worstClass.baseline.accuracy)} → ${percent(s.worstClass.treatment.accuracy)}`
      : `worst class: ${s.worstClass.baseline.className} ${percent(s.worstClass.baseline.accuracy)} under the baseline, ${s.worstClass.treatment.className} ${percent(s.worstClass.treatment.accuracy)} under the treatment`;
  const mostHurt = s.mostHurt ? `most hurt: ${s.mostHurt.className} ${percent(s.mostHurt.before, 0)} → ${percent(s.mostHurt.after, 0)}` : 'no class fell';
  const calls =
    c.method === 'model-vs-model'
      ? `the two models differ on ${plural(s.lower + s.higher, 'class')} (${s.lower} lower, ${s.higher} higher; no verdict on the regularizer with one seed)`
      : `${plural(s.hurt, 'class')} hurt, ${s.helped} helped`;
  return `Mean accuracy ${percent(s.baselineMeanAccuracy)} → ${percent(s.treatmentMeanAccuracy)}, ${pointsDelta(s.meanDelta.estimate)} ${intervalPoints(s.meanDelta)}; ${calls}; ${worst}; ${mostHurt}.`;
}

/** The delta chart's heading: model vs model names the two models' seeds. */
export function deltaHeading(c: Comparison): string {
  if (c.method !== 'model-vs-model') return `Change per class: ${c.treatment.label} − ${c.baseline.label}`;
  return `Model vs model, per class: ${c.treatment.label} (seed ${c.treatmentSeeds[0]}) − ${c.baseline.label} (seed ${c.baselineSeeds[0]})`;
}

@customElement('cw-class-views')
export class ClassViews extends LitElement {
  static override styles = [
    panelStyles,
    css`
      label.picker {
        font-size: 0.9rem;
      }
      label.picker select {
        font: inherit;
        font-size: 0.9rem;
        padding: 0.2rem 0.4rem;
        border: 1px solid var(--cw-border, #d9dee7);
        border-radius: 5px;
        max-width: 36rem;
      }
      .summary {
        font-size: 0.95rem;
      }
      .pair {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(26rem, 1fr));
        gap: 0 1.5rem;
        align-items: start;
      }
      h3 {
        margin-top: 1.3rem;
        border-top: 1px solid var(--cw-border, #d9dee7);
        padding-top: 0.8rem;
      }
      details {
        font-size: 0.9rem;
        margin: 0.3rem 0;
      }
    `,
  ];

  @property({ attribute: false }) analysis: StudyAnalysis | null = null;
  /** The treatment configHash of the comparison shown; null or unknown: the first. */
  @property({ attribute: false }) selectedComparison: string | null = null;
  @property({ attribute: false }) selectedClasses: number[] = [];
  @property({ attribute: false }) inspected: ClassInspection | null = null;
  @property({ attribute: false }) mitigation: MitigationState = { followUp: null, problem: null };
  /** Whether Run would start now: the mitigation's follow-up is offered to run. */
  @property({ type: Boolean }) canRun = false;

  override render() {
    return html`<section aria-labelledby="views-heading">
      ${this.renderBody()}
    </section>`;
  }

  private renderBody() {
    const a = this.analysis;
    const c = pickComparison(a, this.selectedComparison);
    if (!a || !c) {
      return html`<header><h2 id="views-heading">Per-class effects</h2></header>
        <p class="muted" data-testid="views-empty">
          ${!a
            ? 'The per-class views appear once a baseline and a regularized run have been evaluated.'
            : !a.baseline
              ? 'No baseline yet: the views compare every regularized run with the baseline, which has not been evaluated.'
              : 'No comparison yet: the views need a run that differs from the baseline only by its regularization, evaluated at least once.'}
        </p>
        ${a ? this.renderNotComparable(a) : nothing}`;
    }
    const provisional = c.baseline.provisional || c.treatment.provisional;
    // Side by side only while the heatmap is small; with many classes it gets the full width.
    return html`
      <header>
        <h2 id="views-heading">Per-class effects</h2>
        <label class="picker"
          >Compare
          <select data-testid="comparison-select" @change=${this.onPick}>
            ${a.comparisons.map(
              (x) =>
                html`<option value=${x.treatment.configHash} ?selected=${x === c}>
                  ${x.treatment.label} vs ${x.baseline.label}${x.baseline.provisional || x.treatment.provisional ? ' (provisional)' : ''}
                </option>`,
            )}
          </select></label
        >
      </header>
      ${provisional
        ? html`<div class="alert warning" data-testid="views-provisional" role="status">
            Provisional: ${[c.baseline, c.treatment]
              .filter((g) => g.provisional)
              .map((g) => g.label)
              .join(' and ')}
            still training. These numbers are from the latest evaluation and change as training goes on${c.evidence === 'counts'
              ? '; until the runs finish they come from per-class counts only, so the intervals are wider than the final ones'
              : ''}.
          </div>`
        : nothing}
      <p class="summary" data-testid="views-summary">${summaryWords(c)} ${multiplicityWords(a)}</p>
      <p class="muted" data-testid="views-method">${methodWords(c, a)}</p>
      <p class="muted" data-testid="views-planning">${planningWords(c)}</p>
      <cw-mitigation-panel .analysis=${a} .comparison=${c} .mitigation=${this.mitigation} ?canRun=${this.canRun}></cw-mitigation-panel>
      ${this.renderNotComparable(a)}

      <h3 id="delta-heading">${deltaHeading(c)}</h3>
      <cw-delta-chart aria-labelledby="delta-heading" .comparison=${c} .selectedClasses=${this.selectedClasses}></cw-delta-chart>

      <h3 id="strength-heading">Accuracy against strength</h3>
      <cw-strength-chart
        aria-labelledby="strength-heading"
        .axes=${a.axes}
        .classNames=${a.dataset.classNames}
        .currentHash=${c.treatment.configHash}
        .selectedClasses=${this.selectedClasses}
      ></cw-strength-chart>

      <div class=${c.classes.length <= 30 ? 'pair' : ''}>
        <div>
          <h3 id="confusion-heading">Confusion change</h3>
          <cw-confusion-diff
            aria-labelledby="confusion-heading"
            .comparison=${c}
            .classNames=${a.dataset.classNames}
            .classTestCounts=${a.classTestCounts}
            .selectedClasses=${this.selectedClasses}
          ></cw-confusion-diff>
        </div>
        <div>
          <h3 id="inspector-heading">Class inspector</h3>
          <cw-class-inspector aria-labelledby="inspector-heading" .inspection=${this.inspected}></cw-class-inspector>
        </div>
      </div>
    `;
  }

  private renderNotComparable(a: StudyAnalysis) {
    if (a.notComparable.length === 0) return nothing;
    return html`<details data-testid="views-not-comparable">
      <summary>${plural(a.notComparable.length, 'config', 'configs')} not compared with the baseline</summary>
      <ul>
        ${a.notComparable.map((x) => html`<li>${x.group.label}: ${x.reason}</li>`)}
      </ul>
    </details>`;
  }

  private readonly onPick = (e: Event): void => {
    sendIntent(this, { kind: 'select-comparison', treatmentHash: (e.target as HTMLSelectElement).value });
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-class-views': ClassViews;
  }
}
