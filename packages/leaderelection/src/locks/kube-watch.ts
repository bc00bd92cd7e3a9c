import type { Watch } from '@kubernetes/client-node';
import { LeaderElectionError } from '../leader-election-error.js';
import { lockRequestError } from './kube-request.js';
import type { LockRequest } from './kube-request.js';
import type { LockSnapshot, LockWatchHandlers } from './lock.js';

/** What `watchLockObject` needs to know about the kind of lock object. */
export interface WatchTarget {
  /** client-node's `Watch`, or anything with its `watch` contract (e.g. `KubeHttpClient`). */
  readonly watcher: Pick<Watch, 'watch'>;
  /** The collection path, e.g. `/apis/coordination.k8s.io/v1/namespaces/ns/leases`. */
  readonly path: string;
  readonly name: string;
  readonly request: LockRequest;
  toSnapshot(object: unknown): LockSnapshot;
}

function resourceVersionOf(object: unknown): string {
  const metadata = (object as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata;
  return typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : '';
}

function isTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'TimeoutError';
}

/**
 * Watches one object (field selector on its name) with `target.watcher`, as `Lock.watch`
 * specifies. The watcher (client-node 2.0.1's `Watch`, `KubeHttpClient`) ends a watch after 30 s
 * without data with a `TimeoutError`: once established, that
 * counts as a quiet end (resolve), so the caller resumes from its last resourceVersion.
 */
export function watchLockObject(
  target: WatchTarget,
  resourceVersion: string | undefined,
  handlers: LockWatchHandlers,
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    let settled = false;
    let established = false;
    let controller: AbortController | undefined;
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      controller?.abort();
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new Error('watch failed', { cause: error }));
    };
    const onAbort = (): void => {
      settle();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const query: Record<string, string | boolean | undefined> = {
      fieldSelector: `metadata.name=${target.name}`,
      allowWatchBookmarks: true,
      resourceVersion,
    };
    const onEvent = (type: string, object: unknown): void => {
      if (settled) return;
      try {
        switch (type) {
          case 'ADDED':
          case 'MODIFIED':
            handlers.onEvent({ type: 'changed', snapshot: target.toSnapshot(object) });
            break;
          case 'DELETED':
            handlers.onEvent({ type: 'deleted', resourceVersion: resourceVersionOf(object) });
            break;
          case 'BOOKMARK':
            handlers.onEvent({ type: 'bookmark', resourceVersion: resourceVersionOf(object) });
            break;
          case 'ERROR': {
            const status = object as { code?: unknown; message?: unknown } | undefined;
            const code = typeof status?.code === 'number' ? status.code : 500;
            const message = typeof status?.message === 'string' ? status.message : 'watch error';
            settle(
              code === 410
                ? new LeaderElectionError(
                    'watchExpired',
                    `${target.request.lock}: watch expired (410: ${message})`,
                    {
                      statusCode: 410,
                    },
                  )
                : lockRequestError({ statusCode: code, message }, target.request, signal),
            );
            break;
          }
          default:
            break;
        }
      } catch (error: unknown) {
        settle(error);
      }
    };
    const onDone = (error: unknown): void => {
      if (error === null || error === undefined || (established && isTimeout(error))) settle();
      else settle(lockRequestError(error, target.request, signal));
    };
    target.watcher.watch(target.path, query, onEvent, onDone).then(
      (watchController) => {
        controller = watchController;
        if (settled) {
          watchController.abort();
          return;
        }
        established = true;
        handlers.onEstablished();
      },
      (error: unknown) => {
        settle(lockRequestError(error, target.request, signal));
      },
    );
  });
}
