import {
  isExpired,
  type KindRef,
  type KubeObject,
  type ObjectClient,
  type WatchEventType,
} from '@kubekit/client';

/**
 * Lists `kind`, then watches it from the list's resourceVersion, calling `onEvent` for every
 * object (the listed ones as ADDED); restarts the watch where it ended, lists again after a 410,
 * backs off (100 ms doubling to 5 s) after a failure. Resolves once `signal` aborts.
 * Part of the stand-in controller (see `ReconcileLoop`); `@kubekit/reconcile`'s informers replace it.
 */
export async function listWatch(
  client: ObjectClient,
  kind: KindRef,
  signal: AbortSignal,
  onEvent: (type: WatchEventType, object: KubeObject) => void,
  onError: (error: unknown) => void,
): Promise<void> {
  let resourceVersion: string | undefined;
  let failures = 0;
  const stopped = (): boolean => signal.aborted; // read afresh (the loop condition narrows the property)
  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) {
        const list = await client.list(kind, { signal });
        for (const item of list.items) onEvent('ADDED', item);
        resourceVersion = list.metadata.resourceVersion;
      }
      const events = client.watch(kind, {
        signal,
        allowWatchBookmarks: true,
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
      });
      for await (const event of events) {
        resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
        failures = 0;
        if (event.type !== 'BOOKMARK') onEvent(event.type, event.object);
      }
    } catch (error) {
      if (stopped()) return;
      if (isExpired(error)) resourceVersion = undefined;
      else onError(error);
      failures += 1;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(100 * 2 ** (failures - 1), 5_000));
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }
}
