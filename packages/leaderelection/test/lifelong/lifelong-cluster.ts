import {
  CoreV1Api,
  V1Container,
  V1Node,
  V1ObjectMeta,
  V1Pod,
  V1PodSpec,
  type KubeConfig,
} from '@kubernetes/client-node';
import { useEnvtest, type TestEnvtest } from '@kubekit/envtest/testing';
import {
  LeaderForLifeElector,
  type LeaderElectionError,
  type LeaderForLifeOptions,
  type Term,
} from '@kubekit/leaderelection';
import { statusCodeOf } from '#lib/lifelong/lifelong-api.js';
import { eventually, within } from '../support/wait.js';

/** How long envtest's garbage collector waits before it deletes the dependents of a removed owner. */
export const GC_DELAY_MS = 500;

/** A leader-for-life elector a test started, with what it reported. */
export interface Candidate {
  readonly elector: LeaderForLifeElector;
  readonly controller: AbortController;
  readonly done: Promise<void>;
  readonly errors: LeaderElectionError[];
  readonly leaders: (string | undefined)[];
}

/** What a test of the leader-for-life elector on envtest uses: see {@link useLifelongCluster}. */
export interface LifelongCluster {
  readonly env: TestEnvtest;
  /** A CoreV1Api client of the envtest admin, for the running test. */
  readonly admin: CoreV1Api;
  readonly unique: (name: string) => string;
  readonly createNode: (name: string) => Promise<void>;
  readonly createPod: (name: string, nodeName: string) => Promise<string>;
  readonly twoPodsOnANode: () => Promise<{ lock: string; podA: string; podB: string }>;
  readonly podOnANode: (name?: string) => Promise<{ node: string; pod: string; uid: string; lock: string }>;
  readonly podExists: (name: string) => Promise<boolean>;
  readonly lockOwnerUid: (name: string) => Promise<string | undefined>;
  readonly kubeConfigOf: (user: string) => KubeConfig;
  readonly start: (
    user: string,
    podName: string,
    lockName: string,
    options?: Partial<LeaderForLifeOptions>,
  ) => Candidate;
  readonly leaderAndFollower: (
    lock: string,
    podA: string,
    podB: string,
  ) => Promise<{ a: Candidate; first: Term; b: Candidate; userB: string }>;
  readonly stop: (candidate: Candidate) => Promise<void>;
}

/**
 * Registers the hooks of a suite of leader-for-life tests on envtest (a server for the suite, with
 * a garbage collector that waits {@link GC_DELAY_MS}), and returns what its tests use: every test
 * runs in a fresh namespace with faults cleared and counters reset, names made unique to it by
 * `unique`, and the electors it started are stopped after it, before its namespace goes.
 */
export function useLifelongCluster(): LifelongCluster {
  let test = 0;
  const candidates: Candidate[] = [];

  // Registered before useEnvtest's hooks, so candidates stop before the test's namespace goes.
  afterEach(async () => {
    for (const candidate of candidates.splice(0)) {
      candidate.controller.abort();
      await candidate.done.catch(() => undefined);
    }
  });

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

  /** Creates a Ready Node `name`. */
  async function createNode(name: string): Promise<void> {
    const node = Object.assign(new V1Node(), { metadata: Object.assign(new V1ObjectMeta(), { name }) });
    await admin.createNode({ body: node });
    await env.cluster.setNodeReady(name, 'True');
  }

  /** Creates operator Pod `name` on Node `nodeName` in the test's namespace; returns its UID. */
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

  /** Whether Pod `name` exists (in the test's namespace). */
  async function podExists(name: string): Promise<boolean> {
    try {
      await admin.readNamespacedPod({ name, namespace: NS });
      return true;
    } catch (error) {
      if (statusCodeOf(error) === 404) return false;
      throw error;
    }
  }

  /** The UID of the first owner of lock `name`; undefined when there is no lock. */
  async function lockOwnerUid(name: string): Promise<string | undefined> {
    try {
      const lock = await admin.readNamespacedConfigMap({ name, namespace: NS });
      return lock.metadata?.ownerReferences?.[0]?.uid;
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** A KubeConfig of envtest user `user`, which it adds. */
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

  /** Stops `candidate` and waits until its run has resolved. */
  async function stop(candidate: Candidate): Promise<void> {
    candidate.controller.abort();
    await candidate.done;
  }

  return {
    env,
    get admin() {
      return admin;
    },
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
  };
}
