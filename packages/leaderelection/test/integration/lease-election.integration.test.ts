import { expect } from 'chai';
import { CoordinationV1Api, CoreV1Api, V1ConfigMap, V1ObjectMeta } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { useEnvtest } from '@kubekit/envtest/testing';
import { ConfigMapLock, LeaseElector, LeaseLock, leaderAnnotation } from '@kubekit/leaderelection';
import type { Lock, Logger, Term } from '@kubekit/leaderelection';
import { eventually, sleep } from '../support/wait.js';

// Real HTTP, real client-node, the embedded API server; short timings 1 s / 0.6 s / 0.2 s.
const timings = { leaseDuration: 1_000, renewDeadline: 600, retryPeriod: 200 };
const users = ['a', 'b', 'c', 'admin2'];

interface LogLine {
  readonly level: string;
  readonly message: string;
}

interface Candidate {
  readonly name: string;
  readonly elector: LeaseElector;
  readonly stop: AbortController;
  readonly done: Promise<void>;
  readonly registry: Registry;
  readonly log: LogLine[];
  /** performance.now() when each term began and ended. */
  readonly terms: { term: Term; start: number; end?: number }[];
}

describe('LeaseElector on envtest (integration)', function () {
  this.timeout(30_000);
  const env = useEnvtest({ users });
  let candidates: Candidate[] = [];

  afterEach(async () => {
    for (const c of candidates) c.stop.abort();
    await Promise.all(candidates.map((c) => c.done));
    candidates = [];
  });

  function start(
    name: string,
    options: { releaseOnCancel?: boolean; lock?: 'lease' | 'configmap'; watch?: boolean } = {},
  ): Candidate {
    const lockOptions = {
      kubeConfig: env.kubeConfigFor(name),
      name: 'lock',
      namespace: env.namespace,
      identity: name,
    };
    const lock: Lock =
      options.lock === 'configmap' ? new ConfigMapLock(lockOptions) : new LeaseLock(lockOptions);
    const log: LogLine[] = [];
    const at =
      (level: string) =>
      (_fields: object, message: string): void => {
        log.push({ level, message });
      };
    const logger: Logger = { debug: () => undefined, info: at('info'), warn: at('warn'), error: at('error') };
    const registry = new Registry();
    const elector = new LeaseElector({
      lock,
      ...timings,
      logger,
      registry,
      releaseOnCancel: options.releaseOnCancel ?? false,
      watch: options.watch ?? true,
    });
    const terms: Candidate['terms'] = [];
    elector.leadership$.subscribe((leadership) => {
      if (!leadership.leading) return;
      const entry: Candidate['terms'][number] = { term: leadership.term, start: performance.now() };
      terms.push(entry);
      leadership.term.signal.addEventListener('abort', () => {
        entry.end = performance.now();
      });
    });
    const stop = new AbortController();
    const candidate: Candidate = {
      name,
      elector,
      stop,
      done: elector.run(stop.signal),
      registry,
      log,
      terms,
    };
    candidates.push(candidate);
    return candidate;
  }

  const leases = (): CoordinationV1Api => env.kubeConfig.makeApiClient(CoordinationV1Api);
  const core = (): CoreV1Api => env.kubeConfig.makeApiClient(CoreV1Api);

  async function leading(c: Candidate, timeoutMs = 3_000): Promise<Term> {
    return await c.elector.whenLeading(AbortSignal.timeout(timeoutMs));
  }

  describe('with a LeaseLock', () => {
    it('acquires by creating the Lease, with MicroTimes of 6 fractional digits', async () => {
      const a = start('a');
      const term = await leading(a);
      expect(term.epoch).to.equal(0);
      const lease = await leases().readNamespacedLease({ name: 'lock', namespace: env.namespace });
      expect(lease.spec?.holderIdentity).to.equal('a');
      expect(lease.spec?.leaseDurationSeconds).to.equal(1);
      expect(String(lease.spec?.renewTime)).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(String(lease.spec?.acquireTime)).to.match(/\.\d{6}Z$/);
    });

    it('renews with one update per retryPeriod and no reads; a follower only watches', async () => {
      const a = start('a');
      await leading(a);
      const b = start('b');
      await eventually(() => b.elector.currentLeader() === 'a', 2_000, 'b to see a');
      await sleep(300);
      env.counters.reset();
      const before = (await leases().readNamespacedLease({ name: 'lock', namespace: env.namespace })).spec
        ?.renewTime;
      await sleep(2_000);
      const updates = env.counters.count({ user: 'a', verb: 'update', resource: 'leases' });
      expect(updates).to.be.within(7, 11);
      expect(env.counters.count({ user: 'a', verb: 'get', resource: 'leases' })).to.equal(0);
      expect(env.counters.count({ user: 'b', verb: 'get', resource: 'leases' })).to.equal(0);
      expect(env.counters.count({ user: 'b', verb: 'update', resource: 'leases' })).to.equal(0);
      const after = (await leases().readNamespacedLease({ name: 'lock', namespace: env.namespace })).spec
        ?.renewTime;
      expect(String(after)).to.not.equal(String(before));
      expect(a.terms).to.have.length(1);
      expect(b.terms).to.have.length(0);
    });

    it('hands over within milliseconds when the leader releases', async () => {
      const a = start('a', { releaseOnCancel: true });
      const aTerm = await leading(a);
      const b = start('b');
      await eventually(() => b.elector.currentLeader() === 'a', 2_000, 'b to see a');
      const stopped = performance.now();
      a.stop.abort();
      const bTerm = await leading(b);
      const handover = performance.now() - stopped;
      expect(handover).to.be.lessThan(200);
      expect(bTerm.epoch).to.equal(aTerm.epoch + 1);
      await a.done;
      expect(a.elector.state).to.equal('stopped');
    });

    it('takes over leaseDuration after a crashed leader (no release) last renewed', async () => {
      const a = start('a');
      await leading(a);
      const b = start('b');
      await eventually(() => b.elector.currentLeader() === 'a', 2_000, 'b to see a');
      const crashed = performance.now();
      a.stop.abort(); // stops renewing, does not release: as a crash does for the others
      await leading(b);
      const takeover = performance.now() - crashed;
      // a last renewed at most retryPeriod before it stopped; b waits leaseDuration from seeing it.
      expect(takeover).to.be.within(
        timings.leaseDuration - timings.retryPeriod - 20,
        timings.leaseDuration + 250,
      );
    });

    it('a partitioned leader steps down before the follower acquires', async () => {
      const a = start('a');
      await leading(a);
      const b = start('b');
      await eventually(() => b.elector.currentLeader() === 'a', 2_000, 'b to see a');
      const fault = env.faults.add({ user: 'a', partition: true });
      await leading(b, 5_000);
      const aEnd = a.terms[0]?.end;
      expect(aEnd).to.not.be.undefined;
      expect(aEnd!).to.be.lessThan(b.terms[0]!.start);
      // a stepped down at renewDeadline; b acquired after leaseDuration: ≥ 400 ms apart minus jitter.
      expect(b.terms[0]!.start - aEnd!).to.be.greaterThan(200);
      fault.remove();
      await eventually(() => a.elector.currentLeader() === 'b', 3_000, 'a to see b after the partition');
      expect(a.elector.currentTerm()).to.be.undefined;
      expect(a.log.some((l) => l.level === 'warn' && l.message.includes('renewDeadline'))).to.be.true;
    });

    it('keeps leading through conflicting writes by others (re-read, then write again)', async () => {
      const a = start('a');
      await leading(a);
      const api = env.kubeConfigFor('admin2').makeApiClient(CoordinationV1Api);
      for (let i = 0; i < 5; i++) {
        const lease = await api.readNamespacedLease({ name: 'lock', namespace: env.namespace });
        lease.metadata!.labels = { touched: String(i) };
        await api
          .replaceNamespacedLease({ name: 'lock', namespace: env.namespace, body: lease })
          .catch(() => undefined);
        await sleep(150);
      }
      await sleep(300);
      expect(a.terms).to.have.length(1);
      expect(a.terms[0]!.end).to.be.undefined;
      const text = await a.registry.metrics();
      expect(text).to.match(/leader_election_slowpath_total\{name="lock"\} [1-9]/);
      expect(text).to.match(
        /leader_election_api_requests_total\{name="lock",verb="update",code="409"\} [1-9]/,
      );
    });

    for (const code of [429, 500, 503]) {
      it(`rides out ${code} answers for less than renewDeadline − retryPeriod, logging the condition once`, async () => {
        const a = start('a');
        await leading(a);
        await sleep(250);
        const fault = env.faults.add({
          user: 'a',
          verb: 'update',
          resource: 'leases',
          error: { code, ...(code === 429 ? { retryAfterSeconds: 1 } : {}) },
        });
        // Lifted as soon as a renew met it (not after a fixed time a loaded machine may not renew in).
        await eventually(() => a.log.some((l) => l.level === 'warn'), 2_000, 'a renew to meet the fault');
        fault.remove();
        await sleep(500);
        expect(a.terms).to.have.length(1);
        expect(a.terms[0]!.end).to.be.undefined;
        const warnings = a.log.filter((l) => l.level === 'warn');
        expect(warnings).to.have.length(1);
        expect(warnings[0]!.message).to.include(`HTTP ${code}`.replace('HTTP 429', '429'));
        expect(a.log.some((l) => l.message.includes('renewing works again'))).to.be.true;
      });
    }

    it('steps down at renewDeadline when renew requests hang, and recovers after', async () => {
      const a = start('a');
      await leading(a);
      const b = start('b');
      await eventually(() => b.elector.currentLeader() === 'a', 2_000, 'b to see a');
      const fault = env.faults.add({ user: 'a', verb: 'update', resource: 'leases', hang: true });
      const hungAt = performance.now();
      await eventually(() => a.terms[0]?.end !== undefined, 2_000, 'a to step down');
      // At renewDeadline after its last renew began (before the hang), plus timer lateness on a
      // loaded machine; well before leaseDuration, when a follower could act.
      expect(a.terms[0]!.end! - hungAt).to.be.at.most(timings.renewDeadline + 300);
      expect(a.terms[0]!.end! - hungAt).to.be.below(timings.leaseDuration);
      await leading(b, 3_000);
      expect(b.terms[0]!.start).to.be.greaterThan(a.terms[0]!.end!);
      fault.remove();
      await sleep(500);
      expect(a.elector.currentLeader()).to.equal('b');
    });

    it('falls back to polling every retryPeriod while its watch is down, and still takes over', async () => {
      const a = start('a');
      await leading(a);
      env.faults.add({ user: 'b', verb: 'watch', error: { code: 500 } });
      const b = start('b');
      await eventually(() => b.elector.currentLeader() === 'a', 2_000, 'b to see a');
      env.counters.reset();
      await sleep(2_000);
      // Jittered like client-go: every 200–440 ms.
      expect(env.counters.count({ user: 'b', verb: 'get', resource: 'leases' })).to.be.within(4, 11);
      a.stop.abort();
      await leading(b, 3_000);
      expect(b.log.filter((l) => l.message.includes('watching the lock'))).to.have.length(1);
    });

    it('re-watches without polling when its watch is dropped', async () => {
      const a = start('a');
      await leading(a);
      const b = start('b');
      await eventually(() => b.elector.currentLeader() === 'a', 2_000, 'b to see a');
      await sleep(200); // b's first read may answer after its watch
      env.counters.reset();
      for (let i = 0; i < 3; i++) {
        expect(env.faults.dropWatches({ user: 'b' })).to.equal(1);
        await sleep(300);
      }
      expect(env.counters.count({ user: 'b', verb: 'watch', resource: 'leases' })).to.equal(3);
      expect(env.counters.count({ user: 'b', verb: 'get', resource: 'leases' })).to.equal(0);
      const stopped = performance.now();
      a.stop.abort();
      await leading(b, 3_000);
      expect(performance.now() - stopped).to.be.lessThan(timings.leaseDuration + 300);
    });

    it('records Events about the Lease on acquire and on stop', async () => {
      const a = start('a');
      await leading(a);
      a.stop.abort();
      await a.done;
      const events = await core().listNamespacedEvent({ namespace: env.namespace });
      const messages = events.items
        .filter((e) => e.involvedObject.kind === 'Lease' && e.involvedObject.name === 'lock')
        .map((e) => e.message);
      expect(messages).to.include('a became leader');
      expect(messages.some((m) => m?.startsWith('a stopped leading'))).to.be.true;
    });

    it('keeps leading when Events are refused', async () => {
      env.faults.add({ user: 'a', resource: 'events', error: { code: 403 } });
      const a = start('a');
      await leading(a);
      await sleep(500);
      expect(a.elector.currentTerm()?.isValid()).to.be.true;
    });
  });

  describe('with a ConfigMapLock and records written by others', () => {
    async function seed(annotation: string | undefined): Promise<string> {
      const body = Object.assign(new V1ConfigMap(), {
        metadata: Object.assign(new V1ObjectMeta(), {
          name: 'lock',
          namespace: env.namespace,
          annotations:
            annotation === undefined ? { other: 'kept' } : { [leaderAnnotation]: annotation, other: 'kept' },
        }),
        data: { keep: 'me' },
      });
      const created = await core().createNamespacedConfigMap({ namespace: env.namespace, body });
      return created.metadata!.resourceVersion!;
    }

    async function annotation(seeded = true): Promise<Record<string, unknown>> {
      const cm = await core().readNamespacedConfigMap({ name: 'lock', namespace: env.namespace });
      if (seeded) {
        expect(cm.data).to.deep.equal({ keep: 'me' });
        expect(cm.metadata?.annotations?.['other']).to.equal('kept');
      }
      return JSON.parse(cm.metadata?.annotations?.[leaderAnnotation] ?? 'null') as Record<string, unknown>;
    }

    const unreadable: [string, string | undefined][] = [
      ['no annotation', undefined],
      ['garbage JSON', '{"holderIdentity": "x", '],
      ['a JSON array', '["x"]'],
      ['a zero duration', '{"holderIdentity":"x","leaseDurationSeconds":0}'],
      ['a negative duration', '{"holderIdentity":"x","leaseDurationSeconds":-15}'],
      ['missing fields', '{"renewTime":"2024-01-01T00:00:00Z"}'],
      ['a holder that is not a string', '{"holderIdentity":{"name":"x"},"leaseDurationSeconds":15}'],
    ];
    for (const [what, value] of unreadable) {
      it(`treats ${what} as no valid holder and takes over by compare-and-swap`, async () => {
        await seed(value);
        const a = start('a', { lock: 'configmap' });
        await leading(a, 2_000);
        const record = await annotation();
        expect(record['holderIdentity']).to.equal('a');
        expect(record['leaseDurationSeconds']).to.equal(1);
        expect(a.log.filter((l) => l.level === 'error')).to.have.length(0);
      });
    }

    it('honours a live holder whose numbers are strings and whose times are not RFC 3339', async () => {
      await seed(
        '{"holderIdentity":"x","leaseDurationSeconds":"1","renewTime":"Tuesday, noon","acquireTime":"yesterday","leaderTransitions":"4"}',
      );
      const started = performance.now();
      const a = start('a', { lock: 'configmap' });
      await eventually(() => a.elector.currentLeader() === 'x', 1_000, 'a to see x');
      const term = await leading(a, 3_000);
      expect(performance.now() - started).to.be.at.least(950);
      expect(term.epoch).to.equal(5);
      expect((await annotation())['leaderTransitions']).to.equal(5);
    });

    it('regression: a ConfigMap-lock leader keeps leading across renews (its own record comes back with whole-second times)', async () => {
      const a = start('a', { lock: 'configmap' });
      await leading(a);
      await sleep(2_000); // ten retryPeriods
      expect(a.log.filter((l) => l.level === 'error').map((l) => l.message)).to.deep.equal([]);
      expect(a.terms, 'terms of the only replica').to.have.length(1);
      expect(a.terms[0]?.end, 'the only replica stopped leading').to.equal(undefined);
    });

    it('hands over a ConfigMap lock on release as fast as a Lease', async () => {
      const a = start('a', { lock: 'configmap', releaseOnCancel: true });
      await leading(a);
      const b = start('b', { lock: 'configmap' });
      await eventually(() => b.elector.currentLeader() === 'a', 2_000, 'b to see a');
      const stopped = performance.now();
      a.stop.abort();
      await leading(b);
      expect(performance.now() - stopped).to.be.lessThan(200);
      expect((await annotation(false))['holderIdentity']).to.equal('b');
    });
  });
});
