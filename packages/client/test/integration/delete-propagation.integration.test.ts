import { expect } from 'chai';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { KubeObject, WatchEvent } from '@kubekit/client';
import { isNotFound } from '@kubekit/client';
import { rejectionOf } from '../support/rejection.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';
import { useClients } from '../support/clients.js';

for (const protocol of PROTOCOLS) {
  describe(`delete propagation policy on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    const client = useClients(env);

    const cmRef = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace, name });
    /** An owner ConfigMap and a dependent that names it in its ownerReferences. */
    async function ownerAndDependent(
      finalizers: string[] = [],
    ): Promise<{ owner: ConfigMap; dependent: ConfigMap }> {
      const c = client();
      const owner = await c.create<ConfigMap>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'owner', namespace: env.namespace },
      });
      const dependent = await c.create<ConfigMap>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'dependent',
          namespace: env.namespace,
          finalizers,
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' },
          ],
        },
      });
      return { owner, dependent };
    }
    /** The next DELETED events of `events` (up to `count`), by name. */
    async function deletions(events: AsyncIterator<WatchEvent<ConfigMap>>, count: number): Promise<string[]> {
      const names: string[] = [];
      while (names.length < count) {
        const next = await events.next();
        if (next.done === true) break;
        if (next.value.type === 'DELETED') names.push(next.value.object.metadata?.name ?? '');
      }
      return names;
    }

    it('Foreground: the owner keeps the foregroundDeletion finalizer until its dependent is gone, and goes after it', async () => {
      const c = client();
      const { owner } = await ownerAndDependent(['example.com/hold']);
      const watch = c.watch<ConfigMap>(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace },
        { resourceVersion: owner.metadata?.resourceVersion ?? '' },
      );
      const events = watch[Symbol.asyncIterator]();
      try {
        const deleting = (await c.delete<ConfigMap>(cmRef('owner'), {
          propagationPolicy: 'Foreground',
        })) as KubeObject;
        expect(deleting.metadata?.finalizers).to.include('foregroundDeletion');
        expect(deleting.metadata?.deletionTimestamp).to.be.a('string');
        // The dependent holds on (its own finalizer): the owner waits for it, still there.
        const waiting = await c.get<ConfigMap>(cmRef('owner'));
        expect(waiting.metadata?.finalizers).to.include('foregroundDeletion');
        const dependent = await c.get<ConfigMap>(cmRef('dependent'));
        expect(dependent.metadata?.deletionTimestamp, 'the dependent is being deleted').to.be.a('string');

        await c.patch(cmRef('dependent'), { metadata: { finalizers: null } });
        expect(await deletions(events, 2)).to.deep.equal(['dependent', 'owner']);
        expect(isNotFound(await rejectionOf(c.get(cmRef('owner'))))).to.be.true;
      } finally {
        await events.return();
      }
    });

    it('Orphan: the owner goes, the dependent stays without its ownerReference', async () => {
      const c = client();
      const { owner } = await ownerAndDependent();
      const watch = c.watch<ConfigMap>(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace, name: 'owner' },
        { resourceVersion: owner.metadata?.resourceVersion ?? '' },
      );
      const events = watch[Symbol.asyncIterator]();
      try {
        await c.delete(cmRef('owner'), { propagationPolicy: 'Orphan' });
        expect(await deletions(events, 1)).to.deep.equal(['owner']);
      } finally {
        await events.return();
      }
      const dependent = await c.get<ConfigMap>(cmRef('dependent'));
      expect(dependent.metadata?.deletionTimestamp).to.be.undefined;
      expect(dependent.metadata?.ownerReferences ?? []).to.deep.equal([]);
    });
  });
}
