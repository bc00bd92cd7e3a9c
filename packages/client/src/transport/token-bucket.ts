import type { Clock } from '../clock.js';

/** Client-side rate limit: QPS and burst, as client-go's `flowcontrol.NewTokenBucketRateLimiter`. */
export interface RateLimit {
  /** Sustained requests per second (> 0). */
  readonly qps: number;
  /** Requests allowed at once after a quiet period (≥ 1). */
  readonly burst: number;
}

/** controller-runtime's defaults: 20 requests per second, bursts of 30. */
export const defaultRateLimit: RateLimit = { qps: 20, burst: 30 };

/**
 * A token bucket: holds up to `burst` tokens, refilled at `qps` per second; each request takes
 * one, waiting (in order of arrival) until one is there. Time comes from the injected clock.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Milliseconds per token. */
  private readonly intervalMs: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: Clock,
  ) {
    this.tokens = limit.burst;
    this.last = clock.now();
    this.intervalMs = 1000 / limit.qps;
  }

  /**
   * Takes one token: resolves at once when one is there, else once it is due. Rejects (and gives
   * the token back) when `signal` aborts meanwhile.
   */
  async take(signal?: AbortSignal): Promise<void> {
    const waitMs = this.reserve();
    if (waitMs <= 0) return;
    try {
      await this.clock.sleep(waitMs, signal);
    } catch (error: unknown) {
      this.tokens += 1;
      throw error;
    }
  }

  /** Takes one token if one is there now (no wait, no promise); false (nothing taken) if not. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Reserves a token (the count may go negative: a queue of waiters); returns the wait in ms. */
  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) * this.limit.qps) / 1000);
    this.last = now;
  }

  private reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : -this.tokens * this.intervalMs;
  }
}
