import type { Runnable } from './runnable.js';

/**
 * A Runnable that holds a cache (an informer, a shared cache of objects). The Manager starts every
 * cache before any runnable of a later group and waits until each reports synced: later groups
 * (controllers, the campaign) then read from warm caches. Caches run on every replica.
 */
export interface CacheRunnable extends Runnable {
  /**
   * Resolves `true` once the cache has synced (at once if it has), `false` when `signal` aborted
   * first or the cache cannot sync (the Manager then fails to start, kind `startFailed`).
   */
  waitForCacheSync(signal: AbortSignal): Promise<boolean>;
}

/** True when `value` is a Runnable that declares itself a cache. */
export function isCacheRunnable(value: unknown): value is CacheRunnable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<CacheRunnable>).start === 'function' &&
    typeof (value as Partial<CacheRunnable>).waitForCacheSync === 'function'
  );
}
