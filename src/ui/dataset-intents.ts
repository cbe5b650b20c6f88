/**
 * What the Datasets panel may ask for. Like the study intents (./intents.ts),
 * one bubbling, composed event (`cw-dataset-intent`) that cw-app hands to the
 * Workbench; kept apart because its payloads carry files.
 */
import type { ArchiveSource, ImageFolderFile, ImageFolderOptions } from '../../workers/api';

export type DatasetIntent =
  | { kind: 'refresh-datasets' }
  | { kind: 'keep-persistent' }
  | { kind: 'import-archive'; source: ArchiveSource; labels: 'fine' | 'coarse' }
  | { kind: 'import-folder'; files: ImageFolderFile[]; options: ImageFolderOptions }
  | { kind: 'delete-dataset'; id: string }
  | { kind: 'use-dataset'; url: string; name: string };

export const DATASET_INTENT_EVENT = 'cw-dataset-intent';

export function sendDatasetIntent(from: EventTarget, intent: DatasetIntent): void {
  from.dispatchEvent(new CustomEvent<DatasetIntent>(DATASET_INTENT_EVENT, { detail: intent, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    [DATASET_INTENT_EVENT]: CustomEvent<DatasetIntent>;
  }
}
