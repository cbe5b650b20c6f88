/**
 * What a component may ask for. Components dispatch one `cw-intent` event
 * (bubbling, crossing shadow roots); cw-app hands it to the Workbench.
 */
import type { ArchiveSource, ImageFolderFile, ImageFolderOptions, ImagePixels } from '../../workers/api';
import type { StudySpecInput } from '../study/study';

export type Intent = StudyIntent | LibraryIntent | DatasetIntent | ResultsIntent | ViewIntent | ContributeIntent;

export type StudyIntent =
  | { kind: 'select-preset'; name: string }
  | { kind: 'load-spec'; fileName: string; text: string }
  /** The study designer's form, whenever it holds a valid spec. */
  | { kind: 'design-study'; spec: StudySpecInput }
  /** Time one warm-up step of the designed baseline, for the study's time estimate. */
  | { kind: 'measure-step' }
  /** Stop the measurement under way (the engine worker is replaced). */
  | { kind: 'cancel-measure' }
  | { kind: 'save-spec' }
  | { kind: 'run' }
  /** The guided demo: select its preset and run it. */
  | { kind: 'run-demo' }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'cancel' }
  | { kind: 'export' }
  | { kind: 'resume-interrupted' }
  | { kind: 'discard-interrupted' };

/** The past studies: reopen one with its views, rename it, delete it. */
export type LibraryIntent = { kind: 'open-study'; id: string } | { kind: 'rename-study'; id: string; name: string } | { kind: 'delete-study'; id: string };

/** The Datasets panel's: its payloads carry the files to import. */
export type DatasetIntent =
  | { kind: 'refresh-datasets' }
  | { kind: 'keep-persistent' }
  | { kind: 'import-archive'; source: ArchiveSource; labels: 'fine' | 'coarse' }
  | { kind: 'import-folder'; files: ImageFolderFile[]; options: ImageFolderOptions }
  | { kind: 'delete-dataset'; id: string }
  | { kind: 'use-dataset'; url: string; name: string };

/** Results in and out: files, CSV, charts (drawn by the view, saved by the page) and trained models. */
export type ResultsIntent =
  | { kind: 'export-csv' }
  | { kind: 'save-chart'; fileName: string; blob: Blob }
  | { kind: 'export-model'; runIndex: number }
  | { kind: 'import-results'; files: { name: string; text: string }[] }
  /** Try the model: an image (scaled down to at most 512 px a side), with its size as the user gave it. */
  | { kind: 'try-image'; name: string; image: ImagePixels; original: { width: number; height: number } }
  | { kind: 'clear-imported' };

/** What the per-class views look at: one comparison, highlighted classes, the class inspected. */
export type ViewIntent =
  | { kind: 'select-comparison'; treatmentHash: string }
  | { kind: 'select-classes'; classes: number[] }
  | { kind: 'inspect-class'; classIndex: number | null }
  /** Design the follow-up of this comparison: its crop turned off for the classes it hurt. */
  | { kind: 'mitigate'; treatmentHash: string };

/** Contribute mode: a shared study's units trained here for its coordinator. */
export type ContributeIntent =
  | { kind: 'list-shared-studies' }
  | { kind: 'contribute'; studyId: string; budget: { units: number | null; minutes: number | null }; displayName: string }
  | { kind: 'pause-contributing' }
  | { kind: 'resume-contributing' }
  | { kind: 'stop-contributing' };

export const INTENT_EVENT = 'cw-intent';

export function sendIntent(from: EventTarget, intent: Intent): void {
  from.dispatchEvent(new CustomEvent<Intent>(INTENT_EVENT, { detail: intent, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    [INTENT_EVENT]: CustomEvent<Intent>;
  }
}
