/** The study designer's form: its groups in columns, labelled fields, the marks on a bad value. */
import { css } from 'lit';

export const designerStyles = css`
  section > header {
    margin-bottom: 0.75rem;
  }
  .files {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 1rem;
    align-items: end;
  }
  .files .field {
    margin: 0;
  }
  /* Columns, not a grid: the groups differ in height, and columns pack them without empty rows. */
  .grid {
    columns: 17rem 3;
    column-gap: 0.75rem;
  }
  .grid > fieldset {
    break-inside: avoid;
    display: inline-block;
    width: 100%;
    box-sizing: border-box;
    margin-bottom: 0.75rem;
  }
  fieldset {
    border: 1px solid var(--cw-border, #d9dee7);
    border-radius: 6px;
    padding: 0.5rem 0.8rem 0.6rem;
    margin: 0;
    min-width: 0;
  }
  fieldset.all {
    border: 0;
    padding: 0;
  }
  legend {
    font-weight: 600;
    font-size: 0.95rem;
    padding: 0 0.3rem;
  }
  .row {
    display: flex;
    gap: 0.6rem;
    flex-wrap: wrap;
  }
  .row > .field {
    flex: 1 1 6rem;
    min-width: 0;
  }
  .field {
    display: grid;
    gap: 0.2rem;
    margin-bottom: 0.5rem;
    align-content: start;
  }
  .field > label {
    font-weight: 600;
    font-size: 0.85rem;
  }
  .check {
    display: flex;
    gap: 0.4rem;
    align-items: center;
    font-size: 0.9rem;
    margin-bottom: 0.5rem;
  }
  input[type='text'],
  textarea,
  select {
    font: inherit;
    padding: 0.3rem 0.4rem;
    border-radius: 6px;
    border: 1px solid var(--cw-border, #d9dee7);
    min-width: 0;
    width: 100%;
    box-sizing: border-box;
    background: #fff;
  }
  input[type='file'] {
    font: inherit;
    max-width: 100%;
  }
  textarea {
    resize: vertical;
  }
  input[aria-invalid='true'],
  textarea[aria-invalid='true'],
  select[aria-invalid='true'] {
    border-color: #c62828;
    background: #fff7f7;
  }
  .err {
    color: #b71c1c;
    font-size: 0.8rem;
    margin: 0;
  }
  .hint {
    color: var(--cw-muted, #5b6578);
    font-size: 0.8rem;
    margin: 0;
  }
  /* The plan stays in view while the form scrolls under it. */
  cw-study-plan {
    position: sticky;
    top: 0;
    z-index: 1;
    background: var(--cw-surface, #fff);
    margin: 0 -0.2rem 0.75rem;
    padding: 0.5rem 0.2rem;
    border-bottom: 1px solid var(--cw-border, #d9dee7);
  }
`;
