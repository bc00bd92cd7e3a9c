import { expect } from 'chai';
import { KubeClientError } from '@kubekit/client';
import type { WatchEvent } from '@kubekit/client';
import { LeaderElectionError } from '@kubekit/leaderelection';
import type { LockWatchEvent } from '@kubekit/leaderelection';
import { watchLockObject } from '#lib/locks/kube-watch.js';
import type { LockWatchQuery, LockWatchStream, WatchTarget } from '#lib/locks/kube-watch.js';

/**
 * A stand-in for the client's watch: records the query, and lets the test play the server. Events
 * are queued; `end(error?)` ends the stream (with a failure when given); aborting the signal ends
 * it at once, as undici does.
 */
function fakeWatch(open: 'ok' | Error = 'ok'): {
  target: WatchTarget;
  queries: LockWatchQuery[];
  emit(event: WatchEvent): void;
  end(error?: unknown): void;
  closed(): boolean;
} {
  const queries: LockWatchQuery[] = [];
  const queue: WatchEvent[] = [];
  let ended: { error?: unknown } | undefined;
  let wake: (() => void) | undefined;
  let closed = false;
  const poke = (): void => {
    wake?.();
    wake = undefined;
  };
  const target: WatchTarget = {
    name: 'op',
    request,
    toSnapshot: (object) => ({
      resourceVersion: (object as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
      record: undefined,
    }),
    open: (query, signal): Promise<LockWatchStream> => {
      queries.push(query);
      if (open !== 'ok') return Promise.reject(open);
      signal.addEventListener('abort', () => {
        ended ??= { error: new Error('aborted') };
        poke();
      });
      async function* events(): AsyncGenerator<WatchEvent> {
        try {
          for (;;) {
            const next = queue.shift();
            if (next !== undefined) {
              yield next;
              continue;
            }
            if (ended !== undefined) {
              if ('error' in ended) throw ended.error;
              return;
            }
            await new Promise<void>((resolve) => (wake = resolve));
          }
        } finally {
          closed = true;
        }
      }
      return Promise.resolve({
        events: events(),
        close: () => {
          closed = true;
        },
      });
    },
  };
  return {
    target,
    queries,
    emit: (event) => {
      queue.push(event);
      poke();
    },
    end: (...error: unknown[]) => {
      ended = error.length === 0 ? {} : { error: error[0] };
      poke();
    },
    closed: () => closed,
  };
}

const request = { lock: 'lease ns/op', verb: 'watch', resource: 'leases', namespace: 'ns' } as const;
const handlersOf = (events: LockWatchEvent[] = []): Parameters<typeof watchLockObject>[2] => ({
  onEstablished: () => undefined,
  onEvent: (event) => events.push(event),
});

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

function apiError(code: number, reason: string, message: string): KubeClientError {
  return new KubeClientError('api', `watch: ${String(code)} ${reason}: ${message}`, {
    code,
    status: { kind: 'Status', status: 'Failure', code, reason, message },
  });
}

describe('watchLockObject', () => {
  it('watches the one object from a resourceVersion and translates its events', async () => {
    const fake = fakeWatch();
    const events: LockWatchEvent[] = [];
    let established = 0;
    const stop = new AbortController();
    const watching = watchLockObject(
      fake.target,
      '41',
      { onEstablished: () => established++, onEvent: (e) => events.push(e) },
      stop.signal,
    );
    await tick();
    expect(fake.queries[0]).to.deep.equal({
      fieldSelector: 'metadata.name=op',
      allowWatchBookmarks: true,
      resourceVersion: '41',
    });
    expect(established).to.equal(1);
    fake.emit({ type: 'MODIFIED', object: { metadata: { resourceVersion: '42' } } });
    fake.emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '43' } } });
    fake.emit({ type: 'DELETED', object: { metadata: { resourceVersion: '44' } } });
    await tick();
    expect(events.map((e) => e.type)).to.deep.equal(['changed', 'bookmark', 'deleted']);
    stop.abort();
    await watching;
    expect(fake.closed()).to.be.true;
  });

  it('resolves when the server ends the stream', async () => {
    const fake = fakeWatch();
    const watching = watchLockObject(fake.target, '1', handlersOf(), new AbortController().signal);
    await tick();
    fake.end();
    await watching;
  });

  it('ends quietly when the inactivity timeout fires on an established watch', async () => {
    const fake = fakeWatch();
    const watching = watchLockObject(fake.target, undefined, handlersOf(), new AbortController().signal);
    await tick();
    fake.end(new KubeClientError('timeout', 'watch: no data for 30000 ms'));
    await watching;
  });

  it('rejects with watchExpired on a 410 ERROR event', async () => {
    const fake = fakeWatch();
    const watching = watchLockObject(fake.target, '1', handlersOf(), new AbortController().signal);
    await tick();
    fake.end(apiError(410, 'Expired', 'too old resource version'));
    const error = await rejection(watching);
    expect(LeaderElectionError.is(error, 'watchExpired')).to.be.true;
    expect((error as Error).message).to.include('too old resource version');
  });

  it('rejects with the status of another ERROR event, and of a refused watch', async () => {
    const fake = fakeWatch();
    const watching = watchLockObject(fake.target, '1', handlersOf(), new AbortController().signal);
    await tick();
    fake.end(apiError(500, 'InternalError', 'etcd unavailable'));
    const error = await rejection(watching);
    expect((error as LeaderElectionError).statusCode).to.equal(500);

    const refused = fakeWatch(apiError(403, 'Forbidden', 'no'));
    const failed = await rejection(
      watchLockObject(refused.target, undefined, handlersOf(), new AbortController().signal),
    );
    expect(LeaderElectionError.is(failed, 'forbidden')).to.be.true;
  });

  it('rejects with a broken connection as unreachable, and with a handler error as it is', async () => {
    const fake = fakeWatch();
    const watching = watchLockObject(fake.target, '1', handlersOf(), new AbortController().signal);
    await tick();
    fake.end(new KubeClientError('network', 'watch: UND_ERR_SOCKET: other side closed'));
    const broken = await rejection(watching);
    expect(LeaderElectionError.is(broken, 'apiError')).to.be.true;
    expect((broken as Error).message).to.include('could not reach the API server');

    const throwing = fakeWatch();
    const thrown = new Error('handler bug');
    const failing = watchLockObject(
      throwing.target,
      '1',
      {
        onEstablished: () => undefined,
        onEvent: () => {
          throw thrown;
        },
      },
      new AbortController().signal,
    );
    await tick();
    throwing.emit({ type: 'ADDED', object: { metadata: { resourceVersion: '2' } } });
    expect(await rejection(failing)).to.equal(thrown);
    expect(throwing.closed()).to.be.true;
  });

  it('resolves at once for an already aborted signal', async () => {
    const fake = fakeWatch();
    const controller = new AbortController();
    controller.abort();
    await watchLockObject(fake.target, undefined, handlersOf(), controller.signal);
    expect(fake.queries).to.have.length(0);
  });
});
