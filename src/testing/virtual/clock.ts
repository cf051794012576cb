/**
 * Time as the virtual device sees it. The device needs timers for the firmware's time-based
 * behaviour (auto-lock, the "busy" screen, the growing delay after a wrong PIN); tests and the
 * transcript replay swap the real clock for a {@link ManualClock} so that "the host idled for
 * 10 s" costs nothing and is exact.
 */

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The wall clock of the JavaScript runtime. */
export const realClock: Clock = {
  now: () => (typeof performance !== 'undefined' ? performance.now() : Date.now()),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Timer {
  id: number;
  at: number;
  callback: () => void;
}

/**
 * A clock that only moves when told to.
 * @example
 * const clock = new ManualClock();
 * const device = new VirtualTrezor({ clock });
 * clock.advance(10_500); // fires the auto-lock timer if it was due
 */
export class ManualClock implements Clock {
  private time = 0;
  private nextId = 1;
  private timers: Timer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Time of the earliest pending timer, or undefined. */
  nextTimer(): number | undefined {
    let best: number | undefined;
    for (const t of this.timers) if (best === undefined || t.at < best) best = t.at;
    return best;
  }

  /** Move time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.time + Math.max(0, ms);
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.callback();
    }
    this.time = target;
  }

  /** Jump to the earliest pending timer and fire it. Returns false when none is pending. */
  advanceToNextTimer(): boolean {
    const at = this.nextTimer();
    if (at === undefined) return false;
    this.advance(at - this.time);
    return true;
  }
}

/**
 * Resolve after the current macrotask, i.e. once every pending promise callback has run — the
 * cheapest way to let in-memory links deliver. setImmediate (Node) or a MessageChannel
 * (browsers) instead of setTimeout, whose 1 ms floor would make replays of long flows slow.
 */
export function nextMacrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (callback: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return new Promise((resolve) => g.setImmediate!(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(undefined);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
