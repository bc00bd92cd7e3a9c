// Work queue throughput: add + get + done cycles per second over a working set of keys, with
// deduplication (every key is added twice per cycle, the second add absorbed) and with
// controller-runtime's metrics on (a prom-client registry, as in production) and off.
// controller-runtime's priority queue does about 1 µs per cycle on a fast laptop. A third figure
// has half the keys at LOW_PRIORITY (two levels, aging on).
import { Registry } from 'prom-client';
import { LOW_PRIORITY, createWorkQueue, type WorkQueue } from '@kubekit/reconcile';
import { median, reportFigure } from '@kubekit/envtest/bench';

const KEYS = Array.from({ length: 1000 }, (_, i) => `default/object-${String(i)}`);
const CYCLES = 1_000_000;
const RUNS = 5;

const low = { priority: LOW_PRIORITY };

async function cycles(queue: WorkQueue, prioritized: boolean): Promise<number> {
  const start = performance.now();
  let done = 0;
  while (done < CYCLES) {
    let i = 0;
    for (const key of KEYS) {
      // With priorities: every other key comes from a (re)list, at low priority.
      const options = prioritized && (i++ & 1) === 1 ? low : undefined;
      queue.add(key, options);
      queue.add(key, options);
    }
    for (let left = KEYS.length; left > 0; left--) {
      const key = (await queue.get())!;
      queue.done(key);
    }
    done += KEYS.length;
  }
  const seconds = (performance.now() - start) / 1000;
  return done / seconds;
}

async function measure(metrics: boolean, prioritized = false): Promise<number> {
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const registry = metrics ? new Registry() : null;
    const queue = createWorkQueue({ name: 'bench', metrics: registry });
    rates.push(await cycles(queue, prioritized));
    if (registry !== null) await registry.metrics();
    queue.shutDown();
  }
  return median(rates);
}

await measure(true); // warm-up
const on = await measure(true);
const off = await measure(false);
const prioritized = await measure(true, true);
const fmt = (rate: number): string => Math.round(rate).toLocaleString('en');
console.log(
  `metrics on: ${fmt(on)} cycles/s; off: ${fmt(off)} cycles/s; ` +
    `metrics on with two priorities and aging: ${fmt(prioritized)} cycles/s`,
);
reportFigure({
  name: 'reconcile/queue/cycles-per-second-metrics-on',
  value: Math.round(on),
  unit: 'cycles/s',
  goal: '>= 1000000',
  baseline: null,
});
reportFigure({
  name: 'reconcile/queue/cycles-per-second-metrics-on-priorities',
  value: Math.round(prioritized),
  unit: 'cycles/s',
  goal: null,
  baseline: null,
});
reportFigure({
  name: 'reconcile/queue/cycles-per-second-metrics-off',
  value: Math.round(off),
  unit: 'cycles/s',
  goal: null,
  baseline: null,
});
