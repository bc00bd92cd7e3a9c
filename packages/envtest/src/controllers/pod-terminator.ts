import { clearTimeout, setImmediate, setTimeout } from 'node:timers';
import { nodes, pods } from '../api/builtin-resources.js';
import { isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import type { ObjectService, PodTerminationHook } from '../api/object-service.js';

interface Terminating {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly node: string;
}

/** True when the Node exists and its `Ready` condition is not `True` (its kubelet is dead). */
export function isNodeDead(node: KubeObject | undefined): boolean {
  if (!node) return false;
  const status = node['status'];
  const conditions: unknown = isRecord(status) ? status['conditions'] : undefined;
  if (!Array.isArray(conditions)) return false;
  const ready: unknown = conditions.find((c: unknown) => isRecord(c) && c['type'] === 'Ready');
  return isRecord(ready) && ready['status'] !== 'True';
}

/**
 * The kubelets of the simulated cluster: a Pod deleted gracefully is removed (a delete with
 * grace period 0) once its grace period has passed, unless its Node is dead, in which case it
 * stays Terminating until its Node is Ready again or someone force-deletes it.
 */
export class PodTerminator implements PodTerminationHook {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #waiting = new Map<string, Terminating>();
  #service: ObjectService | undefined;
  #unsubscribe: (() => void) | undefined;
  #running = false;

  start(service: ObjectService): void {
    this.#service = service;
    this.#running = true;
    this.#unsubscribe = service.store.subscribe(nodes.storageId, (event) => {
      if (event.type !== 'DELETED' && !isNodeDead(event.object)) {
        const name = event.object.metadata.name ?? '';
        if ([...this.#waiting.values()].some((pod) => pod.node === name)) {
          setImmediate(() => {
            this.#nodeAlive(name);
          });
        }
      }
    });
  }

  stop(): void {
    this.#running = false;
    this.#unsubscribe?.();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#waiting.clear();
  }

  podTerminating(pod: KubeObject, graceMs: number): void {
    if (!this.#running) return;
    const spec = isRecord(pod['spec']) ? pod['spec'] : {};
    const entry: Terminating = {
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
      node: typeof spec['nodeName'] === 'string' ? spec['nodeName'] : '',
    };
    const timer = setTimeout(() => {
      this.#timers.delete(entry.uid);
      this.#confirm(entry);
    }, graceMs);
    this.#timers.set(entry.uid, timer);
  }

  #confirm(entry: Terminating): void {
    const service = this.#service;
    if (!service || !this.#running) return;
    const pod = service.find(pods, entry.namespace, entry.name);
    if (pod?.metadata.uid !== entry.uid || !pod.metadata.deletionTimestamp) {
      this.#waiting.delete(entry.uid); // force-deleted meanwhile
      return;
    }
    if (isNodeDead(service.find(nodes, undefined, entry.node))) {
      this.#waiting.set(entry.uid, entry);
      return;
    }
    this.#waiting.delete(entry.uid);
    try {
      service.delete(pods, entry.namespace, entry.name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: entry.uid },
      });
    } catch {
      // Deleted or replaced meanwhile.
    }
  }

  #nodeAlive(node: string): void {
    for (const entry of [...this.#waiting.values()]) if (entry.node === node) this.#confirm(entry);
  }
}
