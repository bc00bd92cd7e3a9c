import { expect } from 'chai';
import {
  CoordinationV1Api,
  CoreV1Api,
  V1Container,
  V1Node,
  V1ObjectMeta,
  V1Pod,
  V1PodSpec,
} from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { useEnvtest } from '@kubekit/envtest/testing';
import {
  Manager,
  ManagerError,
  type LeaderForLifeElectionOptions,
  type ManagerOptions,
} from '@kubekit/manager';
import { Recorder } from '../support/recorder.js';

// Real HTTPS, real client-node, the embedded API server; lease timings 1 s / 0.6 s / 0.2 s, and
// 10 s / 6 s / 1 s where a handover by release must be told from one by expiry on a loaded machine.
const timings = { leaseDuration: 1_000, renewDeadline: 600, retryPeriod: 200 };
const slowTimings = { leaseDuration: 10_000, renewDeadline: 6_000, retryPeriod: 1_000 };

interface Replica {
  readonly name: string;
  readonly manager: Manager;
  readonly stop: AbortController;
  readonly done: Promise<unknown>;
  /** What start() ended with: `'resolved'`, the error, or `undefined` while it runs. */
  outcome: unknown;
  endedAt: number | undefined;
}

function eventually(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (performance.now() > deadline) reject(new Error(`not within ${ms} ms: ${what}`));
      else setTimeout(check, 2);
    };
    check();
  });
}

describe('Manager on envtest (integration)', function () {
  this.timeout(30_000);
  const replicas: Replica[] = [];
  afterEach(async () => {
    for (const replica of replicas.splice(0)) {
      replica.stop.abort();
      await replica.done;
    }
  });
  const env = useEnvtest({ users: ['a', 'b', 'c'], gcDelayMs: 200 });

  function start(
    name: string,
    log: Recorder,
    options: Partial<ManagerOptions> = {},
    leaseTimings: typeof timings = timings,
  ): Replica {
    const manager = new Manager({
      kubeConfig: env.kubeConfigFor(name),
      registry: new Registry(),
      leaderElection: { name: 'operator', namespace: env.namespace, identity: name, ...leaseTimings },
      ...options,
    });
    manager.add(log.runnable(`${name}-gated`, { stopDelayMs: 100 }), { name: `${name}-gated` });
    manager.add(log.runnable(`${name}-everywhere`, { needLeaderElection: false }));
    const stop = new AbortController();
    const replica: Replica = {
      name,
      manager,
      stop,
      outcome: undefined,
      endedAt: undefined,
      done: manager.start(stop.signal).then(
        () => {
          replica.outcome = 'resolved';
          replica.endedAt = performance.now();
        },
        (error: unknown) => {
          replica.outcome = error;
          replica.endedAt = performance.now();
        },
      ),
    };
    replicas.push(replica);
    return replica;
  }

  it('two managers contend: only the leader runs gated runnables; a graceful stop hands over after the drain', async () => {
    const log = new Recorder();
    const a = start('a', log, {}, slowTimings);
    await a.manager.elected(AbortSignal.timeout(5_000));
    const b = start('b', log, {}, slowTimings);
    await eventually(() => log.find('start b-everywhere').length === 1, 5_000, 'b runs');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(log.find('start b-gated')).to.deep.equal([]);
    expect(b.manager.getElector().currentLeader()).to.equal('a');

    const leases = env.kubeConfig.makeApiClient(CoordinationV1Api);
    a.stop.abort();
    await eventually(() => log.find('start b-gated').length === 1, 5_000, 'b leads');
    await a.done;
    expect(a.outcome).to.equal('resolved');
    const aStopped = log.find('stop a-gated')[0]!.at;
    const bStarted = log.find('start b-gated')[0]!;
    // The release came after a's gated runnable had stopped (100 ms after its abort), and b took
    // over through the release, long before the lease could have expired (10 s after a's last renew).
    expect(bStarted.at).to.be.above(aStopped);
    expect(bStarted.at - aStopped).to.be.below(slowTimings.leaseDuration / 2);
    expect(bStarted.epoch).to.equal(1);
    const lease = await leases.readNamespacedLease({ name: 'operator', namespace: env.namespace });
    expect(lease.spec?.holderIdentity).to.equal('b');
  });

  it('on a loss (the leader is cut off) every gated runnable is aborted and start() rejects before the follower leads', async () => {
    const log = new Recorder();
    const a = start('a', log);
    const term = await a.manager.elected(AbortSignal.timeout(5_000));
    let termEndedAt: number | undefined;
    term.signal.addEventListener('abort', () => {
      termEndedAt = performance.now();
    });
    for (const extra of ['a-gated-2', 'a-gated-3']) a.manager.add(log.runnable(extra), { name: extra });
    const b = start('b', log);
    await eventually(() => b.manager.getElector().currentLeader() === 'a', 5_000, 'b follows');
    const cut = env.faults.add({ user: 'a', partition: true });
    try {
      await eventually(() => log.find('start b-gated').length === 1, 10_000, 'b leads');
      await eventually(() => a.outcome !== undefined, 5_000, 'a stopped');
    } finally {
      cut.remove();
    }
    expect(ManagerError.is(a.outcome, 'leadershipLost')).to.equal(true);
    // Every gated runnable (one started before the term, two added while leading) was signalled
    // within 5 ms of the term's end, and had stopped before b's gated runnable started.
    const bStarted = log.find('start b-gated')[0]!.at;
    for (const name of ['a-gated', 'a-gated-2', 'a-gated-3']) {
      // (The runnables' signal listens to the term's before this test does: it may come first.)
      expect(Math.abs(log.find(`abort ${name}`)[0]!.at - termEndedAt!)).to.be.at.most(5);
      expect(log.find(`stop ${name}`)[0]!.at).to.be.below(bStarted);
    }
    expect(a.endedAt).to.be.below(bStarted);
  });

  /** A Node and Pods `pods` on it in the test's namespace (leader-for-life needs its own Pod). */
  async function createPods(...pods: string[]): Promise<CoreV1Api> {
    const admin = env.kubeConfig.makeApiClient(CoreV1Api);
    const nodeName = `node-${env.namespace}`;
    const node = Object.assign(new V1Node(), {
      metadata: Object.assign(new V1ObjectMeta(), { name: nodeName }),
    });
    await admin.createNode({ body: node });
    await env.cluster.setNodeReady(nodeName, 'True');
    for (const pod of pods) {
      const container = Object.assign(new V1Container(), {
        name: 'operator',
        image: 'example.com/operator:1',
      });
      await admin.createNamespacedPod({
        namespace: env.namespace,
        body: Object.assign(new V1Pod(), {
          metadata: Object.assign(new V1ObjectMeta(), { name: pod, namespace: env.namespace }),
          spec: Object.assign(new V1PodSpec(), { nodeName, containers: [container] }),
        }),
      });
    }
    return admin;
  }

  const lifelong = (pod: string): LeaderForLifeElectionOptions => ({
    kind: 'leader-for-life',
    lockName: 'operator-lock',
    namespace: env.namespace,
    podName: pod,
    env: {},
  });

  it('leader-for-life works through the same options', async () => {
    const admin = await createPods('pod-a', 'pod-b');
    const log = new Recorder();
    const a = start('a', log, { leaderElection: lifelong('pod-a') });
    const term = await a.manager.elected(AbortSignal.timeout(5_000));
    expect(term.identity).to.equal('pod-a');
    expect(term.exclusiveUntil()).to.equal(Infinity);
    const b = start('b', log, { leaderElection: lifelong('pod-b') });
    await eventually(() => b.manager.getElector().currentLeader() === 'pod-a', 5_000, 'b follows');
    expect(log.find('start a-gated')).to.have.length(1);
    expect(log.find('start b-gated')).to.deep.equal([]);
    const configMap = await admin.readNamespacedConfigMap({
      name: 'operator-lock',
      namespace: env.namespace,
    });
    expect(configMap.metadata?.ownerReferences?.[0]?.name).to.equal('pod-a');
    // The leader's Pod goes away: the lock is collected and b leads.
    a.stop.abort();
    await a.done;
    expect(a.outcome).to.equal('resolved');
    await admin.deleteNamespacedPod({ name: 'pod-a', namespace: env.namespace, gracePeriodSeconds: 0 });
    await eventually(() => log.find('start b-gated').length === 1, 10_000, 'b leads');
  });

  it('leader-for-life: when the lock is taken away, a runnable that does not stop at once is named (the bound is 0)', async () => {
    const admin = await createPods('pod-a');
    const log = new Recorder();
    const a = start('a', log, { leaderElection: lifelong('pod-a') });
    a.manager.add(log.runnable('prompt'), { name: 'prompt' });
    await a.manager.elected(AbortSignal.timeout(5_000));
    await eventually(() => log.find('start prompt').length === 1, 5_000, 'gated runnables run');
    // Someone deletes the lock: another Pod may lead at once, so nothing may keep running.
    await admin.deleteNamespacedConfigMap({ name: 'operator-lock', namespace: env.namespace });
    await eventually(() => a.outcome !== undefined, 5_000, 'a stopped');
    expect(ManagerError.is(a.outcome, 'leadershipLost')).to.equal(true);
    // a-gated takes 100 ms to stop: too long when another leader may already run.
    expect((a.outcome as ManagerError).runnables).to.deep.equal(['a-gated']);
    expect((a.outcome as Error).message).to.match(/a-gated did not stop within 0 ms/);
    expect(log.find('stop prompt')).to.have.length(1);
  });
});
