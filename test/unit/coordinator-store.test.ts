/**
 * The store's schema migration: a database made by the first coordinator
 * (browser-made volunteer ids kept as given) is upgraded in place, its
 * history kept and its bearer secrets replaced by hashes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/coordinator/server';
import { Store, SCHEMA_VERSION } from '../../src/coordinator/store';
import { migrate } from '../../src/coordinator/store/schema';
import { ADMIN_TOKEN } from './coordinator-fixtures';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A schema-1 database with one study, two units, one volunteer (its browser id in clear), a lease and a result. */
function firstVersionDatabase(): string {
  const dir = mkdtempSync(join(tmpdir(), 'classwise-migrate-'));
  dirs.push(dir);
  const path = join(dir, 'coordinator.sqlite');
  const db = new Database(path);
  migrate(db, 1);
  db.exec(`
    INSERT INTO studies VALUES ('s1', 'old study', '{}', 'generated:smoke', '${'c'.repeat(64)}', 60, '["a","b","c"]', NULL, 2, 4, 1);
    INSERT INTO units (id, study_id, plan_index, label, config, config_hash, seed, state, target_replicas) VALUES
      (1, 's1', 0, 'u0', '{}', 'h0', 0, 'open', 2), (2, 's1', 1, 'u1', '{}', 'h1', 0, 'open', 2);
    INSERT INTO volunteers (id, contributor, display_name, first_seen) VALUES ('browser-secret-0123456789', 'pseudonym0000001', 'Old', 1);
    INSERT INTO leases VALUES ('l1', 1, 'browser-secret-0123456789', 1, 9999999999999, 1, 'finished'), ('l2', 2, 'browser-secret-0123456789', 1, 9999999999999, 1, 'active');
    INSERT INTO results VALUES ('r1', 1, 'browser-secret-0123456789', 'l1', '{}', 2, 'pending');
  `);
  db.close();
  return path;
}

describe('migrating a first-version database', () => {
  it('keeps its history, hashes the browser ids, and counts replicas and leases on the units', () => {
    const path = firstVersionDatabase();
    const store = new Store(path);
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const volunteers = store.db.prepare('SELECT id, contributor, secret_hash FROM volunteers').all() as { id: string; contributor: string; secret_hash: string | null }[];
      expect(volunteers).toHaveLength(1);
      expect(volunteers[0]!.id).toMatch(/^legacy-[0-9a-f]{64}$/);
      expect(volunteers[0]).toMatchObject({ contributor: 'pseudonym0000001', secret_hash: null });
      expect(JSON.stringify(store.db.prepare('SELECT * FROM leases').all()) + JSON.stringify(store.db.prepare('SELECT volunteer_id FROM results').all())).not.toContain('browser-secret');
      expect(store.db.pragma('foreign_key_check')).toEqual([]);
      expect(store.studies.unit(1)).toMatchObject({ replicas: 1, activeLeases: 0 });
      expect(store.studies.unit(2)).toMatchObject({ replicas: 0, activeLeases: 1 });
      expect(store.studies.contributors('s1')).toEqual([{ contributor: 'pseudonym0000001', displayName: 'Old', revoked: false, results: { pending: 1, valid: 0, held: 0, invalid: 0, withdrawn: 0 } }]);
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      store.close();
    }
  });

  it('says why a study published without test labels leases nothing', async () => {
    const path = firstVersionDatabase();
    const app = await buildServer({ dbPath: path, adminToken: ADMIN_TOKEN });
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const credential = ((await (await fetch(`${base}/api/v1/volunteers`, { method: 'POST' })).json()) as { credential: string }).credential;
      const answer = await fetch(`${base}/api/v1/studies/s1/lease`, { method: 'POST', headers: { 'x-classwise-volunteer': credential } });
      expect(await answer.json()).toMatchObject({ lease: null, studyComplete: false, reason: expect.stringMatching(/published before replicas were compared image by image/) });
    } finally {
      await app.close();
    }
  });
});
