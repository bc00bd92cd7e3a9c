import { expect } from 'chai';
import diagnostics from 'node:diagnostics_channel';
import { createClient, KubeClientError } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import {
  createCache,
  createCachedClient,
  fencedClient,
  ReconcileError,
  type CachedClient,
  type LeadershipTerm,
} from '@kubekit/reconcile';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { useCachedClient } from '../support/cached-client-fixture.js';
import { eventually } from '../support/eventually.js';

const configMaps = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

/** A term whose time left and end the test sets (the elector's own terms are tested in leaderelection). */
interface TestTerm extends LeadershipTerm {
  left: number;
  end(): void;
}

function testTerm(left: number): TestTerm {
  const ended = new AbortController();
  const term = {
    identity: 'replica-a',
    epoch: 3,
    acquiredAt: 0,
    acquireTime: new Date(0),
    signal: ended.signal,
    left,
    remainingMs: () => (ended.signal.aborted ? 0 : term.left),
    isValid: () => !ended.signal.aborted && term.left > 0,
    validUntil: () => performance.now() + term.remainingMs(),
    exclusiveUntil: () => performance.now() + term.remainingMs(),
    track: <T>(work: Promise<T>): Promise<T> => work,
    runWhileLeading: <T>(_name: string, fn: (t: LeadershipTerm) => Promise<T>): Promise<T> => fn(term),
    end: () => {
      ended.abort(new Error('term ended'));
    },
  };
  return term;
}

describe('fencedClient', function () {
  this.timeout(30_000);
  const env = useEnvtest();
  const startCachedClient = useCachedClient(env);
  let cached: CachedClient;

  beforeEach(async () => {
    ({ cached } = await startCachedClient([{ ...configMaps, namespace: env.namespace }]));
  });

  function configMap(name: string): ConfigMap {
    return { ...configMaps, metadata: { name, namespace: env.namespace }, data: { v: '1' } };
  }
  const ref = (name: string): { apiVersion: 'v1'; kind: 'ConfigMap'; namespace: string; name: string } => ({
    ...configMaps,
    namespace: env.namespace,
    name,
  });
  const creates = (): number => env.counters.snapshot()[`admin create configmaps`] ?? 0;

  it('writes while the term is valid, and reads its own writes through the cache', async () => {
    const fenced = fencedClient(cached, testTerm(60_000));
    await fenced.create(configMap('a'));
    await fenced.patch(ref('a'), { data: { v: '2' } });
    expect((await fenced.get<ConfigMap>(ref('a')))?.data).to.deep.equal({ v: '2' });
    expect(
      (await fenced.list<ConfigMap>(configMaps, { namespace: env.namespace })).map((c) => c.metadata?.name),
    ).to.deep.equal(['a']);
    await fenced.delete(ref('a'));
    expect(await fenced.get(ref('a'))).to.equal(undefined);
  });

  it('sends nothing once the term has ended, for every write verb', async () => {
    const term = testTerm(60_000);
    const fenced = fencedClient(cached, term);
    const existing = await cached.create(configMap('b'));
    term.end();
    const before = env.counters.snapshot();
    const writes: [string, () => Promise<unknown>][] = [
      ['create', () => fenced.create(configMap('c'))],
      ['update', () => fenced.update(existing)],
      ['patch', () => fenced.patch(ref('b'), { data: { v: '9' } })],
      ['apply', () => fenced.apply(configMap('b'), { fieldManager: 'test' })],
      ['delete', () => fenced.delete(ref('b'))],
      ['updateStatus', () => fenced.updateStatus(existing)],
      ['patchStatus', () => fenced.patchStatus(ref('b'), {})],
    ];
    for (const [verb, write] of writes) {
      const error = await write().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(ReconcileError.is(error, 'fenced'), `${verb}: ${String(error)}`).to.equal(true);
      expect((error as Error).message).to.equal(`${verb} not sent: term 3 of replica-a has 0 ms left`);
    }
    expect(env.counters.snapshot()).to.deep.equal(before);
    // Reads still answer from the cache.
    expect((await fenced.get<ConfigMap>(ref('b')))?.data).to.deep.equal({ v: '1' });
  });

  it('sends nothing when the term has less than minRemainingMs left', async () => {
    const term = testTerm(40);
    const fenced = fencedClient(cached, term, { minRemainingMs: 50 });
    const error = await fenced.create(configMap('d')).catch((e: unknown) => e);
    expect(ReconcileError.is(error, 'fenced')).to.equal(true);
    expect((error as Error).message).to.equal(
      'create not sent: term 3 of replica-a has 40 ms left (at least 50 needed)',
    );
    expect(creates()).to.equal(0);
    term.left = 60;
    await fenced.create(configMap('d'));
    expect(creates()).to.equal(1);
  });

  it('refuses every write without a term', async () => {
    const error = await fencedClient(cached, undefined)
      .create(configMap('e'))
      .catch((e: unknown) => e);
    expect(ReconcileError.is(error, 'fenced')).to.equal(true);
    expect((error as Error).message).to.equal('create not sent: no term of leadership to fence it by');
    expect(creates()).to.equal(0);
  });

  it("gives up a write when the term's time left runs out before the answer", async () => {
    env.faults.add({ verb: 'create', resource: 'configmaps', hang: true });
    const fenced = fencedClient(cached, testTerm(150));
    const started = performance.now();
    const error = await fenced.create(configMap('f'), { timeoutMs: 10_000 }).catch((e: unknown) => e);
    const waited = performance.now() - started;
    expect(KubeClientError.is(error), String(error)).to.equal(true);
    expect(waited).to.be.at.least(140).and.below(5_000);
  });

  it('aborts a write in flight the moment the term ends, and on the given signal', async () => {
    env.faults.add({ verb: 'create', resource: 'configmaps', hang: true });
    const term = testTerm(60_000);
    const pending = fencedClient(cached, term)
      .create(configMap('g'))
      .catch((e: unknown) => e);
    await eventually(() => creates() === 1, 'the create reached the server');
    term.end();
    expect(KubeClientError.is(await pending, 'aborted'), 'term end').to.equal(true);
    const reconcile = new AbortController();
    const other = fencedClient(cached, testTerm(60_000), { signal: reconcile.signal })
      .create(configMap('h'))
      .catch((e: unknown) => e);
    await eventually(() => creates() === 2, 'the second create reached the server');
    reconcile.abort(new Error('reconcile stopped'));
    expect(KubeClientError.is(await other, 'aborted'), 'signal').to.equal(true);
  });

  it('checks the term again when the write leaves: a wait inside the client that ends late sends nothing', async () => {
    // A client whose bucket makes the write wait; the event loop then stalls past the term's end,
    // and the wait's timer runs before the term's own (as timers due together run in order).
    const client = createClient({
      kubeConfig: env.kubeConfig,
      metrics: null,
      rateLimit: { qps: 50, burst: 1 },
    });
    const sent: number[] = [];
    const onSend = (message: unknown): void => {
      if ((message as { request: { method: string } }).request.method === 'POST')
        sent.push(performance.now());
    };
    diagnostics.subscribe('undici:client:sendHeaders', onSend);
    try {
      const view = createCachedClient({ cache: createCache({ client }), client });
      await client.list({ ...configMaps, namespace: env.namespace }); // mapping known, the one token spent
      const validUntil = performance.now() + 60;
      const ended = new AbortController();
      setTimeout(() => {
        ended.abort(new Error('renewDeadline passed'));
      }, 60);
      const term = testTerm(60);
      Object.assign(term, {
        signal: ended.signal,
        remainingMs: () => (ended.signal.aborted ? 0 : Math.max(0, validUntil - performance.now())),
        isValid: () => !ended.signal.aborted && performance.now() < validUntil,
      });
      setTimeout(() => {
        const until = performance.now() + 300;
        while (performance.now() < until) {
          // a long GC pause or a CPU-bound reconcile
        }
      }, 5);
      const error = await fencedClient(view, term)
        .create(configMap('late'))
        .catch((e: unknown) => e);
      expect(ReconcileError.is(error, 'fenced'), String(error)).to.equal(true);
      expect(sent, 'no POST left after the term').to.deep.equal([]);
      expect(creates()).to.equal(0);
    } finally {
      diagnostics.unsubscribe('undici:client:sendHeaders', onSend);
      await client.close(false);
    }
  });

  it("keeps the client's own timeout under a term without an end", async () => {
    const client = createClient({
      kubeConfig: env.kubeConfig,
      metrics: null,
      rateLimit: false,
      requestTimeoutMs: 300,
    });
    try {
      const view = createCachedClient({ cache: createCache({ client }), client });
      env.faults.add({ verb: 'create', resource: 'configmaps', hang: true });
      const endless = testTerm(Infinity);
      const started = performance.now();
      const error = await fencedClient(view, endless)
        .create(configMap('endless'))
        .catch((e: unknown) => e);
      expect(KubeClientError.is(error, 'timeout'), String(error)).to.equal(true);
      expect(performance.now() - started).to.be.below(5_000);
    } finally {
      await client.close(false);
    }
  });

  it('rejects a negative or non-finite minRemainingMs with a typed error', () => {
    for (const minRemainingMs of [-1, Number.NaN, Infinity]) {
      expect(() => fencedClient(cached, testTerm(1), { minRemainingMs }))
        .to.throw(ReconcileError)
        .with.property('kind', 'invalidArgument');
    }
  });
});
