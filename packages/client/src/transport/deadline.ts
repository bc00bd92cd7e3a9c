/** The timer functions as they were when this module loaded: a deadline runs in real time. */
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realNow = performance.now.bind(performance);

/** The longest delay `setTimeout` takes. */
const maxTimerMs = 2_147_483_647;

/**
 * One request's end: the caller's signal and a deadline in real time (as `AbortSignal.timeout`),
 * without an `AbortSignal` per request. A request on the fast path (no rate-limit wait, cached
 * credentials) needs only {@link isAborted}, {@link reason} and {@link onAbort}; {@link signal}
 * builds a signal for a wait that needs one. {@link end} must be called once the request is
 * done: it cancels the timer.
 */
export class Deadline {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private expiredReason: DOMException | undefined;
  private controller: AbortController | undefined;
  private combined: AbortSignal | undefined;
  private listener: ((reason: unknown) => void) | undefined;
  private relayed = false;
  /** When the deadline passes (`performance.now()` as it was at load), whether or not its timer has run. */
  private readonly endsAt: number;

  /** `timeoutMs` 0 (or less) for no deadline. */
  constructor(
    readonly caller: AbortSignal | undefined,
    timeoutMs: number,
  ) {
    this.endsAt = timeoutMs > 0 ? realNow() + timeoutMs : Infinity;
    if (timeoutMs > 0) {
      this.timer = realSetTimeout(
        () => {
          this.expire();
        },
        Math.min(maxTimerMs, timeoutMs),
      );
    }
  }

  /** True once the caller's signal aborted or the deadline passed (a method: read afresh each time). */
  isAborted(): boolean {
    // Its timer may run late (a stalled event loop runs due timers in order, and a wait that ended
    // before the deadline may resume after it): the time itself decides.
    if (this.expiredReason === undefined && this.timer !== undefined && realNow() >= this.endsAt)
      this.expire();
    return this.expiredReason !== undefined || this.caller?.aborted === true;
  }

  /** Why it ended: the caller's reason, or a `TimeoutError` DOMException. */
  get reason(): unknown {
    return this.caller?.aborted === true ? (this.caller.reason as unknown) : this.expiredReason;
  }

  /**
   * A signal that aborts when this ends (for waits that take one): the caller's own when there is
   * no deadline; else built on first use.
   */
  signal(): AbortSignal | undefined {
    if (this.timer === undefined && this.expiredReason === undefined) return this.caller;
    if (this.combined === undefined) {
      const controller = new AbortController();
      if (this.expiredReason !== undefined) controller.abort(this.expiredReason);
      this.controller = controller;
      this.combined =
        this.caller === undefined ? controller.signal : AbortSignal.any([this.caller, controller.signal]);
    }
    return this.combined;
  }

  /**
   * Calls `listener` (once) when this ends from now on, until `listener` is replaced or
   * `undefined` is passed. Only one listener at a time: the attempt in flight.
   */
  onAbort(listener: ((reason: unknown) => void) | undefined): void {
    this.listener = listener;
    if (listener !== undefined && !this.relayed && this.caller !== undefined) {
      this.relayed = true;
      this.caller.addEventListener('abort', this.onCallerAbort, { once: true });
    }
  }

  /** Cancels the timer and stops listening to the caller's signal. Idempotent. */
  end(): void {
    if (this.timer !== undefined) {
      realClearTimeout(this.timer);
      this.timer = undefined;
    }
    this.listener = undefined;
    if (this.relayed) {
      this.relayed = false;
      this.caller?.removeEventListener('abort', this.onCallerAbort);
    }
  }

  private readonly onCallerAbort = (): void => {
    this.relayed = false;
    this.notify();
  };

  private expire(): void {
    if (this.timer !== undefined) realClearTimeout(this.timer);
    this.timer = undefined;
    this.expiredReason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    this.controller?.abort(this.expiredReason);
    this.notify();
  }

  private notify(): void {
    const listener = this.listener;
    this.listener = undefined;
    listener?.(this.reason);
  }
}
