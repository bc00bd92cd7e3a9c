import type { Clock } from '@kubekit/client';

interface Sleeper {
  readonly until: number;
  readonly resolve: () => void;
}

/**
 * Virtual time. `now()` starts at 0 and moves only through `advance(ms)`, which wakes the sleepers
 * whose time has come; with `auto`, every `sleep` advances time by itself at once (for code that
 * only needs to be told how long it waits). `sleeps` records every requested wait.
 */
export class VirtualClock implements Clock {
  readonly sleeps: number[] = [];
  private time = 0;
  private sleepers: Sleeper[] = [];

  constructor(private readonly auto = false) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted === true) return Promise.reject(new Error('aborted', { cause: signal.reason }));
    if (this.auto) {
      this.time += ms;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        until: this.time + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(new Error('aborted', { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Moves time forward and wakes the sleepers due by then. */
  advance(ms: number): void {
    this.time += ms;
    const due = this.sleepers.filter((s) => s.until <= this.time);
    this.sleepers = this.sleepers.filter((s) => s.until > this.time);
    for (const sleeper of due) sleeper.resolve();
  }

  /** How many sleepers wait. */
  get waiting(): number {
    return this.sleepers.length;
  }
}
