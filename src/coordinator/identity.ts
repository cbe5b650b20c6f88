/**
 * Who a volunteer is, as far as the coordinator can tell: a credential it
 * issued, and the network the request came from.
 *
 * A credential is `cw1.<payload>.<mac>`: the payload is a random public id
 * (16 bytes) and a random secret (16 bytes), the mac an HMAC-SHA-256 of the
 * payload under the coordinator's own key. A token without a valid mac is
 * refused before any lookup (not the coordinator's: 401); one with a valid
 * mac must also match the SHA-256 of its secret stored with its id, so a
 * leaked key alone mints nothing that passes, and a leaked database alone
 * holds no secret.
 *
 * Replicas of one unit must come from distinct hosts; the coordinator can
 * only see networks, so a host is approximated by its network prefix: /24
 * for IPv4, /48 for IPv6 (a home or an office usually gets one of either).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

const VERSION = 'cw1';
const ID_BYTES = 16;
const SECRET_BYTES = 16;
const MAC_BYTES = 16;

export interface IssuedCredential {
  /** Public: the credential's row id. */
  id: string;
  /** What the volunteer keeps and sends: the bearer secret. */
  token: string;
  /** Stored in place of the secret. */
  secretHash: string;
}

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

const mac = (key: Buffer, payload: Buffer) => createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);

export function issueCredential(key: Buffer): IssuedCredential {
  const payload = randomBytes(ID_BYTES + SECRET_BYTES);
  const id = payload.subarray(0, ID_BYTES).toString('hex');
  const secret = payload.subarray(ID_BYTES);
  return { id, token: `${VERSION}.${payload.toString('base64url')}.${mac(key, payload).toString('base64url')}`, secretHash: sha256(secret) };
}

/** The id and secret hash of a token this coordinator signed, or null for anything else. */
export function readCredential(token: string, key: Buffer): { id: string; secretHash: string } | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return null;
  const payload = Buffer.from(parts[1]!, 'base64url');
  const given = Buffer.from(parts[2]!, 'base64url');
  if (payload.length !== ID_BYTES + SECRET_BYTES || given.length !== MAC_BYTES) return null;
  if (!timingSafeEqual(given, mac(key, payload))) return null;
  return { id: payload.subarray(0, ID_BYTES).toString('hex'), secretHash: sha256(payload.subarray(ID_BYTES)) };
}

/**
 * readCredential with a memory of the tokens it has read: a volunteer sends
 * the same token with every heartbeat, and the MAC and hash of each are the
 * same every time. Bounded: the oldest entries go first.
 */
export class CredentialReader {
  private readonly known = new Map<string, { id: string; secretHash: string } | null>();

  constructor(
    private readonly key: Buffer,
    private readonly capacity = 50_000,
  ) {}

  read(token: string): { id: string; secretHash: string } | null {
    if (token.length > 200) return null;
    const known = this.known.get(token);
    if (known !== undefined) return known;
    const read = readCredential(token, this.key);
    // Only what this coordinator signed is remembered: a flood of made-up tokens does not fill the memory.
    if (read) {
      if (this.known.size >= this.capacity) this.known.delete(this.known.keys().next().value!);
      this.known.set(token, read);
    }
    return read;
  }
}

/** Compares two hex digests in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** The public name of a credential: its id is not secret, but a short pseudonym reads better and says nothing more. */
export function contributorId(credentialId: string): string {
  return sha256(`classwise.contributor:${credentialId}`).slice(0, 16);
}

/** The network an address belongs to for replica distinctness and rate limits: a.b.c.0/24, or the first 48 bits of IPv6. */
export function networkPrefix(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  const v4 = mapped ? mapped[1]! : bare;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(bare)) return `${expandIPv6(bare).slice(0, 3).join(':')}::/48`;
  // Not an IP (a Unix socket, a test transport): every such client is one network.
  return `other:${bare}`;
}

/** The eight 16-bit groups of an IPv6 address, as lowercase hex without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4 is handled above; 64:ff9b::1.2.3.4 and the like here) becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === null ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => parseInt(g || '0', 16).toString(16));
}

/**
 * A display name as the study page may show it: Unicode control and format
 * characters removed (bidi overrides and isolates, zero-width joiners and
 * spaces, the BOM, soft hyphens), line and paragraph separators and the
 * invisible Hangul fillers too, white space collapsed, at most 64 characters.
 * Null when nothing readable is left.
 */
export function cleanDisplayName(name: string): string | null {
  const cleaned = name
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
  const chars = [...cleaned].slice(0, 64).join('').trim();
  return chars === '' ? null : chars;
}
