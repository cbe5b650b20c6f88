/**
 * The volunteer loop (src/app/contributor.ts) run under Node, with no DOM: a
 * stand-in engine that "trains" by returning a valid result at once, the
 * real CoordinatorClient bound to a 127.x address, and a real coordinator on
 * loopback. It asks for a credential once and keeps it, asks again when the
 * coordinator no longer knows it, and stops with the organiser's reason when
 * it was revoked.
 */
import type { Remote } from 'comlink';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineApi, RunRequest } from '../../workers/api';
import { CoordinatorClient, type Lease } from '../../src/app/coordinator-client';
import { Contributor, type ContributeState, type VolunteerIdentity } from '../../src/app/contributor';
import { loopbackFetch } from '../../src/coordinator/load/http';
import { parseStudySpec, planRuns } from '../../src/study/study';
import { runResult, SPEC, TestCoordinator } from './coordinator-fixtures';

let coordinator: TestCoordinator;
let studyId: string;
beforeEach(async () => {
  coordinator = await new TestCoordinator().start();
  studyId = await coordinator.publish();
});
afterEach(() => coordinator.stop());

function memoryIdentity(): VolunteerIdentity & { kept: string[] } {
  let credential: string | null = null;
  let lease: Lease | null = null;
  const kept: string[] = [];
  return {
    kept,
    credential: () => credential,
    keepCredential: (c) => {
      credential = c;
      if (c) kept.push(c);
    },
    heldLease: () => lease,
    holdLease: (l) => (lease = l),
  };
}

/** An engine that returns, for any unit of the fixture study, a valid result with these counts. */
const engine = {
  async run(request: RunRequest) {
    const run = planRuns(parseStudySpec(SPEC)).find((r) => r.seed === request.seed)!;
    return runResult({ config: request.config ?? run.config, seed: request.seed }, [18, 15, 19], new Date().toISOString());
  },
  pause() {},
  resume() {},
  cancel() {},
} as unknown as Remote<EngineApi>;

function contributor(identity: VolunteerIdentity, address: string): { c: Contributor; states: ContributeState[] } {
  const states: ContributeState[] = [];
  const client = new CoordinatorClient(coordinator.base, loopbackFetch(address));
  return { c: new Contributor(() => engine, (s) => states.push(s), client, identity), states };
}

describe('the volunteer loop, under Node', () => {
  it('asks for a credential once, keeps it, and uploads what it trains', async () => {
    const identity = memoryIdentity();
    const { c } = contributor(identity, '127.160.0.1');
    await c.start(studyId, { units: 2, minutes: null }, 'Node volunteer');
    expect(c.current).toMatchObject({ phase: 'finished', error: null });
    expect(c.current.done).toHaveLength(2);
    expect(identity.kept).toHaveLength(1);
    const study = (await coordinator.call('GET', `/studies/${studyId}`)).json;
    expect(study.contributors).toMatchObject([{ displayName: 'Node volunteer', results: { pending: 2 } }]);
    // The study list followed the uploads.
    expect(c.current.studies?.[0]?.progress.results['pending']).toBe(2);
  });

  it('asks for a new credential when the coordinator does not know its own, and stops with the reason when revoked', async () => {
    const identity = memoryIdentity();
    identity.keepCredential('cw1.not-one-this-coordinator-issued.x');
    const { c } = contributor(identity, '127.161.0.1');
    await c.start(studyId, { units: 1, minutes: null });
    expect(c.current.phase).toBe('finished');
    expect(identity.kept).toHaveLength(2);
    const contributorName = (await coordinator.call('GET', `/studies/${studyId}`)).json.contributors[0].contributor as string;
    await coordinator.call('POST', `/admin/volunteers/${contributorName}/revoke`, { admin: true, body: { reason: 'testing revocation' } });
    await c.start(studyId, { units: 1, minutes: null });
    expect(c.current).toMatchObject({ phase: 'failed', error: 'this credential was revoked by the organiser: testing revocation' });
    expect(identity.kept).toHaveLength(2);
  });
});
