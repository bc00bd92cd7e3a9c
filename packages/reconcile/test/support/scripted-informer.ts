import type { KubeObject } from '@kubekit/client';
import type { InformerEvent, InformerScope } from '@kubekit/reconcile';
import { Subject } from 'rxjs';

const kind = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

/** The part of an informer the tracker reads, driven by the test. */
export class ScriptedInformer {
  readonly scope: InformerScope;
  readonly objects = new Map<string, KubeObject>();
  readonly changes = new Subject<InformerEvent>();
  last: string | undefined;
  synced = true;

  constructor(scope: Partial<InformerScope> = {}) {
    this.scope = { ...kind, namespace: 'ns', ...scope };
  }

  hasSynced(): boolean {
    return this.synced;
  }

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  lastResourceVersion(): string | undefined {
    return this.last;
  }

  events(): Subject<InformerEvent> {
    return this.changes;
  }

  /** Stores `object` at `resourceVersion` and delivers the event, as the informer does. */
  deliver(name: string, resourceVersion: string, uid = 'u1'): void {
    const object = { ...kind, metadata: { name, namespace: 'ns', uid, resourceVersion } };
    this.objects.set(`ns/${name}`, object);
    this.changes.next({ type: 'update', object, initial: false });
    this.last = resourceVersion;
  }

  remove(name: string, resourceVersion: string): void {
    const object = this.objects.get(`ns/${name}`) ?? { ...kind, metadata: { name, namespace: 'ns' } };
    this.objects.delete(`ns/${name}`);
    this.changes.next({ type: 'delete', object, initial: false });
    this.last = resourceVersion;
  }

  /** A relist against a server with a fresh store: every object replaced, versions start low. */
  relistFresh(listVersion: string): void {
    for (const name of [...this.objects.keys()].map((key) => key.slice('ns/'.length))) {
      this.remove(name, this.last ?? '0');
    }
    this.last = listVersion;
  }
}
