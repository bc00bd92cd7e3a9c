import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import { useEnvtest } from '@kubekit/envtest/testing';
import { raw } from '../support/raw-client.js';

interface Entry {
  readonly manager: string;
  readonly operation: string;
  readonly time?: string;
  readonly fieldsV1?: Record<string, unknown>;
}

interface Read {
  readonly metadata: { readonly resourceVersion?: string; readonly managedFields?: Entry[] };
}

/** managedFields an update of the main resource sends, beside those it read. */
describe('envtest managedFields sent with an update', () => {
  const env = useEnvtest();
  const path = (): string => `/api/v1/namespaces/${env.namespace}/configmaps`;

  /** Creates `name` as `creator`, then PUTs it as `editor` with `managedFields` and a new key. */
  async function rewrite(name: string, managedFields: unknown[]): Promise<Entry[]> {
    const created = await raw(env, 'POST', `${path()}?fieldManager=creator`, {
      body: { metadata: { name }, data: { a: '1' } },
    });
    expect(created.status).to.equal(201);
    const read = created.json as Read;
    const put = await raw(env, 'PUT', `${path()}/${name}?fieldManager=editor`, {
      body: { ...read, metadata: { ...read.metadata, managedFields }, data: { a: '1', b: '2' } },
    });
    expect(put.status, put.text).to.equal(200);
    return (put.json as Read).metadata.managedFields ?? [];
  }

  it('ignores entries whose fieldsV1 does not decode as a field set, as kube-apiserver does', async () => {
    // Values that are not sets, a key-list element that is not a JSON object, an index that is not
    // a number: structured-merge-diff refuses them, so the stored entries stay.
    const undecodable = [
      { 'f:data': 5 },
      { 'f:data': [] },
      { 'f:data': { 'f:a': 'x' } },
      { 'f:data': { 'k:{not json': {} } },
      { 'f:data': { 'k:"a"': {} } },
      { 'f:data': { 'i:first': {} } },
    ];
    for (const [index, fieldsV1] of undecodable.entries()) {
      const entries = await rewrite(`bad-${index}`, [
        { manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1 },
      ]);
      const summary = entries.map((entry) => `${entry.manager}:${JSON.stringify(entry.fieldsV1)}`);
      expect(summary, JSON.stringify(fieldsV1)).to.deep.equal([
        'creator:{"f:data":{".":{},"f:a":{}}}',
        'editor:{"f:data":{"f:b":{}}}',
      ]);
    }
  });

  it('writes no empty time for a sent entry without one, so clients can read and replace the object', async () => {
    const entries = await rewrite('no-time', [
      {
        manager: 'handed-over',
        operation: 'Update',
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } },
      },
    ]);
    expect(entries.map((entry) => entry.manager)).to.deep.equal(['handed-over', 'editor']);
    expect(entries[0]).to.not.have.property('time');
    // client-node decodes `time` as a Date: an empty one would not encode again.
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const read = await core.readNamespacedConfigMap({ namespace: env.namespace, name: 'no-time' });
    const replaced = await core.replaceNamespacedConfigMap({
      namespace: env.namespace,
      name: 'no-time',
      body: Object.assign(read, { data: { a: '1', b: '3' } }),
    });
    expect(replaced.data).to.deep.equal({ a: '1', b: '3' });
  });
});
