import { expect } from 'chai';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { createClient } from '@kubekit/client';
import type { KubeClient, KubeObject } from '@kubekit/client';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';

for (const protocol of PROTOCOLS) {
  describe(`KubeClient metadataOnly on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    let client: KubeClient;

    beforeEach(() => {
      client = createClient({ kubeConfig: env.kubeConfig, metrics: null, rateLimit: false });
    });
    afterEach(async () => {
      await client.close(false);
    });

    const kind = () => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace });
    const cm = (name: string): ConfigMap => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: env.namespace, labels: { app: 'x' } },
      data: { big: 'y'.repeat(100) },
    });
    const expectMetadataOnly = (object: KubeObject, name: string): void => {
      expect(object.apiVersion).to.equal('meta.k8s.io/v1');
      expect(object.kind).to.equal('PartialObjectMetadata');
      expect(object.metadata?.name).to.equal(name);
      expect(object.metadata?.labels).to.deep.equal({ app: 'x' });
      expect(object).to.not.have.property('data');
    };

    it('gets one object as PartialObjectMetadata, and whole without the option', async () => {
      await client.create(cm('a'));
      expectMetadataOnly(await client.get({ ...kind(), name: 'a' }, { metadataOnly: true }), 'a');
      expect(await client.get<ConfigMap>({ ...kind(), name: 'a' })).to.have.nested.property('data.big');
    });

    it('lists, pages and lists all as PartialObjectMetadataList', async () => {
      for (const name of ['a', 'b', 'c']) await client.create(cm(name));
      const list = await client.list(kind(), { metadataOnly: true });
      expect(list.kind).to.equal('PartialObjectMetadataList');
      expect(list.items).to.have.length(3);
      list.items.forEach((item, i) => {
        expectMetadataOnly(item, ['a', 'b', 'c'][i] ?? '');
      });
      const pages: KubeObject[][] = [];
      for await (const page of client.listPages(kind(), { metadataOnly: true, pageSize: 2 })) {
        expect(page.kind).to.equal('PartialObjectMetadataList');
        pages.push(page.items);
      }
      expect(pages.map((p) => p.length)).to.deep.equal([2, 1]);
      const all = await client.listAll(kind(), { metadataOnly: true, pageSize: 2, resourceVersion: '0' });
      expect(all.items.map((i) => i.metadata?.name)).to.deep.equal(['a', 'b', 'c']);
      expect(all.metadata.resourceVersion).to.equal(list.metadata.resourceVersion);
      all.items.forEach((item) => {
        expect(item).to.not.have.property('data');
      });
    });

    it('watches with PartialObjectMetadata events', async () => {
      const start = await client.list(kind());
      const watch = client.watch(kind(), {
        metadataOnly: true,
        resourceVersion: start.metadata.resourceVersion,
      });
      const events = watch[Symbol.asyncIterator]();
      const first = events.next();
      await client.create(cm('a'));
      await client.patch({ ...kind(), name: 'a' }, { data: { more: 'z' } });
      const added = await first;
      const modified = await events.next();
      await events.return();
      expect(added.value?.type).to.equal('ADDED');
      expectMetadataOnly(added.value!.object, 'a');
      expect(modified.value?.type).to.equal('MODIFIED');
      expectMetadataOnly(modified.value!.object, 'a');
    });
  });
}
