import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { ElectionEvent } from '@kubekit/leaderelection';
import { useLifelongHarness } from './lifelong-harness.js';

// The term of a leader-for-life elector is published first (before the gauge, the log and the
// Event): what a leadership$ subscriber may do inside that publication.

async function metricValues(registry: Registry, name: string): Promise<Record<string, number>> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values: Record<string, number> = {};
  for (const value of found?.values ?? [])
    values[String(value.labels['transition'] ?? 'value')] = value.value;
  return values;
}

describe('LeaderForLifeElector: what a leadership$ subscriber does inside the term publication', () => {
  const harness = useLifelongHarness();

  for (const what of ['stops the elector', 'deletes the lock'] as const) {
    it(`a subscriber that ${what} inside the publication: the term ends, its work drains, nothing reports it as leading after`, async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const registry = new Registry();
      const events: string[] = [];
      const a = harness.start('op-a', {
        registry,
        drainTimeout: 5_000,
        eventRecorder: {
          record: (event: ElectionEvent) => {
            events.push(event.message);
            return Promise.resolve();
          },
        },
      });
      const stopped: number[] = [];
      let deleted = false;
      a.elector.leadership$.subscribe((l) => {
        if (!l.leading) return;
        void l.term.runWhileLeading(
          'work',
          (term) =>
            new Promise<void>((resolve) => {
              term.signal.addEventListener('abort', () => {
                setTimeout(() => {
                  stopped.push(performance.now());
                  resolve();
                }, 300);
              });
            }),
        );
        if (what === 'stops the elector') a.controller.abort();
        else if (!deleted) {
          deleted = true;
          api.removeLock('lock');
        }
      });
      await clock.tickAsync(2_000);
      const first = a.leadership.findIndex((l) => l.leading);
      const published = a.leadership[first];
      expect(published?.leading, 'a term was published').to.equal(true);
      expect(published?.leading === true && published.term.signal.aborted, 'the term ended').to.equal(true);
      expect(stopped).to.have.length(1);
      expect(a.leadership[first + 1]?.leading, 'its end was published next').to.equal(false);
      if (what === 'stops the elector') {
        await a.done;
        expect(await metricValues(registry, 'leader_election_master_status')).to.deep.equal({ value: 0 });
        expect(events).to.deep.equal(['op-a became leader', 'op-a stopped leading: stopped']);
      } else {
        // Lost; it campaigns again and leads anew with a new lock.
        const led = a.leadership.filter((l) => l.leading).length;
        expect(await metricValues(registry, 'leader_election_master_status')).to.deep.equal({
          value: a.elector.currentTerm() === undefined ? 0 : 1,
        });
        expect(events.slice(0, 2)).to.deep.equal([
          'op-a became leader',
          'op-a stopped leading: the lock was deleted or taken',
        ]);
        expect(led).to.be.at.least(1);
        a.controller.abort();
        await clock.tickAsync(10_000);
        await a.done;
        expect(await metricValues(registry, 'leader_election_master_status')).to.deep.equal({ value: 0 });
      }
    });
  }
});
