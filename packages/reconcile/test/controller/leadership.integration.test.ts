import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { ManagerError } from '@kubekit/manager';
import { controllerManagedBy, type ReconcileContext } from '@kubekit/reconcile';
import { eventually } from '../support/eventually.js';
import { OperatorFixture } from '../support/operator-fixture.js';

type Term = NonNullable<ReconcileContext['term']>;

const configMaps = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const timings = { leaseDuration: 1_000, renewDeadline: 600, retryPeriod: 200 };

describe('Controller under leader election on envtest (integration)', function () {
  this.timeout(30_000);
  const env = useEnvtest({ users: ['a', 'b'] });
  let op: OperatorFixture;

  afterEach(async () => {
    await op.stop();
  });

  function operator(onLeadershipLost: 'exit' | 'recampaign', identity = 'a'): OperatorFixture {
    return new OperatorFixture(env.kubeConfigFor(identity), env.namespace, {
      leaderElection: { name: 'operator', namespace: env.namespace, identity, ...timings },
      onLeadershipLost,
    });
  }

  it('warms the cache on a follower, so a new leader reconciles at once without listing', async () => {
    op = operator('exit', 'a');
    const leader = op;
    let leaderStopped = false;
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .complete({ reconcile: () => Promise.resolve({}) });
    for (const name of ['one', 'two', 'three']) await op.create(name);
    op.start();
    await op.manager.elected(AbortSignal.timeout(5_000));
    const follower = operator('exit', 'b');
    const reconciledAt: number[] = [];
    controllerManagedBy(follower.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .complete({
        reconcile: () => {
          reconciledAt.push(performance.now());
          return Promise.resolve({});
        },
      });
    follower.start();
    try {
      await eventually(() => follower.manager.getElector().currentLeader() === 'a', 'b follows a');
      // b's cache synced while it follows; its controller has not run.
      expect(env.counters.count({ user: 'b', verb: 'list', resource: 'configmaps' })).to.equal(1);
      expect(reconciledAt).to.deep.equal([]);
      leaderStopped = true;
      await leader.stop(); // a releases the lease
      await follower.manager.elected(AbortSignal.timeout(5_000));
      const elected = performance.now();
      await eventually(() => reconciledAt.length === 3, 'b reconciled every object');
      // From its warm cache: no list after the acquisition, and the first reconcile came at once.
      expect(env.counters.count({ user: 'b', verb: 'list', resource: 'configmaps' })).to.equal(1);
      expect(reconciledAt[0]! - elected).to.be.below(500);
    } finally {
      if (!leaderStopped) await leader.stop();
      op = follower;
    }
  });

  it('aborts the in-flight reconcile at the loss and starts no other', async () => {
    op = operator('exit');
    const started: string[] = [];
    let abortedAt: number | undefined;
    let returnedAt: number | undefined;
    const controller = controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .complete({
        reconcile: async ({ name }, signal) => {
          started.push(name);
          await new Promise<void>((resolve) => {
            signal.addEventListener(
              'abort',
              () => {
                abortedAt = performance.now();
                resolve();
              },
              { once: true },
            );
          });
          returnedAt = performance.now();
          throw signal.reason;
        },
      });
    await op.create('first');
    await op.create('second');
    op.start();
    const term = await op.manager.elected(AbortSignal.timeout(5_000));
    let termEndedAt: number | undefined;
    term.signal.addEventListener('abort', () => (termEndedAt = performance.now()));
    await eventually(() => started.length === 1, 'one reconcile is in flight');
    const cut = env.faults.add({ user: 'a', partition: true });
    try {
      await eventually(() => op.outcome !== undefined, 'the manager stopped after the loss');
    } finally {
      cut.remove();
    }
    expect(ManagerError.is(op.outcome, 'leadershipLost')).to.equal(true);
    expect(termEndedAt).to.not.equal(undefined);
    expect(Math.abs(abortedAt! - termEndedAt!)).to.be.at.most(5);
    expect(returnedAt).to.not.equal(undefined);
    expect(controller.state).to.equal('idle');
    // The worker stopped at once: the second object, queued behind the first, was never reconciled.
    expect(started).to.have.length(1);
    expect(
      await op.metric('controller_runtime_reconcile_errors_total', { controller: 'configmap' }),
    ).to.equal(0);
  });

  it('with recampaign runs again in the next term, from the warm cache', async () => {
    op = operator('recampaign');
    const reconciled: { name: string; epoch: number; valid: boolean; current: boolean }[] = [];
    let current: Term | undefined;
    let losses = 0;
    // A function reconciler: the term it runs in comes with each call, and is the manager's.
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .complete(({ name }, _signal, { term }) => {
        reconciled.push({
          name,
          epoch: term?.epoch ?? -1,
          valid: term?.isValid() ?? false,
          current: term !== undefined && term === current,
        });
        return Promise.resolve({});
      });
    const subscription = op.manager.leadership$.subscribe((leadership) => {
      if (leadership.leading) current = leadership.term;
      else if (current !== undefined) losses += 1;
    });
    try {
      await op.create('app');
      op.start();
      await eventually(() => reconciled.length === 1, 'reconciled in the first term');
      const firstEpoch = reconciled[0]!.epoch;
      const cut = env.faults.add({ user: 'a', partition: true });
      await eventually(() => losses > 0 || op.outcome !== undefined, 'the term ended');
      cut.remove();
      await eventually(
        () => reconciled.some((r) => r.epoch > firstEpoch),
        'reconciled again in a later term',
      );
      expect(op.outcome).to.equal(undefined);
      expect(reconciled.every((r) => r.valid && r.current && r.epoch >= 0)).to.equal(true);
    } finally {
      subscription.unsubscribe();
    }
  });
});
