// The cost of managedFields on plain updates: Lease renewals (PUT of the object as read, with a
// new renewTime) through the object service with field tracking (as every request has it) and
// without (as the server's own writes), alternated so that machine load hits both alike. The
// figures are the CPU time per update in the object service (JSON decoding of the body and the
// answer included) and its ratio; it has no goal of its own: the +10% budget is per request, and
// the request-level figures are lease-throughput's.
import { builtinResources, leases, namespaces } from '#lib/api/builtin-resources.js';
import type { KubeObject } from '#lib/api/kube-object.js';
import { ObjectService } from '#lib/api/object-service.js';
import { ResourceRegistry } from '#lib/api/resource-registry.js';
import { ObjectStore } from '#lib/storage/object-store.js';
import { report } from './support.js';

const UPDATES = 4000;
const ROUNDS = 7;

function service(): ObjectService {
  const registry = new ResourceRegistry();
  for (const type of builtinResources) registry.add(type);
  const objects = new ObjectService(new ObjectStore(1000), registry, { podTerminating: () => undefined }, 0);
  objects.create(namespaces, undefined, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'default' },
  });
  return objects;
}

function run(tracked: boolean): number {
  const objects = service();
  const management = tracked ? ({ operation: 'Update', manager: 'leader' } as const) : undefined;
  objects.create(
    leases,
    'default',
    {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'lock' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2026-01-01T00:00:00.000000Z' },
    },
    false,
    false,
    management,
  );
  const started = performance.now();
  for (let i = 0; i < UPDATES; i += 1) {
    const read = JSON.parse(JSON.stringify(objects.get(leases, 'default', 'lock'))) as KubeObject;
    (read['spec'] as Record<string, unknown>)['renewTime'] = new Date(
      Date.UTC(2026, 0, 1, 0, 0, i % 60, i % 1000),
    )
      .toISOString()
      .replace('Z', '000Z');
    const { object } = objects.update(leases, 'default', 'lock', read, undefined, false, true, management);
    JSON.stringify(object);
  }
  return (performance.now() - started) / UPDATES;
}

const plain: number[] = [];
const tracked: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  plain.push(run(false));
  tracked.push(run(true));
}
const best = (values: number[]): number => Math.min(...values);
report('managed-fields/tracked-update-us', best(tracked) * 1000, 'us', null, {
  plainUs: Number((best(plain) * 1000).toFixed(2)),
});
report('managed-fields/update-cost-ratio', best(tracked) / best(plain), 'x', null, {
  trackedUs: Number((best(tracked) * 1000).toFixed(2)),
  plainUs: Number((best(plain) * 1000).toFixed(2)),
  updates: UPDATES,
  method: `best of ${ROUNDS} alternated rounds`,
});
