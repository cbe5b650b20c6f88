/**
 * Content addressing shared by configs, datasets and results. WebCrypto's
 * SHA-256 exists in browsers, workers and Node 20 alike, so one function
 * serves every side.
 */

/** JSON with object keys sorted at every depth: equal values, equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

export async function sha256Hex(data: string | ArrayBufferView | readonly ArrayBufferView[]): Promise<string> {
  const parts = typeof data === 'string' ? [new TextEncoder().encode(data)] : ArrayBuffer.isView(data) ? [data] : data;
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), offset);
    offset += part.byteLength;
  }
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
