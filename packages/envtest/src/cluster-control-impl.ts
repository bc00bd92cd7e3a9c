import { wallClock } from './wall-clock.js';
import { ApiError } from './api/api-error.js';
import { namespaces, nodes, pods } from './api/builtin-resources.js';
import { cloneJson, formatTime, isRecord } from './api/kube-object.js';
import type { KubeObject } from './api/kube-object.js';
import type { ObjectService } from './api/object-service.js';
import type { ClusterControl } from './envtest.js';
import { EnvtestError } from './envtest-error.js';

function status(object: KubeObject): Record<string, unknown> {
  return isRecord(object['status']) ? object['status'] : {};
}

/** `Envtest.cluster`: what the simulated kubelets and nodes do, driven by the test. */
export class ClusterControlImpl implements ClusterControl {
  readonly #service: ObjectService;

  constructor(service: ObjectService) {
    this.#service = service;
  }

  setPodStatus(namespace: string, name: string, update: { phase: string; reason?: string }): Promise<void> {
    const pod = this.#service.find(pods, namespace, name);
    if (!pod) return Promise.reject(new EnvtestError('notFound', `pod ${namespace}/${name} does not exist`));
    const updated = cloneJson(pod);
    const next: Record<string, unknown> = { ...status(pod), phase: update.phase };
    if (update.reason === undefined) delete next['reason'];
    else next['reason'] = update.reason;
    if (update.reason === 'Evicted') next['message'] = 'The node was low on resource: memory.';
    updated['status'] = next;
    this.#service.write(pods, updated);
    return Promise.resolve();
  }

  setNodeReady(name: string, ready: 'True' | 'False' | 'Unknown'): Promise<void> {
    const now = formatTime(wallClock());
    const existing = this.#service.find(nodes, undefined, name);
    const node: KubeObject =
      existing ??
      this.#service.create(nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
    const current = status(node);
    const conditions: unknown[] = Array.isArray(current['conditions']) ? current['conditions'] : [];
    const previous = conditions.find((c) => isRecord(c) && c['type'] === 'Ready');
    const condition = {
      type: 'Ready',
      status: ready,
      lastHeartbeatTime: now,
      lastTransitionTime:
        isRecord(previous) && previous['status'] === ready ? previous['lastTransitionTime'] : now,
      reason: ready === 'True' ? 'KubeletReady' : ready === 'False' ? 'KubeletNotReady' : 'NodeStatusUnknown',
      message: ready === 'True' ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.',
    };
    const updated = cloneJson(this.#service.find(nodes, undefined, name) ?? node);
    updated['status'] = {
      ...current,
      conditions: [...conditions.filter((c) => !(isRecord(c) && c['type'] === 'Ready')), condition],
    };
    this.#service.write(nodes, updated);
    return Promise.resolve();
  }

  createNamespace(name: string): Promise<string> {
    try {
      this.#service.create(namespaces, undefined, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      });
      return Promise.resolve(name);
    } catch (error) {
      const message = error instanceof ApiError ? error.message : String(error);
      return Promise.reject(
        new EnvtestError('invalidOptions', `cannot create namespace ${name}: ${message}`, { cause: error }),
      );
    }
  }

  deleteNamespace(name: string): Promise<void> {
    try {
      this.#service.delete(namespaces, undefined, name);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) {
        const forbidden = error instanceof ApiError && error.code === 403;
        return Promise.reject(
          new EnvtestError(
            forbidden ? 'invalidOptions' : 'notFound',
            `cannot delete namespace ${name}: ${String(error)}`,
            { cause: error },
          ),
        );
      }
    }
    return Promise.resolve();
  }

  compact(): void {
    this.#service.store.compact();
  }
}
