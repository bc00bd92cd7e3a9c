import { expect } from 'chai';
import sinon from 'sinon';
import { LeaderElectionError, LeaderForLifeElector } from '@kubekit/leaderelection';
import { rejectionOf } from '../support/rejection-of.js';
import { eventually, sleep, within } from '../support/wait.js';
import { GC_DELAY_MS, useLifelongCluster, type Candidate } from './lifelong-cluster.js';

// Stopping, refused and unanswered requests, and quiet watches, on a real API server.

describe('LeaderForLifeElector on envtest (integration)', function () {
  this.timeout(30_000);
  const cluster = useLifelongCluster();
  const { env, unique, createPod, twoPodsOnANode, podOnANode, start, stop } = cluster;

  it('regression: stopping is not delayed by a watch that is still connecting', async () => {
    const { lock, podA, podB } = await twoPodsOnANode();
    const a = start(unique('a'), podA, lock);
    await within(a.elector.whenLeading(), 2000, 'a leads');
    const userB = unique('b');
    env.addUser(userB);
    // The API server never answers b's watch (the watch would wait 30 s for its answer).
    env.faults.add({ user: userB, verb: 'watch', resource: 'configmaps', hang: true });
    const b = start(userB, podB, lock);
    await eventually(
      () => env.counters.count({ user: userB, verb: 'watch', resource: 'configmaps' }) >= 1,
      2000,
      "b's watch is connecting",
    );
    const stopping = performance.now();
    await stop(b);
    expect(performance.now() - stopping).to.be.below(1000);
    // The same for a leader whose watch is connecting.
    const userA2 = unique('a2');
    env.addUser(userA2);
    env.faults.add({ user: userA2, verb: 'watch', resource: 'configmaps', hang: true });
    await stop(a);
    const a2 = start(userA2, podA, lock);
    await within(a2.elector.whenLeading(), 2000, 'a leads again');
    await eventually(
      () => env.counters.count({ user: userA2, verb: 'watch', resource: 'configmaps' }) >= 1,
      2000,
      "a's watch is connecting",
    );
    const stoppingLeader = performance.now();
    await stop(a2);
    expect(performance.now() - stoppingLeader).to.be.below(1000);
  });

  it('out of a cluster: the notInCluster error; without POD_NAME: the noPodName error', () => {
    const kubeConfig = env.kubeConfig;
    const outOfCluster = (): unknown =>
      new LeaderForLifeElector({
        lockName: 'l',
        kubeConfig,
        namespaceFile: '/nonexistent/namespace',
        env: {},
      });
    expect(outOfCluster).to.throw(LeaderElectionError).with.property('kind', 'notInCluster');
    const noPodName = (): unknown =>
      new LeaderForLifeElector({ lockName: 'l', kubeConfig, namespace: env.namespace, env: {} });
    expect(noPodName)
      .to.throw(LeaderElectionError, 'fieldPath: metadata.name')
      .with.property('kind', 'noPodName');
  });

  it('own Pod missing: run rejects with podNotFound', async () => {
    const candidate = start(unique('a'), unique('no-such-pod'), unique('lock'));
    const error = await rejectionOf(candidate.done);
    expect(LeaderElectionError.is(error, 'podNotFound')).to.equal(true);
  });

  it('a 403 on GET does not hot-loop: requests over a fixed window stay within the backoff schedule', async () => {
    const { pod } = await podOnANode();
    const user = unique('a');
    env.addUser(user);
    env.faults.add({ user, verb: 'get', resource: 'pods', error: { code: 403 } });
    const candidate = start(user, pod, unique('lock'));
    const WINDOW_MS = 3000;
    await sleep(WINDOW_MS);
    const requests = env.counters.count({ user, verb: 'get', resource: 'pods' });
    // Delays of 100, 200, 400, 400, … ms (jittered into their upper half): at most ~16 in 3 s.
    expect(requests).to.be.within(5, 17);
    expect(candidate.errors[0]?.kind).to.equal('forbidden');
    expect(candidate.errors[0]?.message).to.contain('verb "get" on resource "pods"');
    // Retried, not fatal: once RBAC is fixed it leads.
    env.faults.clear();
    await within(candidate.elector.whenLeading(), 1000, 'leads once allowed');
  });

  it('a 403 on GET of the lock does not hot-loop either', async () => {
    const { lock, podA, podB } = await twoPodsOnANode();
    const a = start(unique('a'), podA, lock);
    await within(a.elector.whenLeading(), 2000, 'a leads');
    const user = unique('b');
    env.addUser(user);
    env.faults.add({ user, verb: 'get', resource: 'configmaps', error: { code: 403 } });
    const b = start(user, podB, lock);
    await sleep(3000);
    expect(env.counters.count({ user, verb: 'get', resource: 'configmaps' })).to.be.within(5, 17);
    expect(env.counters.count({ user, verb: 'create', resource: 'configmaps' })).to.be.within(5, 17);
    expect(b.errors[0]?.message).to.contain('verb "get" on resource "configmaps"');
  });

  it('abandons an unanswered request after requestTimeout and retries it; stopping does not wait for one', async () => {
    const { node, pod } = await podOnANode();
    const user = unique('a');
    env.addUser(user);
    env.faults.add({ user, verb: 'create', resource: 'configmaps', hang: true, times: 1 });
    const started = performance.now();
    const candidate = start(user, pod, unique('lock'), { requestTimeout: 300 });
    await within(candidate.elector.whenLeading(), 2000, 'leads after the timeout');
    expect(performance.now() - started).to.be.at.least(290);
    expect(candidate.errors[0]?.kind).to.equal('timeout');

    const other = unique('op-b');
    await createPod(other, node);
    const hung = unique('b');
    env.addUser(hung);
    env.faults.add({ user: hung, verb: 'get', resource: 'pods', hang: true });
    const stuck = start(hung, other, unique('lock'), { requestTimeout: 60_000 });
    await eventually(
      () => env.counters.count({ user: hung, verb: 'get', resource: 'pods' }) >= 1,
      2000,
      'hung',
    );
    const stopping = performance.now();
    await stop(stuck);
    expect(performance.now() - stopping).to.be.below(1000); // not the 60 s request timeout
  });

  it('restarts a watch ended by the 30 s inactivity timeout from its resourceVersion, not as a failure', async () => {
    const { lock, podA, podB } = await twoPodsOnANode();
    const a = start(unique('a'), podA, lock);
    await within(a.elector.whenLeading(), 2000, 'a leads');
    // The watch arms its inactivity timer with setTimeout: fake it (and the elector's clock) before
    // B watches; time still runs on its own for the server.
    const clock = sinon.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'performance'],
      shouldAdvanceTime: true,
      shouldClearNativeTimers: true, // undici clears timers it armed before
    });
    const userB = unique('b');
    let b: Candidate;
    try {
      // No leader-Pod check within the virtual 30 s, and no request timeout that the jump of
      // virtual time could fire while a request is still in flight.
      b = start(userB, podB, lock, {
        initialBackoff: 120_000,
        maxBackoff: 120_000,
        requestTimeout: 600_000,
      });
      await eventually(
        () => env.counters.count({ user: userB, verb: 'watch', resource: 'configmaps' }) >= 1,
        2000,
        'b watches',
      );
      await clock.tickAsync(30_500);
      await eventually(
        () => env.counters.count({ user: userB, verb: 'watch', resource: 'configmaps' }) >= 2,
        2000,
        're-watch',
      );
    } finally {
      clock.restore();
    }
    expect(b.errors).to.deep.equal([]);
    expect(env.counters.count({ user: userB, verb: 'get', resource: 'configmaps' }), 'no re-read').to.equal(
      1,
    );
    await stop(a);
    await sleep(GC_DELAY_MS);
    await cluster.admin.deleteNamespacedPod({ name: podA, namespace: env.namespace, gracePeriodSeconds: 0 });
    await within(b.elector.whenLeading(), GC_DELAY_MS + 1000, 'b leads through the restarted watch');
  });
});
