/**
 * What a study measures, from its published spec: name and description, the
 * dataset (as the spec names it and as the coordinator identifies it), the
 * model and training, the baseline, the sweep, the seeds and the quorum.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { StudyDetail } from '../../app/coordinator-client';
import type { DatasetConfig, RunConfig } from '../../study/config';
import { describeCrop } from '../../study/study';
import { panelStyles } from '../styles';

/** Class names are listed while they fit on a line or two; a long list is only counted. */
const MAX_LISTED_CLASSES = 12;

export function datasetWords(dataset: DatasetConfig): string {
  switch (dataset.kind) {
    case 'synthetic':
      return `generated (synthetic): ${dataset.size}×${dataset.size} px, ${dataset.channels} channel${dataset.channels === 1 ? '' : 's'}, ${dataset.trainPerClass} train and ${dataset.testPerClass} test images per class`;
    case 'teaching':
      return `generated teaching set: ${dataset.size}×${dataset.size} px, ${dataset.trainPerClass} train and ${dataset.testPerClass} test images per class`;
    case 'builtin':
      return `built in: ${dataset.name}`;
    case 'manifest':
      return `shards at ${dataset.url}`;
  }
}

export function trainingWords(config: RunConfig): string {
  const t = config.training;
  const o = t.optimizer;
  const schedule = t.schedule.kind === 'constant' ? 'constant rate' : `${t.schedule.kind} schedule`;
  return `${t.epochs} epoch${t.epochs === 1 ? '' : 's'}, batch ${t.batchSize}, SGD lr ${o.lr}, momentum ${o.momentum}${o.nesterov ? ' (Nesterov)' : ''}, ${schedule}`;
}

@customElement('cw-study-spec')
export class StudySpecSummary extends LitElement {
  static override styles = [
    panelStyles,
    css`
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.3rem 1rem;
        margin: 0.5rem 0 0;
        font-size: 0.92rem;
      }
      dt {
        font-weight: 600;
      }
      dd {
        margin: 0;
      }
      code {
        font: 0.85rem ui-monospace, SFMono-Regular, Menlo, monospace;
      }
    `,
  ];

  @property({ attribute: false }) detail: StudyDetail | null = null;

  override render() {
    const d = this.detail;
    if (!d) return nothing;
    const { spec, dataset } = d;
    const b = spec.baseline;
    const classes = dataset.classNames;
    const crops = spec.sweep.crop.map(describeCrop);
    const decays = spec.sweep.weightDecay.map(String);
    return html`<section aria-labelledby="spec-heading">
      <h2 id="spec-heading">The study</h2>
      ${spec.description ? html`<p data-testid="spec-description">${spec.description}</p>` : nothing}
      <dl data-testid="spec-summary">
        <dt>Dataset</dt>
        <dd data-testid="spec-dataset">
          ${datasetWords(b.dataset)}; ${classes.length} classes${classes.length <= MAX_LISTED_CLASSES ? ` (${classes.join(', ')})` : ''}, ${dataset.testCount} test
          images; content hash <code title=${dataset.contentHash}>${dataset.contentHash.slice(0, 12)}…</code>
        </dd>
        <dt>Model</dt>
        <dd data-testid="spec-model">${b.model.arch}, width ${b.model.width}</dd>
        <dt>Training</dt>
        <dd>${trainingWords(b)}</dd>
        <dt>Baseline</dt>
        <dd>${describeCrop(b.augmentation.crop)}${b.augmentation.flip ? ' + flip' : ''}, weight decay ${b.training.optimizer.weightDecay}</dd>
        <dt>Sweep</dt>
        <dd data-testid="spec-sweep">
          crop: ${crops.length ? crops.join('; ') : 'none swept'} · weight decay: ${decays.length ? decays.join(', ') : 'none swept'}
          <span class="muted">(every crop × every weight decay, the baseline's included)</span>
        </dd>
        <dt>Seeds</dt>
        <dd data-testid="spec-seeds">${spec.seeds.join(', ')}</dd>
        <dt>Quorum</dt>
        <dd data-testid="spec-quorum">${d.quorum} agreeing replicas per unit (config × seed)</dd>
        <dt>Published</dt>
        <dd>${new Date(d.createdAt).toLocaleString()}</dd>
      </dl>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-study-spec': StudySpecSummary;
  }
}
