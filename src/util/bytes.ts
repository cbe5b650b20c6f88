/** Reading byte streams whole: downloads, decompression. */

/**
 * Every byte of `stream`, in one array; `onBytes` hears the running total
 * after each chunk. Errors of the stream propagate for the caller to name.
 */
export async function readAll(stream: ReadableStream<Uint8Array>, onBytes?: (received: number) => void): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
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
