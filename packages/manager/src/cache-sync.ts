import type { Clock } from '@kubekit/leaderelection';
import { callAsync, isAborted, messageOf, whenAborted } from './async-helpers.js';
import { isCacheRunnable, type CacheRunnable } from './cache-runnable.js';
import { ManagerError } from './manager-error.js';
import type { RunnableEntry } from './runnable-group.js';

/** What {@link syncCaches} needs from its manager. */
export interface CacheSyncOptions {
  /** The manager's shutdown: once it aborts, waiting stops at once. */
  readonly shutdown: AbortSignal;
  readonly clock: Clock;
  /** How long each cache may take (cacheSyncTimeout); `Infinity`: for ever. */
  readonly timeoutMs: number;
}

/**
 * Waits until every cache of `caches` (the live list: caches added meanwhile too) reports synced,
 * one after the other. Resolves with the error that must stop the manager (`startFailed` naming
 * the cache), or `undefined` when all synced or shutdown began (the later groups do not start
 * then, and the caches' own runs are awaited by the shutdown).
 */
export async function syncCaches(
  caches: readonly RunnableEntry[],
  options: CacheSyncOptions,
): Promise<ManagerError | undefined> {
  // Not a copy: an array iterator also reaches entries pushed while it runs.
  for (const entry of caches) {
    if (options.shutdown.aborted) return undefined;
    const cache = entry.runnable;
    if (!isCacheRunnable(cache)) continue;
    let synced: boolean | 'shutdown' | 'timeout';
    try {
      synced = await waitForSync(cache, options);
    } catch (error: unknown) {
      return new ManagerError('startFailed', `cache ${entry.name} failed to sync: ${messageOf(error)}`, {
        cause: error,
        runnables: [entry.name],
      });
    }
    if (synced === 'shutdown') return undefined;
    if (synced === 'timeout') {
      return new ManagerError(
        'startFailed',
        `cache ${entry.name} did not sync within cacheSyncTimeout (${options.timeoutMs} ms); the manager does not start the later groups: check its access to the API server, or raise cacheSyncTimeout`,
        { runnables: [entry.name] },
      );
    }
    if (!synced && !isAborted(options.shutdown)) {
      return new ManagerError(
        'startFailed',
        `cache ${entry.name} could not sync; the manager does not start the later groups`,
        { runnables: [entry.name] },
      );
    }
  }
  return undefined;
}

/** `cache.waitForCacheSync`, given up on when shutdown begins or after the timeout. */
async function waitForSync(
  cache: CacheRunnable,
  { shutdown, clock, timeoutMs }: CacheSyncOptions,
): Promise<boolean | 'shutdown' | 'timeout'> {
  const done = new AbortController();
  const never = new Promise<never>(() => undefined);
  try {
    return await Promise.race([
      callAsync(() => cache.waitForCacheSync(shutdown)).then((synced) => (synced as unknown) === true),
      whenAborted(shutdown, done.signal).then(() => 'shutdown' as const),
      timeoutMs === Infinity
        ? never
        : clock.sleep(timeoutMs, done.signal).then(
            () => 'timeout' as const,
            () => never,
          ),
    ]);
  } finally {
    done.abort();
  }
}
