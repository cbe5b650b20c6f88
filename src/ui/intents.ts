/**
 * What a component may ask for. Components dispatch one `cw-intent` event
 * (bubbling, crossing shadow roots); cw-app hands it to the Workbench.
 */
export type Intent =
  | { kind: 'select-preset'; name: string }
  | { kind: 'load-spec'; fileName: string; text: string }
  | { kind: 'run' }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'cancel' }
  | { kind: 'export' }
  | { kind: 'resume-interrupted' }
  | { kind: 'discard-interrupted' };

export const INTENT_EVENT = 'cw-intent';

export function sendIntent(from: EventTarget, intent: Intent): void {
  from.dispatchEvent(new CustomEvent<Intent>(INTENT_EVENT, { detail: intent, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    [INTENT_EVENT]: CustomEvent<Intent>;
  }
}
