/**
 * Contribute mode: lease a unit of a shared study from the coordinator, train
 * it in the engine worker (durably: a reload resumes it from its IndexedDB
 * checkpoint, and a unit trained before comes back from storage), upload its
 * result, and take the next, until the volunteer's budget (units or minutes)
 * is spent, the study is done, or they stop. The lease is kept alive by
 * heartbeats while the unit trains, paused or not.
 *
 * No DOM here: the loop talks to the engine through the typed worker API and
 * to the coordinator through CoordinatorClient, and keeps its credential and
 * lease in a VolunteerIdentity (localStorage in the browser), so a Node
 * runtime can drive it with its own engine and identity.
 */
import { proxy, type Remote } from 'comlink';
import type { EngineApi, RunEvent } from '../../workers/api';
import { CoordinatorClient, CoordinatorError, type Lease, type LeaseAnswer, type StudySummary } from './coordinator-client';
import { parseRunResult, type RunResult } from '../study/results';
import { messageOf } from '../util/errors';

/** Checkpoint as often as the workbench does: a reload costs at most this many steps. */
const CHECKPOINT_EVERY_STEPS = 50;
/** How long to wait before asking again when no unit needs this volunteer right now. */
const IDLE_RETRY_MS = 30_000;
const UPLOAD_ATTEMPTS = 5;

export type ContributePhase = 'idle' | 'leasing' | 'training' | 'pausing' | 'paused' | 'uploading' | 'waiting' | 'stopping' | 'stopped' | 'finished' | 'failed';

/** The phases in which a contribution is under way: it holds the GPU, and Start is not offered. */
export function isContributing(phase: ContributePhase): boolean {
  return ['leasing', 'training', 'pausing', 'paused', 'uploading', 'waiting', 'stopping'].includes(phase);
}

/** Every unit decided (valid or left inconclusive): nothing more to train. */
export function isComplete(study: StudySummary): boolean {
  const { byState, units } = study.progress;
  return units > 0 && (byState['done'] ?? 0) + (byState['inconclusive'] ?? 0) >= units;
}

/** The study named `wanted`, or without a name the first that still needs work (else the first listed); undefined when not listed. */
export function studyToContribute(studies: StudySummary[], wanted: string | null): StudySummary | undefined {
  if (wanted !== null) return studies.find((s) => s.id === wanted);
  return studies.find((s) => !isComplete(s)) ?? studies[0];
}

export interface ContributeBudget {
  /** Stop after this many units (null: no limit). */
  units: number | null;
  /** Take no new unit after this many minutes (null: no limit). */
  minutes: number | null;
}

export interface ContributedUnit {
  label: string;
  seed: number;
  top1: number;
  /** The coordinator's word on it: pending until replicas agree, then valid, held or invalid. */
  state: string;
  /** Trained before (this browser already held its result), so it was only uploaded. */
  fromStorage: boolean;
}

export interface ContributeState {
  phase: ContributePhase;
  studies: StudySummary[] | null;
  /** Why the study list could not be read. */
  listError: string | null;
  studyId: string | null;
  /** The unit on this GPU now. */
  current: {
    label: string;
    seed: number;
    stepsDone: number;
    totalSteps: number | null;
    loss: number | null;
    imagesPerSec: number | null;
    etaSec: number | null;
    resumedFrom: number | null;
  } | null;
  done: ContributedUnit[];
  /** What the loop is doing or why it stopped, in words. */
  message: string | null;
  error: string | null;
}

export const IDLE_CONTRIBUTE_STATE: ContributeState = {
  phase: 'idle',
  studies: null,
  listError: null,
  studyId: null,
  current: null,
  done: [],
  message: null,
  error: null,
};

/** What this browser keeps between visits: its volunteer credential, and the lease of the unit it was training. */
export interface VolunteerIdentity {
  /** The credential the coordinator issued to this volunteer (its proof that a lease is theirs), or null before the first. */
  credential(): string | null;
  keepCredential(credential: string | null): void;
  /** The lease in hand, so a reload or a crash goes back to the same unit (and its checkpoint) while the lease lives. */
  heldLease(): Lease | null;
  holdLease(lease: Lease | null): void;
}

const CREDENTIAL_KEY = 'classwise.volunteerCredential';
const LEASE_KEY = 'classwise.heldLease';

export const localVolunteer: VolunteerIdentity = {
  credential() {
    return globalThis.localStorage?.getItem(CREDENTIAL_KEY) ?? null;
  },
  keepCredential(credential) {
    if (credential) globalThis.localStorage?.setItem(CREDENTIAL_KEY, credential);
    else globalThis.localStorage?.removeItem(CREDENTIAL_KEY);
  },
  heldLease() {
    const text = globalThis.localStorage?.getItem(LEASE_KEY);
    if (!text) return null;
    try {
      return JSON.parse(text) as Lease;
    } catch {
      return null;
    }
  },
  holdLease(lease) {
    if (lease) globalThis.localStorage?.setItem(LEASE_KEY, JSON.stringify(lease));
    else globalThis.localStorage?.removeItem(LEASE_KEY);
  },
};

export class Contributor {
  private state: ContributeState = IDLE_CONTRIBUTE_STATE;
  private stopRequested = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly engine: () => Remote<EngineApi> | null,
    private readonly onChange: (state: ContributeState) => void,
    private readonly client = new CoordinatorClient(),
    private readonly volunteer: VolunteerIdentity = localVolunteer,
  ) {}

  get current(): ContributeState {
    return this.state;
  }

  get active(): boolean {
    return isContributing(this.state.phase);
  }

  async listStudies(): Promise<void> {
    try {
      this.set({ studies: await this.client.studies(), listError: null });
    } catch (error) {
      this.set({
        listError: error instanceof CoordinatorError && error.unreachable
          ? `No coordinator answered at this site (${messageOf(error)}). Contribute mode needs the page served by a coordinator (npm start), or npm run dev with npm run coordinator beside it.`
          : `The coordinator's studies could not be read: ${messageOf(error)}`,
      });
    }
  }

  /** Contributes to `studyId` until the budget is spent, the study is done, or stop() is called. */
  async start(studyId: string, budget: ContributeBudget, displayName?: string): Promise<void> {
    const engine = this.engine();
    if (this.active || !engine) return;
    this.stopRequested = false;
    this.set({ phase: 'leasing', studyId, current: null, done: [], message: 'Asking the coordinator for a unit…', error: null });
    const deadline = budget.minutes === null ? Infinity : Date.now() + budget.minutes * 60_000;
    try {
      while (!this.stopRequested) {
        if (budget.units !== null && this.state.done.length >= budget.units) return this.finish(`Done: the ${budget.units} unit${budget.units === 1 ? '' : 's'} you offered are uploaded.`);
        if (Date.now() >= deadline) return this.finish(`Done: your ${budget.minutes} minutes are up.`);
        this.set({ phase: 'leasing', message: 'Asking the coordinator for a unit…' });
        const held = await this.stillHeld(studyId);
        if (held) {
          await this.contribute(engine, held);
          continue;
        }
        const answer = await this.lease(studyId, displayName || undefined);
        if (answer.lease === null) {
          if (answer.studyComplete) {
            await this.listStudies();
            return this.finish('Done: every unit of this study has its results. Thank you!');
          }
          this.set({ phase: 'waiting', message: `No unit needs you right now (${answer.reason}). Asking again in ${IDLE_RETRY_MS / 1000} s.` });
          await this.sleep(IDLE_RETRY_MS);
          continue;
        }
        this.volunteer.holdLease(answer as Lease);
        await this.contribute(engine, answer as Lease);
      }
      this.set({ phase: 'stopped', current: null, message: 'Stopped. Every uploaded unit counts; a unit stopped half way resumes from its checkpoint next time.' });
    } catch (error) {
      // The coordinator's refusals say what happened in words (a revoked credential: the organiser's reason); its class name adds nothing.
      const message = error instanceof CoordinatorError ? error.message : messageOf(error);
      this.set({ phase: this.stopRequested ? 'stopped' : 'failed', current: null, error: this.stopRequested ? null : message });
    }
  }

  /** The worker holds at its next step boundary: 'paused' shows once it says it holds, not while a step still runs. */
  pause(): void {
    if (this.state.phase !== 'training') return;
    void this.engine()?.pause();
    this.set({ phase: 'pausing' });
  }

  resume(): void {
    if (this.state.phase !== 'pausing' && this.state.phase !== 'paused') return;
    void this.engine()?.resume();
    this.set({ phase: 'training' });
  }

  /** Stops after giving the unit in training back to the coordinator (its checkpoint stays here). */
  stop(): void {
    if (!this.active) return;
    this.stopRequested = true;
    this.wake?.();
    void this.engine()?.cancel();
    this.set({ phase: 'stopping', message: 'Stopping…' });
  }

  /**
   * Asks for a unit with this volunteer's credential, first getting one from
   * the coordinator. A credential it no longer knows (401: its database was
   * replaced, say) is dropped and a new one asked for, once; a revoked one
   * (403) stops the loop with the organiser's reason.
   */
  private async lease(studyId: string, displayName: string | undefined): Promise<LeaseAnswer> {
    for (let attempt = 0; ; attempt++) {
      let credential = this.volunteer.credential();
      if (!credential) {
        credential = (await this.client.register(displayName)).credential;
        this.volunteer.keepCredential(credential);
      }
      try {
        return await this.client.lease(studyId, credential, displayName);
      } catch (error) {
        if (!(error instanceof CoordinatorError && error.status === 401) || attempt > 0) throw error;
        this.volunteer.keepCredential(null);
      }
    }
  }

  /** The credential the loop leased with: every later request of this unit carries it. */
  private credential(): string {
    const credential = this.volunteer.credential();
    if (!credential) throw new Error('this browser has no volunteer credential: start again');
    return credential;
  }

  /** The lease this browser held for this study when it went away, if the coordinator still honours it. */
  private async stillHeld(studyId: string): Promise<Lease | null> {
    const held = this.volunteer.heldLease();
    const credential = this.volunteer.credential();
    if (!held || !credential || held.study.id !== studyId) return null;
    try {
      await this.client.heartbeat(held.lease.id, credential);
      return held;
    } catch {
      this.volunteer.holdLease(null);
      return null;
    }
  }

  /** One unit: train it (heartbeating the lease), check it answers the lease, upload it. */
  private async contribute(engine: Remote<EngineApi>, { lease, unit, dataset }: Lease): Promise<void> {
    const credential = this.credential();
    this.set({
      phase: 'training',
      message: `Training ${unit.label} on your GPU.`,
      current: { label: unit.label, seed: unit.seed, stepsDone: 0, totalSteps: null, loss: null, imagesPerSec: null, etaSec: null, resumedFrom: null },
    });
    let leaseLost: string | null = null;
    const heartbeat = setInterval(() => {
      this.client.heartbeat(lease.id, credential).catch((error: unknown) => {
        if (error instanceof CoordinatorError && error.status >= 400 && error.status < 500) leaseLost = messageOf(error);
      });
    }, lease.heartbeatSeconds * 1000);
    let result: RunResult;
    let fromStorage = false;
    try {
      const onEvent = proxy((event: RunEvent) => {
        if (event.kind === 'restored') fromStorage = true;
        this.onRunEvent(event);
      });
      result = await parseRunResult(await engine.run({ config: unit.config, seed: unit.seed, checkpointEverySteps: CHECKPOINT_EVERY_STEPS }, onEvent));
    } catch (error) {
      clearInterval(heartbeat);
      // Stopped (or failed): the unit goes back for someone else; its checkpoint stays here for next time.
      this.volunteer.holdLease(null);
      await this.client.release(lease.id, credential).catch(() => undefined);
      if (this.stopRequested) return;
      throw error;
    }
    clearInterval(heartbeat);
    if (result.dataset.contentHash !== dataset.contentHash) {
      this.volunteer.holdLease(null);
      await this.client.release(lease.id, credential).catch(() => undefined);
      throw new Error(
        `your copy of the dataset (${result.dataset.name}, ${result.dataset.contentHash.slice(0, 12)}) is not the study's ` +
          `(${dataset.contentHash.slice(0, 12)}): delete it in the Datasets panel so it is fetched again`,
      );
    }
    this.set({ phase: 'uploading', message: `Uploading ${unit.label}…` });
    let state: string;
    try {
      state = await this.upload(lease.id, credential, result, () => leaseLost);
    } finally {
      this.volunteer.holdLease(null);
    }
    this.set({
      current: null,
      done: [...this.state.done, { label: unit.label, seed: unit.seed, top1: result.top1, state, fromStorage }],
    });
    // The study list's "n/N units done" moves with every upload.
    await this.listStudies();
  }

  /** Retries what may pass later (network, 429, 5xx); a lease that has its result already counts as uploaded. */
  private async upload(leaseId: string, credential: string, result: RunResult, leaseLost: () => string | null): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.client.upload(leaseId, credential, result)).state;
      } catch (error) {
        if (error instanceof CoordinatorError && error.status === 409) return 'pending';
        const transient = error instanceof CoordinatorError && (error.status === 0 || error.status === 429 || error.status >= 500);
        if (!transient || attempt >= UPLOAD_ATTEMPTS) {
          const lost = leaseLost();
          throw new Error(`the result of this unit was not accepted: ${messageOf(error)}${lost ? ` (the lease was lost while training: ${lost})` : ''}`);
        }
        await this.sleep(1000 * 2 ** attempt);
      }
    }
  }

  private onRunEvent(event: RunEvent): void {
    const current = this.state.current;
    if (!current) return;
    switch (event.kind) {
      case 'start':
        return this.set({ current: { ...current, totalSteps: event.totalSteps } });
      case 'progress':
        return this.set({ current: { ...current, stepsDone: event.step + 1, loss: event.loss, imagesPerSec: event.imagesPerSec, etaSec: event.etaSec } });
      case 'resumed':
        return this.set({ current: { ...current, stepsDone: event.step, resumedFrom: event.step } });
      case 'restored':
        return this.set({ current: { ...current, stepsDone: event.step, totalSteps: event.step } });
      case 'paused':
        if (this.state.phase === 'pausing') this.set({ phase: 'paused' });
        return;
      default:
        return;
    }
  }

  private finish(message: string): void {
    this.set({ phase: 'finished', current: null, message });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private set(patch: Partial<ContributeState>): void {
    this.state = { ...this.state, ...patch };
    this.onChange(this.state);
  }
}
