/**
 * Live progress as server-sent events: `event: progress` with a study's
 * progress on connect and after changes, coalesced to at most one event per
 * study every `progressMaxAgeMs` (the last state is always sent). Streams
 * are capped in all and per client address; a client that reads too slowly
 * is skipped until its socket drains and closed once `eventStreamBufferBytes`
 * wait for it; a stream with nothing to say for `eventStreamIdleSeconds` is
 * closed (a browser's EventSource reconnects if it still listens).
 */
import type { ServerResponse } from 'node:http';
import { HttpError } from './errors';
import type { Limits } from './limits';

interface Stream {
  raw: ServerResponse;
  lastEventAt: number;
  /** The socket did not take the last write: wait for 'drain', then send the latest progress. */
  blocked: boolean;
}

/** A comment line now and then keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 25_000;

export class ProgressStreams {
  private readonly streams = new Set<Stream>();
  private readonly byStudy = new Map<string, Set<Stream>>();
  private readonly perAddress = new Map<string, number>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly lastPush = new Map<string, number>();
  private readonly keepAlive: ReturnType<typeof setInterval>;

  constructor(
    private readonly limits: Pick<Limits, 'eventStreams' | 'eventStreamsPerAddress' | 'eventStreamIdleSeconds' | 'eventStreamBufferBytes' | 'progressMaxAgeMs'>,
    /** The study's progress as JSON, as the read cache has it. */
    private readonly progressOf: (studyId: string) => string,
  ) {
    this.keepAlive = setInterval(() => this.tick(), Math.min(KEEP_ALIVE_MS, limits.eventStreamIdleSeconds * 1000));
    this.keepAlive.unref();
  }

  /** Refuses a stream over the caps (before the caller hijacks the reply). */
  admit(address: string): void {
    if (this.streams.size >= this.limits.eventStreams) throw new HttpError(503, 'too many open event streams: poll GET /studies/:id instead');
    if ((this.perAddress.get(address) ?? 0) >= this.limits.eventStreamsPerAddress) {
      throw new HttpError(429, `this address already has ${this.limits.eventStreamsPerAddress} open event streams, the most allowed`);
    }
  }

  open(raw: ServerResponse, address: string, studyId: string): void {
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const stream: Stream = { raw, lastEventAt: performance.now(), blocked: false };
    this.streams.add(stream);
    const ofStudy = this.byStudy.get(studyId) ?? new Set<Stream>();
    this.byStudy.set(studyId, ofStudy.add(stream));
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    raw.on('drain', () => {
      if (!stream.blocked) return;
      stream.blocked = false;
      this.send(stream, this.progressOf(studyId));
    });
    raw.on('close', () => {
      this.streams.delete(stream);
      ofStudy.delete(stream);
      if (ofStudy.size === 0) this.byStudy.delete(studyId);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
    this.send(stream, this.progressOf(studyId));
  }

  /** The study's progress changed: push it to its streams, at most once per progressMaxAgeMs. */
  changed(studyId: string): void {
    if (this.pending.has(studyId) || !this.byStudy.has(studyId)) return;
    const wait = Math.max(0, (this.lastPush.get(studyId) ?? -Infinity) + this.limits.progressMaxAgeMs - performance.now());
    const push = () => {
      this.pending.delete(studyId);
      this.lastPush.set(studyId, performance.now());
      const json = this.progressOf(studyId);
      for (const stream of this.byStudy.get(studyId) ?? []) this.send(stream, json);
    };
    if (wait === 0) return push();
    const timer = setTimeout(push, wait);
    timer.unref();
    this.pending.set(studyId, timer);
  }

  closeAll(): void {
    clearInterval(this.keepAlive);
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    for (const stream of this.streams) stream.raw.end();
  }

  private send(stream: Stream, json: string): void {
    if (stream.blocked) return;
    if (stream.raw.writableLength > this.limits.eventStreamBufferBytes) return void stream.raw.destroy();
    stream.lastEventAt = performance.now();
    if (!stream.raw.write(`event: progress\ndata: ${json}\n\n`)) stream.blocked = true;
  }

  private tick(): void {
    const now = performance.now();
    for (const stream of this.streams) {
      if (now - stream.lastEventAt > this.limits.eventStreamIdleSeconds * 1000) stream.raw.end();
      else if (stream.raw.writableLength > this.limits.eventStreamBufferBytes) stream.raw.destroy();
      else if (!stream.blocked) stream.raw.write(': keep-alive\n\n');
    }
  }
}
