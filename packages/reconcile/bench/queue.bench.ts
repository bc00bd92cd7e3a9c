// Work queue throughput: add + get + done cycles per second over a working set of keys, with
// deduplication (every key is added twice per cycle, the second add absorbed) and with
// controller-runtime's metrics on (a prom-client registry, as in production) and off.
// controller-runtime's priority queue does about 1 µs per cycle on a fast laptop.
import { Registry } from 'prom-client';
import { createWorkQueue, type WorkQueue } from '@kubekit/reconcile';
import { median, reportFigure } from './support/figures.js';

const KEYS = Array.from({ length: 1000 }, (_, i) => `default/object-${String(i)}`);
const CYCLES = 1_000_000;
const RUNS = 5;

async function cycles(queue: WorkQueue): Promise<number> {
  const start = performance.now();
  let done = 0;
  while (done < CYCLES) {
    for (const key of KEYS) {
      queue.add(key);
      queue.add(key);
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

async function measure(metrics: boolean): Promise<number> {
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const registry = metrics ? new Registry() : null;
    const queue = createWorkQueue({ name: 'bench', metrics: registry });
    rates.push(await cycles(queue));
    if (registry !== null) await registry.metrics();
    queue.shutDown();
  }
  return median(rates);
}

await measure(true); // warm-up
const on = await measure(true);
const off = await measure(false);
console.log(
  `metrics on: ${Math.round(on).toLocaleString('en')} cycles/s; off: ${Math.round(off).toLocaleString('en')} cycles/s`,
);
reportFigure({
  name: 'reconcile/queue/cycles-per-second-metrics-on',
  value: Math.round(on),
  unit: 'cycles/s',
  goal: '>= 1000000',
  baseline: null,
});
reportFigure({
  name: 'reconcile/queue/cycles-per-second-metrics-off',
  value: Math.round(off),
  unit: 'cycles/s',
  goal: null,
  baseline: null,
});
