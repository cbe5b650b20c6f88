/** Styles every panel shares: a card, headings, buttons, alerts. */
import { css } from 'lit';

export const panelStyles = css`
  :host {
    display: block;
    font: inherit;
    color: var(--cw-text, #1d2433);
  }
  section {
    background: var(--cw-surface, #fff);
    border: 1px solid var(--cw-border, #d9dee7);
    border-radius: 8px;
    padding: 1rem 1.25rem;
  }
  h2 {
    font-size: 1.05rem;
    margin: 0 0 0.75rem;
  }
  /* A panel's title bar: heading on the left, its actions on the right. */
  section > header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    flex-wrap: wrap;
    gap: 0.5rem;
  }
  section > header h2 {
    margin: 0;
  }
  /* The phase pill beside a panel's title; a panel colours the phases it has. */
  .phase {
    font-size: 0.8rem;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    padding: 0.1rem 0.5rem;
    border-radius: 999px;
    background: #eef0f4;
    color: #3b4456;
    margin-left: 0.5rem;
    vertical-align: 0.15em;
  }
  h3 {
    font-size: 0.95rem;
    margin: 1rem 0 0.5rem;
  }
  p {
    margin: 0.4rem 0;
  }
  .muted {
    color: var(--cw-muted, #5b6578);
    font-size: 0.9rem;
  }
  button {
    font: inherit;
    padding: 0.4rem 0.9rem;
    border-radius: 6px;
    border: 1px solid var(--cw-accent, #2458d6);
    background: var(--cw-surface, #fff);
    color: var(--cw-accent, #2458d6);
    cursor: pointer;
  }
  button.primary {
    background: var(--cw-accent, #2458d6);
    color: #fff;
  }
  button:disabled {
    border-color: var(--cw-border, #d9dee7);
    background: var(--cw-disabled, #eef0f4);
    color: var(--cw-muted, #5b6578);
    cursor: not-allowed;
  }
  button:focus-visible,
  select:focus-visible,
  input:focus-visible {
    outline: 2px solid var(--cw-accent, #2458d6);
    outline-offset: 2px;
  }
  .alert {
    border-radius: 6px;
    padding: 0.6rem 0.8rem;
    margin: 0.6rem 0;
  }
  .alert.error {
    background: #fdecec;
    border: 1px solid #e5a3a3;
    color: #7d1616;
  }
  .alert.warning {
    background: #fff6e0;
    border: 1px solid #e8c66a;
    color: #5c4300;
  }
  .alert pre {
    white-space: pre-wrap;
    margin: 0.3rem 0 0;
    font: 0.85rem/1.4 ui-monospace, SFMono-Regular, Menlo, monospace;
  }
  .tag {
    display: inline-block;
    font-size: 0.75rem;
    padding: 0 0.4rem;
    border-radius: 999px;
    background: #e6ecfb;
    color: #1d3f9a;
    vertical-align: 0.1em;
  }
  /* Data tables: scroll sideways when wide, numbers in aligned columns. */
  .scroll {
    overflow-x: auto;
  }
  table {
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
    font-size: 0.9rem;
    margin: 0.3rem 0 0.5rem;
  }
  th,
  td {
    padding: 0.3rem 0.7rem;
    border-bottom: 1px solid var(--cw-border, #d9dee7);
    white-space: nowrap;
  }
  th {
    font-weight: 600;
    background: #f5f7fa;
  }
  /* A progress bar with its label beside it. */
  .bar {
    display: flex;
    align-items: center;
    gap: 0.6rem;
  }
  .bar progress {
    flex: 1;
    height: 0.8rem;
  }
`;

/** A whole page (the workbench, a study's public page): centred, its panels stacked, a two-column row that folds on narrow screens. */
export const pageStyles = css`
  :host {
    display: block;
    max-width: 72rem;
    margin: 0 auto;
    padding: 1.25rem 1rem 3rem;
  }
  h1 {
    font-size: 1.5rem;
    margin: 0;
  }
  .stack {
    display: grid;
    gap: 1rem;
  }
  .columns {
    display: grid;
    grid-template-columns: minmax(18rem, 1fr) minmax(22rem, var(--cw-wide-column, 1.6fr));
    gap: 1rem;
    align-items: start;
  }
  @media (max-width: 52rem) {
    .columns {
      grid-template-columns: 1fr;
    }
  }
`;
