/**
 * Capped, jittered exponential backoff: the n-th delay (from 0) is drawn from
 * `[d / 2, d]` where `d = min(maxMs, initialMs × 2^n)`, so no delay ever exceeds `maxMs`, and
 * replicas that failed together do not retry together.
 */
export class Backoff {
  private attempt = 0;

  /**
   * @param initialMs the first delay's upper bound (> 0)
   * @param maxMs the exact cap of every delay (≥ initialMs)
   * @param random uniform in [0, 1); `Math.random` by default
   */
  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The next delay in ms; each call doubles the bound until it reaches the cap. */
  next(): number {
    const bound = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 52));
    this.attempt += 1;
    return bound / 2 + (bound / 2) * Math.min(Math.max(this.random(), 0), 1);
  }

  /** Starts again from `initialMs` (after a success). */
  reset(): void {
    this.attempt = 0;
  }
}
