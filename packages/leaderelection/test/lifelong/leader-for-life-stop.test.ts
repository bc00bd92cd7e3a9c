import { expect } from 'chai';
import { LeaderElectionError } from '@kubekit/leaderelection';
import { useLifelongHarness } from './lifelong-harness.js';
import { rejectionOf } from '../support/rejection-of.js';

// How a leader-for-life elector stops: the term ends first, tracked work drains (bounded), nothing is left running.

describe('LeaderForLifeElector', () => {
  const harness = useLifelongHarness();
  const { start, leading } = harness;

  describe('.run', () => {
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
});
