/**
 * Files the pages hand to the user: one naming rule and one way to save a
 * Blob, shared by the workbench and the public study page (this module
 * imports nothing, so the study page stays free of the engine).
 */
export type Download = (fileName: string, blob: Blob) => void;

/** e.g. `classwise-results-my-study.json`: the study's name made safe for any file system. */
export function fileNameFor(prefix: string, studyName: string, extension: string): string {
  const safe = studyName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'study';
  return `${prefix}-${safe}.${extension}`;
}

export function downloadWithLink(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // Give the browser a moment to start the download before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
