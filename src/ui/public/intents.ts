/**
 * What the public study page's own components may ask for. Like the
 * workbench's `cw-intent` (src/ui/intents.ts), one bubbling, composed event
 * that the page hands to its controller; kept apart because these intents
 * exist only on this page.
 */
export type PublicIntent =
  /** Read the study (or the list) again now. */
  | { kind: 'refresh' }
  /** The validated results file, to import in the workbench. */
  | { kind: 'download-results' }
  /** The pooled per-class table, as CSV. */
  | { kind: 'download-csv' };

export const PUBLIC_INTENT_EVENT = 'cw-public-intent';

export function sendPublicIntent(from: EventTarget, intent: PublicIntent): void {
  from.dispatchEvent(new CustomEvent<PublicIntent>(PUBLIC_INTENT_EVENT, { detail: intent, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    [PUBLIC_INTENT_EVENT]: CustomEvent<PublicIntent>;
  }
}
