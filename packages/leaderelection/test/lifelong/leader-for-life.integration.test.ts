import { KubernetesLifelongApi } from '#lib/lifelong/kubernetes-lifelong-api.js';
import { expect } from 'chai';
import sinon from 'sinon';
import {
  CoreV1Api,
  V1Container,
  V1Node,
  V1ObjectMeta,
  V1Pod,
  V1PodSpec,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { Verb } from '@kubekit/envtest';
import { useEnvtest } from '@kubekit/envtest/testing';
import {
  EPOCH_ANNOTATION,
  LeaderElectionError,
  LeaderForLifeElector,
  type LeaderForLifeOptions,
  type Term,
} from '@kubekit/leaderelection';
import { statusCodeOf } from '#lib/lifelong/lifelong-api.js';
import { rejectionOf } from '../support/rejection-of.js';
import { eventually, sleep, within } from '../support/wait.js';

const GC_DELAY_MS = 500;

interface Candidate {
  readonly elector: LeaderForLifeElector;
  readonly controller: AbortController;
  readonly done: Promise<void>;
  readonly errors: LeaderElectionError[];
  readonly leaders: (string | undefined)[];
}

describe('LeaderForLifeElector on envtest (integration)', function () {
  this.timeout(30_000);
  let test = 0;
  const candidates: Candidate[] = [];

  // Registered before useEnvtest's hooks, so candidates stop before the test's namespace goes.
  afterEach(async () => {
    for (const candidate of candidates.splice(0)) {
      candidate.controller.abort();
      await candidate.done.catch(() => undefined);
    }
  });

  // Every test runs in a fresh namespace (env.namespace) with faults cleared and counters reset.
  // Bookmarks as rare as kube-apiserver's (about a minute), so that a watch can be quiet for the
  // 30 s after which the watch gives up on it (as client-node 2.0.1's Watch).
  const env = useEnvtest({ gcDelayMs: GC_DELAY_MS, bookmarkIntervalMs: 60_000 });
  let admin: CoreV1Api;
  let NS: string;

  beforeEach(() => {
    test += 1;
    admin = env.kubeConfig.makeApiClient(CoreV1Api);
    NS = env.namespace;
  });

  /** Names unique to the running test. */
  function unique(name: string): string {
    return `${name}-${test}`;
  }

  async function createNode(name: string): Promise<void> {
    const node = Object.assign(new V1Node(), { metadata: Object.assign(new V1ObjectMeta(), { name }) });
    await admin.createNode({ body: node });
    await env.cluster.setNodeReady(name, 'True');
  }

  async function createPod(name: string, nodeName: string): Promise<string> {
    const container = Object.assign(new V1Container(), { name: 'operator', image: 'example.com/operator:1' });
    const pod = Object.assign(new V1Pod(), {
      metadata: Object.assign(new V1ObjectMeta(), { name, namespace: NS }),
      spec: Object.assign(new V1PodSpec(), { nodeName, containers: [container] }),
    });
    const created = await admin.createNamespacedPod({ namespace: NS, body: pod });
    return created.metadata?.uid ?? '';
  }

  /** A fresh Node with two operator Pods on it, and a fresh lock name for them to compete for. */
  async function twoPodsOnANode(): Promise<{ lock: string; podA: string; podB: string }> {
    const node = unique('node');
    await createNode(node);
    const [podA, podB] = [unique('op-a'), unique('op-b')];
    await createPod(podA, node);
    await createPod(podB, node);
    return { lock: unique('lock'), podA, podB };
  }

  /** A fresh Node with one operator Pod on it (named after `name`), and a fresh lock name. */
  async function podOnANode(
    name = 'op-a',
  ): Promise<{ node: string; pod: string; uid: string; lock: string }> {
    const node = unique('node');
    await createNode(node);
    const pod = unique(name);
    const uid = await createPod(pod, node);
    return { node, pod, uid, lock: unique('lock') };
  }

  async function podExists(name: string): Promise<boolean> {
    try {
      await admin.readNamespacedPod({ name, namespace: NS });
      return true;
    } catch (error) {
      if (statusCodeOf(error) === 404) return false;
      throw error;
    }
  }

  async function lockOwnerUid(name: string): Promise<string | undefined> {
    try {
      const lock = await admin.readNamespacedConfigMap({ name, namespace: NS });
      return lock.metadata?.ownerReferences?.[0]?.uid;
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
  }

  function kubeConfigOf(user: string): KubeConfig {
    env.addUser(user);
    return env.kubeConfigFor(user);
  }

  /** Runs a candidate in Pod `podName` as envtest user `user` (so faults and counters can target it). */
  function start(
    user: string,
    podName: string,
    lockName: string,
    options: Partial<LeaderForLifeOptions> = {},
  ): Candidate {
    const elector = new LeaderForLifeElector({
      lockName,
      namespace: NS,
      podName,
      kubeConfig: kubeConfigOf(user),
      initialBackoff: 100,
      maxBackoff: 400,
      env: {},
      ...options,
    });
    const controller = new AbortController();
    const errors: LeaderElectionError[] = [];
    const leaders: (string | undefined)[] = [];
    elector.errors$.subscribe((error) => errors.push(error));
    elector.leader$.subscribe((leader) => leaders.push(leader));
    const done = elector.run(controller.signal);
    done.catch(() => undefined);
    const candidate = { elector, controller, done, errors, leaders };
    candidates.push(candidate);
    return candidate;
  }

  /** Starts `a` in Pod `podA` and waits until it leads, then `b` in `podB` and until it follows `a`. */
  async function leaderAndFollower(
    lock: string,
    podA: string,
    podB: string,
  ): Promise<{ a: Candidate; first: Term; b: Candidate; userB: string }> {
    const a = start(unique('a'), podA, lock);
    const first = await within(a.elector.whenLeading(), 2000, 'a leads');
    const userB = unique('b');
    const b = start(userB, podB, lock);
    await eventually(() => b.leaders.includes(podA), 2000, 'b follows');
    return { a, first, b, userB };
  }

  async function stop(candidate: Candidate): Promise<void> {
    candidate.controller.abort();
    await candidate.done;
  }

  it('a follower leads within GC delay + 400 ms of the leader Pod being deleted (by watch, not its 60 s backoff)', async () => {
    const { lock, podA, podB } = await twoPodsOnANode();
    const a = start(unique('a'), podA, lock);
    await within(a.elector.whenLeading(), 2000, 'a leads');
    // b's backoff is a minute: only the watch can make it lead in time.
    const userB = unique('b');
    const b = start(userB, podB, lock, { initialBackoff: 60_000, maxBackoff: 60_000 });
    await eventually(
      () => env.counters.count({ user: userB, verb: 'watch', resource: 'configmaps' }) >= 1,
      2000,
      'b watches',
    );
    expect(b.elector.currentTerm()).to.equal(undefined);
    expect(b.leaders).to.deep.equal([undefined, podA]);

    // Let envtest's GC check of the new lock (due GC_DELAY_MS after its creation) pass first, so
    // that the deletion of the Pod is what frees the lock.
    await sleep(GC_DELAY_MS);
    await stop(a); // the leader's process dies with its Pod
    const removed = performance.now();
    await admin.deleteNamespacedPod({ name: podA, namespace: NS, gracePeriodSeconds: 0 });
    await within(b.elector.whenLeading(), GC_DELAY_MS + 1000, 'b leads');
    const latency = performance.now() - removed;
    expect(latency).to.be.at.least(GC_DELAY_MS - 10); // it waited for the GC, claimed nothing
    // Typically GC + 10 to 30 ms (see the benchmark); the bound leaves room for a loaded machine and
    // is still far below b's 60 s backoff.
    expect(latency).to.be.at.most(GC_DELAY_MS + 400);
    // Waiting was one read and a watch, not polling.
    expect(env.counters.count({ user: userB, verb: 'get', resource: 'configmaps' })).to.equal(1);
  });

  it('an Evicted leader Pod is deleted by a follower (UID precondition) and the follower takes over', async () => {
    const { lock, podA, podB } = await twoPodsOnANode();
    const { a, first, b, userB } = await leaderAndFollower(lock, podA, podB);
    expect(env.counters.count({ user: userB, verb: 'delete', resource: 'pods' })).to.equal(0);

    await env.cluster.setPodStatus(NS, podA, { phase: 'Failed', reason: 'Evicted' });
    await within(b.elector.whenLeading(), 400 + GC_DELAY_MS + 1000, 'b leads');
    expect(await podExists(podA)).to.equal(false);
    expect(env.counters.count({ user: userB, verb: 'delete', resource: 'pods' })).to.equal(1);
    // The old leader's term ended when GC deleted its lock, and without its Pod it does not campaign.
    expect(first.signal.aborted).to.equal(true);
    const error = await rejectionOf(a.done);
    expect(LeaderElectionError.is(error, 'podNotFound')).to.equal(true);
  });

  it('every delete it sends carries a UID precondition (the API server refuses another UID)', async () => {
    const { pod, uid, lock } = await podOnANode();
    const api = new KubernetesLifelongApi(kubeConfigOf(unique('a')));
    const created = await api.createConfigMap(NS, lock, { name: pod, uid }, {});
    expect(created.owner).to.deep.equal({ name: pod, uid });
    const refused = async (work: Promise<void>): Promise<number | undefined> =>
      work.then(
        () => undefined,
        (error: unknown) => statusCodeOf(error),
      );
    expect(await refused(api.deletePod(NS, pod, 'another-uid'))).to.equal(409);
    expect(await refused(api.deleteConfigMap(NS, lock, 'another-uid'))).to.equal(409);
    expect(await podExists(pod)).to.equal(true);
    expect(await lockOwnerUid(lock)).to.equal(uid);
    await api.deleteConfigMap(NS, lock, created.uid);
    expect(await lockOwnerUid(lock)).to.equal(undefined);
  });

  it('a leader Pod stuck Terminating on a dead Node: no takeover by default; with forced takeover, takeover', async () => {
    const [node, deadNode] = [unique('node'), unique('dead-node')];
    await createNode(node);
    await createNode(deadNode);
    const lock = unique('lock');
    const [podA, podB] = [unique('op-a'), unique('op-b')];
    const uidA = await createPod(podA, deadNode);
    const uidB = await createPod(podB, node);
    const { a, first, b, userB } = await leaderAndFollower(lock, podA, podB);

    await env.cluster.setNodeReady(deadNode, 'False');
    await admin.deleteNamespacedPod({ name: podA, namespace: NS }); // graceful: stuck Terminating
    await sleep(2000); // five times b's longest backoff
    const stuck = await admin.readNamespacedPod({ name: podA, namespace: NS });
    expect(stuck.metadata?.deletionTimestamp).to.not.equal(undefined);
    expect(b.elector.currentTerm(), 'b still waits').to.equal(undefined);
    expect(b.leaders.at(-1)).to.equal(podA);
    expect(await lockOwnerUid(lock)).to.equal(uidA);
    expect(env.counters.count({ user: userB, verb: 'get', resource: 'nodes' })).to.equal(0);
    expect(env.counters.count({ user: userB, verb: 'delete' })).to.equal(0);
    expect(first.isValid()).to.equal(true);

    // The same Pod's process restarted with forced takeover enabled.
    await stop(b);
    const userB2 = unique('b2');
    const b2Started = performance.now();
    const b2 = start(userB2, podB, lock, { forceTakeoverOnNotReadyNode: true, notReadyGracePeriod: 1000 });
    await within(b2.elector.whenLeading(), 3000, 'b leads with forced takeover');
    // The Node had been NotReady for seconds, but b2 counts from its own first reading of it.
    expect(performance.now() - b2Started).to.be.at.least(1000);
    expect(env.counters.count({ user: userB2, verb: 'get', resource: 'nodes' })).to.be.at.least(1);
    expect(env.counters.count({ user: userB2, verb: 'delete', resource: 'configmaps' })).to.equal(1);
    // This is the trade: the partitioned leader saw its lock go and reports the loss, but only once
    // it can reach the API server again.
    await eventually(() => first.signal.aborted, 2000, 'a reports the loss');
    // Its Pod is Terminating, so it does not campaign again: no tug of war over the lock.
    await sleep(1000);
    expect(b2.elector.currentTerm()?.isValid()).to.equal(true);
    expect(a.elector.currentTerm()).to.equal(undefined);
    expect(await lockOwnerUid(lock)).to.equal(uidB);
  });

  it('regression: a lock owned by an old Pod of the same name (new UID) is deleted (UID precondition) at once, not waited on until GC', async () => {
    const { node, pod, lock } = await podOnANode('op-0');
    const old = start(unique('old'), pod, lock);
    const oldTerm = await within(old.elector.whenLeading(), 2000, 'the old Pod leads');
    await stop(old);
    // Let envtest's GC check of the new lock pass first, so that only the Pod's deletion could free it.
    await sleep(GC_DELAY_MS);
    // A StatefulSet recreates the Pod with the same name at once; GC has not run yet.
    await admin.deleteNamespacedPod({ name: pod, namespace: NS, gracePeriodSeconds: 0 });
    const newUid = await createPod(pod, node);
    const started = performance.now();
    const user = unique('new');
    const fresh = start(user, pod, lock);
    const term = await within(fresh.elector.whenLeading(), GC_DELAY_MS + 1000, 'the new Pod leads');
    // Before the garbage collector could have deleted the old lock: the new Pod deleted it itself.
    expect(performance.now() - started).to.be.below(GC_DELAY_MS - 100);
    expect(env.counters.count({ user, verb: 'delete', resource: 'configmaps' })).to.equal(1);
    expect(env.counters.count({ user, verb: 'delete', resource: 'pods' })).to.equal(0);
    expect(await lockOwnerUid(lock)).to.equal(newUid);
    expect(term.epoch).to.be.greaterThan(oldTerm.epoch);
  });

  it('regression: a leader Pod that Failed for another reason than eviction (OOMKilled) is deleted and frees the lock', async () => {
    const { lock, podA, podB } = await twoPodsOnANode();
    const { b, userB } = await leaderAndFollower(lock, podA, podB);
    await env.cluster.setPodStatus(NS, podA, { phase: 'Failed', reason: 'OOMKilled' });
    await within(b.elector.whenLeading(), 400 + GC_DELAY_MS + 1000, 'b leads');
    expect(await podExists(podA)).to.equal(false);
    expect(env.counters.count({ user: userB, verb: 'delete', resource: 'pods' })).to.equal(1);
  });

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

  it('regression: a lock created after a deletion that no running replica saw gets a higher epoch, and it is in the annotation', async () => {
    const { lock, podA, podB } = await twoPodsOnANode();
    const a = start(unique('a'), podA, lock);
    const first = await within(a.elector.whenLeading(), 2000, 'a leads');
    await stop(a);
    // Deleted while no replica runs: the next creator never saw it.
    await admin.deleteNamespacedConfigMap({ name: lock, namespace: NS });
    await sleep(5);
    const b = start(unique('b'), podB, lock);
    const second = await within(b.elector.whenLeading(), 2000, 'b leads');
    expect(second.epoch).to.be.greaterThan(first.epoch);
    const written = await admin.readNamespacedConfigMap({ name: lock, namespace: NS });
    expect(written.metadata?.annotations?.[EPOCH_ANNOTATION]).to.equal(String(second.epoch));
  });

  it('a restarted process in the same Pod (same UID) is leader again at once', async () => {
    const { pod, uid, lock } = await podOnANode();
    const first = start(unique('first'), pod, lock);
    const firstTerm = await within(first.elector.whenLeading(), 2000, 'leads');
    await stop(first);
    const lockBefore = await admin.readNamespacedConfigMap({ name: lock, namespace: NS });
    const started = performance.now();
    const user = unique('restarted');
    // With a minute of backoff, any waiting (for GC, for a retry) would show.
    const restarted = start(user, pod, lock, { initialBackoff: 60_000, maxBackoff: 60_000 });
    const term = await within(restarted.elector.whenLeading(), 1000, 'leads again');
    expect(performance.now() - started).to.be.below(1000);
    expect(term.epoch).to.equal(firstTerm.epoch);
    const lockAfter = await admin.readNamespacedConfigMap({ name: lock, namespace: NS });
    expect(lockAfter.metadata?.uid).to.equal(lockBefore.metadata?.uid);
    expect(lockAfter.metadata?.ownerReferences?.[0]?.uid).to.equal(uid);
    // Its Pod, a create (409 AlreadyExists), a read of the lock: no waiting, no delete.
    expect(env.counters.count({ user, verb: 'get', resource: 'pods' })).to.equal(1);
    expect(env.counters.count({ user, verb: 'create', resource: 'configmaps' })).to.equal(1);
    expect(env.counters.count({ user, verb: 'get', resource: 'configmaps' })).to.equal(1);
    expect(env.counters.count({ user, verb: 'delete' })).to.equal(0);
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
      new LeaderForLifeElector({ lockName: 'l', kubeConfig, namespace: NS, env: {} });
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
    await admin.deleteNamespacedPod({ name: podA, namespace: NS, gracePeriodSeconds: 0 });
    await within(b.elector.whenLeading(), GC_DELAY_MS + 1000, 'b leads through the restarted watch');
  });

  it("works with exactly the README's RBAC (nodes not at all without forced takeover)", async () => {
    const verbs: readonly Verb[] = [
      'get',
      'list',
      'watch',
      'create',
      'update',
      'patch',
      'delete',
      'deletecollection',
    ];
    const allowed: Readonly<Record<string, readonly Verb[]>> = {
      pods: ['get', 'delete'],
      configmaps: ['get', 'create', 'delete', 'list', 'watch'],
      nodes: [],
    };
    const restrict = (user: string): void => {
      env.addUser(user);
      for (const [resource, granted] of Object.entries(allowed)) {
        for (const verb of verbs) {
          if (!granted.includes(verb)) env.faults.add({ user, verb, resource, error: { code: 403 } });
        }
      }
    };
    const { lock, podA, podB } = await twoPodsOnANode();
    const [userA, userB] = [unique('a'), unique('b')];
    restrict(userA);
    restrict(userB);
    const a = start(userA, podA, lock);
    await within(a.elector.whenLeading(), 2000, 'a leads');
    const b = start(userB, podB, lock);
    await eventually(() => b.leaders.includes(podA), 2000, 'b follows');
    await env.cluster.setPodStatus(NS, podA, { phase: 'Failed', reason: 'Evicted' });
    await within(b.elector.whenLeading(), 400 + GC_DELAY_MS + 1000, 'b leads');
    expect(a.errors).to.deep.equal([]);
    expect(b.errors).to.deep.equal([]);
  });
});
