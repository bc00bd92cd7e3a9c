import { KubeClientError, readWatchEvents } from '@kubekit/client';
import type { Transport } from '@kubekit/client';
import type { KubeConfig } from '@kubernetes/client-node';
import { lockWatchInactivityMs, sharedClient } from '../kube/shared-client.js';
import type { LifelongApi, LockEvent, LockInfo, NodeInfo, PodInfo, PodOwner } from './lifelong-api.js';

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

interface RawPod {
  readonly metadata?: { readonly name?: string; readonly uid?: string; readonly deletionTimestamp?: string };
  readonly spec?: { readonly nodeName?: string };
  readonly status?: { readonly phase?: string; readonly reason?: string };
}

interface RawNode {
  readonly status?: {
    readonly conditions?: readonly {
      readonly type?: string;
      readonly status?: string;
      readonly lastTransitionTime?: string;
    }[];
  };
}

/** Read afresh: TypeScript would narrow a repeated `signal.aborted` check away. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** The longest watch event accepted, in characters (a lock ConfigMap is small). */
const maxWatchLineLength = 4 * 1024 * 1024;

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

/** Delete options that make the API server delete only the object with this UID. */
function uidPrecondition(uid: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } });
}

function namespaced(namespace: string, resource: string, name?: string): string {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}`;
  return name === undefined ? path : `${path}/${encodeURIComponent(name)}`;
}

/**
 * {@link LifelongApi} over `@kubekit/client`: plain JSON on known paths, through the client shared
 * by everything built from the same KubeConfig. Errors are `KubeClientError`s (`code` is the HTTP
 * status when the server answered).
 */
export class KubernetesLifelongApi implements LifelongApi {
  private readonly transport: Transport;

  constructor(kubeConfig: KubeConfig) {
    this.transport = sharedClient(kubeConfig).transport;
  }

  async getPod(namespace: string, name: string, signal?: AbortSignal): Promise<PodInfo> {
    const pod = (await this.transport.json({
      method: 'GET',
      path: namespaced(namespace, 'pods', name),
      signal,
    })) as RawPod;
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
    await this.transport.json({
      method: 'DELETE',
      path: namespaced(namespace, 'pods', name),
      body: uidPrecondition(uid),
      signal,
    });
  }

  async getNode(name: string, signal?: AbortSignal): Promise<NodeInfo> {
    const node = (await this.transport.json({
      method: 'GET',
      path: `/api/v1/nodes/${encodeURIComponent(name)}`,
      signal,
    })) as RawNode;
    const condition = node.status?.conditions?.find((candidate) => candidate.type === 'Ready');
    const ready = condition?.status;
    return {
      name,
      ready: ready === 'True' || ready === 'False' ? ready : 'Unknown',
      readySince: condition?.lastTransitionTime,
    };
  }

  async getConfigMap(namespace: string, name: string, signal?: AbortSignal): Promise<LockInfo> {
    const configMap = await this.transport.json({
      method: 'GET',
      path: namespaced(namespace, 'configmaps', name),
      signal,
    });
    return toLock(configMap as RawConfigMap);
  }

  async createConfigMap(
    namespace: string,
    name: string,
    owner: PodOwner,
    annotations: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<LockInfo> {
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace,
        annotations,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: owner.name, uid: owner.uid }],
      },
    };
    // Sent once more if its connection broke: a create that landed meanwhile is AlreadyExists,
    // which the elector resolves by the owner's UID.
    const created = await this.transport.json({
      method: 'POST',
      path: namespaced(namespace, 'configmaps'),
      body: JSON.stringify(body),
      signal,
      idempotent: true,
    });
    return toLock(created as RawConfigMap);
  }

  async deleteConfigMap(namespace: string, name: string, uid: string, signal?: AbortSignal): Promise<void> {
    await this.transport.json({
      method: 'DELETE',
      path: namespaced(namespace, 'configmaps', name),
      body: uidPrecondition(uid),
      signal,
    });
  }

  async watchConfigMap(
    namespace: string,
    name: string,
    resourceVersion: string | undefined,
    onEvent: (event: LockEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (signal.aborted) return;
    let search = `?watch=true&fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}&allowWatchBookmarks=true`;
    if (resourceVersion !== undefined) search += `&resourceVersion=${encodeURIComponent(resourceVersion)}`;
    let established = false;
    try {
      const stream = await this.transport.stream({
        method: 'GET',
        path: namespaced(namespace, 'configmaps') + search,
        signal,
        timeoutMs: lockWatchInactivityMs,
      });
      established = true;
      const events = readWatchEvents(stream.body, {
        maxLineLength: maxWatchLineLength,
        inactivityTimeoutMs: lockWatchInactivityMs,
        what: `watch configmap ${namespace}/${name}`,
      });
      for await (const event of events) {
        if (isAborted(signal)) return;
        const object = event.object as RawConfigMap;
        if (event.type === 'BOOKMARK') {
          const version = object.metadata?.resourceVersion;
          if (version !== undefined) onEvent({ type: 'BOOKMARK', resourceVersion: version });
        } else {
          onEvent({ type: event.type, lock: toLock(object) });
        }
      }
    } catch (error: unknown) {
      if (isAborted(signal)) return;
      // A quiet watch (no data for 30 s) ends without an error: the caller resumes from its last resourceVersion.
      if (established && KubeClientError.is(error, 'timeout')) return;
      throw error;
    }
  }
}
