import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { ConfigMapLock, LeaderElectionError, LeaseLock } from '@kubekit/leaderelection';
import type { LeaderElectionRecord, Lock, LockWatchEvent } from '@kubekit/leaderelection';
import { sharedClient } from '#lib/kube/shared-client.js';

// LeaseLock and ConfigMapLock over @kubekit/client against the embedded API server: the Lock
// contract (lock.ts) end to end, without an elector on top.

const never = new AbortController().signal;
const microTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function record(holder: string, epoch = 0): LeaderElectionRecord {
  const now = new Date();
  return {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: epoch,
  };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('LeaseLock and ConfigMapLock over @kubekit/client (integration)', function () {
  this.timeout(20_000);
  const env = useEnvtest({ users: ['a'] });

  function lease(): LeaseLock {
    return new LeaseLock({
      kubeConfig: env.kubeConfigFor('a'),
      name: 'lock',
      namespace: env.namespace,
      identity: 'a',
      events: false,
    });
  }

  function leasePath(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases/lock`;
  }

  describe('LeaseLock', () => {
    it('reads nothing, creates, then updates by compare-and-swap with MicroTimes of 6 fractional digits', async () => {
      const lock = lease();
      expect(await lock.get(never)).to.equal(undefined);
      const created = await lock.create(record('a'), never);
      const updated = await lock.update(record('a', 1), created.resourceVersion, never);
      expect(updated.record?.leaseTransitions).to.equal(1);
      const stale = await failure(lock.update(record('a', 2), created.resourceVersion, never));
      expect(LeaderElectionError.is(stale, 'lockConflict')).to.be.true;
      const raw = (await sharedClient(env.kubeConfig).transport.json({
        method: 'GET',
        path: leasePath(),
      })) as {
        spec: { acquireTime: string; renewTime: string };
      };
      expect(raw.spec.acquireTime).to.match(microTime);
      expect(raw.spec.renewTime).to.match(microTime);
    });

    it('keeps the fields it does not own (labels, strategy, preferredHolder) on update', async () => {
      const admin = sharedClient(env.kubeConfig).transport;
      await admin.json({
        method: 'POST',
        path: `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases`,
        body: JSON.stringify({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: 'lock', labels: { team: 'x' } },
          spec: { strategy: 'OldestEmulationVersion', preferredHolder: 'b' },
        }),
      });
      const lock = lease();
      const current = await lock.get(never);
      await lock.update(record('a'), current?.resourceVersion ?? '', never);
      const raw = (await admin.json({ method: 'GET', path: leasePath() })) as {
        metadata: { labels?: Record<string, string> };
        spec: Record<string, unknown>;
      };
      expect(raw.metadata.labels).to.deep.equal({ team: 'x' });
      expect(raw.spec).to.include({
        holderIdentity: 'a',
        strategy: 'OldestEmulationVersion',
        preferredHolder: 'b',
      });
    });

    it('reports a refused update as forbidden', async () => {
      const lock = lease();
      const created = await lock.create(record('a'), never);
      env.faults.add({ user: 'a', verb: 'update', error: { code: 403 }, times: 1 });
      const refused = await failure(lock.update(record('a'), created.resourceVersion, never));
      expect(LeaderElectionError.is(refused, 'forbidden')).to.be.true;
    });

    it('watches changes and resolves quietly when the server ends the watch', async () => {
      const lock: Lock = lease();
      const created = await lock.create(record('a'), never);
      const events: LockWatchEvent[] = [];
      let established = false;
      const watching = lock.watch(
        created.resourceVersion,
        {
          onEstablished: () => {
            established = true;
          },
          onEvent: (event) => events.push(event),
        },
        never,
      );
      await eventually(() => established, 'the watch to be established');
      const updated = await lock.update(record('a', 3), created.resourceVersion, never);
      await eventually(
        () =>
          events.some((e) => e.type === 'changed' && e.snapshot.resourceVersion === updated.resourceVersion),
        'the change to arrive',
      );
      const changed = events.find((e) => e.type === 'changed');
      expect(changed?.type === 'changed' ? changed.snapshot.record?.leaseTransitions : undefined).to.equal(3);
      expect(env.faults.dropWatches({ user: 'a' })).to.equal(1);
      await watching;
    });

    it('rejects with watchExpired when the resourceVersion was compacted away', async () => {
      const lock = lease();
      const created = await lock.create(record('a'), never);
      await lock.update(record('a', 1), created.resourceVersion, never);
      env.cluster.compact();
      const error = await failure(
        lock.watch(
          created.resourceVersion,
          { onEstablished: () => undefined, onEvent: () => undefined },
          never,
        ),
      );
      expect(LeaderElectionError.is(error, 'watchExpired')).to.be.true;
    });

    it('resolves at once when its signal aborts', async () => {
      const lock = lease();
      const stop = new AbortController();
      let established = false;
      const watching = lock.watch(
        undefined,
        {
          onEstablished: () => {
            established = true;
          },
          onEvent: () => undefined,
        },
        stop.signal,
      );
      await eventually(() => established, 'the watch to be established');
      const abortedAt = performance.now();
      stop.abort();
      await watching;
      expect(performance.now() - abortedAt).to.be.below(100);
    });
  });

  describe('ConfigMapLock', () => {
    it('creates, reads and updates the annotation record by compare-and-swap', async () => {
      const lock = new ConfigMapLock({
        kubeConfig: env.kubeConfigFor('a'),
        name: 'lock',
        namespace: env.namespace,
        identity: 'a',
        events: false,
      });
      expect(await lock.get(never)).to.equal(undefined);
      const created = await lock.create(record('a'), never);
      expect((await lock.get(never))?.record?.holderIdentity).to.equal('a');
      const updated = await lock.update(record('', 1), created.resourceVersion, never);
      expect(updated.record?.holderIdentity).to.equal('');
      const stale = await failure(lock.update(record('a', 2), created.resourceVersion, never));
      expect(LeaderElectionError.is(stale, 'lockConflict')).to.be.true;
    });
  });
});
