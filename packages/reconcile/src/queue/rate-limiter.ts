/**
 * Decides how long an item waits before it is retried (client-go's `TypedRateLimiter`). `when`
 * records one more failure of `key` and returns the delay in ms; `forget` clears its history
 * (call it once the item succeeded); `numRequeues` says how many failures are recorded.
 */
export interface RateLimiter<K = string> {
  when(key: K): number;
  forget(key: K): void;
  numRequeues(key: K): number;
}
