/**
 * A volunteer's identity on a machine without a browser: the credential the
 * coordinator issued and the lease in hand, in a JSON file (mode 600, as the
 * credential is what makes uploads yours), so a restarted `npm run
 * contribute` keeps the same pseudonym and goes back to its unit.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Lease } from '../app/coordinator-client';
import type { VolunteerIdentity } from '../app/contributor';

interface Stored {
  /** Credentials by coordinator URL: each coordinator issues its own. */
  credentials: Record<string, string>;
  leases: Record<string, Lease>;
}

export function fileVolunteer(path: string, coordinator: string): VolunteerIdentity {
  const read = (): Stored => {
    if (!existsSync(path)) return { credentials: {}, leases: {} };
    try {
      const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<Stored>;
      return { credentials: value.credentials ?? {}, leases: value.leases ?? {} };
    } catch (error) {
      throw new Error(`cannot read the volunteer file ${path}: ${error instanceof Error ? error.message : String(error)} (delete it to start as a new volunteer)`);
    }
  };
  const write = (stored: Stored) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
    chmodSync(path, 0o600);
  };
  const update = (change: (stored: Stored) => void) => {
    const stored = read();
    change(stored);
    write(stored);
  };
  return {
    credential: () => read().credentials[coordinator] ?? null,
    keepCredential: (credential) =>
      update((s) => {
        if (credential) s.credentials[coordinator] = credential;
        else delete s.credentials[coordinator];
      }),
    heldLease: () => read().leases[coordinator] ?? null,
    holdLease: (lease) =>
      update((s) => {
        if (lease) s.leases[coordinator] = lease;
        else delete s.leases[coordinator];
      }),
  };
}
