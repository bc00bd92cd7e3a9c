// The builder's own calls on envtest: `watches`, `withEventFilter` and the priority-queue options
// of `withOptions`. Ordering, not waiting, proves that something was not reconciled: one worker
// serves live events first in first out, so an event that passed the filter before a later one
// would have been reconciled before it.
import { expect } from 'chai';
import type { KubeObject } from '@kubekit/client';
import { useEnvtest } from '@kubekit/envtest/testing';
import {
  cacheFor,
  channelSource,
  controllerManagedBy,
  enqueueRequestsFromMapFunc,
  labelSelector,
  type BuilderControllerOptions,
} from '@kubekit/reconcile';
import { Subject } from 'rxjs';
import { eventually } from '../support/eventually.js';
import { FakeClock } from '../support/fake-clock.js';
import { useOperatorFixture, type OperatorFixture } from '../support/operator-fixture.js';

const configMaps = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

describe('ControllerBuilder on envtest (integration)', function () {
  this.timeout(30_000);
  const env = useEnvtest();
  const operator = useOperatorFixture(env);

  /** Resolves once the cache holds `object` at its resourceVersion (its event was handled). */
  async function cached(op: OperatorFixture, object: KubeObject): Promise<void> {
    const cache = cacheFor(op.manager);
    const name = object.metadata?.name ?? '';
    await eventually(
      () =>
        cache.get({ ...configMaps, namespace: env.namespace, name })?.metadata?.resourceVersion ===
        object.metadata?.resourceVersion,
      `the cache saw ${name}`,
    );
  }

  describe('.watches and .withEventFilter', () => {
    it('reconciles what a channel source maps to, and only objects passing the event filter', async () => {
      const op = operator();
      const channel = new Subject<KubeObject>();
      const calls: string[] = [];
      controllerManagedBy(op.manager)
        .for({ ...configMaps, namespace: env.namespace })
        .watches(
          channelSource(channel),
          enqueueRequestsFromMapFunc((object: KubeObject) => [
            { namespace: env.namespace, name: `for-${object.metadata?.name ?? ''}` },
          ]),
        )
        .withEventFilter(labelSelector('x=1'))
        .complete({
          reconcile: ({ name }) => {
            calls.push(name);
            return Promise.resolve({});
          },
        });
      op.start();
      const unlabelled = { metadata: { name: 'plain' } };
      const labelled = { metadata: { name: 'tagged', labels: { x: '1' } } };

      // The channel: an object without the label is filtered out, the labelled one is mapped.
      // Pushes before the controller subscribed are lost: push both until the labelled one lands.
      await eventually(() => {
        channel.next(unlabelled);
        channel.next(labelled);
        return calls.includes('for-tagged');
      }, 'a channel push reconciles the mapped request');
      expect(calls).to.not.include('for-plain');
      expect(calls).to.not.include('tagged');

      // The kind: a ConfigMap without the label is never reconciled, through create and update.
      calls.length = 0;
      await op.create('plain');
      await op.create('labelled', {}, { labels: { x: '1' } });
      await eventually(() => calls.includes('labelled'), 'the labelled ConfigMap is reconciled');
      await op.update('plain', { v: '2' });
      const last = await op.update('labelled', { v: '2' });
      await cached(op, last);
      await eventually(() => calls.filter((c) => c === 'labelled').length === 2, 'its update is reconciled');
      expect(calls).to.deep.equal(['labelled', 'labelled']);
    });
  });

  describe('.withOptions priority queue', () => {
    /**
     * Three objects of the initial list wait behind a gated first reconcile; a live change arrives
     * after `waitedMs` of virtual time. Returns the order of the reconciles.
     */
    async function order(options: BuilderControllerOptions, waitedMs: number): Promise<string[]> {
      const op = operator();
      const clock = new FakeClock();
      const calls: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      for (const name of ['old-0', 'old-1', 'old-2', 'old-3']) await op.create(name);
      controllerManagedBy(op.manager)
        .for({ ...configMaps, namespace: env.namespace })
        .withOptions({ clock, ...options })
        .complete({
          reconcile: async ({ name }) => {
            calls.push(name);
            if (calls.length === 1) await gate;
            return {};
          },
        });
      op.start();
      await eventually(() => calls.length === 1, 'the first reconcile began');
      await clock.advance(waitedMs);
      await cached(op, await op.create('live'));
      release();
      await eventually(() => calls.length === 5, 'everything reconciled');
      return calls;
    }

    it('serves live changes before the initial list by default', async () => {
      const calls = await order({}, 1_000);
      expect(calls[1]).to.equal('live');
    });

    it('serves everything in arrival order with usePriorityQueue false', async () => {
      const calls = await order({ usePriorityQueue: false }, 0);
      expect(calls[4]).to.equal('live');
      expect([...calls.slice(0, 4)].sort()).to.deep.equal(['old-0', 'old-1', 'old-2', 'old-3']);
    });

    it('serves initial-list items that waited priorityQueueMaxWaitMs before younger live changes (virtual time)', async () => {
      const calls = await order({ priorityQueueMaxWaitMs: 1_000 }, 1_000);
      expect(calls[4]).to.equal('live');
    });

    it('keeps live changes first while the initial list has waited less than priorityQueueMaxWaitMs (virtual time)', async () => {
      const calls = await order({ priorityQueueMaxWaitMs: 1_001 }, 1_000);
      expect(calls[1]).to.equal('live');
    });
  });
});
