import { expect } from 'chai';
import type { KubeObject } from '@kubekit/client';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import {
  addFinalizer,
  findStatusCondition,
  hasFinalizer,
  isBeingDeleted,
  isStatusConditionTrue,
  ReconcileError,
  removeFinalizer,
  removeStatusCondition,
  setControllerReference,
  setOwnerReference,
  setStatusCondition,
} from '@kubekit/reconcile';

const app = (namespace?: string): KubeObject => ({
  apiVersion: 'example.com/v1',
  kind: 'App',
  metadata: { name: 'web', uid: 'uid-web', ...(namespace === undefined ? {} : { namespace }) },
});

function caught(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('finalizer helpers', () => {
  it('add, find and remove a finalizer, saying whether they changed the object', () => {
    const object: KubeObject = { metadata: { name: 'x', finalizers: ['other'] } };
    expect(addFinalizer(object, 'example.com/cleanup')).to.equal(true);
    expect(addFinalizer(object, 'example.com/cleanup')).to.equal(false);
    expect(hasFinalizer(object, 'example.com/cleanup')).to.equal(true);
    expect(object.metadata?.finalizers).to.deep.equal(['other', 'example.com/cleanup']);
    expect(removeFinalizer(object, 'example.com/cleanup')).to.equal(true);
    expect(removeFinalizer(object, 'example.com/cleanup')).to.equal(false);
    expect(object.metadata?.finalizers).to.deep.equal(['other']);
    expect(isBeingDeleted(object)).to.equal(false);
    expect(isBeingDeleted({ metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } })).to.equal(true);
  });
});

describe('setControllerReference', () => {
  it('adds a controller reference that blocks owner deletion, replacing one to the same owner', () => {
    const object: KubeObject = {
      metadata: {
        name: 'web-config',
        namespace: 'shop',
        ownerReferences: [{ apiVersion: 'example.com/v1beta1', kind: 'App', name: 'web', uid: 'old' }],
      },
    };
    setControllerReference(app('shop'), object);
    expect(object.metadata?.ownerReferences).to.deep.equal([
      {
        apiVersion: 'example.com/v1',
        kind: 'App',
        name: 'web',
        uid: 'uid-web',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    setControllerReference(app('shop'), object); // again: unchanged
    expect(object.metadata?.ownerReferences).to.have.length(1);
  });

  it('refuses cross-namespace owners and namespaced owners of cluster-scoped objects', () => {
    const other = caught(() => {
      setControllerReference(app('shop'), { metadata: { name: 'x', namespace: 'ops' } });
    });
    expect(ReconcileError.is(other, 'invalidArgument')).to.equal(true);
    expect(String(other)).to.match(/cross-namespace/);
    const cluster = caught(() => {
      setControllerReference(app('shop'), { kind: 'Node', metadata: { name: 'n1' } });
    });
    expect(String(cluster)).to.match(/cluster-scoped Node n1 cannot be owned by namespaced App shop\/web/);
    // A cluster-scoped owner may own a namespaced object.
    setControllerReference(app(), { metadata: { name: 'x', namespace: 'ops' } });
  });

  it('refuses an object another owner controls, and an owner without a uid', () => {
    const object: KubeObject = {
      metadata: {
        name: 'x',
        namespace: 'shop',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u', controller: true },
        ],
      },
    };
    expect(
      ReconcileError.is(
        caught(() => {
          setControllerReference(app('shop'), object);
        }),
        'alreadyOwned',
      ),
    ).to.equal(true);
    const noUid = { ...app('shop'), metadata: { name: 'web', namespace: 'shop' } };
    expect(
      ReconcileError.is(
        caught(() => {
          setControllerReference(noUid, { metadata: {} });
        }),
        'invalidArgument',
      ),
    ).to.equal(true);
    // A plain owner reference beside the controller is fine.
    setOwnerReference(app('shop'), object);
    expect(object.metadata?.ownerReferences?.map((r) => r.kind)).to.deep.equal(['Deployment', 'App']);
  });
});

describe('status conditions', () => {
  it('sets a condition, changing lastTransitionTime only when the status changes', () => {
    const conditions: Condition[] = [];
    const t1 = new Date('2026-01-01T00:00:00.123Z');
    const t2 = new Date('2026-01-01T00:01:00Z');
    expect(
      setStatusCondition(conditions, { type: 'Ready', status: 'False', reason: 'Starting' }, t1),
    ).to.equal(true);
    expect(conditions[0]).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'Starting',
      message: '',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
    const again = { type: 'Ready', status: 'False', reason: 'Starting' } as const;
    expect(setStatusCondition(conditions, again, t2)).to.equal(false);
    expect(
      setStatusCondition(
        conditions,
        { ...again, reason: 'Waiting', message: 'no pods', observedGeneration: 3 },
        t2,
      ),
    ).to.equal(true);
    expect(conditions[0]?.lastTransitionTime).to.equal('2026-01-01T00:00:00Z');
    expect(conditions[0]?.observedGeneration).to.equal(3);
    expect(
      setStatusCondition(conditions, { type: 'Ready', status: 'True', reason: 'Available' }, t2),
    ).to.equal(true);
    expect(conditions[0]?.lastTransitionTime).to.equal('2026-01-01T00:01:00Z');
    expect(isStatusConditionTrue(conditions, 'Ready')).to.equal(true);
    expect(findStatusCondition(conditions, 'Degraded')).to.equal(undefined);
    expect(removeStatusCondition(conditions, 'Ready')).to.equal(true);
    expect(removeStatusCondition(conditions, 'Ready')).to.equal(false);
    expect(conditions).to.deep.equal([]);
  });
});
