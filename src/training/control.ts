/**
 * Pause, resume and cancel for a training loop that runs in a worker. The loop
 * calls `gate()` between steps; that also yields to the event loop, so the
 * worker can receive the very messages that pause or cancel it.
 */
export class RunCancelled extends Error {
  constructor() {
    super('the run was cancelled');
    this.name = 'RunCancelled';
  }
}

export class RunControl {
  private cancelled = false;
  private resumeGate: { promise: Promise<void>; open: () => void } | null = null;

  get isPaused(): boolean {
    return this.resumeGate !== null;
  }

  pause(): void {
    if (this.resumeGate || this.cancelled) return;
    let open = () => {};
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.resumeGate = { promise, open };
  }

  resume(): void {
    this.resumeGate?.open();
    this.resumeGate = null;
  }

  cancel(): void {
    this.cancelled = true;
    this.resume();
  }

  /** Returns when the loop may take its next step; throws RunCancelled if it must stop. */
  async gate(onPause?: () => void): Promise<void> {
    await yieldToEventLoop();
    if (this.resumeGate) {
      onPause?.();
      while (this.resumeGate) await this.resumeGate.promise;
    }
    if (this.cancelled) throw new RunCancelled();
  }
}

/** A macrotask turn without setTimeout's 4 ms clamp. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
