import type { Clock } from '@kubekit/client';

/** Options of an informer's retry backoff (client-go's reflector: 800 ms → 30 s, ×2, jitter 1.0). */
export interface BackoffOptions {
  /** First delay, in ms. Default 800. */
  readonly initialMs?: number;
  /** Longest delay before jitter, in ms. Default 30,000. */
  readonly maxMs?: number;
  /** Each delay is stretched by up to this fraction at random. Default 1.0. */
  readonly jitter?: number;
  /** After this long (ms) without failure the next delay starts again from `initialMs`. Default 120,000. */
  readonly resetAfterMs?: number;
}

/** Capped, jittered exponential backoff over an injected clock. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #jitter: number;
  readonly #resetAfterMs: number;
  #nextMs: number;
  #lastFailureAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.#initialMs = options.initialMs ?? 800;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#jitter = options.jitter ?? 1;
    this.#resetAfterMs = options.resetAfterMs ?? 120_000;
    this.#nextMs = this.#initialMs;
  }

  /** The delay before the next attempt after one more failure (and records it). */
  next(): number {
    const now = this.clock.now();
    if (now - this.#lastFailureAt > this.#resetAfterMs) this.#nextMs = this.#initialMs;
    this.#lastFailureAt = now;
    const base = this.#nextMs;
    this.#nextMs = Math.min(this.#maxMs, this.#nextMs * 2);
    return base * (1 + this.#jitter * this.random());
  }

  /** Forgets the failures (after a success). */
  reset(): void {
    this.#nextMs = this.#initialMs;
    this.#lastFailureAt = -Infinity;
  }
}
