/**
 * The live progress streams' guards, on a stand-in for a socket whose
 * buffer the test controls: caps per address and in all, a slow reader
 * skipped until it drains and dropped once too much waits for it, an idle
 * stream ended, pushes coalesced to one per interval.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressStreams } from '../../src/coordinator/events';

class FakeSocket extends EventEmitter {
  written: string[] = [];
  writableLength = 0;
  accepts = true;
  ended = false;
  destroyed = false;
  writeHead() {
    return this;
  }
  write(chunk: string) {
    this.written.push(chunk);
    return this.accepts;
  }
  end() {
    this.ended = true;
    this.emit('close');
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
}

const LIMITS = { eventStreams: 3, eventStreamsPerAddress: 2, eventStreamIdleSeconds: 60, eventStreamBufferBytes: 1000, progressMaxAgeMs: 1000 };
let progress = 0;
const events = (s: FakeSocket) => s.written.filter((w) => w.startsWith('event: progress')).length;

afterEach(() => vi.useRealTimers());

describe('progress streams', () => {
  it('cap streams per address and in all', () => {
    const streams = new ProgressStreams(LIMITS, () => '{}');
    for (const address of ['a', 'a']) {
      streams.admit(address);
      streams.open(new FakeSocket() as unknown as ServerResponse, address, 's');
    }
    expect(() => streams.admit('a')).toThrow(/this address already has 2 open event streams/);
    streams.open(new FakeSocket() as unknown as ServerResponse, 'b', 's');
    expect(() => streams.admit('c')).toThrow(/too many open event streams/);
    streams.closeAll();
  });

  it('skip a reader that does not keep up until it drains, and drop it once too much waits', () => {
    vi.useFakeTimers();
    const streams = new ProgressStreams({ ...LIMITS, progressMaxAgeMs: 0 }, () => JSON.stringify({ progress: ++progress }));
    const slow = new FakeSocket();
    streams.open(slow as unknown as ServerResponse, 'a', 's');
    slow.accepts = false;
    streams.changed('s');
    const sent = events(slow);
    streams.changed('s');
    streams.changed('s');
    expect(events(slow)).toBe(sent);
    slow.accepts = true;
    slow.emit('drain');
    expect(events(slow)).toBe(sent + 1);
    expect(slow.written.at(-1)).toContain(`"progress":${progress}`);
    slow.writableLength = 5000;
    streams.changed('s');
    expect(slow.destroyed).toBe(true);
    streams.closeAll();
  });

  it('push at most once per interval, always the latest, and end an idle stream', () => {
    vi.useFakeTimers();
    const streams = new ProgressStreams({ ...LIMITS, eventStreamIdleSeconds: 30 }, () => JSON.stringify({ progress: ++progress }));
    const s = new FakeSocket();
    streams.open(s as unknown as ServerResponse, 'a', 's');
    streams.changed('s');
    streams.changed('s');
    streams.changed('s');
    expect(events(s)).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(events(s)).toBe(3);
    vi.advanceTimersByTime(29_000);
    expect(s.ended).toBe(false);
    vi.advanceTimersByTime(31_000);
    expect(s.ended).toBe(true);
    streams.closeAll();
  });
});
