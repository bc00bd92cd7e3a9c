import type { MemoryLockStore } from '@kubekit/leaderelection/testing';

/**
 * Watches the lease of `store` through a lock of its own (`observer`) and calls `onHolder` with the
 * holder of every change (`''` once the lease is released). Abort the returned controller to stop.
 */
export function watchHolder(
  store: MemoryLockStore,
  onHolder: (holder: string | undefined) => void,
): AbortController {
  const watch = new AbortController();
  void store.lock('observer').watch(
    undefined,
    {
      onEstablished: () => undefined,
      onEvent: (event) => {
        if (event.type === 'changed') onHolder(event.snapshot.record?.holderIdentity);
      },
    },
    watch.signal,
  );
  return watch;
}
