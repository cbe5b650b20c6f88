/**
 * The past studies: every study run in this browser, newest first, with its
 * date, runs, dataset and headline; open one (its views come back from
 * storage), rename it, or delete it (asked twice). Renders properties and
 * sends intents, nothing more.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { LibraryState, PastStudy } from '../app/state';
import { sendIntent } from './intents';
import { panelStyles } from './styles';

const DATE = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

@customElement('cw-study-library')
export class StudyLibrary extends LitElement {
  static override styles = [
    panelStyles,
    css`
      ol {
        list-style: none;
        padding: 0;
        margin: 0;
        display: grid;
        gap: 0.6rem;
      }
      li {
        border: 1px solid var(--cw-border, #d9dee7);
        border-radius: 6px;
        padding: 0.6rem 0.8rem;
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 0.3rem 1rem;
        align-items: start;
      }
      li.shown {
        border-color: var(--cw-accent, #2458d6);
        box-shadow: inset 3px 0 0 var(--cw-accent, #2458d6);
      }
      .name {
        font-weight: 600;
        font-size: 1rem;
        overflow-wrap: anywhere;
      }
      .facts {
        color: var(--cw-muted, #5b6578);
        font-size: 0.9rem;
      }
      .headline {
        grid-column: 1 / -1;
        margin: 0;
        font-size: 0.92rem;
      }
      .actions {
        display: flex;
        gap: 0.4rem;
        flex-wrap: wrap;
        justify-content: end;
      }
      form {
        display: flex;
        gap: 0.4rem;
        flex-wrap: wrap;
        align-items: center;
      }
      input {
        font: inherit;
        padding: 0.3rem 0.4rem;
        border-radius: 6px;
        border: 1px solid var(--cw-border, #d9dee7);
        min-width: 12rem;
      }
      button.danger {
        border-color: #c62828;
        color: #b71c1c;
      }
      @media (max-width: 40rem) {
        li {
          grid-template-columns: 1fr;
        }
        .actions {
          justify-content: start;
        }
      }
    `,
  ];

  @property({ attribute: false }) library: LibraryState = { studies: null, shownId: null, error: null };
  /** A study runs: nothing else can be opened, and the running one not deleted. */
  @property({ type: Boolean }) locked = false;

  @state() private renaming: string | null = null;
  @state() private confirmingDelete: string | null = null;

  override render() {
    const { studies, error } = this.library;
    return html`<section aria-labelledby="library-heading" data-testid="study-library">
      <header>
        <h2 id="library-heading">Past studies</h2>
        <span class="muted">Kept in this browser's storage; open one to see its per-class views again.</span>
      </header>
      ${error ? html`<div class="alert error" role="alert" data-testid="library-error">${error}</div>` : nothing}
      ${studies === null
        ? html`<p class="muted">Reading the stored studies…</p>`
        : studies.length === 0
          ? html`<p class="muted" data-testid="library-empty">No study has run in this browser yet. Studies you run are listed here, with their results.</p>`
          : html`<ol data-testid="library-list">
              ${studies.map((study) => this.renderStudy(study))}
            </ol>`}
    </section>`;
  }

  private renderStudy(study: PastStudy) {
    const shown = study.id === this.library.shownId;
    const runs = `${study.finished}/${study.planned} run${study.planned === 1 ? '' : 's'} finished`;
    return html`<li class=${shown ? 'shown' : ''} data-testid="past-study" data-id=${study.id}>
      <div>
        ${this.renaming === study.id
          ? this.renderRename(study)
          : html`<div class="name" data-testid="past-study-name">${study.name}${shown ? html` <span class="tag">on screen</span>` : nothing}</div>`}
        <div class="facts">
          <time datetime=${study.updatedAt}>${DATE.format(new Date(study.updatedAt))}</time> · <span data-testid="past-study-runs">${runs}</span> ·
          ${study.dataset}
        </div>
      </div>
      <div class="actions">${this.renderActions(study, shown)}</div>
      <p class="headline" data-testid="past-study-headline">${study.headline ?? html`<span class="muted">No comparison yet.</span>`}</p>
    </li>`;
  }

  private renderActions(study: PastStudy, shown: boolean) {
    if (this.renaming === study.id) return nothing;
    if (this.confirmingDelete === study.id) {
      return html`<span>Delete it and its stored runs?</span>
        <button class="danger" data-testid="confirm-delete-study" @click=${() => this.delete(study.id)}>Delete</button>
        <button data-testid="cancel-delete-study" @click=${() => (this.confirmingDelete = null)}>Keep</button>`;
    }
    return html`<button
        class="primary"
        data-testid="open-study"
        ?disabled=${this.locked}
        aria-label="Open ${study.name}"
        @click=${() => sendIntent(this, { kind: 'open-study', id: study.id })}
      >
        ${shown ? 'Show' : 'Open'}
      </button>
      <button data-testid="rename-study" aria-label="Rename ${study.name}" @click=${() => this.startRename(study.id)}>Rename</button>
      <button class="danger" data-testid="delete-study" ?disabled=${this.locked && shown} aria-label="Delete ${study.name}" @click=${() => (this.confirmingDelete = study.id)}>
        Delete
      </button>`;
  }

  private renderRename(study: PastStudy) {
    return html`<form
      @submit=${(event: Event) => {
        event.preventDefault();
        const input = (event.target as HTMLFormElement).elements.namedItem('name') as HTMLInputElement;
        sendIntent(this, { kind: 'rename-study', id: study.id, name: input.value });
        this.renaming = null;
      }}
      @keydown=${(event: KeyboardEvent) => {
        if (event.key === 'Escape') this.renaming = null;
      }}
    >
      <label for="rename-${study.id}" class="muted">New name</label>
      <input id="rename-${study.id}" name="name" data-testid="rename-input" .value=${study.name} autocomplete="off" />
      <button type="submit" class="primary" data-testid="rename-save">Save</button>
      <button type="button" @click=${() => (this.renaming = null)}>Cancel</button>
    </form>`;
  }

  private async startRename(id: string): Promise<void> {
    this.renaming = id;
    await this.updateComplete;
    const input = this.renderRoot.querySelector<HTMLInputElement>(`#rename-${CSS.escape(id)}`);
    input?.focus();
    input?.select();
  }

  private delete(id: string): void {
    this.confirmingDelete = null;
    sendIntent(this, { kind: 'delete-study', id });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cw-study-library': StudyLibrary;
  }
}
