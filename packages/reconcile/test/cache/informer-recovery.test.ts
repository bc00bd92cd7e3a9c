// The informer's loop against a scripted ObjectClient (a unit test of the loop, not of the
// client): failures at exact points of a stream. The same faults on envtest are in
// informer-faults.test.ts.
import { expect } from 'chai';
import {
  KubeClientError,
  type KubeList,
  type ListAllOptions,
  type KubeObject,
  type ObjectClient,
  type WatchEvent,
  type WatchOptions,
} from '@kubekit/client';
import { createInformer, type Informer } from '@kubekit/reconcile';
import { Registry } from 'prom-client';
import { eventually } from '../support/eventually.js';

function configMap(name: string, resourceVersion: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'ns', resourceVersion, uid: `uid-${name}` },
  };
}

type Scripted = ObjectClient & {
  watchedFrom: (string | undefined)[];
  listedAt: (string | undefined)[];
  lists: number;
};

/**
 * A client whose list and watches follow a script; records the resourceVersion of each list and
 * watch. `listFailures` are thrown by the first lists, in order.
 */
function scriptedClient(
  watches: ((rv: string | undefined, options?: WatchOptions) => AsyncGenerator<WatchEvent>)[],
  listFailures: Error[] = [],
): Scripted {
  const client = {
    watchedFrom: [] as (string | undefined)[],
    listedAt: [] as (string | undefined)[],
    lists: 0,
    // eslint-disable-next-line @typescript-eslint/require-await
    async *listPages(_ref: unknown, options?: ListAllOptions): AsyncGenerator<KubeList> {
      client.lists += 1;
      client.listedAt.push(options?.resourceVersion);
      const failure = listFailures.shift();
      if (failure !== undefined) throw failure;
      yield { metadata: { resourceVersion: '10' }, items: [configMap('a', '5')] };
    },
    watch(_ref: unknown, options?: WatchOptions): AsyncIterable<WatchEvent> {
      client.watchedFrom.push(options?.resourceVersion);
      const next = watches.shift();
      if (next === undefined) {
        // eslint-disable-next-line require-yield
        return (async function* idle() {
          // As the real client: a watch opened with an aborted signal ends at once.
          if (options?.signal?.aborted !== true) {
            await new Promise<void>((resolve) =>
              options?.signal?.addEventListener('abort', () => {
                resolve();
              }),
            );
          }
          throw new KubeClientError('aborted', 'aborted');
        })();
      }
      return next(options?.resourceVersion, options);
    },
  };
  return client as unknown as Scripted;
}

/** An informer of the ConfigMaps in `ns` on `client`, started (a 1–5 ms backoff unless `fastBackoff` is false). */
function startInformer(
  client: Scripted,
  { fastBackoff = true, metrics = null }: { fastBackoff?: boolean; metrics?: Registry | null } = {},
): { informer: Informer; stop: () => Promise<void> } {
  const informer = createInformer({
    client,
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: 'ns',
    metrics,
    ...(fastBackoff && { backoff: { initialMs: 1, maxMs: 5 } }),
  });
  const controller = new AbortController();
  const running = informer.start(controller.signal);
  return {
    informer,
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

describe('Informer recovery', () => {
  it('resumes after a malformed event line from the last good resourceVersion, without a relist', async () => {
    const client = scriptedClient([
      // eslint-disable-next-line @typescript-eslint/require-await
      async function* () {
        yield { type: 'ADDED', object: configMap('b', '11') };
        throw new KubeClientError('invalidResponse', 'watch: unreadable event line');
      },
      // eslint-disable-next-line @typescript-eslint/require-await
      async function* () {
        yield { type: 'MODIFIED', object: configMap('b', '12') };
        yield { type: 'DELETED', object: configMap('a', '13') };
      },
    ]);
    const { informer, stop } = startInformer(client);
    await eventually(() => informer.lastResourceVersion() === '13', 'both watches were read');
    expect(client.watchedFrom.slice(0, 2)).to.deep.equal(['10', '11']);
    expect(client.lists).to.equal(1);
    expect(
      informer.list().map((o) => `${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`),
    ).to.deep.equal(['b@12']);
    await stop();
  });

  it('never stops on an unexpected error thrown by the client', async () => {
    const client = scriptedClient([
      // eslint-disable-next-line @typescript-eslint/require-await, require-yield
      async function* () {
        throw new TypeError('a bug somewhere below');
      },
      // eslint-disable-next-line @typescript-eslint/require-await
      async function* () {
        yield { type: 'ADDED', object: configMap('c', '11') };
      },
    ]);
    const { informer, stop } = startInformer(client);
    await eventually(() => informer.list().length === 2, 'the second watch was read');
    await stop();
  });

  /** A 410 Expired answer (reason Expired), as kube-apiserver sends. */
  function expired(what: string): KubeClientError {
    return new KubeClientError('api', `${what}: too old resource version`, {
      code: 410,
      status: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 },
    });
  }

  it('lists first at resourceVersion 0 (from the watch cache), then relists consistently after a 410', async () => {
    const client = scriptedClient([
      // eslint-disable-next-line @typescript-eslint/require-await, require-yield
      async function* () {
        throw expired('watch');
      },
    ]);
    const { stop } = startInformer(client, { fastBackoff: false });
    await eventually(() => client.lists === 2, 'the informer relisted');
    expect(client.listedAt).to.deep.equal(['0', undefined]);
    await stop();
  });

  it('falls back to a consistent list when the server refuses resourceVersion 0 as expired', async () => {
    const client = scriptedClient([], [expired('list')]);
    const { informer, stop } = startInformer(client);
    expect(await informer.waitForSync()).to.equal(true);
    expect(client.listedAt).to.deep.equal(['0', undefined]);
    await stop();
  });

  it('keeps asking for resourceVersion 0 after a failure that is not about the resourceVersion', async () => {
    const client = scriptedClient([], [new KubeClientError('network', 'connection refused')]);
    const { informer, stop } = startInformer(client);
    expect(await informer.waitForSync()).to.equal(true);
    expect(client.listedAt).to.deep.equal(['0', '0']);
    await stop();
  });

  /** A 504 Timeout answer (reason Timeout), as kube-apiserver sends for a resourceVersion it has not reached. */
  function tooLarge(what: string): KubeClientError {
    return new KubeClientError('api', `${what}: Too large resource version`, {
      code: 504,
      status: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Timeout', code: 504 },
    });
  }

  it('lists exactly once more after a 504 Timeout (too large resourceVersion) on the watch', async () => {
    const client = scriptedClient([
      // eslint-disable-next-line @typescript-eslint/require-await, require-yield
      async function* () {
        throw tooLarge('watch');
      },
    ]);
    const { stop } = startInformer(client, { fastBackoff: false });
    // The relist is at once (no backoff) and is followed by a watch that stays open.
    await eventually(() => client.watchedFrom.length === 2, 'the informer relisted and watches again', {
      timeoutMs: 2_000,
    });
    expect(client.lists).to.equal(2);
    expect(client.listedAt).to.deep.equal(['0', undefined]);
    await stop();
  });

  it('counts watch failures in a row only: a watch that delivered an event resets the count (no relist)', async () => {
    // Six watches, each delivers an event and then breaks: never 3 failures without an event between.
    const watches = [11, 12, 13, 14, 15, 16].map(
      (version) =>
        // eslint-disable-next-line @typescript-eslint/require-await
        async function* (): AsyncGenerator<WatchEvent> {
          yield { type: 'MODIFIED', object: configMap('a', String(version)) };
          throw new KubeClientError('network', 'watch: connection reset');
        },
    );
    const client = scriptedClient(watches);
    const { informer, stop } = startInformer(client);
    await eventually(() => client.watchedFrom.length === 7, 'every scripted watch was read');
    expect(client.lists, 'one list only').to.equal(1);
    expect(client.watchedFrom, 'each watch resumes where the previous one got to').to.deep.equal([
      '10',
      '11',
      '12',
      '13',
      '14',
      '15',
      '16',
    ]);
    expect(informer.get('ns/a')?.metadata?.resourceVersion).to.equal('16');
    await stop();
  });

  it('still relists after relistAfterFailures watch failures in a row without an event', async () => {
    const failing = [1, 2, 3].map(
      () =>
        // eslint-disable-next-line @typescript-eslint/require-await, require-yield
        async function* (): AsyncGenerator<WatchEvent> {
          throw new KubeClientError('network', 'watch: connection refused');
        },
    );
    const client = scriptedClient(failing);
    const { stop } = startInformer(client);
    await eventually(() => client.watchedFrom.length === 4, 'the informer watched after its relist');
    expect(client.lists).to.equal(2);
    expect(client.watchedFrom).to.deep.equal(['10', '10', '10', '10']);
    await stop();
  });

  it('is healthy again once a watch is established after a failure, before any event arrives', async () => {
    const registry = new Registry();
    const client = scriptedClient([
      // eslint-disable-next-line @typescript-eslint/require-await, require-yield
      async function* () {
        throw new KubeClientError('network', 'watch: connection reset');
      },
      // The server answers and the stream stays open, quiet (no event, no bookmark), until stopped.
      // eslint-disable-next-line require-yield
      async function* (_rv, options) {
        options?.onEstablished?.();
        await new Promise<void>((resolve) => {
          options?.signal?.addEventListener('abort', () => {
            resolve();
          });
        });
        throw new KubeClientError('aborted', 'aborted');
      },
    ]);
    const { informer, stop } = startInformer(client, { metrics: registry });
    await eventually(() => client.watchedFrom.length === 2, 'the second watch was opened');
    await eventually(() => informer.healthy(), 'the informer is healthy', { timeoutMs: 1_000 });
    const gauge = await registry.getSingleMetric('kubekit_informer_healthy')?.get();
    expect(gauge?.values.map((v) => v.value)).to.deep.equal([1]);
    expect(client.lists).to.equal(1);
    await stop();
  });
});
