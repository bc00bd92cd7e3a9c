import { expect } from 'chai';
import type { KubeObject } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import { cacheFor, clientFor, controllerManagedBy, finalize, type FinalizeOutcome } from '@kubekit/reconcile';
import { eventually } from '../support/eventually.js';
import { useOperatorFixture } from '../support/operator-fixture.js';

const configMaps = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const finalizer = 'example.com/cleanup';

describe('finalize on envtest (integration)', function () {
  this.timeout(20_000);
  const env = useEnvtest();
  const operator = useOperatorFixture(env);

  it('adds the finalizer, runs the cleanup on deletion, then lets the object go', async () => {
    const op = operator();
    const outcomes: FinalizeOutcome[] = [];
    const cleaned: string[] = [];
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .complete({
        reconcile: async (request, signal) => {
          const object = cacheFor(op.manager).get({ ...configMaps, ...request });
          if (object === undefined) return {};
          outcomes.push(
            await finalize(
              clientFor(op.manager),
              object,
              finalizer,
              async (o: KubeObject) => {
                cleaned.push(o.metadata?.name ?? '');
                await Promise.resolve();
              },
              signal,
            ),
          );
          return {};
        },
      });
    op.start();
    await op.create('app');
    const read = () =>
      op.admin.get({ ...configMaps, namespace: env.namespace, name: 'app' }).catch(() => undefined);
    await eventually(
      async () => (await read())?.metadata?.finalizers?.includes(finalizer) === true,
      'finalizer added',
    );
    await op.remove('app');
    await eventually(async () => (await read()) === undefined, 'the object is gone');
    expect(cleaned).to.deep.equal(['app']);
    expect(outcomes).to.include.members(['added', 'finalized']);
  });
});
