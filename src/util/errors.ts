/** An error as one line for the page: its name when that says something ("StorageFullError: …"), then its message. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
