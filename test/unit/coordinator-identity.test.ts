import { describe, expect, it } from 'vitest';
import { cleanDisplayName, CredentialReader, issueCredential, networkPrefix, readCredential } from '../../src/coordinator/identity';

describe('networkPrefix', () => {
  it('is the /24 of an IPv4 address, mapped or not, and the /48 of an IPv6 one', () => {
    expect(networkPrefix('203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkPrefix('::ffff:203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkPrefix('2001:db8:1234:5678::1')).toBe('2001:db8:1234::/48');
    expect(networkPrefix('2001:DB8:0:ffff::1%eth0')).toBe('2001:db8:0::/48');
    expect(networkPrefix('::1')).toBe('0:0:0::/48');
    expect(networkPrefix('2001:db8::')).toBe('2001:db8:0::/48');
  });
});

describe('credentials', () => {
  it('read back what the key signed, and nothing else', () => {
    const key = Buffer.alloc(32, 1);
    const issued = issueCredential(key);
    expect(readCredential(issued.token, key)).toEqual({ id: issued.id, secretHash: issued.secretHash });
    expect(readCredential(issued.token, Buffer.alloc(32, 2))).toBeNull();
    expect(readCredential(issued.token.replace(/^cw1/, 'cw2'), key)).toBeNull();
    expect(readCredential('cw1.x.y', key)).toBeNull();
    const reader = new CredentialReader(key, 2);
    const others = [issueCredential(key), issueCredential(key)];
    for (const c of [issued, ...others]) expect(reader.read(c.token)?.id).toBe(c.id);
    // Bounded: the oldest is forgotten, and read again from scratch.
    expect(reader.read(issued.token)?.id).toBe(issued.id);
  });
});

describe('cleanDisplayName', () => {
  it('removes control, bidi and zero-width characters, collapses white space, keeps 64 characters', () => {
    expect(cleanDisplayName('\u202eevil\u202c \u200bname\u2066\ufeff')).toBe('evil name');
    expect(cleanDisplayName('a\u0000b\u0007\u001bc\u2028d')).toBe('abcd');
    expect(cleanDisplayName('  José   García \t')).toBe('José García');
    expect(cleanDisplayName('\u3164\u115f\u200d')).toBeNull();
    expect(cleanDisplayName('é'.normalize('NFD'))).toBe('é');
    expect([...cleanDisplayName('ü'.repeat(80))!]).toHaveLength(64);
  });
});
