import 'reflect-metadata';
import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { createClient, isForbidden, type KubeClient, type KubeObject } from '@kubekit/client';
import { ManagerError } from '@kubekit/manager';
import { EVENT_RECORDER, type EventRecorder } from '@kubekit/reconcile';
import { startEnvtest, type Envtest } from '@kubekit/envtest';
import { Registry } from 'prom-client';
import {
  availableCondition,
  createOperator,
  eventRecorderName,
  deployDir,
  loadDeployManifests,
  loadManifests,
  memcachedApiVersion,
  memcachedKind,
  type Memcached,
} from '#lib/index.js';
import { eventually } from './eventually.js';

/** ServiceAccounts that get deploy/rbac.yaml with one permission taken away (see {@link without}). */
const variants = ['memcached-limited', 'memcached-no-events', 'memcached-no-core-events'] as const;
type Variant = (typeof variants)[number];

/** An Event as read back (events.k8s.io/v1 `regarding`, `series`; core/v1 `involvedObject`). */
interface EventObject extends KubeObject {
  regarding?: { kind?: string; name?: string; uid?: string };
  involvedObject?: { kind?: string; name?: string; uid?: string };
  reason?: string;
  type?: string;
  note?: string;
  message?: string;
  count?: number;
  reportingController?: string;
  series?: { count?: number };
}

// The operator as its ServiceAccount (memcached-system/memcached-operator) under exactly the RBAC
// of deploy/rbac.yaml, applied by the admin with the rest of deploy/: a missing permission fails.
describe('memcached operator as its ServiceAccount under deploy/rbac.yaml', () => {
  let env: Envtest;
  let admin: KubeClient;
  let operatorClient: KubeClient;
  before(async () => {
    env = await startEnvtest({
      gcDelayMs: 0,
      users: [
        { name: 'operator', serviceAccount: { namespace: 'memcached-system', name: 'memcached-operator' } },
        ...variants.map((name) => ({ name, serviceAccount: { namespace: 'memcached-system', name } })),
      ],
    });
    admin = createClient({ kubeConfig: env.kubeConfig, metrics: null });
    for (const object of loadDeployManifests()) await admin.create(object);
    await env.cluster.createNamespace('apps');
    operatorClient = createClient({ kubeConfig: env.kubeConfigFor('operator'), metrics: null });
  });
  after(async () => {
    await operatorClient.close();
    await admin.close();
    await env.stop();
  });

  const deploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps' } as const;

  /** The Event in `apps` about the Memcached `name` with `reason` (and matching `filter`); throws when there is none. */
  async function eventAbout(
    api: 'events.k8s.io/v1' | 'v1',
    name: string,
    reason: string,
    filter: (event: EventObject) => boolean = () => true,
  ): Promise<EventObject> {
    const found = (await eventsAbout(api, name)).find((e) => e.reason === reason && filter(e));
    if (found === undefined) throw new Error(`no ${api} Event ${reason} about ${name}`);
    return found;
  }

  /** The Events in `apps` about the Memcached `name`. */
  async function eventsAbout(api: 'events.k8s.io/v1' | 'v1', name: string): Promise<EventObject[]> {
    const list = await admin.list<EventObject>({ apiVersion: api, kind: 'Event', namespace: 'apps' });
    return list.items.filter((e) => {
      const about = e.regarding ?? e.involvedObject;
      return about?.name === name && about.kind === memcachedKind;
    });
  }

  /** Scales the Memcached `name` (of size `from`) to `from + 1`, back, and up again, each time waiting for its Deployment. */
  async function scaleRepeatedly(name: string, from: number): Promise<void> {
    const ref = { apiVersion: memcachedApiVersion, kind: memcachedKind, namespace: 'apps', name };
    for (const size of [from + 1, from, from + 1]) {
      await admin.patch(ref, { spec: { size } });
      await eventually(async () => {
        expect((await admin.get<Deployment>({ ...deploymentRef, name })).spec?.replicas).to.equal(size);
      });
    }
  }

  /** Runs the operator as `user` (its own Lease) while `body` runs. */
  async function withOperator(
    user: 'operator' | Variant,
    body: (registry: Registry, recorder: EventRecorder) => Promise<void>,
  ): Promise<void> {
    const registry = new Registry();
    const stop = new AbortController();
    const operator = createOperator({
      kubeConfig: env.kubeConfigFor(user),
      registry,
      manager: { leaderElection: { name: user, namespace: 'memcached-system', identity: `${user}-0` } },
    });
    const running = operator.manager.start(stop.signal);
    try {
      await body(registry, operator.container.get(EVENT_RECORDER));
    } finally {
      stop.abort();
      await running;
      await operator.close();
    }
  }

  /** Creates the Memcached `name` in `apps` and waits for its Deployment and its Available condition. */
  async function reconciled(name: string): Promise<void> {
    const ref = { apiVersion: memcachedApiVersion, kind: memcachedKind, namespace: 'apps', name };
    await admin.create<Memcached>({ ...ref, metadata: { name, namespace: 'apps' }, spec: { size: 1 } });
    await eventually(() => admin.get<Deployment>({ ...deploymentRef, name }));
    await eventually(async () => {
      const m = await admin.get<Memcached>(ref);
      expect(m.status?.conditions?.find((c) => c.type === availableCondition)).to.not.equal(undefined);
    });
  }

  it('leads, reconciles a Memcached in another namespace, records its status and Events', async () => {
    const stop = new AbortController();
    const registry = new Registry();
    const operator = createOperator({
      kubeConfig: env.kubeConfigFor('operator'),
      registry,
      manager: {
        leaderElection: {
          name: 'memcached-operator',
          namespace: 'memcached-system',
          identity: 'memcached-operator-0',
        },
      },
    });
    const running = operator.manager.start(stop.signal);
    try {
      const ref = { apiVersion: memcachedApiVersion, kind: memcachedKind, namespace: 'apps', name: 'cache' };
      await admin.create<Memcached>({
        ...ref,
        metadata: { name: 'cache', namespace: 'apps' },
        spec: { size: 2 },
      });
      const deployment = await eventually(() =>
        admin.get<Deployment>({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: 'apps',
          name: 'cache',
        }),
      );
      expect(deployment.metadata?.ownerReferences?.[0]).to.include({
        kind: memcachedKind,
        controller: true,
        blockOwnerDeletion: true,
      });
      await eventually(async () => {
        const m = await admin.get<Memcached>(ref);
        expect(m.status?.conditions?.find((c) => c.type === availableCondition)).to.include({
          status: 'False',
          observedGeneration: 1,
        });
      });
      const lease = await admin.get<Lease>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: 'memcached-system',
        name: 'memcached-operator',
      });
      expect(lease.spec?.holderIdentity).to.equal('memcached-operator-0');
      // The elector's Event about the Lease (core/v1, in memcached-system: the Role's events rule).
      await eventually(async () => {
        const events = await admin.list<EventObject>({
          apiVersion: 'v1',
          kind: 'Event',
          namespace: 'memcached-system',
        });
        const about = events.items.filter(
          (e) => e.involvedObject?.kind === 'Lease' && e.involvedObject.name === 'memcached-operator',
        );
        expect(about.map((e) => e.reason)).to.include('LeaderElection');
      });

      // Events about the Memcached, in its namespace (events.k8s.io create; patch for a repeat).
      const created = await eventually(() => eventAbout('events.k8s.io/v1', 'cache', 'DeploymentCreated'));
      expect(created).to.include({
        type: 'Normal',
        reportingController: eventRecorderName,
        reportingInstance: 'memcached-operator-0', // the replica that wrote it
      });
      // "scaled from 2 to 3" a second time: counted into the first one's series (a patch).
      await scaleRepeatedly('cache', 2);
      await eventually(async () => {
        const scaled = await eventAbout(
          'events.k8s.io/v1',
          'cache',
          'ScaledDeployment',
          (e) => e.note?.includes('from 2 to 3') === true,
        );
        expect(scaled.series?.count).to.equal(2);
      });
      // Its informers listed and watched without a failure (a refused watch is retried, and a list
      // now and then would hide it from the checks above).
      const failures = await registry.getSingleMetric('kubekit_informer_watch_failures_total')?.get();
      expect(failures?.values.filter((v) => v.value > 0)).to.deep.equal([]);
    } finally {
      stop.abort();
      await running;
      await operator.close();
    }
  });

  it('renews its Lease, and a second replica follows it by a watch, not by polling (leases update, watch)', async () => {
    const name = 'renewals';
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: 'memcached-system',
      name,
    };
    const retryPeriod = 300;
    const replicas = ['renewals-0', 'renewals-1'].map((identity) => {
      const stop = new AbortController();
      const operator = createOperator({
        kubeConfig: env.kubeConfigFor('operator'),
        registry: new Registry(),
        manager: {
          leaderElection: {
            name,
            namespace: 'memcached-system',
            identity,
            leaseDuration: 2_000,
            renewDeadline: 1_500,
            retryPeriod,
          },
        },
      });
      return { operator, stop, running: undefined as Promise<void> | undefined };
    });
    const [leader, follower] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    try {
      leader.running = leader.operator.manager.start(leader.stop.signal);
      await leader.operator.manager.elected(leader.stop.signal);
      const acquired = await admin.get<Lease>(lease);
      follower.running = follower.operator.manager.start(follower.stop.signal);
      const watches = {
        user: 'operator',
        verb: 'watch',
        resource: 'leases',
        namespace: 'memcached-system',
      } as const;
      await eventually(() => {
        expect(env.counters.count(watches)).to.be.greaterThan(0);
        return Promise.resolve();
      });
      // A window of several retry periods: the leader renews (update) and the follower, watching,
      // sends nothing (it would GET the Lease every retry period if it could not list and watch).
      env.counters.reset();
      await new Promise((resolve) => setTimeout(resolve, 5 * retryPeriod));
      expect(
        env.counters.count({
          user: 'operator',
          verb: 'get',
          resource: 'leases',
          namespace: 'memcached-system',
        }),
      ).to.be.at.most(1);
      expect(env.counters.count({ ...watches, verb: 'update' })).to.be.greaterThan(0);
      const renewed = await admin.get<Lease>(lease);
      expect(renewed.spec?.holderIdentity).to.equal('renewals-0');
      expect(renewed.spec?.leaseTransitions).to.equal(acquired.spec?.leaseTransitions);
      expect(renewed.spec?.renewTime).to.not.equal(acquired.spec?.renewTime);
    } finally {
      for (const replica of [follower, leader]) {
        replica.stop.abort();
        await replica.running?.catch(() => undefined);
        await replica.operator.close();
      }
    }
  });

  it('may do nothing beyond it: no leases outside its namespace, no secrets, no deleting Deployments', async () => {
    const attempts: [string, () => Promise<unknown>][] = [
      [
        'list leases in default',
        () =>
          operatorClient.list({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'default' }),
      ],
      [
        'list secrets',
        () => operatorClient.list({ apiVersion: 'v1', kind: 'Secret', namespace: 'memcached-system' }),
      ],
      [
        'delete a Deployment',
        () =>
          operatorClient.delete({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            namespace: 'memcached-system',
            name: 'memcached-operator',
          }),
      ],
      [
        'create a Memcached',
        () =>
          operatorClient.create({
            apiVersion: memcachedApiVersion,
            kind: memcachedKind,
            metadata: { name: 'x', namespace: 'apps' },
          }),
      ],
    ];
    for (const [what, attempt] of attempts) {
      try {
        await attempt();
        expect.fail(`${what}: allowed`);
      } catch (error) {
        expect(isForbidden(error), `${what}: ${String(error)}`).to.equal(true);
      }
    }
  });

  it('cannot start without list and watch on deployments (deploy/rbac.yaml without them): its cache never syncs', async () => {
    // deploy/rbac.yaml again, for another ServiceAccount, with `list` and `watch` taken from deployments.
    await applyWithout('memcached-limited', 'apps', 'deployments', ['list', 'watch']);
    const operator = createOperator({
      kubeConfig: env.kubeConfigFor('memcached-limited'),
      registry: new Registry(),
      manager: {
        leaderElection: {
          name: 'memcached-limited',
          namespace: 'memcached-system',
          identity: 'memcached-limited-0',
        },
        cacheSyncTimeout: 2_000,
      },
    });
    const stop = new AbortController();
    try {
      const error = await Promise.race([
        operator.manager.start(stop.signal).then(
          () => 'stopped',
          (e: unknown) => e,
        ),
        operator.manager.elected(stop.signal).then(
          () => 'elected: it started',
          () => 'stopped',
        ),
      ]);
      expect(ManagerError.is(error) && error.kind, String(error)).to.equal('startFailed');
    } finally {
      stop.abort();
      await operator.close();
    }
  });

  it('records no Event without create on events.k8s.io events (deploy/rbac.yaml without it), and still reconciles', async () => {
    await applyWithout('memcached-no-events', 'events.k8s.io', 'events', ['create', 'patch']);
    await withOperator('memcached-no-events', async (registry) => {
      await reconciled('unrecorded');
      // The recorder's create was refused (403: no fallback to core/v1 for a refusal).
      await eventually(async () => {
        expect(await eventWrites(registry, 'create', 'error')).to.be.greaterThan(0);
      });
      expect(await eventWrites(registry, 'create', 'success')).to.equal(0);
    });
    expect(await eventsAbout('events.k8s.io/v1', 'unrecorded')).to.deep.equal([]);
    expect(await eventsAbout('v1', 'unrecorded')).to.deep.equal([]);
  });

  it('falls back to core/v1 Events where events.k8s.io is not served, which needs core events in rbac.yaml', async () => {
    // A server without events.k8s.io/v1: its first Event create in `apps` is answered 404.
    const fallback = env.faults.add({
      user: 'operator',
      verb: 'create',
      resource: 'events',
      namespace: 'apps',
      error: { code: 404 },
      times: 1,
    });
    try {
      await withOperator('operator', async (_registry, recorder) => {
        await reconciled('fallback');
        // The recorder writes from its queue, after the reconcile returned: wait for its first create.
        await eventually(() => {
          expect(recorder.api()).to.equal('v1');
          return Promise.resolve();
        });
        const event = await eventually(() => eventAbout('v1', 'fallback', 'DeploymentCreated'));
        expect(event.type).to.equal('Normal');
        // A repeat patches the core/v1 Event's count.
        await scaleRepeatedly('fallback', 1);
        await eventually(async () => {
          const scaled = await eventAbout(
            'v1',
            'fallback',
            'ScaledDeployment',
            (e) => e.message?.includes('from 1 to 2') === true,
          );
          expect(scaled.count).to.equal(2);
        });
      });
    } finally {
      fallback.remove();
    }

    // The same without core events in the ClusterRole: the fallback is refused, no Event at all.
    await applyWithout('memcached-no-core-events', '', 'events', ['create', 'patch'], 'ClusterRole');
    env.faults.add({
      user: 'memcached-no-core-events',
      verb: 'create',
      resource: 'events',
      namespace: 'apps',
      error: { code: 404 },
      times: 1,
    });
    await withOperator('memcached-no-core-events', async (registry, recorder) => {
      await reconciled('fallback-refused');
      // It fell back (the 404), and its core/v1 create was refused (403).
      await eventually(async () => {
        expect(recorder.api()).to.equal('v1');
        expect(await eventWrites(registry, 'create', 'error')).to.be.greaterThan(0);
      });
      expect(await eventWrites(registry, 'create', 'success')).to.equal(0);
    });
    expect(await eventsAbout('events.k8s.io/v1', 'fallback-refused')).to.deep.equal([]);
    expect(await eventsAbout('v1', 'fallback-refused')).to.deep.equal([]);
  });

  /** deploy/rbac.yaml applied for the ServiceAccount `variant`, with `verbs` taken from the rules for `resource` of `group` (in `kinds`). */
  async function applyWithout(
    variant: Variant,
    group: string,
    resource: string,
    verbs: string[],
    ...kinds: string[]
  ): Promise<void> {
    for (const object of loadManifests(`${deployDir}rbac.yaml`)) {
      await admin.create(without(object, variant, group, resource, verbs, kinds));
    }
  }
});

/** The event recorder's writes of `operation` with `result`, from its metric. */
async function eventWrites(registry: Registry, operation: string, result: string): Promise<number> {
  const metric = await registry.getSingleMetric('kubekit_event_recorder_writes_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels['operation'] === operation && v.labels['result'] === result)
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * An object of deploy/rbac.yaml renamed for the ServiceAccount `variant`, with `verbs` taken from
 * its rules for `resource` of API group `group` (in the Role or ClusterRole when `kinds` names it;
 * in every rule when `kinds` is empty).
 */
function without(
  object: KubeObject,
  variant: Variant,
  group: string,
  resource: string,
  verbs: string[],
  kinds: string[],
): KubeObject {
  const copy = structuredClone(object) as KubeObject & {
    rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[] }[];
    subjects?: { name: string }[];
    roleRef?: { name: string };
  };
  const rename = (name: string): string => name.replace('memcached-operator', variant);
  if (copy.metadata?.name !== undefined) copy.metadata.name = rename(copy.metadata.name);
  for (const subject of copy.subjects ?? []) subject.name = rename(subject.name);
  if (copy.roleRef !== undefined) copy.roleRef.name = rename(copy.roleRef.name);
  if (kinds.length > 0 && !kinds.includes(copy.kind ?? '')) return copy;
  for (const rule of copy.rules ?? []) {
    if (rule.apiGroups?.includes(group) === true && rule.resources?.includes(resource) === true)
      rule.verbs = (rule.verbs ?? []).filter((verb) => !verbs.includes(verb));
  }
  // A rule must keep at least one verb.
  if (copy.rules !== undefined) copy.rules = copy.rules.filter((rule) => (rule.verbs ?? []).length > 0);
  return copy;
}
