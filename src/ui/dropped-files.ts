/**
 * What a user picks or drops on the import form, read into the files an image
 * folder import takes: the browser's File and FileSystemEntry APIs, no Lit.
 */
import type { ImageFolderFile } from '../../workers/api';

const ARCHIVE_EXTENSIONS = ['.tar.gz', '.tgz', '.tar'];

export function isArchiveName(name: string): boolean {
  const lower = name.toLowerCase();
  return ARCHIVE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** A folder the user picked or dropped, waiting for its import. */
export interface PendingFolder {
  /** The top folder's name ('' when loose folders were dropped). */
  name: string;
  files: ImageFolderFile[];
  bytes: number;
}

/** All entries of a dropped directory (readEntries answers in batches until it answers none). */
export async function readAllEntries(directory: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = directory.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

/** The files under a dropped entry, with paths relative to the dropped folder (`prefix` + their path below it). */
export async function collectFiles(entry: FileSystemEntry, prefix: string, out: ImageFolderFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path: prefix + entry.name, file });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) {
      await collectFiles(child, `${prefix}${entry.name}/`, out);
    }
  }
}
