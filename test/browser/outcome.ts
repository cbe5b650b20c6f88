/**
 * What a harness call gave: its value, or the error it threw as plain data.
 * Errors do not survive page.evaluate's serialisation; their name and message do.
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; name: string; message: string };

export async function attempt<T>(body: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await body() };
  } catch (error) {
    const { name, message } = error as Error;
    return { ok: false, name: String(name), message: String(message) };
  }
}

/** The value, or the harness's error thrown again on the test's side. */
export function ok<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new Error(`${outcome.name}: ${outcome.message}`);
  return outcome.value;
}
