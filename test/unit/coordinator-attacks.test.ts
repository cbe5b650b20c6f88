/**
 * The attacks of issue 13, tried as an attacker would with nothing but
 * loopback HTTP against a real coordinator, each source its own 127.x.y.z
 * address: every one must fail.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Limits } from '../../src/coordinator/server';
import { parseResultsFile } from '../../src/study/results';
import { predictionsFor, runResult, TestCoordinator, type Leased, type Volunteer } from './coordinator-fixtures';

let coordinator: TestCoordinator;
let studyId: string;

async function start(limits: Partial<Limits> = {}, extra: object = {}) {
  await coordinator?.stop();
  coordinator = await new TestCoordinator().start(limits);
  studyId = await coordinator.publish(undefined, undefined, extra);
}

beforeEach(() => start());
afterEach(() => coordinator.stop());

const honest = predictionsFor([18, 15, 19]);
const minute = (m: number) => `2026-11-24T12:${String(m).padStart(2, '0')}:00.000Z`;
const unitState = (id: number) => coordinator.app.store.studies.unit(id)!.state;
const publicResults = async () => parseResultsFile((await coordinator.call('GET', `/studies/${studyId}/results`)).json);
const publicStudy = async () => (await coordinator.call('GET', `/studies/${studyId}`)).json;

/** Every lease `who` can get now (at most the per-credential limit). */
async function leaseAll(who: Volunteer): Promise<Leased[]> {
  const leases: Leased[] = [];
  for (let i = 0; i < 4; i++) {
    const answer = await who.call('POST', `/studies/${studyId}/lease`, {});
    if (answer.status !== 200 || !answer.json.lease) break;
    leases.push(answer.json as Leased);
  }
  return leases;
}

describe('two credentials from one network', () => {
  it('never validate a unit, however they lease and upload', async () => {
    // Two credentials from one /24, the second leasing from another network to hide it.
    const [a, b] = await coordinator.volunteers('127.70.1.1', '127.70.1.2');
    const bElsewhere = new (b.constructor as typeof Volunteer)(coordinator.client('127.71.9.9'), b.credential, b.contributor);
    const fromA = await leaseAll(a);
    const fromB = [...(await leaseAll(b)), ...(await leaseAll(bElsewhere))];
    expect(fromA).toHaveLength(2);
    // A holds a lease on each unit, and its network takes no second replica of either: B gets nothing, from anywhere.
    expect(fromB).toHaveLength(0);
    for (const [i, l] of fromA.entries()) expect((await a.upload(l, await runResult(l.unit, [], minute(i), { predictions: honest }))).status).toBe(200);
    expect((await leaseAll(b)).length + (await leaseAll(bElsewhere)).length).toBe(0);
    for (const l of fromA) expect(unitState(l.unit.id)).toBe('open');
    expect((await publicResults()).runs).toHaveLength(0);
  });

  it('do not count twice even when the second uploads from another network', async () => {
    // The replica of a lease taken on network Q but uploaded from A's network P shares a host with A's.
    const [a, c] = await coordinator.volunteers('127.72.1.1', '127.73.1.1');
    const la = await a.leased(studyId);
    const lc = await leaseUnit(c, la.unit.id);
    const cOnP = new (c.constructor as typeof Volunteer)(coordinator.client('127.72.1.50'), c.credential, c.contributor);
    await a.upload(la, await runResult(la.unit, [], minute(1), { predictions: honest }));
    const second = await cOnP.upload(lc, await runResult(lc.unit, [], minute(2), { predictions: honest }));
    expect(second.json.unit.state).not.toBe('done');
    expect((await publicResults()).runs).toHaveLength(0);
  });
});

describe('a forger who uploads first', () => {
  // Seven images of one class moved (35 % of "bird", 12 % of all): far outside honest noise, though the
  // per-class counts move by 7 of 20, which the old count test (≈ 8 images at 20 per class) let through.
  const shifted = honest.map((p, i) => (i % 3 === 1 && i < 21 && p === 1 ? 2 : p));

  it('with a shifted result is not canonical, and is flagged invalid', async () => {
    const [forger, h1, h2] = await coordinator.volunteers('127.80.0.1', '127.81.0.1', '127.82.0.1');
    const lf = await forger.leased(studyId);
    const l1 = await leaseUnit(h1, lf.unit.id);
    await forger.upload(lf, await runResult(lf.unit, [], minute(1), { predictions: shifted }));
    const first = await h1.upload(l1, await runResult(l1.unit, [], minute(2), { predictions: honest }));
    expect(first.json).toMatchObject({ state: 'held', unit: { state: 'held' } });
    const l2 = await h2.leased(studyId);
    expect(l2.unit.id).toBe(lf.unit.id);
    const second = await h2.upload(l2, await runResult(l2.unit, [], minute(3), { predictions: honest }));
    expect(second.json).toMatchObject({ state: 'valid', unit: { state: 'done' } });

    const [run] = (await publicResults()).runs;
    expect(run!.predictions).toEqual(honest);
    const study = await publicStudy();
    const byName = Object.fromEntries(study.contributors.map((c: { contributor: string; results: object }) => [c.contributor, c.results]));
    expect(byName[forger.contributor]).toMatchObject({ invalid: 1, valid: 0 });
    expect(byName[h1.contributor]).toMatchObject({ valid: 1 });
    expect(coordinator.app.store.credentials.byContributor(forger.contributor)).toMatchObject({ invalidResults: 1, validStreak: 0 });
  });

  it('claiming another platform is compared with nothing, so never canonical, and the honest pair decides', async () => {
    const [forger, h1, h2] = await coordinator.volunteers('127.83.0.1', '127.84.0.1', '127.85.0.1');
    const lf = await forger.leased(studyId);
    const l1 = await leaseUnit(h1, lf.unit.id);
    await forger.upload(lf, await runResult(lf.unit, [], minute(1), { predictions: shifted, backend: 'cpu' }));
    expect((await h1.upload(l1, await runResult(l1.unit, [], minute(2), { predictions: honest }))).json.unit.state).toBe('held');
    const l2 = await h2.leased(studyId);
    await h2.upload(l2, await runResult(l2.unit, [], minute(3), { predictions: honest }));
    expect(unitState(lf.unit.id)).toBe('done');
    expect((await publicResults()).runs[0]!.predictions).toEqual(honest);
    expect(coordinator.app.store.results.ofUnit(lf.unit.id).map((r) => r.state)).toEqual(['pending', 'valid', 'valid']);
  });
});

describe('squatters', () => {
  it('holding every replica slot do not starve an honest volunteer, and cannot re-lease a unit they let expire', async () => {
    // Four throwaway credentials, each on its own network, take every lease they can: all four slots of the two units, and spares.
    const squatters = await coordinator.volunteers('127.90.0.1', '127.91.0.1', '127.92.0.1', '127.93.0.1');
    const held = await Promise.all(squatters.map(leaseAll));
    expect(held.flat().length).toBeGreaterThanOrEqual(4);
    const honestOne = await coordinator.volunteer('127.94.0.1');
    const offered = await honestOne.lease(studyId);
    expect(offered.lease, offered.reason).not.toBeNull();
    // The honest result counts: with another honest one the unit is decided while the squatters sit on theirs.
    const other = await coordinator.volunteer('127.95.0.1');
    const second = await leaseUnit(other, offered.unit.id);
    await honestOne.upload(offered as Leased, await runResult(offered.unit, [], minute(1), { predictions: honest }));
    await other.upload(second, await runResult(second.unit, [], minute(2), { predictions: honest }));
    expect(unitState(offered.unit.id)).toBe('done');

    // The squatters' leases run out; the open unit is not given back to any of them (each let it expire), only to someone new.
    coordinator.clock += 16 * 60 * 1000;
    for (const [i, squatter] of squatters.entries()) {
      const again = await squatter.lease(studyId);
      if (again.lease) expect(held[i]!.map((l) => l.unit.id)).not.toContain(again.unit.id);
    }
    expect((await (await coordinator.volunteer('127.97.0.1')).lease(studyId)).lease).not.toBeNull();
  });

  it('on one network are bounded by the leases allowed per network', async () => {
    await start({ activeLeasesPerPrefix: 3 });
    const studies = [studyId, await coordinator.publish(undefined, seedStudy('second', [1, 2])), await coordinator.publish(undefined, seedStudy('third', [3, 4]))];
    const crowd = await coordinator.volunteers('127.96.0.1', '127.96.0.2', '127.96.0.3');
    let granted = 0;
    const refusals: string[] = [];
    for (const v of crowd) {
      for (const id of studies) {
        const answer = await v.call('POST', `/studies/${id}/lease`, {});
        if (answer.status === 200 && answer.json.lease) granted++;
        else if (answer.status === 429) refusals.push(answer.json.error);
      }
    }
    expect(granted).toBe(3);
    expect(refusals.join('\n')).toMatch(/your network holds 3 active leases, the most allowed for one network/);
  });
});

describe('revocation', () => {
  it("withdraws a credential's results from the public results, reopens their units, and refuses it with the reason", async () => {
    const [cheat, h1, h2] = await coordinator.volunteers('127.100.0.1', '127.101.0.1', '127.102.0.1');
    const lc = await cheat.leased(studyId);
    const l1 = await leaseUnit(h1, lc.unit.id);
    await cheat.upload(lc, await runResult(lc.unit, [], minute(1), { predictions: honest }));
    await h1.upload(l1, await runResult(l1.unit, [], minute(2), { predictions: honest }));
    expect((await publicResults()).runs).toHaveLength(1);

    const revoked = await coordinator.call('POST', `/admin/volunteers/${cheat.contributor}/revoke`, { admin: true, body: { reason: 'trained nothing' } });
    expect(revoked.json).toMatchObject({ resultsWithdrawn: 1, unitsReopened: 1 });
    expect((await publicResults()).runs).toHaveLength(0);
    const study = await publicStudy();
    expect(study.contributors.find((c: { contributor: string }) => c.contributor === cheat.contributor)).toMatchObject({ revoked: true, results: { valid: 0, withdrawn: 1 } });
    // The honest replica left waits for another to agree with it.
    expect(study.units.find((u: { id: number }) => u.id === lc.unit.id)).toMatchObject({ state: 'open', validReplicas: [] });
    expect(study.contributors.find((c: { contributor: string }) => c.contributor === h1.contributor)).toMatchObject({ revoked: false, results: { pending: 1, valid: 0 } });
    const refused = await cheat.call('POST', `/studies/${studyId}/lease`, {});
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatch(/revoked by the organiser: trained nothing/);

    // The unit is open again, to another honest volunteer, and decided without the cheat.
    const l2 = await leaseUnit(h2, lc.unit.id);
    await h2.upload(l2, await runResult(l2.unit, [], minute(3), { predictions: honest }));
    expect((await publicResults()).runs).toHaveLength(1);
  });
});

describe('adaptive replication', () => {
  it("accepts a trusted credential's unit on its replica alone, spot-checks at the configured rate, and a credential caught disagreeing loses that trust", async () => {
    // Volunteers here lease and release many times to reach a given unit: a larger action budget than a browser needs.
    await start({ trustAfterValid: 1, spotCheckRate: 0.25, volunteerActionsPerWindow: 1000 });
    const big = await coordinator.publish(undefined, seedStudy('many', [1, 2, 3, 4, 5, 6]));
    const bigResults = async () => parseResultsFile((await coordinator.call('GET', `/studies/${big}/results`)).json);
    const [trusted, peer, judge] = await coordinator.volunteers('127.110.0.1', '127.111.0.1', '127.112.0.1');
    // One valid result by agreement earns trust (trustAfterValid 1).
    const l = await trusted.leased(studyId);
    const p = await leaseUnit(peer, l.unit.id);
    await trusted.upload(l, await runResult(l.unit, [], minute(1), { predictions: honest }));
    await peer.upload(p, await runResult(p.unit, [], minute(2), { predictions: honest }));
    expect(coordinator.app.store.credentials.byContributor(trusted.contributor)!.validStreak).toBe(1);

    // Not drawn for a spot check (0.5 ≥ 0.25): accepted alone.
    coordinator.draw = 0.5;
    const alone = await trusted.leased(big);
    expect((await trusted.upload(alone, await runResult(alone.unit, [], minute(3), { predictions: honest }))).json).toMatchObject({ state: 'valid', unit: { state: 'done' } });
    expect((await bigResults()).runs).toHaveLength(1);

    // Drawn for a spot check (0.1 < 0.25): replicated as usual; and its replica there disagrees with two others.
    coordinator.draw = 0.1;
    const checked = await trusted.leased(big);
    const shifted = honest.map((v, i) => (i < 12 ? (v + 1) % 3 : v));
    expect((await trusted.upload(checked, await runResult(checked.unit, [], minute(4), { predictions: shifted }))).json.unit.state).toBe('open');
    const byPeer = await leaseUnitIn(peer, big, checked.unit.id);
    expect((await peer.upload(byPeer, await runResult(byPeer.unit, [], minute(5), { predictions: honest }))).json.unit.state).toBe('held');
    // Held on a disagreement, the unit is the first any volunteer is offered.
    const byJudge = await judge.leased(big);
    expect(byJudge.unit.id).toBe(checked.unit.id);
    expect((await judge.upload(byJudge, await runResult(byJudge.unit, [], minute(6), { predictions: honest }))).json.unit.state).toBe('done');

    // Caught: its trust is gone, and the unit it had alone is open again, out of the public results.
    expect(coordinator.app.store.credentials.byContributor(trusted.contributor)).toMatchObject({ validStreak: 0, invalidResults: 1 });
    expect(unitState(alone.unit.id)).toBe('open');
    expect((await bigResults()).runs.map((r) => r.seed)).toEqual([byPeer.unit.seed]);
    coordinator.draw = 0.5;
    const untrusted = await trusted.leased(big);
    expect((await trusted.upload(untrusted, await runResult(untrusted.unit, [], minute(7), { predictions: honest }))).json.unit.state).not.toBe('done');
  });
});

/** A baseline-only study over `seeds`, on the fixture's dataset. */
function seedStudy(name: string, seeds: number[]) {
  return {
    schema: 'classwise.study/1',
    name,
    baseline: { model: { arch: 'resnet20', width: 0.25 }, dataset: { kind: 'synthetic', size: 8, classes: 3, trainPerClass: 16, testPerClass: 20 }, training: { epochs: 1, batchSize: 16, optimizer: { lr: 0.1 } } },
    seeds,
  };
}

/** Leases for `who` until it holds `unitId` (units are handed out at random), releasing the others. */
function leaseUnit(who: Volunteer, unitId: number): Promise<Leased> {
  return leaseUnitIn(who, studyId, unitId);
}

async function leaseUnitIn(who: Volunteer, study: string, unitId: number): Promise<Leased> {
  for (let i = 0; i < 50; i++) {
    const leased = await who.leased(study);
    if (leased.unit.id === unitId) return leased;
    await who.call('POST', `/leases/${leased.lease.id}/release`);
  }
  throw new Error(`never leased unit ${unitId}`);
}
