import { expect } from 'chai';
import { Registry } from 'prom-client';
import { EPOCH_ANNOTATION, LeaderElectionError, createLeaderForLifeElector } from '@kubekit/leaderelection';
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
