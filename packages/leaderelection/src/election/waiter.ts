import { maxTimerMs, startTimer, type Clock } from '../clock.js';
import type { SignalRelays } from './signal-relays.js';
import { Wakeup } from './wakeup.js';

/** Reads `signal.aborted` afresh (a call, so that flow analysis does not assume it unchanged). */
export function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/**
 * The elector's one way to wait: for a time on its clock, until woken (a new observation, a change
 * of the watch, a lost term: anyone calls {@link Waiter.notify}), or until a signal aborts.
 */
export class Waiter {
  private readonly wakeup = new Wakeup();

  constructor(
    private readonly clock: Clock,
    private readonly relays: SignalRelays,
  ) {}

  /** Wakes every pending `pause` that may be woken. */
  notify(): void {
    this.wakeup.notify();
  }

  /**
   * Waits `ms` on the clock, or until woken (unless `wake` is false), or until one of `signals`
   * aborts. Resolves `true` when the time ran out; never rejects. Leaves no timer or listener behind.
   */
  pause(ms: number, signals: readonly AbortSignal[], wake = true): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(true);
    for (const signal of signals) if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (timedOut: boolean): void => {
        if (done) return;
        done = true;
        for (const signal of signals) this.relays.of(signal).delete(cancel);
        if (wake) this.wakeup.delete(cancel);
        if (!timedOut) timer.cancel();
        resolve(timedOut);
      };
      const cancel = (): void => {
        finish(false);
      };
      const timer = startTimer(this.clock, Math.min(ms, maxTimerMs), () => {
        finish(true);
      });
      for (const signal of signals) this.relays.of(signal).add(cancel);
      if (wake) this.wakeup.add(cancel);
    });
  }
}
