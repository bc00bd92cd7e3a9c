import { expect } from 'chai';
import { Registry } from 'prom-client';
import { ExponentialRateLimiter, LOW_PRIORITY, createWorkQueue, type WorkQueue } from '@kubekit/reconcile';
import { FakeClock, settle } from '../support/fake-clock.js';

async function drain(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const key = (await queue.get())!;
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

describe('WorkQueue', () => {
  describe('.add', () => {
    it('keeps an item once while it waits, and hands items out first in first out', async () => {
      const queue = createWorkQueue();
      for (const key of ['a', 'b', 'a', 'c', 'b']) queue.add(key);
      expect(queue.len()).to.equal(3);
      expect(await drain(queue)).to.deep.equal(['a', 'b', 'c']);
    });

    it('keeps first-in-first-out order across many items, wrapping around as it is drained and refilled', async () => {
      const queue = createWorkQueue();
      const order: string[] = [];
      for (let i = 0; i < 10; i++) queue.add(`a${String(i)}`);
      for (let i = 0; i < 5; i++) {
        const key = (await queue.get())!;
        order.push(key);
        queue.done(key);
      }
      for (let i = 0; i < 100; i++) queue.add(`b${String(i)}`);
      order.push(...(await drain(queue)));
      const expected = [
        ...Array.from({ length: 10 }, (_, i) => `a${String(i)}`),
        ...Array.from({ length: 100 }, (_, i) => `b${String(i)}`),
      ];
      expect(order).to.deep.equal(expected);
    });

    it('holds an item added while it is processed until done, then queues it once', async () => {
      const queue = createWorkQueue();
      queue.add('a');
      expect(await queue.get()).to.equal('a');
      queue.add('a');
      queue.add('a');
      expect(queue.len()).to.equal(0);
      queue.done('a');
      expect(queue.len()).to.equal(1);
      expect(await queue.get()).to.equal('a');
      queue.done('a');
      expect(queue.len()).to.equal(0);
    });

    it('never hands one key to two consumers at once', async () => {
      const queue = createWorkQueue();
      const active = new Set<string>();
      let overlaps = 0;
      let handled = 0;
      const worker = async (): Promise<void> => {
        for (;;) {
          const key = await queue.get();
          if (key === undefined) return;
          if (active.has(key)) overlaps += 1;
          active.add(key);
          await new Promise<void>((resolve) => setImmediate(resolve));
          active.delete(key);
          handled += 1;
          queue.done(key);
        }
      };
      const workers = Array.from({ length: 8 }, () => worker());
      for (let round = 0; round < 50; round++) {
        for (let k = 0; k < 4; k++) queue.add(`k${String(k)}`);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await queue.shutDownWithDrain();
      await Promise.all(workers);
      expect(overlaps).to.equal(0);
      expect(handled).to.be.greaterThan(4);
    });
  });

  describe('.get', () => {
    it('waits for an item and resolves when one is added', async () => {
      const queue = createWorkQueue();
      const next = queue.get();
      queue.add('x');
      expect(await next).to.equal('x');
    });

    it('resolves undefined when its signal aborts, taking nothing', async () => {
      const queue = createWorkQueue();
      const controller = new AbortController();
      const next = queue.get(controller.signal);
      controller.abort();
      expect(await next).to.equal(undefined);
      queue.add('x');
      expect(queue.len()).to.equal(1);
      expect(await queue.get(controller.signal)).to.equal('x');
    });
  });

  describe('.shutDown', () => {
    it('wakes waiting consumers, ignores later adds, and still hands out what was queued', async () => {
      const queue = createWorkQueue();
      const waiting = queue.get();
      queue.shutDown();
      expect(await waiting).to.equal(undefined);
      queue.add('late');
      expect(queue.len()).to.equal(0);
      expect(queue.shuttingDown()).to.equal(true);

      const other = createWorkQueue();
      other.add('queued');
      other.shutDown();
      expect(await other.get()).to.equal('queued');
      expect(await other.get()).to.equal(undefined);
    });

    it('drops pending delays', async () => {
      const clock = new FakeClock();
      const queue = createWorkQueue({ clock });
      queue.addAfter('later', 100);
      queue.shutDown();
      await clock.advance(200);
      expect(queue.len()).to.equal(0);
      expect(clock.pending).to.equal(0);
    });
  });

  describe('.shutDownWithDrain', () => {
    it('resolves only once every item handed out is done', async () => {
      const queue = createWorkQueue();
      queue.add('a');
      const key = (await queue.get())!;
      let drained = false;
      const drain = queue.shutDownWithDrain().then(() => (drained = true));
      await settle();
      expect(drained).to.equal(false);
      queue.done(key);
      await drain;
      expect(drained).to.equal(true);
    });

    it('stops waiting when its signal aborts', async () => {
      const queue = createWorkQueue();
      queue.add('a');
      await queue.get();
      const controller = new AbortController();
      const drain = queue.shutDownWithDrain(controller.signal);
      controller.abort();
      await drain;
    });
  });

  describe('.addAfter', () => {
    it('queues the item after the delay in virtual time, the earliest delay winning', async () => {
      const clock = new FakeClock();
      const queue = createWorkQueue({ clock });
      queue.addAfter('a', 100);
      queue.addAfter('a', 50);
      queue.addAfter('a', 500);
      queue.addAfter('b', 70);
      await clock.advance(49);
      expect(queue.len()).to.equal(0);
      await clock.advance(1);
      expect(queue.len()).to.equal(1);
      expect(await queue.get()).to.equal('a');
      queue.done('a');
      await clock.advance(20);
      expect(await queue.get()).to.equal('b');
      queue.done('b');
      await clock.advance(1000);
      expect(queue.len()).to.equal(0);
    });

    it('releases many delayed items in the order of their delays', async () => {
      const clock = new FakeClock();
      const queue = createWorkQueue({ clock });
      const delays = Array.from({ length: 50 }, (_, i) => ((i * 37) % 50) + 1);
      delays.forEach((delay) => {
        queue.addAfter(`d${String(delay)}`, delay * 10);
      });
      const released: string[] = [];
      for (let t = 0; t < 50; t++) {
        await clock.advance(10);
        released.push(...(await drain(queue)));
      }
      expect(released).to.deep.equal(Array.from({ length: 50 }, (_, i) => `d${String(i + 1)}`));
    });

    it('queues at once for a delay of 0 or less', () => {
      const queue = createWorkQueue();
      queue.addAfter('now', 0);
      queue.addAfter('past', -5);
      expect(queue.len()).to.equal(2);
    });
  });

  describe('.addRateLimited', () => {
    it('delays each failure twice as long until forgotten', async () => {
      const clock = new FakeClock();
      const queue = createWorkQueue({ clock, rateLimiter: new ExponentialRateLimiter({ baseDelayMs: 5 }) });
      const due: number[] = [];
      for (let i = 0; i < 4; i++) {
        const start = clock.now();
        queue.addRateLimited('a');
        while (queue.len() === 0) await clock.advance(1);
        due.push(clock.now() - start);
        expect(await queue.get()).to.equal('a');
        queue.done('a');
      }
      expect(due).to.deep.equal([5, 10, 20, 40]);
      expect(queue.numRequeues('a')).to.equal(4);
      queue.forget('a');
      expect(queue.numRequeues('a')).to.equal(0);
    });
  });

  describe('priorities', () => {
    it('serves live changes before items of the initial list', async () => {
      const queue = createWorkQueue({ maxWaitMs: Infinity });
      queue.add('list-1', { priority: LOW_PRIORITY });
      queue.add('list-2', { priority: LOW_PRIORITY });
      queue.add('live');
      expect(await drain(queue)).to.deep.equal(['live', 'list-1', 'list-2']);
    });

    it('raises a waiting item to the higher priority of a later add, never lowers it', async () => {
      const queue = createWorkQueue({ maxWaitMs: Infinity });
      queue.add('a', { priority: LOW_PRIORITY });
      queue.add('b', { priority: LOW_PRIORITY });
      queue.add('c');
      queue.add('b');
      queue.add('c', { priority: LOW_PRIORITY });
      expect(queue.len()).to.equal(3);
      expect(await drain(queue)).to.deep.equal(['c', 'b', 'a']);
    });

    it('serves a low-priority item that has waited maxWaitMs before younger live changes (aging)', async () => {
      const clock = new FakeClock();
      const queue = createWorkQueue({ clock, maxWaitMs: 1000 });
      queue.add('resync', { priority: LOW_PRIORITY });
      const served: string[] = [];
      // A constant flow of live changes: without aging the resync would never be served.
      for (let tick = 0; tick < 30; tick++) {
        queue.add(`live-${String(tick)}`);
        await clock.advance(100);
        const key = (await queue.get())!;
        served.push(key);
        queue.done(key);
      }
      const at = served.indexOf('resync');
      expect(at).to.be.greaterThan(0);
      expect(at).to.be.at.most(10);
    });
  });

  describe('metrics', () => {
    it("reports controller-runtime's workqueue metrics under the queue's name", async () => {
      const clock = new FakeClock();
      const registry = new Registry();
      const queue = createWorkQueue({ name: 'apps', clock, metrics: registry });
      queue.add('a');
      queue.add('a');
      queue.add('b');
      await clock.advance(2000);
      expect(await queue.get()).to.equal('a');
      await clock.advance(3000);
      queue.addAfter('c', 10);
      const text = await registry.metrics();
      expect(text).to.include('workqueue_depth{name="apps",controller="apps",priority="0"} 1');
      expect(text).to.include('workqueue_adds_total{name="apps",controller="apps"} 2');
      expect(text).to.include('workqueue_retries_total{name="apps",controller="apps"} 1');
      expect(text).to.include('workqueue_unfinished_work_seconds{name="apps",controller="apps"} 3');
      expect(text).to.include('workqueue_longest_running_processor_seconds{name="apps",controller="apps"} 3');
      expect(text).to.include(
        'workqueue_queue_duration_seconds_bucket{name="apps",controller="apps",le="1"} 0',
      );
      expect(text).to.include(
        'workqueue_queue_duration_seconds_bucket{name="apps",controller="apps",le="10"} 1',
      );
      expect(text).to.include('workqueue_queue_duration_seconds_sum{name="apps",controller="apps"} 2');
      expect(text).to.include('workqueue_queue_duration_seconds_count{name="apps",controller="apps"} 1');
      queue.done('a');
      const after = await registry.metrics();
      expect(after).to.include('workqueue_work_duration_seconds_sum{name="apps",controller="apps"} 3');
      expect(after).to.include('workqueue_work_duration_seconds_count{name="apps",controller="apps"} 1');
      // A second scrape reports totals, not the increments since the first.
      expect(after).to.include('workqueue_adds_total{name="apps",controller="apps"} 2');
      const json = await registry.getMetricsAsJSON();
      const work = json.find((m) => m.name === 'workqueue_work_duration_seconds');
      expect(work?.type).to.equal('histogram');
      const count = work?.values.find(
        (v) => (v as { metricName?: string }).metricName === 'workqueue_work_duration_seconds_count',
      );
      expect(count?.value).to.equal(1);
      queue.shutDown();
    });

    it('reports depth per priority for a queue that uses priorities', async () => {
      const registry = new Registry();
      const queue = createWorkQueue({ name: 'p', metrics: registry });
      queue.add('a', { priority: LOW_PRIORITY });
      queue.add('b');
      const text = await registry.metrics();
      expect(text).to.include('workqueue_depth{name="p",controller="p",priority="-100"} 1');
      expect(text).to.include('workqueue_depth{name="p",controller="p",priority="0"} 1');
      queue.shutDown();
    });

    it('rejects metrics without a queue name', () => {
      expect(() => createWorkQueue({ metrics: new Registry() })).to.throw(/name/);
    });
  });
});
