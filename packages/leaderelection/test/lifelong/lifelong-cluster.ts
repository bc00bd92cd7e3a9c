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
  /** `name` made unique to the running test. */
  readonly unique: (name: string) => string;
  /** Creates a Ready Node `name`. */
  readonly createNode: (name: string) => Promise<void>;
  /** Creates operator Pod `name` on Node `nodeName` in the test's namespace; resolves with its UID. */
  readonly createPod: (name: string, nodeName: string) => Promise<string>;
  /** A fresh Node with two operator Pods on it, and a fresh lock name for them to compete for. */
  readonly twoPodsOnANode: () => Promise<{ lock: string; podA: string; podB: string }>;
  /** A fresh Node with one operator Pod on it (named after `name`, default `op-a`), and a fresh lock name. */
  readonly podOnANode: (name?: string) => Promise<{ node: string; pod: string; uid: string; lock: string }>;
  /** Whether Pod `name` exists (in the test's namespace). */
  readonly podExists: (name: string) => Promise<boolean>;
  /** The UID of the first owner of lock `name`; undefined when there is no lock. */
  readonly lockOwnerUid: (name: string) => Promise<string | undefined>;
  /** A KubeConfig of envtest user `user`, which it adds. */
  readonly kubeConfigOf: (user: string) => KubeConfig;
  /** Runs a candidate in Pod `podName` as envtest user `user` (so faults and counters can target it). */
  readonly start: (
    user: string,
    podName: string,
    lockName: string,
    options?: Partial<LeaderForLifeOptions>,
  ) => Candidate;
  /** Starts `a` in Pod `podA` and waits until it leads, then `b` in `podB` and until it follows `a`. */
  readonly leaderAndFollower: (
    lock: string,
    podA: string,
    podB: string,
  ) => Promise<{ a: Candidate; first: Term; b: Candidate; userB: string }>;
  /** Stops `candidate` and waits until its run has resolved. */
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

  const cluster: LifelongCluster = {
    env,
    get admin() {
      return admin;
    },
    unique: (name) => `${name}-${test}`,
    createNode: async (name) => {
      const node = Object.assign(new V1Node(), { metadata: Object.assign(new V1ObjectMeta(), { name }) });
      await admin.createNode({ body: node });
      await env.cluster.setNodeReady(name, 'True');
    },
    createPod: async (name, nodeName) => {
      const container = Object.assign(new V1Container(), {
        name: 'operator',
        image: 'example.com/operator:1',
      });
      const pod = Object.assign(new V1Pod(), {
        metadata: Object.assign(new V1ObjectMeta(), { name, namespace: NS }),
        spec: Object.assign(new V1PodSpec(), { nodeName, containers: [container] }),
      });
      const created = await admin.createNamespacedPod({ namespace: NS, body: pod });
      return created.metadata?.uid ?? '';
    },
    twoPodsOnANode: async () => {
      const node = cluster.unique('node');
      await cluster.createNode(node);
      const [podA, podB] = [cluster.unique('op-a'), cluster.unique('op-b')];
      await cluster.createPod(podA, node);
      await cluster.createPod(podB, node);
      return { lock: cluster.unique('lock'), podA, podB };
    },
    podOnANode: async (name = 'op-a') => {
      const node = cluster.unique('node');
      await cluster.createNode(node);
      const pod = cluster.unique(name);
      const uid = await cluster.createPod(pod, node);
      return { node, pod, uid, lock: cluster.unique('lock') };
    },
    podExists: async (name) => {
      try {
        await admin.readNamespacedPod({ name, namespace: NS });
        return true;
      } catch (error) {
        if (statusCodeOf(error) === 404) return false;
        throw error;
      }
    },
    lockOwnerUid: async (name) => {
      try {
        const lock = await admin.readNamespacedConfigMap({ name, namespace: NS });
        return lock.metadata?.ownerReferences?.[0]?.uid;
      } catch (error) {
        if (statusCodeOf(error) === 404) return undefined;
        throw error;
      }
    },
    kubeConfigOf: (user) => {
      env.addUser(user);
      return env.kubeConfigFor(user);
    },
    start: (user, podName, lockName, options = {}) => {
      const elector = new LeaderForLifeElector({
        lockName,
        namespace: NS,
        podName,
        kubeConfig: cluster.kubeConfigOf(user),
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
    },
    leaderAndFollower: async (lock, podA, podB) => {
      const a = cluster.start(cluster.unique('a'), podA, lock);
      const first = await within(a.elector.whenLeading(), 2000, 'a leads');
      const userB = cluster.unique('b');
      const b = cluster.start(userB, podB, lock);
      await eventually(() => b.leaders.includes(podA), 2000, 'b follows');
      return { a, first, b, userB };
    },
    stop: async (candidate) => {
      candidate.controller.abort();
      await candidate.done;
    },
  };
  return cluster;
}
