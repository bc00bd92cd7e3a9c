import { expect } from 'chai';
import type { KubeObject } from '@kubekit/client';
import {
  and,
  annotationsChanged,
  enqueueRequestForObject,
  enqueueRequestForOwner,
  enqueueRequestsFromMapFunc,
  generationChanged,
  labelsChanged,
  labelSelector,
  not,
  or,
  resourceVersionChanged,
  type ObjectEvent,
} from '@kubekit/reconcile';

function object(name: string, metadata: KubeObject['metadata'] = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'shop', ...metadata } };
}

function update(before: KubeObject, after: KubeObject): ObjectEvent {
  return { type: 'update', object: after, oldObject: before, initial: false };
}

const owner = (kind: string, name: string, apiVersion = 'example.com/v1', controller?: boolean) => ({
  apiVersion,
  kind,
  name,
  uid: `uid-${name}`,
  ...(controller === undefined ? {} : { controller }),
});

describe('handlers', () => {
  describe('enqueueRequestForObject', () => {
    it('queues the object itself, without a namespace when cluster-scoped', () => {
      const handler = enqueueRequestForObject();
      expect(handler({ type: 'add', object: object('a'), initial: false })).to.deep.equal([
        { namespace: 'shop', name: 'a' },
      ]);
      expect(
        handler({ type: 'add', object: { metadata: { name: 'node-1' } }, initial: false }),
      ).to.deep.equal([{ namespace: '', name: 'node-1' }]);
      expect(handler({ type: 'generic', object: {}, initial: false })).to.deep.equal([]);
    });
  });

  describe('enqueueRequestForOwner', () => {
    const refs = [
      owner('App', 'ctl', 'example.com/v1', true),
      owner('App', 'plain', 'example.com/v1'),
      owner('App', 'other-group', 'other.io/v1', true),
      owner('Db', 'other-kind', 'example.com/v1', true),
    ];

    it('queues only the controlling owner of the kind (any version of its group)', () => {
      const handler = enqueueRequestForOwner({ apiVersion: 'example.com/v2', kind: 'App' });
      const event: ObjectEvent = {
        type: 'add',
        object: object('s', { ownerReferences: refs }),
        initial: false,
      };
      expect(handler(event)).to.deep.equal([{ namespace: 'shop', name: 'ctl' }]);
    });

    it('queues every owner of the kind with onlyController false', () => {
      const handler = enqueueRequestForOwner(
        { apiVersion: 'example.com/v1', kind: 'App' },
        { onlyController: false },
      );
      const event: ObjectEvent = {
        type: 'add',
        object: object('s', { ownerReferences: refs }),
        initial: false,
      };
      expect(handler(event).map((r) => r.name)).to.deep.equal(['ctl', 'plain']);
    });

    it('queues the owners of the old and the new object of an update, once each', () => {
      const handler = enqueueRequestForOwner({ apiVersion: 'example.com/v1', kind: 'App' });
      const before = object('s', { ownerReferences: [owner('App', 'old', 'example.com/v1', true)] });
      const after = object('s', { ownerReferences: [owner('App', 'new', 'example.com/v1', true)] });
      expect(handler(update(before, after)).map((r) => r.name)).to.deep.equal(['new', 'old']);
      expect(handler(update(after, after)).map((r) => r.name)).to.deep.equal(['new']);
    });

    it('gives cluster-scoped owners no namespace', () => {
      const handler = enqueueRequestForOwner({ apiVersion: 'v1', kind: 'Node' }, { clusterScoped: true });
      const event: ObjectEvent = {
        type: 'add',
        object: object('s', { ownerReferences: [owner('Node', 'n1', 'v1', true)] }),
        initial: false,
      };
      expect(handler(event)).to.deep.equal([{ namespace: '', name: 'n1' }]);
    });
  });

  describe('enqueueRequestsFromMapFunc', () => {
    it('queues what the function returns', () => {
      const handler = enqueueRequestsFromMapFunc((o) => [
        { namespace: 'ops', name: `${o.metadata?.name ?? ''}-a` },
        { namespace: 'ops', name: `${o.metadata?.name ?? ''}-b` },
      ]);
      expect(handler({ type: 'delete', object: object('x'), initial: false })).to.deep.equal([
        { namespace: 'ops', name: 'x-a' },
        { namespace: 'ops', name: 'x-b' },
      ]);
    });
  });
});

describe('predicates', () => {
  const base = object('a', {
    generation: 1,
    resourceVersion: '10',
    labels: { app: 'web' },
    annotations: { x: '1' },
  });
  const add: ObjectEvent = { type: 'add', object: base, initial: false };

  it('generationChanged passes updates of the generation and every other event', () => {
    const p = generationChanged();
    expect(p(update(base, object('a', { ...base.metadata, resourceVersion: '11' })))).to.equal(false);
    expect(p(update(base, object('a', { ...base.metadata, generation: 2 })))).to.equal(true);
    expect(p(add)).to.equal(true);
    expect(p({ type: 'delete', object: base, initial: false })).to.equal(true);
  });

  it('resourceVersionChanged drops resyncs (same resourceVersion)', () => {
    const p = resourceVersionChanged();
    expect(p(update(base, base))).to.equal(false);
    expect(p(update(base, object('a', { ...base.metadata, resourceVersion: '11' })))).to.equal(true);
  });

  it('labelsChanged and annotationsChanged compare the maps, not their order', () => {
    const relabelled = object('a', { ...base.metadata, labels: { app: 'db' } });
    const reordered = object('a', { ...base.metadata, labels: { app: 'web' }, annotations: { x: '1' } });
    const annotated = object('a', { ...base.metadata, annotations: { x: '1', y: '2' } });
    expect(labelsChanged()(update(base, relabelled))).to.equal(true);
    expect(labelsChanged()(update(base, reordered))).to.equal(false);
    expect(labelsChanged()(update(base, annotated))).to.equal(false);
    expect(annotationsChanged()(update(base, annotated))).to.equal(true);
    expect(annotationsChanged()(update(base, relabelled))).to.equal(false);
  });

  it('labelSelector matches the object labels in every selector form', () => {
    expect(labelSelector('app=web')(add)).to.equal(true);
    expect(
      labelSelector({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] })(add),
    ).to.equal(false);
    expect(labelSelector({ app: 'web' })(add)).to.equal(true);
    expect(() => labelSelector('app in (')).to.throw();
  });

  it('and, or and not combine predicates', () => {
    const yes = (): boolean => true;
    const no = (): boolean => false;
    expect(and(yes, no)(add)).to.equal(false);
    expect(and()(add)).to.equal(true);
    expect(or(no, yes)(add)).to.equal(true);
    expect(or()(add)).to.equal(false);
    expect(not(no)(add)).to.equal(true);
  });
});
