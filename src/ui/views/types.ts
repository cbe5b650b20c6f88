/** What the class inspector shows; the controller fills it from the worker's inspectClass. */

export interface InspectorImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** HWC, 0–255. */
  pixels: Uint8Array;
  caption: string;
}

export interface ClassInspection {
  classIndex: number;
  className: string;
  treatmentLabel: string;
  status: 'loading' | 'ready' | 'unavailable';
  /** Why it is unavailable (no predictions kept, dataset not loaded…). */
  reason?: string;
  /** Test images the treatment now gets wrong (right under the baseline); caption = what it predicted. */
  wrong: InspectorImage[];
  /** Random crops of the class's training images at the treatment's strength. */
  crops: InspectorImage[];
}
