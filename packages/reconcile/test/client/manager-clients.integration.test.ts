import { expect } from 'chai';
import type { KubeObject } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import {
  cachedClientFor,
  cacheFor,
  clientFor,
  controllerManagedBy,
  recorderFor,
  type Reconciler,
} from '@kubekit/reconcile';
import { eventually } from '../support/eventually.js';
import { useOperatorFixture } from '../support/operator-fixture.js';

const configMaps = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const secrets = { apiVersion: 'v1', kind: 'Secret' } as const;

describe('cachedClientFor and recorderFor (integration)', function () {
  this.timeout(30_000);
  const env = useEnvtest();
  const operator = useOperatorFixture(env);

  it('give one cached client and one recorder per name per manager, over its cache and client', () => {
    const op = operator();
    const cached = cachedClientFor(op.manager);
    expect(cachedClientFor(op.manager)).to.equal(cached);
    expect(cached.cache).to.equal(cacheFor(op.manager));
    expect(cached.client).to.equal(clientFor(op.manager));
    expect(recorderFor(op.manager, 'a')).to.equal(recorderFor(op.manager, 'a'));
    expect(recorderFor(op.manager, 'b')).not.to.equal(recorderFor(op.manager, 'a'));
  });

  it('a reconciler reads what it wrote in the same reconcile, and its Events are written', async () => {
    const op = operator();
    const outcomes: string[] = [];
    const client = cachedClientFor(op.manager);
    const events = recorderFor(op.manager, 'example.com/ryw');
    const reconciler: Reconciler = {
      async reconcile({ namespace, name }, signal) {
        const source = await client.get({ ...configMaps, namespace, name }, { signal });
        if (source === undefined) return {};
        const existing = await client.get({ ...secrets, namespace, name }, { signal });
        if (existing === undefined) {
          await client.create({ ...secrets, metadata: { name, namespace } }, { signal });
          const read = await client.get({ ...secrets, namespace, name }, { signal });
          outcomes.push(read === undefined ? 'stale' : 'fresh');
          events.event(source, 'Normal', 'Created', `Secret ${name}`);
        }
        return {};
      },
    };
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .owns({ ...secrets, namespace: env.namespace })
      .complete(reconciler);
    op.start();
    for (let i = 0; i < 5; i++) await op.create(`cm-${String(i)}`);
    await eventually(() => outcomes.length === 5, 'five Secrets created');
    expect(outcomes).to.deep.equal(['fresh', 'fresh', 'fresh', 'fresh', 'fresh']);
    await eventually(async () => {
      const list = await op.admin.list<KubeObject & { reason?: string }>({
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        namespace: env.namespace,
      });
      return list.items.filter((e) => e.reason === 'Created').length === 5;
    }, 'five Events');
  });
});
