/** A mistake in a command's arguments: the CLIs print it with their usage and exit 2. */
export class UsageError extends Error {}

/** Runs a parse whose plain Error (an unknown option value, listing the valid ones) is the user's mistake. */
export function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
