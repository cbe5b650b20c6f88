/**
 * Fixed one-window counters per key, in memory: a credential's lease,
 * heartbeat, release and upload requests per window. Kept out of the
 * database so that a heartbeat writes nothing but its lease; a restart
 * starts every window afresh. Bounded: past `capacity` keys, windows that
 * have ended are dropped first, then the oldest.
 */
export class FixedWindows {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
    private readonly capacity = 200_000,
  ) {}

  /** Counts one action for `key` at `now`; false when it is over the window's maximum. */
  take(key: string, now: number): boolean {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      if (!w && this.windows.size >= this.capacity) this.evict(now);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count <= this.max;
  }

  private evict(now: number): void {
    for (const [key, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(key);
    if (this.windows.size >= this.capacity) this.windows.delete(this.windows.keys().next().value!);
  }
}
