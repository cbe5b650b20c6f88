/**
 * A row of tabs as the ARIA tabs pattern has them: one tab in the Tab order
 * (the selected one), arrow keys, Home and End move between them and select.
 */
import { css, html, nothing } from 'lit';

export interface Tab<T extends string> {
  value: T;
  label: string;
  testId: string;
}

export interface TabListOptions<T extends string> {
  label: string;
  /** Prefix of the tabs' ids: `<id>-tab-<value>`; the panel they control is `<id>-panel` when `panel` is set. */
  id: string;
  selected: T;
  tabs: Tab<T>[];
  onSelect: (value: T) => void;
  panel?: boolean;
}

export const tabStyles = css`
  .tabs {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3rem;
    margin-top: 0.6rem;
  }
  .tabs button[aria-selected='true'] {
    background: var(--cw-accent, #2458d6);
    color: #fff;
    border-color: transparent;
  }
`;

export function TabList<T extends string>({ label, id, selected, tabs, onSelect, panel = false }: TabListOptions<T>) {
  const onKeydown = (event: KeyboardEvent) => {
    const at = tabs.findIndex((t) => t.value === selected);
    const last = tabs.length - 1;
    const to = { ArrowRight: at === last ? 0 : at + 1, ArrowLeft: at === 0 ? last : at - 1, Home: 0, End: last }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    onSelect(tabs[to]!.value);
    ((event.currentTarget as HTMLElement).children[to] as HTMLElement | undefined)?.focus();
  };
  return html`<div role="tablist" class="tabs" aria-label=${label} @keydown=${onKeydown}>
    ${tabs.map(
      (tab) => html`<button
        role="tab"
        id="${id}-tab-${tab.value}"
        data-testid=${tab.testId}
        aria-selected=${tab.value === selected ? 'true' : 'false'}
        aria-controls=${panel ? `${id}-panel` : nothing}
        tabindex=${tab.value === selected ? 0 : -1}
        @click=${() => onSelect(tab.value)}
      >
        ${tab.label}
      </button>`,
    )}
  </div>`;
}
