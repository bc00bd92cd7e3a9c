import { expect } from 'chai';
import type { Watch } from '@kubernetes/client-node';
import { LeaderElectionError } from '@kubekit/leaderelection';
import type { LockWatchEvent } from '@kubekit/leaderelection';
import { watchLockObject } from '#lib/locks/kube-watch.js';

type Callback = (phase: string, object: unknown) => void;
type Done = (error: unknown) => void;

/** A stand-in for client-node's Watch: records the call and lets the test play the server. */
function fakeWatch(connect: 'ok' | Error = 'ok'): {
  watcher: Watch;
  calls: { path: string; query: Record<string, unknown> }[];
  emit: Callback;
  done: Done;
  aborted: () => boolean;
} {
  let emit: Callback = () => undefined;
  let done: Done = () => undefined;
  const controller = new AbortController();
  const calls: { path: string; query: Record<string, unknown> }[] = [];
  const watcher = {
    watch: (path: string, query: Record<string, unknown>, callback: Callback, onDone: Done) => {
      calls.push({ path, query });
      emit = callback;
      done = onDone;
      if (connect !== 'ok') {
        onDone(connect);
      }
      return Promise.resolve(controller);
    },
  } as unknown as Watch;
  return {
    watcher,
    calls,
    emit: (phase, object) => {
      emit(phase, object);
    },
    done: (error) => {
      done(error);
    },
    aborted: () => controller.signal.aborted,
  };
}

const request = { lock: 'lease ns/op', verb: 'watch', resource: 'leases', namespace: 'ns' } as const;

function target(watcher: Watch): Parameters<typeof watchLockObject>[0] {
  return {
    watcher,
    path: '/apis/coordination.k8s.io/v1/namespaces/ns/leases',
    name: 'op',
    request,
    toSnapshot: (object) => ({
      resourceVersion: (object as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
      record: undefined,
    }),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('watchLockObject', () => {
  it('watches the one object from a resourceVersion and translates its events', async () => {
    const fake = fakeWatch();
    const events: LockWatchEvent[] = [];
    let established = 0;
    const stop = new AbortController();
    const watching = watchLockObject(
      target(fake.watcher),
      '41',
      { onEstablished: () => established++, onEvent: (e) => events.push(e) },
      stop.signal,
    );
    await tick();
    expect(fake.calls[0]).to.deep.equal({
      path: '/apis/coordination.k8s.io/v1/namespaces/ns/leases',
      query: { fieldSelector: 'metadata.name=op', allowWatchBookmarks: true, resourceVersion: '41' },
    });
    expect(established).to.equal(1);
    fake.emit('MODIFIED', { metadata: { resourceVersion: '42' } });
    fake.emit('BOOKMARK', { metadata: { resourceVersion: '43' } });
    fake.emit('DELETED', { metadata: { resourceVersion: '44' } });
    fake.emit('UNKNOWN', {});
    expect(events.map((e) => e.type)).to.deep.equal(['changed', 'bookmark', 'deleted']);
    stop.abort();
    await watching;
    expect(fake.aborted()).to.be.true;
  });

  it("ends quietly when client-node's inactivity timeout fires on an established watch", async () => {
    const fake = fakeWatch();
    const watching = watchLockObject(
      target(fake.watcher),
      undefined,
      { onEstablished: () => undefined, onEvent: () => undefined },
      new AbortController().signal,
    );
    await tick();
    fake.done(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    await watching;
  });

  it('rejects with watchExpired on a 410 ERROR event', async () => {
    const fake = fakeWatch();
    const watching = watchLockObject(
      target(fake.watcher),
      '1',
      { onEstablished: () => undefined, onEvent: () => undefined },
      new AbortController().signal,
    );
    await tick();
    fake.emit('ERROR', { kind: 'Status', code: 410, message: 'too old resource version' });
    const error = await watching.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(LeaderElectionError.is(error, 'watchExpired')).to.be.true;
    expect((error as Error).message).to.include('too old resource version');
  });

  it('rejects with the status of another ERROR event, and of a failed connection', async () => {
    const fake = fakeWatch();
    const watching = watchLockObject(
      target(fake.watcher),
      '1',
      { onEstablished: () => undefined, onEvent: () => undefined },
      new AbortController().signal,
    );
    await tick();
    fake.emit('ERROR', { code: 500, message: 'etcd unavailable' });
    const error = await watching.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as LeaderElectionError).statusCode).to.equal(500);

    const refused = fakeWatch(Object.assign(new Error('Forbidden'), { statusCode: 403 }));
    const failed = await watchLockObject(
      target(refused.watcher),
      undefined,
      { onEstablished: () => undefined, onEvent: () => undefined },
      new AbortController().signal,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(LeaderElectionError.is(failed, 'forbidden')).to.be.true;
  });

  it('resolves at once for an already aborted signal', async () => {
    const fake = fakeWatch();
    const controller = new AbortController();
    controller.abort();
    await watchLockObject(
      target(fake.watcher),
      undefined,
      { onEstablished: () => undefined, onEvent: () => undefined },
      controller.signal,
    );
    expect(fake.calls).to.have.length(0);
  });
});
