import { expect } from 'chai';
import { Registry } from 'prom-client';
import { EPOCH_ANNOTATION, LeaderElectionError, createLeaderForLifeElector } from '@kubekit/leaderelection';
import { apiError } from './fake-lifelong-api.js';
import { useLifelongHarness } from './lifelong-harness.js';
import { rejectionOf } from '../support/rejection-of.js';

describe('LeaderForLifeElector', () => {
  const harness = useLifelongHarness();
  const { start, leading } = harness;

  describe('.run', () => {
    it('creates the lock owned by its own Pod (name and UID) and leads for life', async () => {
      const { api, clock } = harness;
      const pod = api.addPod('op-a');
      const a = start('op-a');
      const term = await leading(a);
      expect(term).to.not.equal(undefined);
      expect(term!.identity).to.equal('op-a');
      expect(term!.epoch).to.equal(1);
      expect(term!.validUntil()).to.equal(Infinity);
      expect(term!.isValid()).to.equal(true);
      expect(api.locks.get('lock')!.owner).to.deep.equal({ name: 'op-a', uid: pod.uid });
      expect(api.locks.get('lock')!.annotations[EPOCH_ANNOTATION]).to.equal('1');
      expect(a.elector.lockDescription).to.equal('configmap ns/lock');
      const leaders: (string | undefined)[] = [];
      a.elector.leader$.subscribe((leader) => leaders.push(leader));
      expect(leaders).to.deep.equal(['op-a']);
      // Never renews: no request at all for a long time.
      const calls = api.calls.length;
      await clock.tickAsync(10 * 60_000);
      expect(api.calls.length).to.equal(calls);
      expect(a.elector.currentTerm()).to.equal(term);
    });

    it('leads again at once when restarted in the same Pod (same UID), keeping the epoch', async () => {
      const { api } = harness;
      const pod = api.addPod('op-a');
      api.putLock('lock', { name: 'op-a', uid: pod.uid }, { [EPOCH_ANNOTATION]: '7' });
      const a = start('op-a');
      const term = await leading(a);
      expect(term?.epoch).to.equal(7);
      expect(api.count('deleteConfigMap')).to.equal(0);
    });

    it('does not campaign at all from a Pod that is being deleted', async () => {
      const { api, clock } = harness;
      const pod = api.addPod('op-a');
      pod.terminating = true;
      const a = start('op-a');
      await clock.tickAsync(60_000);
      expect(api.count('createConfigMap')).to.equal(0);
      a.controller.abort();
      await clock.tickAsync(0);
      await a.done;
    });

    it('takes over by watch the moment the lock is deleted, without waiting for a backoff', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      api.addPod('op-b');
      const a = start('op-a');
      const aTerm = await leading(a);
      const b = start('op-b', { initialBackoff: 60_000, maxBackoff: 60_000 });
      await clock.tickAsync(10);
      expect(b.elector.currentTerm()).to.equal(undefined);
      const leaders: (string | undefined)[] = [];
      b.elector.leader$.subscribe((leader) => leaders.push(leader));
      expect(leaders).to.deep.equal(['op-a']);
      a.controller.abort();
      await clock.tickAsync(0);
      api.removePod('op-a');
      await clock.tickAsync(1);
      const term = b.elector.currentTerm();
      expect(term).to.not.equal(undefined);
      expect(term!.epoch).to.be.greaterThan(aTerm!.epoch);
      expect(leaders).to.deep.equal(['op-a', undefined, 'op-b']);
    });

    it('reports the loss when its lock is deleted from under it, then leads again in a new term', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a');
      const first = await leading(a);
      api.removeLock('lock');
      await clock.tickAsync(0);
      expect(first!.signal.aborted).to.equal(true);
      expect(LeaderElectionError.is(first!.signal.reason, 'lost')).to.equal(true);
      expect(first!.isValid()).to.equal(false);
      expect(first!.validUntil()).to.be.lessThan(Infinity);
      const second = await leading(a, 10);
      expect(second).to.not.equal(undefined);
      expect(second).to.not.equal(first);
      expect(second!.epoch).to.equal(2);
      expect(a.leadership.map((value) => value.leading)).to.deep.equal([false, true, false, true]);
    });

    it('reports the loss when its lock is replaced by another owner and then follows', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const other = api.addPod('op-b');
      const a = start('op-a');
      const first = await leading(a);
      api.putLock('lock', { name: 'op-b', uid: other.uid });
      await clock.tickAsync(10);
      expect(first!.signal.aborted).to.equal(true);
      expect(a.elector.currentTerm()).to.equal(undefined);
    });

    it('reports the loss when its lock is given another owner in place (same object UID)', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const other = api.addPod('op-b');
      const a = start('op-a');
      const first = await leading(a);
      const touched = api.locks.get('lock')!;
      api.setLockOwner('lock', { name: 'op-b', uid: other.uid });
      await clock.tickAsync(10);
      expect(first!.signal.aborted).to.equal(true);
      expect(a.elector.currentTerm()).to.equal(undefined);
      expect(api.locks.get('lock')!.uid).to.equal(touched.uid);
      const leaders: (string | undefined)[] = [];
      a.elector.leader$.subscribe((leader) => leaders.push(leader));
      expect(leaders).to.deep.equal(['op-b']);
    });

    it('keeps following when the lock is modified without a change of owner', async () => {
      const { api, clock } = harness;
      const leader = api.addLeaderPod('op-a');
      api.addPod('op-b');
      const b = start('op-b');
      await clock.tickAsync(10);
      const gets = api.count('getConfigMap');
      api.setLockOwner('lock', { name: 'op-a', uid: leader.uid });
      await clock.tickAsync(10);
      expect(api.count('getConfigMap')).to.equal(gets);
      expect(b.elector.currentTerm()).to.equal(undefined);
    });

    it('rejects with podNotFound when its Pod was replaced after a loss', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a');
      await leading(a);
      api.pods.delete('op-a');
      api.addPod('op-a');
      api.removeLock('lock');
      await clock.tickAsync(10);
      const error = await rejectionOf(a.done);
      expect(LeaderElectionError.is(error, 'podNotFound')).to.equal(true);
    });

    it('keeps leading while the API server fails, and polls the lock with backoff until the watch is back', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a', { maxBackoff: 4000 });
      const term = await leading(a);
      api.fail('watchConfigMap', 503);
      api.fail('getConfigMap', 503);
      api.closeWatches(apiError(503));
      await clock.tickAsync(60_000);
      expect(term!.isValid()).to.equal(true);
      // 1, 2, 4, 4, ... s (× 0.75 jitter): bounded, never a hot loop.
      expect(api.count('getConfigMap')).to.be.within(10, 25);
      expect(a.errors.every((error) => error.kind === 'apiError')).to.equal(true);
      api.clearFailures();
      await clock.tickAsync(4000);
      expect(api.openWatches).to.equal(1);
      api.removeLock('lock');
      await clock.tickAsync(0);
      expect(term!.isValid()).to.equal(false);
    });

    it('restarts a quiet watch from the last resourceVersion without reading the lock', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      api.addPod('op-b');
      start('op-a');
      await clock.tickAsync(0);
      const b = start('op-b');
      await clock.tickAsync(10);
      const gets = api.count('getConfigMap');
      const watches = api.count('watchConfigMap');
      for (let i = 0; i < 5; i += 1) {
        await clock.tickAsync(30_000);
        api.closeWatches(); // the watch's 30 s inactivity timeout
      }
      await clock.tickAsync(0);
      expect(api.count('getConfigMap')).to.equal(gets);
      expect(api.count('watchConfigMap')).to.equal(watches + 10); // op-a's and op-b's
      expect(b.errors).to.deep.equal([]);
    });

    it('does not hot-loop on a watch that closes at once', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a', { maxBackoff: 2000 });
      await leading(a);
      const watches = api.count('watchConfigMap');
      for (let i = 0; i < 2000; i += 1) {
        api.closeWatches();
        await clock.tickAsync(5);
      }
      expect(api.count('watchConfigMap') - watches).to.be.within(3, 12);
    });

    it('starts again from a fresh read after 410 Expired on the watch', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a');
      const term = await leading(a);
      const gets = api.count('getConfigMap');
      api.closeWatches(apiError(410, 'too old resource version'));
      await clock.tickAsync(1000);
      expect(api.count('getConfigMap')).to.equal(gets + 1);
      expect(api.openWatches).to.equal(1);
      expect(term!.isValid()).to.equal(true);
    });

    it('backs off on a 403 for its own Pod and reports a forbidden error naming verb and resource', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      api.fail('getPod', 403);
      const a = start('op-a', { maxBackoff: 8000 });
      await clock.tickAsync(60_000);
      // 0.75 × (1, 2, 4, 8, 8, ...) s: 11 or 12 requests in a minute, not thousands.
      expect(api.count('getPod')).to.be.within(8, 13);
      expect(a.errors[0]?.kind).to.equal('forbidden');
      expect(a.errors[0]?.message).to.contain('verb "get" on resource "pods"');
      api.clearFailures();
      expect(await leading(a, 8000)).to.not.equal(undefined);
    });

    it('backs off on failures to create or read the lock, and to read the leader Pod', async () => {
      const { api, clock } = harness;
      api.addLeaderPod('op-a');
      api.addPod('op-b');
      api.fail('getConfigMap', 403, 3);
      const b = start('op-b', { maxBackoff: 2000 });
      await clock.tickAsync(10_000);
      expect(b.errors.map((error) => error.kind)).to.deep.equal(['forbidden', 'forbidden', 'forbidden']);
      expect(b.errors[0]?.message).to.contain('verb "get" on resource "configmaps"');
      api.fail('createConfigMap', 500, 2);
      api.fail('getPod', 403);
      api.closeWatches();
      await clock.tickAsync(10_000);
      expect(b.errors.some((error) => error.message.includes('on resource "pods"'))).to.equal(true);
      expect(api.count('getPod')).to.be.lessThan(15);
    });

    it('reports a failed delete and tries again on the next check', async () => {
      const { api, clock } = harness;
      api.addLeaderPod('op-a', { phase: 'Failed', reason: 'Evicted' });
      api.addPod('op-b');
      api.fail('deletePod', 403, 1);
      const b = start('op-b');
      await clock.tickAsync(10);
      expect(b.errors[0]?.message).to.contain('verb "delete" on resource "pods"');
      expect(await leading(b, 1000)).to.not.equal(undefined);
    });

    it('gives up on an unanswered request after requestTimeout and retries it with backoff', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      api.hang('createConfigMap', 1);
      const a = start('op-a', { requestTimeout: 5000 });
      expect(await leading(a, 4999)).to.equal(undefined);
      await clock.tickAsync(1);
      expect(a.errors[0]?.kind).to.equal('timeout');
      expect(a.errors[0]?.message).to.contain('no answer within 5000 ms');
      expect(await leading(a, 1000)).to.not.equal(undefined);
    });

    it('stops at once while a request hangs', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      api.hang('getPod');
      const a = start('op-a', { requestTimeout: 60_000 });
      await clock.tickAsync(10);
      a.controller.abort();
      await clock.tickAsync(0);
      await a.done;
      expect(a.errors).to.deep.equal([]);
    });

    it('rejects with podNotFound when its own Pod does not exist', async () => {
      const { clock } = harness;
      const a = start('typo');
      await clock.tickAsync(0);
      const error = await rejectionOf(a.done);
      expect(LeaderElectionError.is(error, 'podNotFound')).to.equal(true);
      expect((error as Error).message).to.contain('metadata.name');
    });

    it('resolves on abort with nothing left running, ends the term and completes the observables', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a');
      const term = await leading(a);
      let completed = 0;
      a.elector.leadership$.subscribe({ complete: () => (completed += 1) });
      a.elector.leader$.subscribe({ complete: () => (completed += 1) });
      a.controller.abort();
      await clock.tickAsync(0);
      await a.done;
      expect(LeaderElectionError.is(term!.signal.reason, 'stopped')).to.equal(true);
      expect(completed).to.equal(2);
      expect(api.openWatches).to.equal(0);
      expect(clock.countTimers()).to.equal(0);
      expect(api.locks.has('lock'), 'the lock is kept until the Pod goes away').to.equal(true);
    });

    it('regression: stopping aborts the term signal first, then waits for tracked work (bounded by drainTimeout)', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a', { drainTimeout: 5000 });
      const term = await leading(a);
      const order: string[] = [];
      // Work that stops when the term's signal aborts, taking 2 s to wind down.
      void term!.runWhileLeading('winds down', async (current) => {
        await new Promise<void>((resolve) => {
          current.signal.addEventListener('abort', () => {
            order.push('signal aborted');
            setTimeout(resolve, 2000);
          });
        });
        order.push('work done');
      });
      let resolved = false;
      void a.done.then(() => {
        order.push('run resolved');
        resolved = true;
      });
      a.controller.abort();
      await clock.tickAsync(0);
      expect(term!.signal.aborted, 'the signal aborts before the drain').to.equal(true);
      expect(LeaderElectionError.is(term!.signal.reason, 'stopped')).to.equal(true);
      expect(a.leadership.at(-1)).to.deep.equal({ leading: false });
      expect(a.elector.currentTerm()).to.equal(undefined);
      await clock.tickAsync(1999);
      expect(resolved, 'run waits for the tracked work').to.equal(false);
      await clock.tickAsync(1);
      await a.done;
      expect(order).to.deep.equal(['signal aborted', 'work done', 'run resolved']);
      expect(a.errors).to.deep.equal([]);
    });

    it('regression: a drain timeout is logged at error level naming the pending work and reported on errors$', async () => {
      const { api, clock } = harness;
      const logged: { level: string; fields: object; message: string }[] = [];
      const log =
        (level: string) =>
        (fields: object, message: string): void => {
          logged.push({ level, fields, message });
        };
      const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
      api.addPod('op-a');
      const a = start('op-a', { drainTimeout: 100, logger });
      const term = await leading(a);
      void term!.runWhileLeading('stubborn reconciler', () => new Promise(() => undefined));
      void term!.track(new Promise(() => undefined));
      a.controller.abort();
      await clock.tickAsync(99);
      expect(a.errors).to.deep.equal([]);
      await clock.tickAsync(1);
      await a.done;
      const errors = logged.filter((entry) => entry.level === 'error');
      expect(errors).to.have.length(1);
      expect(errors[0]!.message).to.contain('stubborn reconciler');
      expect(errors[0]!.message).to.contain('unnamed work');
      expect(errors[0]!.message).to.contain('100 ms');
      expect(a.errors).to.have.length(1);
      expect(a.errors[0]!.kind).to.equal('drainTimeout');
      expect(a.errors[0]!.message).to.equal(errors[0]!.message);
    });

    it('with drainTimeout Infinity waits for tracked work however long it runs', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a', { drainTimeout: Infinity });
      const term = await leading(a);
      void term!.runWhileLeading('slow shutdown', async (current) => {
        await new Promise<void>((resolve) => {
          current.signal.addEventListener('abort', () => setTimeout(resolve, 3_600_000));
        });
      });
      let resolved = false;
      void a.done.then(() => (resolved = true));
      a.controller.abort();
      await clock.tickAsync(3_599_999);
      expect(resolved).to.equal(false);
      await clock.tickAsync(1);
      await a.done;
      expect(a.errors).to.deep.equal([]);
    });

    it('ends the term on stop at once when no work is tracked', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a', { drainTimeout: 5000 });
      const term = await leading(a);
      const returned = term!.track(Promise.reject(new Error('work failed')));
      await returned.catch(() => undefined);
      a.controller.abort();
      await clock.tickAsync(0);
      await a.done;
      expect(term!.signal.aborted).to.equal(true);
      expect(a.errors).to.deep.equal([]);
    });

    it('stops while following or while retrying', async () => {
      const { api, clock } = harness;
      api.addLeaderPod('op-a');
      api.addPod('op-b');
      const b = start('op-b');
      await clock.tickAsync(5000);
      b.controller.abort();
      await clock.tickAsync(0);
      await b.done;

      api.fail('getPod', 500);
      const c = start('op-b');
      await clock.tickAsync(5000);
      c.controller.abort();
      await clock.tickAsync(0);
      await c.done;
    });

    it('may be called only once', async () => {
      const { api } = harness;
      api.addPod('op-a');
      const a = start('op-a');
      const error = await rejectionOf(a.elector.run(new AbortController().signal));
      expect(LeaderElectionError.is(error, 'invalidConfig')).to.equal(true);
    });
  });

  describe('observability', () => {
    it('reports master status and transitions on the injected registry', async () => {
      const { api, clock } = harness;
      const registry = new Registry();
      api.addPod('op-a');
      const a = start('op-a', { registry });
      await leading(a);
      const text = async (): Promise<string> => registry.metrics();
      expect(await text()).to.contain('leader_election_master_status{name="lock"} 1');
      expect(await text()).to.contain(
        'leader_election_transitions_total{name="lock",transition="acquired"} 1',
      );
      api.removeLock('lock');
      await clock.tickAsync(0);
      expect(await text()).to.contain('leader_election_transitions_total{name="lock",transition="lost"} 1');
      a.controller.abort();
      await clock.tickAsync(0);
      await a.done;
      expect(await text()).to.contain('leader_election_master_status{name="lock"} 0');
    });

    it('survives subscribers and a logger that throw (logged, not rethrown)', async () => {
      const { api, clock } = harness;
      const logged: string[] = [];
      const throwing =
        (level: string) =>
        (_fields: object, message: string): void => {
          logged.push(`${level}: ${message}`);
          throw new Error(`logger broke at ${level}`);
        };
      const logger = {
        debug: throwing('debug'),
        info: throwing('info'),
        warn: throwing('warn'),
        error: throwing('error'),
      };
      api.addPod('op-a');
      const a = start('op-a', { logger });
      a.elector.leadership$.subscribe(() => {
        throw new Error('subscriber broke');
      });
      a.elector.leader$.subscribe({
        next: () => {
          throw new Error('subscriber broke');
        },
      });
      const first = await leading(a);
      expect(first).to.not.equal(undefined);
      api.removeLock('lock');
      await clock.tickAsync(10);
      expect(first!.signal.aborted).to.equal(true);
      const second = a.elector.currentTerm();
      expect(second).to.not.equal(undefined);
      expect(second).to.not.equal(first);
      a.controller.abort();
      await clock.tickAsync(0);
      await a.done;
      expect(logged.some((line) => line.startsWith('error: a subscriber of the elector threw'))).to.equal(
        true,
      );
    });

    it('logs a failure condition once and its recovery once', async () => {
      const { api, clock } = harness;
      const logged: { level: string; message: string }[] = [];
      const log =
        (level: string) =>
        (_fields: object, message: string): void => {
          logged.push({ level, message });
        };
      const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
      api.addPod('op-a');
      api.fail('getPod', 403, 4);
      const a = start('op-a', { logger });
      await clock.tickAsync(20_000);
      expect(a.errors).to.have.length(4);
      expect(logged.filter((entry) => entry.level === 'warn')).to.have.length(1);
      expect(logged.filter((entry) => entry.message === 'API requests succeed again')).to.have.length(1);
      expect(logged.some((entry) => entry.message === 'op-a became leader')).to.equal(true);
    });

    it('records Events on acquire and loss, waits for them on stop, and ignores a failing recorder', async () => {
      const { api, clock } = harness;
      const recorded: { type: string; message: string }[] = [];
      let fail = false;
      const eventRecorder = {
        record: async (event: { type: string; message: string }, signal: AbortSignal): Promise<void> => {
          recorded.push(event);
          if (fail) throw new Error('events are forbidden');
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 50);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        },
      };
      api.addPod('op-a');
      const a = start('op-a', { eventRecorder });
      await leading(a);
      api.removeLock('lock');
      await clock.tickAsync(10);
      fail = true;
      a.controller.abort();
      await clock.tickAsync(100);
      await a.done;
      expect(recorded.map((event) => `${event.type}: ${event.message}`)).to.deep.equal([
        'Normal: op-a became leader',
        'Warning: op-a stopped leading: the lock was deleted or taken',
        'Normal: op-a became leader',
        'Normal: op-a stopped leading: stopped',
      ]);
    });
  });

  describe('.whenLeading', () => {
    it('resolves with the term, at once when leading already', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a');
      const waiting = a.elector.whenLeading();
      await clock.tickAsync(0);
      const term = await waiting;
      expect(await a.elector.whenLeading()).to.equal(term);
    });

    it('rejects when the signal aborts, and when the elector stops first', async () => {
      const { api, clock } = harness;
      api.addLeaderPod('op-a');
      api.addPod('op-b');
      const b = start('op-b');
      const controller = new AbortController();
      const aborted = b.elector.whenLeading(controller.signal).catch((error: unknown) => error);
      controller.abort(new Error('no longer interested'));
      expect(((await aborted) as Error).message).to.equal('no longer interested');
      const early = await b.elector
        .whenLeading(AbortSignal.abort(new Error('early')))
        .catch((error: unknown) => error);
      expect((early as Error).message).to.equal('early');
      const stopped = b.elector.whenLeading().catch((error: unknown) => error);
      b.controller.abort();
      await clock.tickAsync(0);
      expect(LeaderElectionError.is(await stopped, 'stopped')).to.equal(true);
      expect(
        LeaderElectionError.is(await b.elector.whenLeading().catch((error: unknown) => error), 'stopped'),
      ).to.equal(true);
    });
  });

  describe('constructor', () => {
    it('rejects invalid durations, naming the option', () => {
      const { api } = harness;
      for (const [options, named] of [
        [{ initialBackoff: 0 }, 'initialBackoff'],
        [{ initialBackoff: 2000, maxBackoff: 1000 }, 'maxBackoff'],
        [{ maxBackoff: Infinity }, 'maxBackoff'],
        [{ drainTimeout: -1 }, 'drainTimeout'],
        [{ requestTimeout: 0 }, 'requestTimeout'],
        [{ notReadyGracePeriod: -1 }, 'notReadyGracePeriod'],
        [{ notReadyGracePeriod: Infinity }, 'notReadyGracePeriod'],
        [{ notReadyGracePeriod: NaN }, 'notReadyGracePeriod'],
      ] as const) {
        expect(() =>
          createLeaderForLifeElector({ lockName: 'l', namespace: 'ns', podName: 'p', api, ...options }),
        )
          .to.throw(LeaderElectionError, named)
          .with.property('kind', 'invalidConfig');
      }
      expect(() =>
        createLeaderForLifeElector({
          lockName: 'l',
          namespace: 'ns',
          podName: 'p',
          api,
          notReadyGracePeriod: 0,
        }),
      ).to.not.throw();
    });

    it('uses a KubeConfig when no api is given (making no request before run)', () => {
      const elector = createLeaderForLifeElector({ lockName: 'l', namespace: 'ns', podName: 'p', env: {} });
      expect(elector.identity).to.equal('p');
    });
  });
});
