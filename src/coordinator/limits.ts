/**
 * Every bound the coordinator enforces, with its default; `buildServer({ limits })`
 * takes any of them (docs/coordinator.md, "Limits").
 */
export interface Limits {
  /** Largest results upload accepted, in bytes (a Fashion-MNIST run with predictions and history is a few hundred KB). */
  resultBytes: number;
  /** Largest study publication (its spec, dataset identity and test labels). */
  studyBytes: number;
  /** Largest body of any other request (lease requests, credentials). */
  otherBytes: number;
  /** A lease lasts this long after it is issued or last heartbeat. */
  leaseSeconds: number;
  /** However often it beats, no lease outlives this: a unit is not held forever by one browser. */
  maxLeaseSeconds: number;
  /** Units one credential may hold at once, so that nobody hoards a study. */
  activeLeasesPerVolunteer: number;
  /** Active leases one network prefix (/24, /48) may hold in all, whatever credentials it has. */
  activeLeasesPerPrefix: number;
  /** A credential that let a lease of a unit expire is not given that unit again for this long. */
  releaseCooldownSeconds: number;
  /** Credentials issued to one network prefix per hour. */
  credentialsPerPrefixPerHour: number;
  /** Lease, heartbeat and upload requests per credential per window. */
  volunteerActionsPerWindow: number;
  volunteerWindowSeconds: number;
  /** POST requests per client address per minute, whatever credentials it holds. */
  postsPerAddressPerMinute: number;
  /** GET requests per client address per minute. */
  readsPerAddressPerMinute: number;
  /** Units in one study (config × seed). */
  unitsPerStudy: number;
  /** Open server-sent event streams in all, and per client address. */
  eventStreams: number;
  eventStreamsPerAddress: number;
  /** A stream that has had nothing to say for this long is closed (the browser reconnects if it still listens). */
  eventStreamIdleSeconds: number;
  /** A stream whose client reads so slowly that this much is waiting to be sent is closed. */
  eventStreamBufferBytes: number;
  /** Progress (counts of units, leases, results) is recomputed at most this often; decisions are shown at once. */
  progressMaxAgeMs: number;
  /** Adaptive replication: valid results in a row after which a credential's units may be accepted on its replica alone. */
  trustAfterValid: number;
  /** The share of a trusted credential's units still replicated, as spot checks. */
  spotCheckRate: number;
}

export const DEFAULT_LIMITS: Limits = {
  resultBytes: 4 * 1024 * 1024,
  studyBytes: 4 * 1024 * 1024,
  otherBytes: 16 * 1024,
  leaseSeconds: 15 * 60,
  maxLeaseSeconds: 24 * 60 * 60,
  activeLeasesPerVolunteer: 2,
  activeLeasesPerPrefix: 64,
  releaseCooldownSeconds: 6 * 60 * 60,
  credentialsPerPrefixPerHour: 30,
  volunteerActionsPerWindow: 60,
  volunteerWindowSeconds: 60,
  postsPerAddressPerMinute: 600,
  readsPerAddressPerMinute: 600,
  unitsPerStudy: 10_000,
  eventStreams: 200,
  eventStreamsPerAddress: 4,
  eventStreamIdleSeconds: 10 * 60,
  eventStreamBufferBytes: 64 * 1024,
  progressMaxAgeMs: 1000,
  trustAfterValid: 10,
  spotCheckRate: 0.1,
};
