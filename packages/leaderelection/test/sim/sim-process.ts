import type { Clock, ClockTimer } from '@kubekit/leaderelection';
import type { Scheduled, VirtualScheduler } from './virtual-scheduler.js';

/** Past a timer's target, so that `now()` at firing is never a rounding error short of it. */
const epsilon = 1e-6;

/**
 * One simulated process: its own drifting monotonic clock (`rate` local ms per true ms, from an
 * arbitrary `offset`), and pauses (a stopped-the-world GC, a SIGSTOP) during which nothing of it
 * runs: timers and deliveries due meanwhile run when the pause ends, in their order.
 */
export class SimProcess implements Clock {
  private pausedUntil = -Infinity;

  constructor(
    readonly scheduler: VirtualScheduler,
    readonly rate: number,
    readonly offset: number,
  ) {}

  /** This process's wall clock: its own, like a real machine's (an arbitrary day plus its clock). */
  date(): Date {
    return new Date(Date.UTC(2026, 0, 1) + this.now());
  }

  now(): number {
    return this.offset + this.rate * this.scheduler.now;
  }

  /** True time at which this clock reads `local`. */
  trueTimeOf(local: number): number {
    return (local - this.offset) / this.rate;
  }

  pause(untilTrueTime: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, untilTrueTime);
  }

  /** Runs `run` at true time `time`, or when a pause in force then ends. */
  at(time: number, run: () => void): Scheduled {
    let current: Scheduled;
    const fire = (): void => {
      if (this.scheduler.now < this.pausedUntil) {
        current = this.scheduler.at(this.pausedUntil, fire);
        return;
      }
      run();
    };
    current = this.scheduler.at(time, fire);
    return {
      cancel: () => {
        current.cancel();
      },
    };
  }

  setTimer(ms: number, callback: () => void): ClockTimer {
    return this.at(this.scheduler.now + Math.max(0, ms) / this.rate + epsilon, callback);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        timer.cancel();
        reject(signal?.reason as Error);
      };
      const timer = this.at(this.scheduler.now + Math.max(0, ms) / this.rate + epsilon, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
