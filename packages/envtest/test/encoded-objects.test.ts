import { expect } from 'chai';
import sinon from 'sinon';
import { useEnvtest } from '@kubekit/envtest/testing';
import type { KubeObject } from '#lib/api/kube-object.js';
import {
  derivedForm,
  encodeEventLine,
  encodeList,
  encodeObject,
  forgetEncoding,
} from '#lib/storage/encoded-objects.js';
import { ObjectStore } from '#lib/storage/object-store.js';
import { eventually, raw, rawWatch } from './support/raw-client.js';

function configMap(name: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data };
}

describe('encoded objects', () => {
  describe('encodeList', () => {
    it('joins the items into the bytes JSON.stringify gives the whole list', () => {
      const store = new ObjectStore(10);
      const items = ['a', 'b', 'c'].map((name) =>
        store.commit('/configmaps', `ns/${name}`, 'ADDED', configMap(name, { k: 'é"\n' })),
      );
      const metadata = { resourceVersion: '3', continue: 'x' };
      const expected = JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata, items });
      const list = encodeList('ConfigMapList', 'v1', metadata, items);
      const bytes = Buffer.concat([...list.parts()]);
      expect(bytes.toString()).to.equal(expected);
      expect(list.size).to.equal(bytes.length);
      expect(Buffer.concat([...encodeList('ConfigMapList', 'v1', metadata, []).parts()]).toString()).to.equal(
        JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata, items: [] }),
      );
    });
  });

  describe('encodeList in parts', () => {
    it('cuts a large list into parts of about 256 KiB that join into the whole list', () => {
      const store = new ObjectStore(10);
      const items = Array.from({ length: 40 }, (_, i) =>
        store.commit('/configmaps', `ns/c${i}`, 'ADDED', configMap(`c${i}`, { k: `ü${'v'.repeat(20_000)}` })),
      );
      const metadata = { resourceVersion: '40' };
      const list = encodeList('ConfigMapList', 'v1', metadata, items);
      const parts = [...list.parts()];
      expect(parts.length).to.be.within(3, 5);
      for (const part of parts.slice(0, -1))
        expect(part.length).to.be.within(256 * 1024, 256 * 1024 + 20_100);
      const bytes = Buffer.concat(parts);
      expect(bytes.length).to.equal(list.size);
      expect(bytes.toString()).to.equal(
        JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata, items }),
      );
    });
  });

  describe('ObjectStore.commit', () => {
    it('freezes what it stores and its metadata, so a version whose bytes are cached cannot change', () => {
      const store = new ObjectStore(10);
      const stored = store.commit('/configmaps', 'ns/a', 'ADDED', configMap('a', { k: 'v' }));
      expect(() => {
        (stored.metadata as { name?: string }).name = 'b';
      }).to.throw(TypeError);
      expect(() => {
        stored['data'] = {};
      }).to.throw(TypeError);
    });

    it('encodes a version once for every reader and forgets it once it is no longer current', () => {
      const store = new ObjectStore(10);
      const first = store.commit('/configmaps', 'ns/a', 'ADDED', configMap('a', { k: '1' }));
      const stringify = sinon.spy(JSON, 'stringify');
      try {
        const text = encodeObject(first);
        expect(encodeObject(first)).to.equal(text);
        const line = encodeEventLine('MODIFIED', first);
        expect(encodeEventLine('MODIFIED', first)).to.equal(line);
        expect(line.toString()).to.equal(`{"type":"MODIFIED","object":${text}}\n`);
        expect(stringify.callCount).to.equal(1);

        const second = store.commit('/configmaps', 'ns/a', 'MODIFIED', configMap('a', { k: '2' }));
        // The replaced version's bytes are dropped: encoding it again serialises it again.
        expect(encodeObject(first)).to.equal(text);
        expect(stringify.callCount).to.equal(2);
        expect(JSON.parse(encodeObject(second))).to.deep.equal(second);
        expect(stringify.callCount).to.equal(3);
      } finally {
        stringify.restore();
      }
    });

    it('keeps no bytes of an object that is not frozen (a dry-run answer, not stored)', () => {
      const object = configMap('a', { k: '1' });
      const first = encodeObject(object);
      (object['data'] as Record<string, string>)['k'] = '2';
      expect(encodeObject(object)).to.equal(JSON.stringify(object));
      expect(first).to.include('"k":"1"');
    });

    it('drops the derived forms of a version with it', () => {
      const store = new ObjectStore(10);
      const stored = store.commit('/configmaps', 'ns/a', 'ADDED', configMap('a'));
      const form = derivedForm(stored, 'form', () => ({ name: stored.metadata.name }));
      expect(derivedForm(stored, 'form', () => ({ name: 'other' }))).to.equal(form);
      expect(Object.isFrozen(form)).to.equal(true);
      forgetEncoding(stored);
      expect(derivedForm(stored, 'form', () => ({ name: 'other' }))).to.deep.equal({ name: 'other' });
    });
  });

  describe('over HTTPS', () => {
    const env = useEnvtest();
    const collection = (): string => `/api/v1/namespaces/${env.namespace}/configmaps`;

    interface Watchers {
      readonly lines: () => string[][];
      close(): Promise<void>;
    }

    /** Three watches of the same resource, to check that they get the same bytes. */
    function watchers(path: string, headers: Record<string, string> = {}): Watchers {
      const watches = [0, 1, 2].map(() => rawWatch(env, path, undefined, headers));
      return {
        lines: () => watches.map((watch) => watch.lines),
        close: async () => {
          for (const watch of watches) watch.close();
          await Promise.all(watches.map((watch) => watch.ended));
        },
      };
    }

    /**
     * Waits for every watcher's `count`-th line, checks they are the same bytes, and that the line
     * carries `text` (the object as a GET answers it) when given.
     */
    async function expectLine(
      watches: Watchers,
      count: number,
      type: string,
      text?: string,
    ): Promise<KubeObject> {
      await eventually(() => watches.lines().every((lines) => lines.length >= count));
      const [first, ...others] = watches.lines().map((lines) => lines[count - 1]);
      for (const other of others) expect(other).to.equal(first);
      const event = JSON.parse(first ?? '') as { type: string; object: KubeObject };
      expect(event.type).to.equal(type);
      if (text !== undefined) expect(first).to.equal(`{"type":"${type}","object":${text}}`);
      return event.object;
    }

    /** GET and list after a change: fresh bytes, the same in both, and a newer resourceVersion. */
    async function expectFresh(name: string, before: string): Promise<string> {
      const got = await raw(env, 'GET', `${collection()}/${name}`);
      expect(got.status).to.equal(200);
      expect(got.text).to.not.equal(before);
      const now = got.json as KubeObject;
      const was = JSON.parse(before) as KubeObject;
      expect(Number(now.metadata.resourceVersion)).to.be.greaterThan(Number(was.metadata.resourceVersion));
      const listed = await raw(env, 'GET', collection());
      expect(listed.text).to.include(got.text);
      expect(listed.text).to.not.include(before);
      expect(JSON.stringify(listed.json)).to.equal(listed.text);
      return got.text;
    }

    it('gives GET, list and every watcher fresh bytes after update, patch, apply, delete and finalizer removal', async () => {
      const watches = watchers(`${collection()}?watch=true`);
      const created = await raw(env, 'POST', collection(), {
        body: { metadata: { name: 'cm', finalizers: ['example.com/keep'] }, data: { k: '1' } },
      });
      expect(created.status).to.equal(201);
      let text = (await raw(env, 'GET', `${collection()}/cm`)).text;
      expect(text).to.equal(created.text);
      await expectLine(watches, 1, 'ADDED', text);

      const current = JSON.parse(text) as KubeObject;
      const put = await raw(env, 'PUT', `${collection()}/cm`, { body: { ...current, data: { k: '2' } } });
      expect(put.status).to.equal(200);
      text = await expectFresh('cm', text);
      expect((JSON.parse(text) as KubeObject)['data']).to.deep.equal({ k: '2' });
      await expectLine(watches, 2, 'MODIFIED', text);

      const patched = await raw(env, 'PATCH', `${collection()}/cm`, {
        rawBody: JSON.stringify({ data: { k: '3' } }),
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(patched.status).to.equal(200);
      text = await expectFresh('cm', text);
      await expectLine(watches, 3, 'MODIFIED', text);

      // The same content applied by another manager changes managedFields only.
      const applied = await raw(env, 'PATCH', `${collection()}/cm?fieldManager=other&force=true`, {
        rawBody: JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'cm' },
          data: { k: '3' },
        }),
        headers: { 'Content-Type': 'application/apply-patch+yaml' },
      });
      expect(applied.status).to.equal(200);
      text = await expectFresh('cm', text);
      const { metadata } = JSON.parse(text) as { metadata: { managedFields?: { manager: string }[] } };
      expect((metadata.managedFields ?? []).map((entry) => entry.manager)).to.include('other');
      await expectLine(watches, 4, 'MODIFIED', text);

      const deleted = await raw(env, 'DELETE', `${collection()}/cm`);
      expect(deleted.status).to.equal(200);
      text = await expectFresh('cm', text);
      expect((JSON.parse(text) as KubeObject).metadata.deletionTimestamp).to.be.a('string');
      await expectLine(watches, 5, 'MODIFIED', text);

      const released = await raw(env, 'PATCH', `${collection()}/cm`, {
        rawBody: JSON.stringify([{ op: 'remove', path: '/metadata/finalizers' }]),
        headers: { 'Content-Type': 'application/json-patch+json' },
      });
      expect(released.status).to.equal(200);
      expect((await raw(env, 'GET', `${collection()}/cm`)).status).to.equal(404);
      const gone = await expectLine(watches, 6, 'DELETED');
      expect(gone.metadata.finalizers).to.equal(undefined);
      expect(Number(gone.metadata.resourceVersion)).to.be.greaterThan(
        Number((JSON.parse(text) as KubeObject).metadata.resourceVersion),
      );
      expect((await raw(env, 'GET', collection())).text).to.not.include('"name":"cm"');
      await watches.close();
    });

    it('gives fresh bytes after a status write', async () => {
      const pods = `/api/v1/namespaces/${env.namespace}/pods`;
      const created = await raw(env, 'POST', pods, {
        body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      });
      expect(created.status).to.equal(201);
      const watches = watchers(
        `${pods}?watch=true&resourceVersion=${(created.json as KubeObject).metadata.resourceVersion ?? ''}`,
      );
      const current = JSON.parse((await raw(env, 'GET', `${pods}/p`)).text) as KubeObject;
      const written = await raw(env, 'PUT', `${pods}/p/status`, {
        body: { ...current, status: { phase: 'Running' } },
      });
      expect(written.status).to.equal(200);
      const got = await raw(env, 'GET', `${pods}/p`);
      expect(got.text).to.not.equal(created.text);
      expect(got.text).to.include('"phase":"Running"');
      expect((await raw(env, 'GET', pods)).text).to.include(got.text);
      await expectLine(watches, 1, 'MODIFIED', got.text);
      await watches.close();
    });

    it('gives fresh bytes after the garbage collector orphans or deletes a dependent', async () => {
      const owner = await raw(env, 'POST', collection(), { body: { metadata: { name: 'owner' } } });
      const uid = (owner.json as KubeObject).metadata.uid ?? '';
      const ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }];
      await raw(env, 'POST', collection(), { body: { metadata: { name: 'orphan', ownerReferences } } });
      const orphanText = (await raw(env, 'GET', `${collection()}/orphan`)).text;
      const watches = watchers(`${collection()}?watch=true&fieldSelector=metadata.name%3Dorphan`);
      await expectLine(watches, 1, 'ADDED', orphanText);

      await raw(env, 'DELETE', `${collection()}/owner`, { body: { propagationPolicy: 'Orphan' } });
      const orphaned = await expectLine(watches, 2, 'MODIFIED');
      expect(orphaned.metadata.ownerReferences).to.equal(undefined);
      const text = await expectFresh('orphan', orphanText);
      await expectLine(watches, 2, 'MODIFIED', text);
      await watches.close();

      const second = await raw(env, 'POST', collection(), { body: { metadata: { name: 'owner2' } } });
      const secondUid = (second.json as KubeObject).metadata.uid ?? '';
      await raw(env, 'POST', collection(), {
        body: {
          metadata: {
            name: 'doomed',
            ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner2', uid: secondUid }],
          },
        },
      });
      const doomed = watchers(`${collection()}?watch=true&fieldSelector=metadata.name%3Ddoomed`);
      await expectLine(doomed, 1, 'ADDED');
      await raw(env, 'DELETE', `${collection()}/owner2`, { body: { propagationPolicy: 'Background' } });
      const collected = await expectLine(doomed, 2, 'DELETED');
      expect(collected.metadata.name).to.equal('doomed');
      expect((await raw(env, 'GET', `${collection()}/doomed`)).status).to.equal(404);
      await doomed.close();
    });

    it('gives each API version of an object its own bytes, fresh after a change through the other', async () => {
      const core = `/api/v1/namespaces/${env.namespace}/events`;
      const events = `/apis/events.k8s.io/v1/namespaces/${env.namespace}/events`;
      const created = await raw(env, 'POST', core, {
        body: {
          metadata: { name: 'ev' },
          involvedObject: { kind: 'ConfigMap', name: 'x', namespace: env.namespace },
          reason: 'First',
          message: 'one',
        },
      });
      expect(created.status).to.equal(201);
      const watches = watchers(
        `${events}?watch=true&resourceVersion=${(created.json as KubeObject).metadata.resourceVersion ?? ''}`,
      );
      const asV1 = await raw(env, 'GET', `${events}/ev`);
      expect(asV1.json).to.include({ apiVersion: 'events.k8s.io/v1', note: 'one', reason: 'First' });
      expect((await raw(env, 'GET', `${core}/ev`)).text).to.equal(created.text);
      // The events.k8s.io list carries the converted form's bytes, the core list the stored ones.
      expect((await raw(env, 'GET', events)).text).to.include(asV1.text);
      expect((await raw(env, 'GET', core)).text).to.include(created.text);

      const patched = await raw(env, 'PATCH', `${core}/ev`, {
        rawBody: JSON.stringify({ message: 'two', reason: 'Second' }),
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(patched.status).to.equal(200);
      const again = await raw(env, 'GET', `${events}/ev`);
      expect(again.json).to.include({ note: 'two', reason: 'Second' });
      expect((await raw(env, 'GET', events)).text).to.include(again.text);
      expect((await raw(env, 'GET', events)).text).to.not.include(asV1.text);
      await expectLine(watches, 1, 'MODIFIED', again.text);
      await watches.close();
    });

    it('sends Table watchers of one change the same line, with the change in it', async () => {
      const accept = { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' };
      const watches = watchers(`${collection()}?watch=true`, accept);
      await raw(env, 'POST', collection(), { body: { metadata: { name: 'row' }, data: { a: '1' } } });
      const added = await expectLine(watches, 1, 'ADDED');
      expect(added.kind).to.equal('Table');
      expect(added['columnDefinitions']).to.not.deep.equal([]);
      await raw(env, 'PATCH', `${collection()}/row`, {
        rawBody: JSON.stringify({ data: { a: '1', b: '2' } }),
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      const modified = await expectLine(watches, 2, 'MODIFIED');
      expect(modified['columnDefinitions']).to.deep.equal([]);
      // The Data column counts the keys: 2 after the patch.
      expect(JSON.stringify(modified['rows'])).to.include('"cells":["row",2,');
      await watches.close();
    });

    it('sends metadata-only watchers the same bytes, fresh after each change', async () => {
      const accept = { Accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' };
      const watches = watchers(`${collection()}?watch=true`, accept);
      await raw(env, 'POST', collection(), { body: { metadata: { name: 'meta', labels: { a: '1' } } } });
      const added = await expectLine(watches, 1, 'ADDED');
      expect(added.kind).to.equal('PartialObjectMetadata');
      await raw(env, 'PATCH', `${collection()}/meta`, {
        rawBody: JSON.stringify({ metadata: { labels: { a: '2' } } }),
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      const modified = await expectLine(watches, 2, 'MODIFIED');
      expect(modified.metadata.labels).to.deep.equal({ a: '2' });
      expect(modified).to.not.have.property('data');
      await watches.close();
    });
  });
});
