import {
  CoreV1Api,
  V1ConfigMap,
  V1DeleteOptions,
  V1ObjectMeta,
  V1OwnerReference,
  V1Preconditions,
  Watch,
  setHeaderMiddleware,
  type ConfigurationOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { LifelongApi, LockEvent, LockInfo, NodeInfo, PodInfo, PodOwner } from './lifelong-api.js';
import { reuseConnections } from '../kube/reuse-connections.js';

interface RawOwnerReference {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly uid?: string;
}

interface RawConfigMap {
  readonly metadata?: {
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly ownerReferences?: readonly RawOwnerReference[];
    readonly annotations?: Readonly<Record<string, string>>;
  };
}

/** An API error built from a `Status` that arrived as a watch `ERROR` event. */
class WatchStatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'WatchStatusError';
  }
}

function toLock(object: RawConfigMap): LockInfo {
  const metadata = object.metadata ?? {};
  const owner = metadata.ownerReferences?.find(
    (ref) => ref.kind === 'Pod' && (ref.apiVersion ?? 'v1') === 'v1',
  );
  return {
    uid: metadata.uid ?? '',
    resourceVersion: metadata.resourceVersion ?? '',
    owner:
      owner?.name !== undefined && owner.uid !== undefined ? { name: owner.name, uid: owner.uid } : undefined,
    annotations: { ...metadata.annotations },
  };
}

const userAgent = setHeaderMiddleware('User-Agent', 'kubekit-leaderelection');

/** Per-request client-node options that abandon the HTTP request when `signal` aborts. */
function abortable(signal: AbortSignal | undefined): ConfigurationOptions | undefined {
  if (signal === undefined) return undefined;
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal);
          return userAgent.pre(context);
        },
        post: (context) => userAgent.post(context),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** Delete options that make the API server delete only the object with this UID. */
function uidPrecondition(uid: string): V1DeleteOptions {
  return Object.assign(new V1DeleteOptions(), {
    preconditions: Object.assign(new V1Preconditions(), { uid }),
  });
}

function isTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'TimeoutError';
}

/** {@link LifelongApi} over `@kubernetes/client-node` 2.0.1: CoreV1Api and Watch. */
export class KubernetesLifelongApi implements LifelongApi {
  private readonly core: CoreV1Api;
  private readonly watcher: Watch;

  constructor(kubeConfig: KubeConfig) {
    const pooled = reuseConnections(kubeConfig);
    this.core = pooled.makeApiClient(CoreV1Api);
    this.watcher = new Watch(pooled);
  }

  async getPod(namespace: string, name: string, signal?: AbortSignal): Promise<PodInfo> {
    const pod = await this.core.readNamespacedPod({ name, namespace }, abortable(signal));
    return {
      name: pod.metadata?.name ?? name,
      uid: pod.metadata?.uid ?? '',
      phase: pod.status?.phase,
      reason: pod.status?.reason,
      nodeName: pod.spec?.nodeName,
      terminating: pod.metadata?.deletionTimestamp !== undefined,
    };
  }

  async deletePod(namespace: string, name: string, uid: string, signal?: AbortSignal): Promise<void> {
    await this.core.deleteNamespacedPod({ name, namespace, body: uidPrecondition(uid) }, abortable(signal));
  }

  async getNode(name: string, signal?: AbortSignal): Promise<NodeInfo> {
    const node = await this.core.readNode({ name }, abortable(signal));
    const condition = node.status?.conditions?.find((candidate) => candidate.type === 'Ready');
    const ready = condition?.status;
    const since: unknown = condition?.lastTransitionTime;
    return {
      name,
      ready: ready === 'True' || ready === 'False' ? ready : 'Unknown',
      // client-node parses it into a Date (or leaves the string as sent): either way, a stable text.
      readySince: since instanceof Date ? since.toISOString() : typeof since === 'string' ? since : undefined,
    };
  }

  async getConfigMap(namespace: string, name: string, signal?: AbortSignal): Promise<LockInfo> {
    return toLock(await this.core.readNamespacedConfigMap({ name, namespace }, abortable(signal)));
  }

  async createConfigMap(
    namespace: string,
    name: string,
    owner: PodOwner,
    annotations: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<LockInfo> {
    const reference = Object.assign(new V1OwnerReference(), {
      apiVersion: 'v1',
      kind: 'Pod',
      name: owner.name,
      uid: owner.uid,
    });
    const metadata = Object.assign(new V1ObjectMeta(), {
      name,
      namespace,
      annotations,
      ownerReferences: [reference],
    });
    const body = Object.assign(new V1ConfigMap(), { apiVersion: 'v1', kind: 'ConfigMap', metadata });
    const created = await this.core.createNamespacedConfigMap({ namespace, body }, abortable(signal));
    return toLock(created);
  }

  async deleteConfigMap(namespace: string, name: string, uid: string, signal?: AbortSignal): Promise<void> {
    await this.core.deleteNamespacedConfigMap(
      { name, namespace, body: uidPrecondition(uid) },
      abortable(signal),
    );
  }

  watchConfigMap(
    namespace: string,
    name: string,
    resourceVersion: string | undefined,
    onEvent: (event: LockEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      // client-node hands out the watch's controller only once the server has answered (or after
      // its 30 s connect timeout): an abort before that settles at once, and the watch is aborted
      // the moment it opens, so that stopping never waits for a watch that is still connecting.
      let controller: AbortController | undefined;
      let statusError: WatchStatusError | undefined;
      let settled = false;
      const onAbort = (): void => {
        controller?.abort();
        settle(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const settle = (error: unknown): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (statusError !== undefined) reject(statusError);
        else if (signal.aborted || error === null || error === undefined || isTimeout(error)) resolve();
        else reject(error instanceof Error ? error : new Error('watch failed', { cause: error }));
      };
      const query: Record<string, string | boolean | undefined> = {
        fieldSelector: `metadata.name=${name}`,
        allowWatchBookmarks: true,
        resourceVersion,
      };
      this.watcher
        .watch(
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
          query,
          (type: string, object: unknown) => {
            if (statusError !== undefined || settled) return;
            switch (type) {
              case 'ADDED':
              case 'MODIFIED':
              case 'DELETED':
                onEvent({ type, lock: toLock(object as RawConfigMap) });
                break;
              case 'BOOKMARK': {
                const version = (object as RawConfigMap).metadata?.resourceVersion;
                if (version !== undefined) onEvent({ type, resourceVersion: version });
                break;
              }
              case 'ERROR': {
                const status = object as { code?: unknown; message?: unknown };
                statusError = new WatchStatusError(
                  typeof status.code === 'number' ? status.code : 500,
                  typeof status.message === 'string' ? status.message : 'watch error',
                );
                controller?.abort();
                break;
              }
              default:
                break;
            }
          },
          settle,
        )
        .then(
          (opened) => {
            controller = opened;
            if (signal.aborted || statusError !== undefined) opened.abort();
          },
          (error: unknown) => {
            settle(error ?? new Error('watch failed'));
          },
        );
    });
  }
}
