/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be called. */
import { expect } from 'chai';
import { CoreV1Api, makeInformer } from '@kubernetes/client-node';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually } from './support/raw-client.js';

describe('client-node informer against envtest', () => {
  const env = useEnvtest();

  it('lists, then follows adds, updates and deletes, and recovers from a dropped watch', async () => {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const namespace = env.namespace;
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'before' } } });
    const informer = makeInformer(env.kubeConfig, `/api/v1/namespaces/${namespace}/configmaps`, () =>
      core.listNamespacedConfigMap({ namespace }),
    );
    const seen: string[] = [];
    informer.on('add', (object: V1ConfigMap) => seen.push(`add ${object.metadata?.name ?? ''}`));
    informer.on('update', (object: V1ConfigMap) => seen.push(`update ${object.metadata?.name ?? ''}`));
    informer.on('delete', (object: V1ConfigMap) => seen.push(`delete ${object.metadata?.name ?? ''}`));
    await informer.start();
    try {
      await eventually(() => seen.includes('add before'));
      await eventually(() => env.counters.count({ verb: 'watch', resource: 'configmaps' }) === 1);
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after' } } });
      await core.patchNamespacedConfigMap({
        namespace,
        name: 'after',
        body: [{ op: 'add', path: '/data', value: { a: 'b' } }],
      });
      await core.deleteNamespacedConfigMap({ namespace, name: 'before' });
      await eventually(() => seen.length === 4);
      expect(seen).to.deep.equal(['add before', 'add after', 'update after', 'delete before']);
      expect(env.faults.dropWatches({ resource: 'configmaps' })).to.equal(1);
      await eventually(() => env.counters.count({ verb: 'watch', resource: 'configmaps' }) >= 2);
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'resumed' } } });
      await eventually(() => seen.includes('add resumed'));
      expect(
        informer
          .list()
          .map((object) => object.metadata?.name)
          .sort(),
      ).to.deep.equal(['after', 'resumed']);
    } finally {
      await informer.stop();
    }
  });
});
