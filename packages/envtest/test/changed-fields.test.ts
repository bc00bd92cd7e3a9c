import { expect } from 'chai';
import { configmaps, deployments } from '#lib/api/builtin-resources.js';
import type { KubeObject } from '#lib/api/kube-object.js';
import { shapeOf } from '#lib/apply/field-tracking.js';
import { changedFields } from '#lib/apply/object-fields.js';
import type { FieldScope } from '#lib/apply/object-fields.js';

function configMap(metadata: Record<string, unknown>, data?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'a', namespace: 'ns', uid: 'u', resourceVersion: '1', ...metadata },
    ...(data === undefined ? {} : { data }),
  };
}

function paths(old: KubeObject, updated: KubeObject, scope: FieldScope = 'all'): [string[], string[]] {
  const type = updated.kind === 'Deployment' ? deployments : configmaps;
  const { changed, removed } = changedFields(old, updated, shapeOf(type), scope);
  const sorted = (set: typeof changed): string[] =>
    set
      .paths()
      .map((path) => path.join('/'))
      .sort();
  return [sorted(changed), sorted(removed)];
}

describe('changedFields', () => {
  it('ignores the metadata the server owns (resourceVersion, managedFields, uid)', () => {
    const old = configMap({ managedFields: [{ manager: 'a' }] }, { k: 'v' });
    const updated = configMap({ resourceVersion: '2', uid: 'other', managedFields: [] }, { k: 'v' });
    expect(paths(old, updated)).to.deep.equal([[], []]);
  });

  it('marks a new label and the labels map that appeared', () => {
    expect(paths(configMap({}), configMap({ labels: { x: '1' } }))).to.deep.equal([
      ['f:metadata/f:labels', 'f:metadata/f:labels/f:x'],
      [],
    ]);
  });

  it('removes every label when metadata is left with only the fields the server owns', () => {
    expect(
      paths(configMap({ labels: { x: '1', y: '2' } }, { k: 'v' }), configMap({}, { k: 'v' })),
    ).to.deep.equal([[], ['f:metadata/f:labels', 'f:metadata/f:labels/f:x', 'f:metadata/f:labels/f:y']]);
  });

  it('counts an object emptied of every field it owned as a change of the object itself', () => {
    const [changed, removed] = paths(configMap({}, { k: 'v' }), configMap({}));
    expect(changed).to.deep.equal(['']);
    expect(removed).to.deep.equal(['f:data', 'f:data/f:k']);
  });

  it('sees only status in the status scope and everything else in the main scope', () => {
    const old: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', labels: { a: '1' } },
      spec: { replicas: 1 },
      status: { replicas: 1 },
    };
    const updated: KubeObject = {
      ...old,
      metadata: { name: 'd', labels: { a: '2' } },
      spec: { replicas: 2 },
      status: { replicas: 2 },
    };
    expect(paths(old, updated, 'status')).to.deep.equal([['f:status/f:replicas'], []]);
    expect(paths(old, updated, 'main')).to.deep.equal([['f:metadata/f:labels/f:a', 'f:spec/f:replicas'], []]);
  });
});
