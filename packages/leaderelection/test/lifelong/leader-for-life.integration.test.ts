import { KubernetesLifelongApi } from '#lib/lifelong/kubernetes-lifelong-api.js';
import { expect } from 'chai';
import type { Verb } from '@kubekit/envtest';
import { EPOCH_ANNOTATION, LeaderElectionError } from '@kubekit/leaderelection';
import { statusCodeOf } from '#lib/lifelong/lifelong-api.js';
import { rejectionOf } from '../support/rejection-of.js';
import { eventually, sleep, within } from '../support/wait.js';
import { GC_DELAY_MS, useLifelongCluster } from './lifelong-cluster.js';

// Taking over from a leader Pod that is gone, failed or stuck, and leading again after a restart.

describe('LeaderForLifeElector on envtest (integration)', function () {
  this.timeout(30_000);
  const cluster = useLifelongCluster();
  const {
    env,
    unique,
    createNode,
    createPod,
    twoPodsOnANode,
    podOnANode,
    podExists,
    lockOwnerUid,
    kubeConfigOf,
    start,
    leaderAndFollower,
    stop,
  } = cluster;

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
    await cluster.admin.deleteNamespacedPod({ name: podA, namespace: env.namespace, gracePeriodSeconds: 0 });
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

    await env.cluster.setPodStatus(env.namespace, podA, { phase: 'Failed', reason: 'Evicted' });
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
    const created = await api.createConfigMap(env.namespace, lock, { name: pod, uid }, {});
    expect(created.owner).to.deep.equal({ name: pod, uid });
    const refused = async (work: Promise<void>): Promise<number | undefined> =>
      work.then(
        () => undefined,
        (error: unknown) => statusCodeOf(error),
      );
    expect(await refused(api.deletePod(env.namespace, pod, 'another-uid'))).to.equal(409);
    expect(await refused(api.deleteConfigMap(env.namespace, lock, 'another-uid'))).to.equal(409);
    expect(await podExists(pod)).to.equal(true);
    expect(await lockOwnerUid(lock)).to.equal(uid);
    await api.deleteConfigMap(env.namespace, lock, created.uid);
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
    await cluster.admin.deleteNamespacedPod({ name: podA, namespace: env.namespace }); // graceful: stuck Terminating
    await sleep(2000); // five times b's longest backoff
    const stuck = await cluster.admin.readNamespacedPod({ name: podA, namespace: env.namespace });
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
    await cluster.admin.deleteNamespacedPod({ name: pod, namespace: env.namespace, gracePeriodSeconds: 0 });
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
    await env.cluster.setPodStatus(env.namespace, podA, { phase: 'Failed', reason: 'OOMKilled' });
    await within(b.elector.whenLeading(), 400 + GC_DELAY_MS + 1000, 'b leads');
    expect(await podExists(podA)).to.equal(false);
    expect(env.counters.count({ user: userB, verb: 'delete', resource: 'pods' })).to.equal(1);
  });

  it('regression: a lock created after a deletion that no running replica saw gets a higher epoch, and it is in the annotation', async () => {
    const { lock, podA, podB } = await twoPodsOnANode();
    const a = start(unique('a'), podA, lock);
    const first = await within(a.elector.whenLeading(), 2000, 'a leads');
    await stop(a);
    // Deleted while no replica runs: the next creator never saw it.
    await cluster.admin.deleteNamespacedConfigMap({ name: lock, namespace: env.namespace });
    await sleep(5);
    const b = start(unique('b'), podB, lock);
    const second = await within(b.elector.whenLeading(), 2000, 'b leads');
    expect(second.epoch).to.be.greaterThan(first.epoch);
    const written = await cluster.admin.readNamespacedConfigMap({ name: lock, namespace: env.namespace });
    expect(written.metadata?.annotations?.[EPOCH_ANNOTATION]).to.equal(String(second.epoch));
  });

  it('a restarted process in the same Pod (same UID) is leader again at once', async () => {
    const { pod, uid, lock } = await podOnANode();
    const first = start(unique('first'), pod, lock);
    const firstTerm = await within(first.elector.whenLeading(), 2000, 'leads');
    await stop(first);
    const lockBefore = await cluster.admin.readNamespacedConfigMap({ name: lock, namespace: env.namespace });
    const started = performance.now();
    const user = unique('restarted');
    // With a minute of backoff, any waiting (for GC, for a retry) would show.
    const restarted = start(user, pod, lock, { initialBackoff: 60_000, maxBackoff: 60_000 });
    const term = await within(restarted.elector.whenLeading(), 1000, 'leads again');
    expect(performance.now() - started).to.be.below(1000);
    expect(term.epoch).to.equal(firstTerm.epoch);
    const lockAfter = await cluster.admin.readNamespacedConfigMap({ name: lock, namespace: env.namespace });
    expect(lockAfter.metadata?.uid).to.equal(lockBefore.metadata?.uid);
    expect(lockAfter.metadata?.ownerReferences?.[0]?.uid).to.equal(uid);
    // Its Pod, a create (409 AlreadyExists), a read of the lock: no waiting, no delete.
    expect(env.counters.count({ user, verb: 'get', resource: 'pods' })).to.equal(1);
    expect(env.counters.count({ user, verb: 'create', resource: 'configmaps' })).to.equal(1);
    expect(env.counters.count({ user, verb: 'get', resource: 'configmaps' })).to.equal(1);
    expect(env.counters.count({ user, verb: 'delete' })).to.equal(0);
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
    await env.cluster.setPodStatus(env.namespace, podA, { phase: 'Failed', reason: 'Evicted' });
    await within(b.elector.whenLeading(), 400 + GC_DELAY_MS + 1000, 'b leads');
    expect(a.errors).to.deep.equal([]);
    expect(b.errors).to.deep.equal([]);
  });
});
