import type {
  LeaderElectionRecord,
  Lock,
  LockSnapshot,
  LockWatchEvent,
  LockWatchHandlers,
} from '@kubekit/leaderelection';

/** The released record the wrapped lock shows in place of a missing object. */
function released(): LeaderElectionRecord {
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: undefined,
    renewTime: undefined,
    leaseTransitions: 0,
  };
}

const deletedPrefix = 'deleted:';

/**
 * `lock` as an elector that treats a deleted lock as free would see it (the behaviour before the
 * review's "lock deleted while held" fix): a missing object and a DELETED event look like an
 * explicit release, and writing over that "release" creates the object. Only for proving that the
 * simulation catches that bug; never a way to run an elector.
 */
export function deletionAsRelease(lock: Lock): Lock {
  const asRelease = (resourceVersion: string): LockSnapshot => ({
    resourceVersion: `${deletedPrefix}${resourceVersion}`,
    record: released(),
  });
  let deletions = 0;
  return {
    identity: lock.identity,
    name: lock.name,
    description: lock.description,
    async get(signal) {
      const snapshot = await lock.get(signal);
      return snapshot ?? asRelease(`get-${deletions++}`);
    },
    create: (record, signal) => lock.create(record, signal),
    update(record, resourceVersion, signal) {
      return resourceVersion.startsWith(deletedPrefix)
        ? lock.create(record, signal)
        : lock.update(record, resourceVersion, signal);
    },
    watch(resourceVersion, handlers: LockWatchHandlers, signal) {
      const from = resourceVersion?.startsWith(deletedPrefix) === true ? undefined : resourceVersion;
      return lock.watch(
        from,
        {
          onEstablished: () => {
            handlers.onEstablished();
          },
          onEvent: (event: LockWatchEvent) => {
            handlers.onEvent(
              event.type === 'deleted'
                ? { type: 'changed', snapshot: asRelease(event.resourceVersion) }
                : event,
            );
          },
        },
        signal,
      );
    },
  };
}
