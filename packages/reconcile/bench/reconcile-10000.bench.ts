// 10,000 ConfigMaps created on envtest (a child process) while a real Manager runs a controller
// for them, made by the builder with its defaults (one worker; the reconciler reads the object from
// the shared cache). Figure: from the answer to the last create to the end of the reconcile that
// completed the set (every object reconciled at least once), and the throughput from the first
// create. Baseline, on the same server in the same run: client-node 2.0.1's `makeInformer` feeding a
// naive loop (an array of keys drained by one async loop, no deduplication) running the same
// reconcile. Rounds alternate, each on a fresh namespace. KUBEKIT_BENCH_OBJECTS sets the count,
// KUBEKIT_BENCH_ROUNDS the rounds (default 2).
import { CoreV1Api, makeInformer, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { createClient, type KubeClient, type KubeObject } from '@kubekit/client';
import { createManager } from '@kubekit/manager';
import { cacheFor, controllerManagedBy, type Cache, type Request } from '@kubekit/reconcile';
import { Registry } from 'prom-client';
import { median, reportFigure, startEnvtestProcess } from '@kubekit/envtest/bench';

const COUNT = Number(process.env['KUBEKIT_BENCH_OBJECTS'] ?? '10000');
const ROUNDS = Number(process.env['KUBEKIT_BENCH_ROUNDS'] ?? '2');
const IN_FLIGHT = 100;

/** Which objects were reconciled, and when the set was complete. */
class Tally {
  readonly #seen = new Set<string>();
  #resolve: (() => void) | undefined;
  readonly complete: Promise<number>;
  /** `performance.now()` when the last missing object's reconcile ended. */
  completedAt = Number.NaN;

  constructor(readonly expected: number) {
    this.complete = new Promise<number>((resolve) => {
      this.#resolve = () => {
        resolve(this.completedAt);
      };
    });
  }

  /** The reconcile both sides run: read the object from the cache, note it (once it has data). */
  reconciled(name: string, object: { data?: Record<string, string> | undefined } | undefined): void {
    if (object?.data?.['key'] === undefined || this.#seen.has(name)) return;
    this.#seen.add(name);
    if (this.#seen.size === this.expected) {
      this.completedAt = performance.now();
      this.#resolve?.();
    }
  }
}

interface Timing {
  /** From the last create's answer to the set's completion. */
  readonly afterLastCreateMs: number;
  /** Objects per second, from the first create to the set's completion. */
  readonly perSecond: number;
  /** How long the creates took. */
  readonly createMs: number;
}

async function namespace(client: KubeClient, name: string): Promise<string> {
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/** Creates the objects, IN_FLIGHT at a time; measures against `tally`. */
async function createAll(client: KubeClient, ns: string, tally: Tally): Promise<Timing> {
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < COUNT) {
      const n = next++;
      await client.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${String(n)}`, namespace: ns, labels: { app: 'bench' } },
        data: { key: `value-${String(n)}`, other: 'x'.repeat(160) },
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const lastCreate = performance.now();
  const completedAt = await tally.complete;
  return {
    afterLastCreateMs: completedAt - lastCreate,
    perSecond: (COUNT / (completedAt - started)) * 1000,
    createMs: lastCreate - started,
  };
}

/**
 * Creates a probe object and waits until `probe` has seen it reconciled (the reconciler runs), then
 * hands a fresh tally of COUNT to `use` (the reconciler's) and creates the objects against it.
 */
async function probeThenCreateAll(
  client: KubeClient,
  ns: string,
  probe: Tally,
  use: (tally: Tally) => void,
): Promise<Timing> {
  await client.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'probe', namespace: ns },
    data: { key: 'probe' },
  });
  await probe.complete;
  const tally = new Tally(COUNT);
  use(tally);
  return createAll(client, ns, tally);
}

async function ours(kubeConfig: KubeConfig, client: KubeClient, ns: string): Promise<Timing> {
  const manager = createManager({ kubeConfig, registry: new Registry() });
  const cache: Cache = cacheFor(manager);
  const probe = new Tally(1);
  let tally = probe;
  controllerManagedBy(manager)
    .for({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns })
    .complete({
      reconcile: ({ namespace: objectNamespace, name }: Request) => {
        const object = cache.get<KubeObject & { data?: Record<string, string> }>({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: objectNamespace,
          name,
        });
        tally.reconciled(name, object);
        return Promise.resolve({});
      },
    });
  const stop = new AbortController();
  const running = manager.start(stop.signal);
  try {
    return await probeThenCreateAll(client, ns, probe, (next) => {
      tally = next;
    });
  } finally {
    stop.abort();
    await running;
  }
}

async function baseline(kubeConfig: KubeConfig, client: KubeClient, ns: string): Promise<Timing> {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const informer = makeInformer(kubeConfig, `/api/v1/namespaces/${ns}/configmaps`, () =>
    api.listNamespacedConfigMap({ namespace: ns }),
  );
  informer.on('error', () => {
    // The stopped watch reports here.
  });
  const probe = new Tally(1);
  let tally = probe;
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  const loopState = { stopped: false };
  const enqueue = (object: V1ConfigMap): void => {
    queue.push(object.metadata?.name ?? '');
    wake?.();
  };
  informer.on('add', enqueue);
  informer.on('update', enqueue);
  const loop = (async () => {
    while (!loopState.stopped) {
      const name = queue.shift();
      if (name === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      tally.reconciled(name, informer.get(name, ns));
      await Promise.resolve();
    }
  })();
  await informer.start();
  try {
    return await probeThenCreateAll(client, ns, probe, (next) => {
      tally = next;
    });
  } finally {
    loopState.stopped = true;
    wake?.();
    await loop;
    await informer.stop();
  }
}

const env = await startEnvtestProcess();
const client = createClient({ kubeConfig: env.kubeConfig, rateLimit: false, metrics: null });
const r = (x: number): number => Math.round(x * 10) / 10;
try {
  const mine: Timing[] = [];
  const theirs: Timing[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['ours', 'baseline'] as const) : (['baseline', 'ours'] as const);
    for (const side of order) {
      const ns = await namespace(client, `bench-${side}-${String(round)}`);
      const timing =
        side === 'ours' ? await ours(env.kubeConfig, client, ns) : await baseline(env.kubeConfig, client, ns);
      (side === 'ours' ? mine : theirs).push(timing);
      console.log(
        `round ${String(round)} ${side}: creates took ${String(r(timing.createMs))} ms; all reconciled ` +
          `${String(r(timing.afterLastCreateMs))} ms after the last create; ` +
          `${String(Math.round(timing.perSecond))} objects/s`,
      );
    }
  }
  const after = {
    ours: median(mine.map((t) => t.afterLastCreateMs)),
    theirs: median(theirs.map((t) => t.afterLastCreateMs)),
  };
  const rate = { ours: median(mine.map((t) => t.perSecond)), theirs: median(theirs.map((t) => t.perSecond)) };
  console.log(
    `${String(COUNT)} ConfigMaps: @kubekit/reconcile Manager + controller all reconciled ` +
      `${String(r(after.ours))} ms after the last create (${String(Math.round(rate.ours))}/s); ` +
      `client-node makeInformer + naive loop ${String(r(after.theirs))} ms (${String(Math.round(rate.theirs))}/s)`,
  );
  reportFigure({
    name: 'reconcile/reconcile-10000-objects/after-last-create',
    value: r(after.ours),
    unit: 'ms',
    goal: '<= 5000',
    baseline: r(after.theirs),
  });
  reportFigure({
    name: 'reconcile/reconcile-10000-objects/throughput',
    value: Math.round(rate.ours),
    unit: 'objects/s',
    goal: null,
    baseline: Math.round(rate.theirs),
  });
} finally {
  await client.close(false);
  await env.stop();
}
