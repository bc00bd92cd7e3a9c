import { expect } from 'chai';
import type { KubeObject } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import { cacheFor, clientFor, controllerManagedBy, finalize, type FinalizeOutcome } from '@kubekit/reconcile';
import { eventually } from '../support/eventually.js';
import { FakeClock } from '../support/fake-clock.js';
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

  it('keeps the finalizer while the cleanup throws, retrying it, and lets the object go once it succeeds (virtual time)', async () => {
    const op = operator();
    const clock = new FakeClock();
    let failing = true;
    const attempts: string[] = [];
    controllerManagedBy(op.manager)
      .for({ ...configMaps, namespace: env.namespace })
      .withOptions({ clock })
      .complete({
        reconcile: async (request, signal) => {
          const object = cacheFor(op.manager).get({ ...configMaps, ...request });
          if (object === undefined) return {};
          await finalize(
            clientFor(op.manager),
            object,
            finalizer,
            (o: KubeObject) => {
              attempts.push(failing ? 'failed' : 'cleaned');
              return failing
                ? Promise.reject(new Error(`external resource of ${o.metadata?.name ?? ''} is busy`))
                : Promise.resolve();
            },
            signal,
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
    // Backoff in virtual time: 5, 10, 20 ms between the failed cleanups.
    await eventually(() => attempts.length >= 3, 'the failed cleanup is retried', { clock, stepMs: 5 });
    const held = await read();
    expect(held?.metadata?.deletionTimestamp, 'deletion requested').to.be.a('string');
    expect(held?.metadata?.finalizers, 'the finalizer stays').to.deep.equal([finalizer]);
    failing = false;
    await eventually(async () => (await read()) === undefined, 'the object is gone', { clock, stepMs: 50 });
    expect(attempts.slice(0, 3)).to.deep.equal(['failed', 'failed', 'failed']);
    expect(attempts.filter((a) => a === 'cleaned')).to.have.length(1);
    expect(attempts.at(-1)).to.equal('cleaned');
    expect(
      await op.metric('controller_runtime_reconcile_errors_total', { controller: 'configmap' }),
    ).to.be.at.least(3);
  });
});
