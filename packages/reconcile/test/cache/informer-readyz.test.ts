// The manager's `/readyz` over its shared cache (registerCache), on envtest with kube-apiserver's
// bookmark interval (a minute): a quiet kind delivers nothing after a watch comes back, so only the
// established watch itself can tell that the informer has recovered.
import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { cacheFor } from '@kubekit/reconcile';
import { eventually } from '../support/eventually.js';
import { useOperatorFixture } from '../support/operator-fixture.js';

describe('Manager /readyz over the shared cache', () => {
  const env = useEnvtest({ users: ['operator'] });
  const operator = useOperatorFixture(
    {
      get kubeConfig() {
        return env.kubeConfigFor('operator');
      },
      get namespace() {
        return env.namespace;
      },
    },
    { healthProbeBindAddress: '127.0.0.1:0' },
  );

  /** The status of `/readyz/cache`; 0 before the probe server listens. */
  async function readyz(): Promise<number> {
    const port = operator().manager.ports.healthProbe;
    if (port === undefined) return 0;
    const answer = await fetch(`http://127.0.0.1:${String(port)}/readyz/cache`);
    await answer.text();
    return answer.status;
  }

  it('is ready again as soon as a watch broken by a partition is re-established, with no change to deliver', async () => {
    const f = operator();
    // A small backoff so the watch is retried at once after the partition heals; relists only
    // after many failures, so that recovery cannot come from a list.
    const cache = cacheFor(f.manager, { backoff: { initialMs: 20, maxMs: 100 }, relistAfterFailures: 1_000 });
    const informer = cache.informerFor({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace });
    await f.create('seed', { v: '1' });
    f.start();
    const label = `v1/ConfigMap in ${env.namespace}`;
    await eventually(async () => (await readyz()) === 200, '/readyz/cache answers 200 once synced');
    await eventually(
      () => env.counters.count({ user: 'operator', verb: 'watch', resource: 'configmaps' }) > 0,
      'the informer watches',
    );

    const partition = env.faults.add({ user: 'operator', partition: true });
    await eventually(async () => (await readyz()) === 500, '/readyz/cache answers 500 during the partition');
    expect(await f.metric('kubekit_informer_healthy', { informer: label })).to.equal(0);
    env.counters.reset();
    partition.remove();
    const healed = performance.now();

    // No change is made: the re-established watch alone must clear the failure, not a minute later
    // with the next bookmark. Bound generous for a loaded machine, far below the bookmark interval.
    await eventually(async () => (await readyz()) === 200, '/readyz/cache answers 200 again', {
      timeoutMs: 3_000,
    });
    const took = performance.now() - healed;
    expect(await f.metric('kubekit_informer_healthy', { informer: label })).to.equal(1);
    expect(informer.healthy()).to.equal(true);
    expect(
      env.counters.count({ user: 'operator', verb: 'list' }),
      'recovered by the watch, not a list',
    ).to.equal(0);
    expect(env.counters.count({ user: 'operator', verb: 'watch' })).to.be.greaterThan(0);
    expect(took, `ready ${took.toFixed(0)} ms after the partition healed`).to.be.below(3_000);
  });
});
