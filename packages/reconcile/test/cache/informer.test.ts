import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { Registry } from 'prom-client';
import { createClient } from '@kubekit/client';
import { createInformer, OWNER_UID_INDEX, ReconcileError } from '@kubekit/reconcile';
import { FakeClock } from '../support/fake-clock.js';
import { eventually } from '../support/eventually.js';
import { ConfigMapWriter } from '../support/config-map-writer.js';
import { InformerFixture } from '../support/informer-fixture.js';

describe('Informer', () => {
  const env = useEnvtest();
  let fixture: InformerFixture | undefined;

  afterEach(async () => {
    await fixture?.stop();
    fixture = undefined;
  });

  function start(options: ConstructorParameters<typeof InformerFixture>[3] = {}): InformerFixture {
    fixture = new InformerFixture(env.kubeConfig, env.kubeConfig, env.namespace, options);
    return fixture;
  }

  describe('.start', () => {
    it('lists at resourceVersion 0 in one piece, relists page by page, and sees creates, updates and deletes', async () => {
      const setup = start({ pageSize: 2 });
      await setup.informer.waitForSync();
      for (let i = 0; i < 5; i++) await setup.create(`cm-${String(i)}`, { i: String(i) });
      await eventually(() => setup.informer.list().length === 5, 'five objects are cached');
      await setup.stop();
      fixture = undefined;

      // A second informer lists the five in one request: resourceVersion "0" ignores the limit.
      env.counters.reset();
      const f = start({ pageSize: 2 });
      expect(await f.informer.waitForSync()).to.equal(true);
      expect(env.counters.count({ verb: 'list', resource: 'configmaps' })).to.equal(1);
      expect(f.informer.list()).to.have.length(5);
      expect(f.events.filter((e) => e.type === 'add' && e.initial)).to.have.length(5);

      // A relist (the watch's resourceVersion expired) is consistent: three pages of two.
      await eventually(
        () => env.counters.count({ verb: 'watch', resource: 'configmaps' }) > 0,
        'the informer watches',
      );
      env.counters.reset();
      env.faults.add({ verb: 'watch', resource: 'configmaps', error: { code: 410 }, times: 1 });
      env.faults.dropWatches({ verb: 'watch', resource: 'configmaps' });
      await eventually(
        () => env.counters.count({ verb: 'list', resource: 'configmaps' }) === 3,
        'the informer relists in three pages',
      );
      await eventually(() => f.informer.healthy(), 'the informer is healthy again');
      expect(
        f.events.filter((e) => !e.initial),
        'a relist of unchanged objects is silent',
      ).to.have.length(0);

      await f.update('cm-1', { i: 'one' });
      await f.remove('cm-2');
      await f.create('cm-9');
      await eventually(() => f.matchesServer(), 'the cache matches the server');
      const live = f.events
        .filter((e) => !e.initial)
        .map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`);
      expect(live).to.deep.equal(['update cm-1', 'delete cm-2', 'add cm-9']);
      const update = f.events.find((e) => e.type === 'update')!;
      expect((update.oldObject as { data: Record<string, string> }).data).to.deep.equal({ i: '1' });
      expect(f.informer.healthy()).to.equal(true);
      expect(() => {
        f.informer.checkHealth();
      }).not.to.throw();
    });

    it('rejects a second start', async () => {
      const f = start();
      await f.informer.waitForSync();
      try {
        await f.informer.start(new AbortController().signal);
        expect.fail('second start resolved');
      } catch (error) {
        expect(ReconcileError.is(error, 'invalidState')).to.equal(true);
      }
    });

    it('is not leader-gated', () => {
      expect(start().informer.needLeaderElection()).to.equal(false);
    });
  });

  describe('transforms', () => {
    it('strips metadata.managedFields by default', async () => {
      const f = start();
      await f.informer.waitForSync();
      const created = await f.admin.create({
        ...f.configMap('managed'),
        metadata: {
          name: 'managed',
          namespace: env.namespace,
          managedFields: [
            {
              manager: 'kubectl',
              operation: 'Apply',
              apiVersion: 'v1',
              fieldsType: 'FieldsV1',
              fieldsV1: {},
            },
          ],
        },
      });
      expect(created.metadata.managedFields, 'the server keeps managedFields').to.have.length(1);
      await eventually(
        () => f.informer.get(`${env.namespace}/managed`) !== undefined,
        'the object is cached',
      );
      expect(f.informer.get(`${env.namespace}/managed`)?.metadata?.managedFields).to.equal(undefined);
    });

    it('reads metadata-only objects from the server (PartialObjectMetadata via the Accept header)', async () => {
      const big = 'x'.repeat(2000);
      const registry = new Registry();
      // Watch lines over 1,000 characters fail the watch: only metadata-only events fit.
      const client = createClient({
        kubeConfig: env.kubeConfig,
        metrics: null,
        rateLimit: false,
        maxWatchLineLength: 1000,
      });
      const asked: string[] = [];
      const listPages = client.listPages.bind(client);
      const watch = client.watch.bind(client);
      // Records what the informer asks the real client for (and passes every call on).
      client.listPages = (ref, options) => {
        asked.push(`list ${String(options?.metadataOnly)}`);
        return listPages(ref, options);
      };
      client.watch = (ref, options) => {
        asked.push(`watch ${String(options?.metadataOnly)}`);
        return watch(ref, options);
      };
      const f = start({ client, metadataOnly: true, metrics: registry });
      try {
        await f.create('before', { big });
        await f.informer.waitForSync();
        await eventually(() => asked.includes('watch true'), 'the informer watches');
        await f.create('after', { big });
        await f.update('before', { big: `${big}!` });
        await eventually(() => f.matchesServer(), 'the cache has both objects at their resourceVersions');
        expect(asked[0], 'the first list').to.equal('list true');
        expect(
          asked.every((a) => a.endsWith('true')),
          asked.join(', '),
        ).to.be.true;
        const failures = await registry.getSingleMetricAsString('kubekit_informer_watch_failures_total');
        expect(failures, 'no watch failed on a long line').to.not.match(/\} [1-9]/);
        for (const object of f.informer.list()) {
          expect(object).to.have.keys(['apiVersion', 'kind', 'metadata']);
          expect(object).to.include({ apiVersion: 'v1', kind: 'ConfigMap' });
          expect(object.metadata?.managedFields).to.equal(undefined);
        }
        expect(f.events.map((e) => e.object.kind)).to.satisfy((kinds: string[]) =>
          kinds.every((k) => k === 'ConfigMap'),
        );
      } finally {
        await f.stop();
        fixture = undefined;
        await client.close(false);
      }
    });

    it('keeps only metadata when metadataOnly', async () => {
      const f = start({ metadataOnly: true });
      await f.create('meta', { big: 'x'.repeat(1000) });
      await f.informer.waitForSync();
      await eventually(() => f.informer.list().length === 1, 'the object is cached');
      const [object] = f.informer.list();
      expect(object).to.have.keys(['apiVersion', 'kind', 'metadata']);
      expect(object?.metadata?.name).to.equal('meta');
    });
  });

  describe('.byIndex', () => {
    it('finds objects by namespace, owner UID and custom indexes', async () => {
      const f = start({
        indexers: { byColour: (o) => [(o as { data?: { colour?: string } }).data?.colour ?? ''] },
      });
      await f.informer.waitForSync();
      const owner = await f.create('owner');
      await f.admin.create({
        ...f.configMap('child', { colour: 'red' }),
        metadata: {
          name: 'child',
          namespace: env.namespace,
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' },
          ],
        },
      });
      await eventually(() => f.informer.list().length === 2, 'both objects are cached');
      expect(f.informer.byIndex('namespace', env.namespace)).to.have.length(2);
      expect(
        f.informer.byIndex(OWNER_UID_INDEX, owner.metadata?.uid ?? '').map((o) => o.metadata?.name),
      ).to.deep.equal(['child']);
      expect(f.informer.byIndex('byColour', 'red').map((o) => o.metadata?.name)).to.deep.equal(['child']);
      expect(() => f.informer.byIndex('nope', 'x')).to.throw(/no index named "nope"/);
    });
  });

  describe('scopes', () => {
    it('holds only the objects its label selector matches, and drops those that stop matching', async () => {
      const f = start({ labelSelector: 'app=web' });
      await f.informer.waitForSync();
      await f.admin.create({
        ...f.configMap('web'),
        metadata: { name: 'web', namespace: env.namespace, labels: { app: 'web' } },
      });
      await f.admin.create({
        ...f.configMap('db'),
        metadata: { name: 'db', namespace: env.namespace, labels: { app: 'db' } },
      });
      await eventually(() => f.informer.list().length === 1, 'the web object is cached');
      await f.admin.patch(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace, name: 'web' },
        { metadata: { labels: { app: 'other' } } },
      );
      await eventually(() => f.informer.list().length === 0, 'the object left the selection');
      expect(f.deleted()).to.deep.equal(['web']);
    });

    it('holds only the objects its field selector matches, in its list, its watch and its relists', async () => {
      // Both exist before the informer lists.
      const writer = new ConfigMapWriter(
        createClient({ kubeConfig: env.kubeConfig, metrics: null }),
        env.namespace,
      );
      await writer.create('a', { v: '1' });
      await writer.create('b', { v: '1' });
      await writer.admin.close(false);
      const names = (): string[] =>
        (fixture?.events ?? []).map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`);
      const f = start({ fieldSelector: 'metadata.name=a' });
      expect(await f.informer.waitForSync()).to.equal(true);
      expect(f.informer.list().map((o) => o.metadata?.name)).to.deep.equal(['a']);
      // Changes to objects outside the selection come before a change to `a`: once that one has
      // arrived, the watch (one ordered stream) would have delivered them.
      await f.update('b', { v: '2' });
      await f.create('c', { v: '1' });
      await f.remove('b');
      await f.update('a', { v: '2' });
      await eventually(() => names().includes('update a'), 'the change to a arrived');
      expect(names()).to.deep.equal(['add a', 'update a']);
      expect(f.informer.list().map((o) => o.metadata?.name)).to.deep.equal(['a']);

      // A relist (410 on resume) asks with the selector too: nothing appears, nothing is deleted.
      env.faults.add({ verb: 'watch', resource: 'configmaps', error: { code: 410 }, times: 1 });
      env.counters.reset();
      env.faults.dropWatches({ verb: 'watch', resource: 'configmaps' });
      await eventually(
        () => env.counters.count({ verb: 'list', resource: 'configmaps' }) === 1,
        'the informer relisted',
      );
      await eventually(() => f.informer.healthy(), 'the informer is healthy again');
      await f.update('a', { v: '3' });
      await eventually(
        () => names().filter((n) => n === 'update a').length === 2,
        'the next change to a arrived',
      );
      expect(names()).to.deep.equal(['add a', 'update a', 'update a']);
      expect(f.informer.list().map((o) => o.metadata?.name)).to.deep.equal(['a']);
    });
  });

  describe('resync', () => {
    it('delivers every cached object again as an initial update each period (virtual time)', async () => {
      const clock = new FakeClock();
      const f = start({ resyncPeriodMs: 60_000, clock });
      await f.create('a');
      await f.informer.waitForSync();
      await clock.advance(59_000);
      expect(f.events.filter((e) => e.type === 'update')).to.have.length(0);
      await clock.advance(1_000);
      const resyncs = f.events.filter((e) => e.type === 'update');
      expect(resyncs).to.have.length(1);
      expect(resyncs[0]?.initial).to.equal(true);
    });
  });

  describe('.events', () => {
    it('replays the cached objects to a late subscriber, then live changes', async () => {
      const f = start();
      await f.create('early');
      await f.informer.waitForSync();
      await eventually(() => f.informer.list().length === 1, 'the early object is cached');
      const seen: string[] = [];
      const subscription = f.informer
        .events()
        .subscribe((e) => seen.push(`${e.type} ${e.object.metadata?.name ?? ''} ${String(e.initial)}`));
      await f.create('late');
      await eventually(() => seen.length === 2, 'two events');
      subscription.unsubscribe();
      expect(seen).to.deep.equal(['add early true', 'add late false']);
    });
  });

  describe('options', () => {
    it('rejects a page size of 0', () => {
      expect(() =>
        createInformer({ client: {} as never, apiVersion: 'v1', kind: 'ConfigMap', pageSize: 0 }),
      ).to.throw(/pageSize/);
    });
  });
});
