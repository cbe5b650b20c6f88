/**
 * What a component may ask for. Components dispatch one `cw-intent` event
 * (bubbling, crossing shadow roots); cw-app hands it to the Workbench.
 */
import type { ArchiveSource, ImageFolderFile, ImageFolderOptions } from '../../workers/api';

export type Intent = StudyIntent | DatasetIntent;

export type StudyIntent =
  | { kind: 'select-preset'; name: string }
  | { kind: 'load-spec'; fileName: string; text: string }
  | { kind: 'run' }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'cancel' }
  | { kind: 'export' }
  | { kind: 'resume-interrupted' }
  | { kind: 'discard-interrupted' };

/** The Datasets panel's: its payloads carry the files to import. */
export type DatasetIntent =
  | { kind: 'refresh-datasets' }
  | { kind: 'keep-persistent' }
  | { kind: 'import-archive'; source: ArchiveSource; labels: 'fine' | 'coarse' }
  | { kind: 'import-folder'; files: ImageFolderFile[]; options: ImageFolderOptions }
  | { kind: 'delete-dataset'; id: string }
  | { kind: 'use-dataset'; url: string; name: string };

export const INTENT_EVENT = 'cw-intent';

export function sendIntent(from: EventTarget, intent: Intent): void {
  from.dispatchEvent(new CustomEvent<Intent>(INTENT_EVENT, { detail: intent, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    [INTENT_EVENT]: CustomEvent<Intent>;
  }
}
