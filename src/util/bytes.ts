/** Reading byte streams whole: downloads, decompression. */

/** Thrown by readAll when a stream brings more than its `maxBytes`; the stream has been cancelled. */
export class TooManyBytes extends Error {
  constructor(readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
    this.name = 'TooManyBytes';
  }
}

/**
 * Every byte of `stream`, in one array; `onBytes` hears the running total
 * after each chunk. With `maxBytes`, a stream that brings more is cancelled
 * and TooManyBytes thrown, having held no more than maxBytes plus one chunk.
 * Errors of the stream propagate for the caller to name.
 */
export async function readAll(stream: ReadableStream<Uint8Array>, onBytes?: (received: number) => void, maxBytes = Infinity): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      chunks.length = 0;
      await reader.cancel().catch(() => undefined);
      throw new TooManyBytes(maxBytes);
    }
    chunks.push(value);
    onBytes?.(received);
  }
  // A single chunk may be a view into a larger buffer; a copy owns exactly its bytes.
  if (chunks.length === 1) return chunks[0]!.slice();
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
