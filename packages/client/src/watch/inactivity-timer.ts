import type { Clock } from '../clock.js';

/**
 * Calls `onExpire` once after `ms` of the injected clock's time without a `touch()`, unless
 * paused (time while paused does not count) or cancelled. One `clock.sleep` at a time, re-armed
 * for the time left when it wakes, so a busy stream costs no timer per chunk.
 */
export class InactivityTimer {
  readonly #clock: Clock;
  readonly #ms: number;
  readonly #onExpire: () => void;
  readonly #stop = new AbortController();
  #last: number;
  #paused = false;

  constructor(clock: Clock, ms: number, onExpire: () => void) {
    this.#clock = clock;
    this.#ms = ms;
    this.#onExpire = onExpire;
    this.#last = clock.now();
    void this.#run();
  }

  /** Data came: the silence starts again from now. */
  touch(): void {
    this.#last = this.#clock.now();
  }

  /** Stops counting (e.g. while the consumer holds an event) until `resume()`. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.touch();
  }

  /** Never expires after this. Idempotent. */
  cancel(): void {
    this.#stop.abort();
  }

  async #run(): Promise<void> {
    let wait = this.#ms;
    for (;;) {
      try {
        await this.#clock.sleep(wait, this.#stop.signal);
      } catch {
        return; // cancelled
      }
      if (this.#stop.signal.aborted) return;
      const idle = this.#clock.now() - this.#last;
      if (!this.#paused && idle >= this.#ms) {
        this.#onExpire();
        return;
      }
      wait = this.#paused ? this.#ms : this.#ms - idle;
    }
  }
}
