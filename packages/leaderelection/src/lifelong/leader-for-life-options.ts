import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import { readPodNamespace, serviceAccountNamespaceFile } from '../defaults/default-namespace.js';
import { LeaderElectionError } from '../leader-election-error.js';
import type { Logger } from '../logger.js';
import type { EventRecorder } from '../observability/event-recorder.js';
import type { LifelongApi } from './lifelong-api.js';

/** Options of a {@link LeaderForLifeElector}. Only `lockName` is required. */
export interface LeaderForLifeOptions {
  /** Name of the lock ConfigMap, e.g. `my-operator-lock`. */
  readonly lockName: string;
  /**
   * Namespace of the lock and of this Pod. Default: the Pod's own namespace, read from
   * `namespaceFile`. Set it to run out of a cluster (with `podName`).
   */
  readonly namespace?: string;
  /**
   * This Pod's name. Default: the `POD_NAME` environment variable, which the Deployment must set
   * from the downward API (`valueFrom: { fieldRef: { fieldPath: metadata.name } }`).
   */
  readonly podName?: string;
  /** Cluster access. Default: `KubeConfig.loadFromDefault()` (in cluster: the service account). */
  readonly kubeConfig?: KubeConfig;
  /** The API calls, for tests or custom clients; overrides `kubeConfig`. */
  readonly api?: LifelongApi;
  /** First retry delay (and first leader-Pod re-check) in ms, jittered. Default 1000; > 0. */
  readonly initialBackoff?: number;
  /**
   * Exact maximum of every retry delay and leader-Pod re-check interval, in ms: no wait is longer.
   * Default 16000 (operator-lib's cap); ≥ initialBackoff.
   */
  readonly maxBackoff?: number;
  /**
   * Default false. When true, a follower that finds the leader's Pod on a Node that is not Ready
   * (Ready condition False or Unknown, or the Node gone) deletes that Pod and the lock (both with a
   * UID precondition) and takes over. This gives up the no-split-brain guarantee: a Node that is
   * merely partitioned from the API server still runs the old leader's process, which keeps acting
   * as leader until its kubelet reconnects and kills it — two leaders at once. Enable it only if
   * your operator tolerates that (or fences its writes), in exchange for liveness after node loss.
   * Needs `get` on `nodes`. See `notReadyGracePeriod` for how long the Node must have been seen not
   * Ready first.
   */
  readonly forceTakeoverOnNotReadyNode?: boolean;
  /**
   * With `forceTakeoverOnNotReadyNode`: how long, in ms, this follower must have seen the leader's
   * Node not Ready (or gone) before it takes over: every reading of the Node in that time said not
   * Ready, with the same `lastTransitionTime` (so it was not Ready in between either). Measured on
   * this follower's own monotonic clock from its first such reading, so a flapping or briefly
   * NotReady Node never triggers a takeover, and clock skew does not matter. Default 300000 (5
   * minutes: Kubernetes' default `tolerationSeconds` for the `node.kubernetes.io/not-ready` and
   * `unreachable` taints, after which it evicts the Node's Pods itself; the Node controller marks a
   * silent Node `Unknown` only after its own grace of 40 to 50 s). 0 takes over on the first
   * not-Ready reading (operator-lib's behaviour). Must be ≥ 0.
   */
  readonly notReadyGracePeriod?: number;
  /**
   * Timeout of one API request in ms (a watch is not bounded by it): an unanswered request fails
   * and is retried with backoff instead of blocking the election. Default 10000; > 0.
   */
  readonly requestTimeout?: number;
  /**
   * When `run` stops while leading: how long, in ms, it waits for work tracked by the term (`track`,
   * `runWhileLeading`) after the term's signal has aborted. Work still running then is logged at
   * error level and reported on `errors$` (kind `drainTimeout`, naming it); `run` resolves anyway
   * (the lock stays this Pod's). Also bounds sending one Event. Default 10000; ≥ 0; `Infinity` waits
   * for the work however long it runs.
   */
  readonly drainTimeout?: number;
  /** Default: logs nothing. Each retried failure is logged once (warn) until it recovers (info). */
  readonly logger?: Logger;
  /**
   * prom-client registry for `leader_election_master_status{name}` and
   * `leader_election_transitions_total{name,transition}`; default prom-client's global registry;
   * `null`: no metrics.
   */
  readonly registry?: Registry | null;
  /**
   * Where Events about the lock go ("became leader", "stopped leading"), e.g. a
   * `KubernetesEventRecorder` for the ConfigMap (needs `create` on `events`). Default: none.
   */
  readonly eventRecorder?: EventRecorder;
  /** Time source. Default `systemClock`. */
  readonly clock?: Clock;
  /** Uniform random numbers in [0, 1) for jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Where to read the default namespace. Default {@link serviceAccountNamespaceFile}. */
  readonly namespaceFile?: string;
  /** Environment for `POD_NAME` and `KUBERNETES_SERVICE_HOST`. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The durations of {@link LeaderForLifeOptions} with their defaults applied, in ms. */
export interface LeaderForLifeDurations {
  readonly initialBackoff: number;
  readonly maxBackoff: number;
  readonly drainTimeout: number;
  readonly requestTimeout: number;
  readonly notReadyGracePeriod: number;
}

const DEFAULT_DURATIONS: LeaderForLifeDurations = {
  initialBackoff: 1000,
  maxBackoff: 16_000,
  drainTimeout: 10_000,
  requestTimeout: 10_000,
  notReadyGracePeriod: 5 * 60_000,
};

/**
 * Applies the defaults to the durations of `options` and checks them; throws `invalidConfig`
 * (prefixed with `where`, e.g. `configmap ns/my-lock`) naming the offending option.
 */
export function resolveLeaderForLifeDurations(
  options: LeaderForLifeOptions,
  where: string,
): LeaderForLifeDurations {
  const durations: LeaderForLifeDurations = {
    initialBackoff: options.initialBackoff ?? DEFAULT_DURATIONS.initialBackoff,
    maxBackoff: options.maxBackoff ?? DEFAULT_DURATIONS.maxBackoff,
    drainTimeout: options.drainTimeout ?? DEFAULT_DURATIONS.drainTimeout,
    requestTimeout: options.requestTimeout ?? DEFAULT_DURATIONS.requestTimeout,
    notReadyGracePeriod: options.notReadyGracePeriod ?? DEFAULT_DURATIONS.notReadyGracePeriod,
  };
  const { initialBackoff, maxBackoff, drainTimeout, requestTimeout, notReadyGracePeriod } = durations;
  const invalid = (message: string): LeaderElectionError =>
    new LeaderElectionError('invalidConfig', `${where}: ${message}`);
  if (!(initialBackoff > 0) || !(maxBackoff >= initialBackoff) || !Number.isFinite(maxBackoff)) {
    throw invalid(`need 0 < initialBackoff (${initialBackoff}) <= maxBackoff (${maxBackoff}) < Infinity`);
  }
  if (!(drainTimeout >= 0) || !(requestTimeout > 0)) {
    throw invalid(`need drainTimeout (${drainTimeout}) >= 0 and requestTimeout (${requestTimeout}) > 0`);
  }
  if (!(notReadyGracePeriod >= 0) || !Number.isFinite(notReadyGracePeriod)) {
    throw invalid(
      `need 0 <= notReadyGracePeriod (${notReadyGracePeriod}) < Infinity (to never take over, leave forceTakeoverOnNotReadyNode false)`,
    );
  }
  return durations;
}

/** Where this replica runs, resolved from options, the environment and the namespace file. */
export interface PodLocation {
  readonly namespace: string;
  readonly podName: string;
}

const DOWNWARD_API_HINT =
  'add to the container: env: - name: POD_NAME valueFrom: fieldRef: fieldPath: metadata.name ' +
  '(the downward API), or pass the podName option';

/**
 * Finds the namespace and Pod name, or throws a `LeaderElectionError`: `notInCluster` (no namespace
 * file and no `KUBERNETES_SERVICE_HOST`), `noNamespace` (in a cluster, but no namespace file),
 * `noPodName` (no `POD_NAME`), `invalidConfig` (an empty lock name).
 */
export function resolvePodLocation(options: LeaderForLifeOptions): PodLocation {
  const env = options.env ?? process.env;
  const file = options.namespaceFile ?? serviceAccountNamespaceFile;
  if (options.lockName === '') {
    throw new LeaderElectionError('invalidConfig', 'leader-for-life: lockName must not be empty');
  }
  const namespace = options.namespace ?? readPodNamespace(file);
  if (namespace === undefined || namespace === '') {
    if (env['KUBERNETES_SERVICE_HOST'] === undefined) {
      throw new LeaderElectionError(
        'notInCluster',
        `leader-for-life lock ${options.lockName}: not running in a Kubernetes cluster (no ${file}, ` +
          'no KUBERNETES_SERVICE_HOST); leader-for-life needs the Pod it runs in: run it in a Pod, or ' +
          'set the namespace option and POD_NAME to run against a cluster from outside',
      );
    }
    throw new LeaderElectionError(
      'noNamespace',
      `leader-for-life lock ${options.lockName}: cannot tell the namespace: ${file} is missing ` +
        '(is automountServiceAccountToken false?); set the namespace option',
    );
  }
  const podName = options.podName ?? env['POD_NAME'];
  if (podName === undefined || podName === '') {
    throw new LeaderElectionError(
      'noPodName',
      `leader-for-life configmap ${namespace}/${options.lockName}: POD_NAME is not set; ${DOWNWARD_API_HINT}`,
    );
  }
  return { namespace, podName };
}
