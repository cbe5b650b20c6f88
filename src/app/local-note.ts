/** A short note the page keeps between visits (in localStorage): which study was running, which was shown. */
export interface LocalNote {
  read(): string | null;
  write(text: string): void;
  clear(): void;
}

export function localStorageNote(key: string): LocalNote {
  return {
    read: () => globalThis.localStorage?.getItem(key) ?? null,
    write: (text) => globalThis.localStorage?.setItem(key, text),
    clear: () => globalThis.localStorage?.removeItem(key),
  };
}
