import { expect } from 'chai';
import { ApiError } from '#lib/api/api-error.js';
import type { KubeObject } from '#lib/api/kube-object.js';
import { ObjectStore } from '#lib/storage/object-store.js';

function object(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' } };
}

describe('ObjectStore', () => {
  describe('.commit', () => {
    it('gives every change the next resourceVersion of one global counter', () => {
      const store = new ObjectStore(10);
      expect(store.commit('/configmaps', 'ns/a', 'ADDED', object('a')).metadata.resourceVersion).to.equal(
        '1',
      );
      expect(store.commit('/secrets', 'ns/b', 'ADDED', object('b')).metadata.resourceVersion).to.equal('2');
      expect(store.revision).to.equal(2);
      store.commit('/configmaps', 'ns/a', 'DELETED', object('a'));
      expect(store.get('/configmaps', 'ns/a')).to.equal(undefined);
      expect(store.scan('/secrets', 'ns')).to.have.length(1);
      expect(store.scan('/secrets', 'other')).to.have.length(0);
      expect(store.scan('/nothing')).to.deep.equal([]);
    });
  });

  describe('.list', () => {
    function inNamespace(namespace: string, name: string): KubeObject {
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace } };
    }
    const names = (objects: readonly KubeObject[]): string[] =>
      objects.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`);

    it('lists in key order through adds, changes and deletes, by namespace and after a key', () => {
      const store = new ObjectStore(100);
      const keys = ['b/2', 'a/10', 'a-b/1', 'a/9', 'b/1', 'a/1', 'ab/1', 'a/2'];
      for (const key of keys) {
        const [namespace = '', name = ''] = key.split('/');
        store.commit('/configmaps', key, 'ADDED', inNamespace(namespace, name));
      }
      const sorted = [...keys].sort();
      expect(names(store.list('/configmaps'))).to.deep.equal(sorted);
      // 'a-b' and 'ab' sort around 'a/…' but are other namespaces.
      expect(names(store.list('/configmaps', 'a'))).to.deep.equal(['a/1', 'a/10', 'a/2', 'a/9']);
      expect(names(store.list('/configmaps', 'a', 'a/10'))).to.deep.equal(['a/2', 'a/9']);
      // A continue key that is gone meanwhile: the objects after where it was.
      expect(names(store.list('/configmaps', 'a', 'a/15'))).to.deep.equal(['a/2', 'a/9']);
      expect(names(store.list('/configmaps', undefined, 'a/9'))).to.deep.equal(['ab/1', 'b/1', 'b/2']);
      expect(store.list('/configmaps', 'c')).to.deep.equal([]);
      expect(store.list('/configmaps', 'a', 'z')).to.deep.equal([]);

      store.commit('/configmaps', 'a/10', 'DELETED', inNamespace('a', '10'));
      const changed = store.commit('/configmaps', 'a/2', 'MODIFIED', {
        ...inNamespace('a', '2'),
        data: { k: 'v' },
      });
      store.commit('/configmaps', 'a/0', 'ADDED', inNamespace('a', '0'));
      const listed = store.list('/configmaps', 'a');
      expect(names(listed)).to.deep.equal(['a/0', 'a/1', 'a/2', 'a/9']);
      expect(listed[2]).to.equal(changed);
      expect(names(store.list('/configmaps'))).to.deep.equal(
        [...sorted.filter((key) => key !== 'a/10'), 'a/0'].sort(),
      );
    });

    it('answers a copy that later changes of the store leave as it was', () => {
      const store = new ObjectStore(100);
      store.commit('/configmaps', 'ns/a', 'ADDED', object('a'));
      const listed = store.list('/configmaps');
      store.commit('/configmaps', 'ns/b', 'ADDED', object('b'));
      store.commit('/configmaps', 'ns/a', 'DELETED', object('a'));
      expect(names(listed)).to.deep.equal(['ns/a']);
      expect(names(store.scan('/configmaps', 'ns'))).to.deep.equal(['ns/b']);
    });
  });

  describe('.changesSince', () => {
    it('replays the changes after a revision and answers 410 once the history no longer reaches it', () => {
      const store = new ObjectStore(2);
      for (const name of ['a', 'b', 'c']) store.commit('/configmaps', `ns/${name}`, 'ADDED', object(name));
      expect(store.changesSince('/configmaps', 1).map((e) => e.object.metadata.name)).to.deep.equal([
        'b',
        'c',
      ]);
      store.commit('/configmaps', 'ns/d', 'ADDED', object('d'));
      // Trimmed in batches: 4 > 1.5 × 2 keeps the last 2.
      expect(store.changesSince('/configmaps', 2).map((e) => e.object.metadata.name)).to.deep.equal([
        'c',
        'd',
      ]);
      let error: unknown;
      try {
        store.changesSince('/configmaps', 1);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ApiError);
      expect((error as ApiError).code).to.equal(410);
      expect((error as ApiError).message).to.equal('too old resource version: 1 (3)');
    });
  });

  describe('.subscribe', () => {
    it('tells listeners of one resource and of all, until unsubscribed', () => {
      const store = new ObjectStore(10);
      const one: string[] = [];
      const all: string[] = [];
      const stopOne = store.subscribe('/configmaps', (event) => one.push(event.type));
      const stopAll = store.subscribeAll((event) => all.push(event.storageId));
      store.commit('/configmaps', 'ns/a', 'ADDED', object('a'));
      store.commit('/secrets', 'ns/a', 'ADDED', object('a'));
      stopOne();
      stopAll();
      store.commit('/configmaps', 'ns/a', 'MODIFIED', object('a'));
      expect(one).to.deep.equal(['ADDED']);
      expect(all).to.deep.equal(['/configmaps', '/secrets']);
    });
  });
});
