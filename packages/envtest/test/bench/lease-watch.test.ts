/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be called. */
import { expect } from 'chai';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { LeaseWatch } from '@kubekit/envtest/bench';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually } from '../support/raw-client.js';

describe('LeaseWatch (@kubekit/envtest/bench)', () => {
  const env = useEnvtest();
  const coordination = (): CoordinationV1Api => env.kubeConfig.makeApiClient(CoordinationV1Api);
  const createLease = (name: string, holderIdentity: string): Promise<unknown> =>
    coordination().createNamespacedLease({
      namespace: env.namespace,
      body: { metadata: { name }, spec: { holderIdentity, leaseDurationSeconds: 10 } },
    });
  const setHolder = async (name: string, holderIdentity: string): Promise<void> => {
    const lease = await coordination().readNamespacedLease({ name, namespace: env.namespace });
    lease.spec = { holderIdentity, leaseDurationSeconds: 10 };
    await coordination().replaceNamespacedLease({ name, namespace: env.namespace, body: lease });
  };

  /** Starts a watch on Lease `name`, collecting `type holder` of every event. */
  function watchLease(name: string): { watch: LeaseWatch; seen: string[] } {
    const seen: string[] = [];
    const watch = new LeaseWatch(env.kubeConfig, env.namespace, name, (type, lease) => {
      seen.push(`${type} ${lease.spec?.holderIdentity ?? ''}`);
    });
    watch.start();
    return { watch, seen };
  }

  it('reports every event of the one Lease (not of others) until stopped', async () => {
    await createLease('lock', 'a');
    const { watch, seen } = watchLease('lock');
    await eventually(() => seen.length >= 1);
    await createLease('other', 'x');
    await setHolder('lock', '');
    await coordination().deleteNamespacedLease({ name: 'lock', namespace: env.namespace });
    await eventually(() => seen.length >= 3);
    expect(seen).to.deep.equal(['ADDED a', 'MODIFIED ', 'DELETED ']);
    await watch.stop();
    await createLease('lock', 'b');
    await coordination().readNamespacedLease({ name: 'lock', namespace: env.namespace });
    expect(seen, 'an event after stop()').to.have.length(3);
  });

  it('watches again from the last resourceVersion when the server ends the stream', async () => {
    await createLease('lock', 'a');
    const { watch, seen } = watchLease('lock');
    await eventually(() => seen.length >= 1);
    expect(env.faults.dropWatches({ resource: 'leases' })).to.equal(1);
    await eventually(() => env.counters.count({ verb: 'watch', resource: 'leases' }) === 2);
    await setHolder('lock', 'b');
    await eventually(() => seen.length >= 2);
    // Resumed, not restarted: the Lease is not reported as ADDED again.
    expect(seen).to.deep.equal(['ADDED a', 'MODIFIED b']);
    await watch.stop();
  });
});
