import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually, raw, rawWatch } from '../support/raw-client.js';

const LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const ONE = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
// What client-go's metadata client sends: protobuf first, JSON as the fallback.
const CLIENT_GO_LIST = `application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,${LIST},application/json`;

describe('envtest metadata-only requests (PartialObjectMetadata)', () => {
  const env = useEnvtest();
  const secrets = (): string => `/api/v1/namespaces/${env.namespace}/secrets`;

  beforeEach(async () => {
    await raw(env, 'POST', secrets(), {
      body: { metadata: { name: 's', labels: { a: 'b' } }, stringData: { password: 'hunter2' } },
    });
  });

  it('answers a GET with PartialObjectMetadata: metadata only, no data', async () => {
    const answer = await raw(env, 'GET', `${secrets()}/s`, { headers: { Accept: ONE } });
    expect(answer.status).to.equal(200);
    const body = answer.json as Record<string, unknown>;
    expect(Object.keys(body)).to.deep.equal(['kind', 'apiVersion', 'metadata']);
    expect(body).to.include({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' });
    expect(body).to.have.nested.property('metadata.labels.a', 'b');
    expect(answer.text).not.to.contain(Buffer.from('hunter2').toString('base64'));
  });

  it('answers a LIST with PartialObjectMetadataList, items typed and paged as usual', async () => {
    await raw(env, 'POST', secrets(), { body: { metadata: { name: 't' } } });
    const answer = await raw(env, 'GET', `${secrets()}?limit=1`, { headers: { Accept: CLIENT_GO_LIST } });
    expect(answer.status).to.equal(200);
    const list = answer.json as {
      kind: string;
      apiVersion: string;
      metadata: Record<string, unknown>;
      items: Record<string, unknown>[];
    };
    expect(list.kind).to.equal('PartialObjectMetadataList');
    expect(list.apiVersion).to.equal('meta.k8s.io/v1');
    expect(list.metadata).to.have.property('continue');
    expect(list.items).to.have.length(1);
    expect(list.items[0]).to.include({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' });
    expect(list.items[0]).not.to.have.property('data');
  });

  it('answers 406 when a GET asks for a list or a LIST for one object', async () => {
    const get = await raw(env, 'GET', `${secrets()}/s`, { headers: { Accept: LIST } });
    expect(get.status).to.equal(406);
    expect(get.json).to.include({ reason: 'NotAcceptable', code: 406 });
    const list = await raw(env, 'GET', secrets(), { headers: { Accept: ONE } });
    expect(list.status).to.equal(406);
  });

  it('streams watch events whose objects are PartialObjectMetadata', async () => {
    const watch = rawWatch(env, `${secrets()}?watch=true`, undefined, { Accept: ONE });
    try {
      await eventually(() => watch.events.length >= 1);
      await raw(env, 'PATCH', `${secrets()}/s`, {
        body: { metadata: { labels: { a: 'c' } } },
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      await eventually(() => watch.events.length >= 2);
      const [added, modified] = watch.events;
      expect(added).to.deep.include({ type: 'ADDED' });
      expect(added?.object).to.include({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' });
      expect(modified?.type).to.equal('MODIFIED');
      expect(modified?.object).to.have.nested.property('metadata.labels.a', 'c');
      expect(JSON.stringify(watch.events)).not.to.contain('"data"');
    } finally {
      watch.close();
    }
  });
});
