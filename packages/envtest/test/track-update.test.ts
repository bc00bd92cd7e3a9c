import { expect } from 'chai';
import { builtinResources, configmaps, deployments, leases, namespaces } from '#lib/api/builtin-resources.js';
import { cloneJson, jsonEqual } from '#lib/api/kube-object.js';
import type { KubeObject } from '#lib/api/kube-object.js';
import { ObjectService } from '#lib/api/object-service.js';
import { ResourceRegistry } from '#lib/api/resource-registry.js';
import type { ResourceType } from '#lib/api/resource-type.js';
import { trackUpdate } from '#lib/apply/field-tracking.js';
import { ObjectStore } from '#lib/storage/object-store.js';

const LEADER = { operation: 'Update', manager: 'leader' } as const;

function deployment(image: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'ns', uid: 'u', resourceVersion: '1', labels: { app: 'd' } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'c', image }] } } },
    status: { replicas: 1 },
    ...extra,
  };
}

function configMap(data?: Record<string, string>, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'a', namespace: 'ns', uid: 'u', resourceVersion: '1', ...(labels ? { labels } : {}) },
    ...(data === undefined ? {} : { data }),
  };
}

/** The object an update would store and whether trackUpdate saw a change; `old` is left as it was. */
function tracked(
  type: ResourceType,
  old: KubeObject,
  updated: KubeObject,
  subresource?: 'status',
): { changed: boolean; differs: boolean } {
  const object = cloneJson(updated);
  const changed = trackUpdate(type, old, object, subresource, LEADER);
  delete object.metadata.resourceVersion;
  const comparable = cloneJson(old);
  delete comparable.metadata.resourceVersion;
  return { changed, differs: !jsonEqual(object, comparable) };
}

describe('trackUpdate', () => {
  it('reports a change for updates whose owned fields differ, each of which makes the objects differ', () => {
    const cases: [ResourceType, KubeObject, KubeObject, 'status' | undefined][] = [
      [configmaps, configMap({ k: 'v' }), configMap({ k: 'w' }), undefined],
      [configmaps, configMap({ k: 'v' }), configMap({ k: 'v' }, { x: '1' }), undefined],
      [configmaps, configMap({ k: 'v', l: 'w' }), configMap({ k: 'v' }), undefined],
      [configmaps, configMap({ k: 'v' }), configMap(), undefined],
      [configmaps, configMap(), configMap({}), undefined],
      [deployments, deployment('a'), deployment('b'), undefined],
      [deployments, deployment('a'), deployment('a', { status: { replicas: 2 } }), 'status'],
    ];
    for (const [type, old, updated, subresource] of cases) {
      expect(tracked(type, old, updated, subresource), JSON.stringify(updated)).to.deep.equal({
        changed: true,
        differs: true,
      });
    }
  });

  it('reports no change for an update that resends the stored object with its managedFields', () => {
    const old = configMap({ k: 'v' }, { x: '1' });
    old.metadata['managedFields'] = [
      {
        manager: 'leader',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2026-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:k': {} }, 'f:metadata': { 'f:labels': { 'f:x': {} } } },
      },
    ];
    expect(tracked(configmaps, old, cloneJson(old))).to.deep.equal({ changed: false, differs: false });
  });

  it("says nothing (false) where it makes no diff: stripped managedFields, the server's own writes", () => {
    const old = configMap({ k: 'v' });
    const stripped = configMap({ k: 'w' });
    stripped.metadata['managedFields'] = [{}];
    expect(trackUpdate(configmaps, old, stripped, undefined, LEADER)).to.equal(false);
    expect(stripped.metadata['managedFields']).to.equal(undefined);
    expect(trackUpdate(configmaps, old, configMap({ k: 'w' }), undefined, undefined)).to.equal(false);
    expect(trackUpdate(configmaps, old, configMap({ k: 'w' }), undefined, { operation: 'Apply' })).to.equal(
      false,
    );
  });
});

describe('ObjectService.update with field tracking', () => {
  function service(): ObjectService {
    const registry = new ResourceRegistry();
    for (const type of builtinResources) registry.add(type);
    const objects = new ObjectService(new ObjectStore(100), registry, { podTerminating: () => undefined }, 0);
    objects.create(namespaces, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default' },
    });
    return objects;
  }

  function renewed(lease: KubeObject, renewTime: string): KubeObject {
    const copy = cloneJson(lease);
    (copy['spec'] as Record<string, unknown>)['renewTime'] = renewTime;
    return copy;
  }

  it('stores a renewal as a new version, and a PUT of the object as read as a no-op', () => {
    const objects = service();
    const events: string[] = [];
    objects.store.subscribe(leases.storageId, (event) => events.push(event.type));
    const created = objects.create(
      leases,
      'default',
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'lock' },
        spec: { holderIdentity: 'a', renewTime: '2026-01-01T00:00:00.000000Z' },
      },
      false,
      false,
      LEADER,
    );
    const read = cloneJson(objects.get(leases, 'default', 'lock'));
    const same = objects.update(leases, 'default', 'lock', cloneJson(read), undefined, false, false, LEADER);
    expect(same.object.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
    const next = objects.update(
      leases,
      'default',
      'lock',
      renewed(read, '2026-01-01T00:00:01.000000Z'),
      undefined,
      false,
      false,
      LEADER,
    ).object;
    expect(Number(next.metadata.resourceVersion)).to.equal(Number(created.metadata.resourceVersion) + 1);
    expect((next['spec'] as Record<string, unknown>)['renewTime']).to.equal('2026-01-01T00:00:01.000000Z');
    expect(next.metadata['managedFields']).to.have.length(1);
    expect(events).to.deep.equal(['ADDED', 'MODIFIED']);
  });
});
