import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import { expect } from 'chai';
import sinon from 'sinon';
import { KubeConfig } from '@kubernetes/client-node';
import { useEnvtest } from '@kubekit/envtest/testing';
import { LeaderElectionError, LeaseLock } from '@kubekit/leaderelection';
import type { LeaderElectionRecord, LockWatchEvent } from '@kubekit/leaderelection';
import { sharedClient } from '#lib/kube/shared-client.js';

// The locks' transport (@kubekit/client, one per KubeConfig) over real HTTPS against the embedded
// API server: sharing, error mapping, aborts, reconnection, authentication reuse and renewal.

const never = new AbortController().signal;

function record(holder: string, epoch = 0): LeaderElectionRecord {
  const now = new Date();
  return {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: epoch,
  };
}

/** Waits (real time, up to 5 s) until `check()` is true. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('sharedClient (integration, through LeaseLock)', function () {
  this.timeout(20_000);
  const env = useEnvtest({ users: ['a', 'b'] });
  let kubeConfig: KubeConfig;

  beforeEach(() => {
    kubeConfig = env.kubeConfigFor('a');
  });

  afterEach(() => {
    sinon.restore();
  });

  function lock(name = 'x'): LeaseLock {
    return new LeaseLock({ kubeConfig, name, namespace: env.namespace, identity: 'a', events: false });
  }

  it('is one client per KubeConfig, shared by every lock built from it', async () => {
    expect(sharedClient(kubeConfig)).to.equal(sharedClient(kubeConfig));
    expect(sharedClient(env.kubeConfigFor('b'))).to.not.equal(sharedClient(kubeConfig));
    const connect = sinon.spy(tls, 'connect');
    const locks = Array.from({ length: 50 }, (_, i) => lock(`l${String(i)}`));
    for (const each of locks) await each.create(record('a'), never);
    for (const each of locks) await each.get(never);
    // 100 requests of 50 locks, one after another: the shared keep-alive connections, not one per lock.
    expect(connect.callCount).to.be.within(1, 2);
    expect(sharedClient(kubeConfig).transport.connections.dispatchers).to.equal(1);
  });

  for (const [code, kind] of [
    [403, 'forbidden'],
    [410, 'watchExpired'],
    [429, 'apiError'],
    [500, 'apiError'],
    [503, 'apiError'],
  ] as const) {
    it(`maps an injected ${String(code)} to ${kind} with the status code, without retrying`, async () => {
      env.faults.add({ user: 'a', resource: 'leases', error: { code, retryAfterSeconds: 3 } });
      const error = await failure(lock().get(never));
      expect(LeaderElectionError.is(error, kind), String(error)).to.be.true;
      expect((error as LeaderElectionError).statusCode).to.equal(code);
      if (code === 429) expect((error as Error).message).to.include('Retry-After 3s');
      expect(env.counters.count({ user: 'a', verb: 'get' })).to.equal(1);
    });
  }

  it('rejects at once with timeout when its signal aborts a hung request, and the next request works', async () => {
    await lock().create(record('a'), never);
    const fault = env.faults.add({ user: 'a', verb: 'get', resource: 'leases', hang: true });
    const controller = new AbortController();
    const pending = failure(lock().get(controller.signal));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const abortedAt = performance.now();
    controller.abort(new Error('stop'));
    const error = await pending;
    expect(performance.now() - abortedAt).to.be.below(100);
    expect(LeaderElectionError.is(error, 'timeout'), String(error)).to.be.true;
    fault.remove();
    expect((await lock().get(never))?.record?.holderIdentity).to.equal('a');
  });

  it('reports a dropped connection as unreachable, and reconnects for the next request', async () => {
    await lock().create(record('a'), never);
    const partition = env.faults.add({ user: 'a', verb: 'get', resource: 'leases', partition: true });
    const error = await failure(lock().get(never));
    expect(LeaderElectionError.is(error, 'apiError')).to.be.true;
    expect((error as LeaderElectionError).statusCode).to.equal(undefined);
    expect((error as Error).message).to.include('could not reach the API server');
    partition.remove();
    expect((await lock().get(never))?.record?.holderIdentity).to.equal('a');
  });

  it('sends a request once more when its keep-alive connection breaks', async () => {
    await lock().create(record('a'), never);
    env.faults.add({ user: 'a', verb: 'get', resource: 'leases', partition: true, times: 1 });
    expect((await lock().get(never))?.record?.holderIdentity).to.equal('a');
    expect(env.counters.count({ user: 'a', verb: 'get' })).to.equal(2);
  });

  it('sends a compare-and-swap write once more when its connection breaks; a repeat that landed is a conflict', async () => {
    const created = await lock().create(record('a'), never);
    env.faults.add({ user: 'a', verb: 'update', resource: 'leases', partition: true, times: 1 });
    const updated = await lock().update(record('a', 1), created.resourceVersion, never);
    expect(updated.record?.leaseTransitions).to.equal(1);
    expect(env.counters.count({ user: 'a', verb: 'update' })).to.equal(2);
  });

  it('reuses its keep-alive connections: no new connection for sequential requests once warm', async () => {
    const connect = sinon.spy(tls, 'connect');
    await lock().create(record('a'), never);
    await lock().get(never);
    const warm = connect.callCount;
    expect(warm).to.be.within(1, 2);
    for (let i = 0; i < 20; i++) await lock().get(never);
    expect(env.counters.count({ user: 'a', verb: 'get' })).to.equal(21);
    expect(connect.callCount).to.equal(warm);
  });

  it('reuses one authentication for up to a second, then authenticates afresh', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['performance'] });
    const user = kubeConfig.getCurrentUser();
    const other = env.kubeConfigFor('b').getCurrentUser();
    await lock().get(never);
    Object.assign(user ?? {}, { token: other?.token });
    clock.tick(900);
    await lock().get(never);
    expect(env.counters.snapshot()).to.deep.include({ 'a get leases': 2 });
    clock.tick(200);
    await lock().get(never);
    expect(env.counters.snapshot()).to.deep.include({ 'a get leases': 2, 'b get leases': 1 });
  });

  it('after a 401, authenticates afresh and sends the request once more', async () => {
    const user = kubeConfig.getCurrentUser();
    const token = user?.token;
    Object.assign(user ?? {}, { token: 'not-a-token' });
    const refused = await failure(lock().get(never));
    expect(LeaderElectionError.is(refused, 'forbidden')).to.be.true;
    expect((refused as LeaderElectionError).statusCode).to.equal(401);
    // Within the second the refused authentication would be reused: the 401 drops it.
    Object.assign(user ?? {}, { token });
    await lock().create(record('a'), never);
    expect(env.counters.snapshot()).to.deep.include({ 'a create leases': 1 });
  });

  describe('watch', () => {
    it('ends quietly when the server closes the stream, and with forbidden when refused', async () => {
      const created = await lock().create(record('a'), never);
      const events: LockWatchEvent[] = [];
      let established = false;
      const watching = lock().watch(
        created.resourceVersion,
        { onEstablished: () => (established = true), onEvent: (e) => events.push(e) },
        never,
      );
      await eventually(() => established, 'the watch to be established');
      expect(env.faults.dropWatches({ user: 'a' })).to.equal(1);
      await watching;

      env.faults.add({ user: 'a', verb: 'watch', error: { code: 403 } });
      const refused = await failure(
        lock().watch(undefined, { onEstablished: () => undefined, onEvent: () => undefined }, never),
      );
      expect(LeaderElectionError.is(refused, 'forbidden')).to.be.true;
    });

    it('fails as unreachable when the connection drops mid-watch', async () => {
      let established = false;
      const watching = failure(
        lock().watch(
          undefined,
          { onEstablished: () => (established = true), onEvent: () => undefined },
          never,
        ),
      );
      await eventually(() => established, 'the watch to be established');
      env.faults.add({ user: 'a', partition: true });
      const error = await watching;
      expect(LeaderElectionError.is(error, 'apiError'), String(error)).to.be.true;
      expect((error as LeaderElectionError).statusCode).to.equal(undefined);
    });
  });
});

describe('sharedClient (a plain-HTTP server that sends a watch in pieces)', () => {
  let server: http.Server;
  const sockets = new Set<net.Socket>();

  beforeEach(async () => {
    server = http.createServer();
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('decodes a watch event whose multi-byte character straddles two pieces', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [
        {
          name: 'c',
          // client-node refuses plain HTTP unless TLS verification is off.
          server: `http://127.0.0.1:${String((server.address() as net.AddressInfo).port)}`,
          skipTLSVerify: true,
        },
      ],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const requested = once(server, 'request') as Promise<[http.IncomingMessage, http.ServerResponse]>;
    const lockOnServer = new LeaseLock({
      kubeConfig,
      name: 'x',
      namespace: 'ns',
      identity: 'a',
      events: false,
    });
    const events: LockWatchEvent[] = [];
    let established = false;
    const watching = lockOnServer.watch(
      undefined,
      { onEstablished: () => (established = true), onEvent: (event) => events.push(event) },
      never,
    );
    const [request, response] = await requested;
    expect(request.url).to.equal(
      '/apis/coordination.k8s.io/v1/namespaces/ns/leases?watch=true&fieldSelector=metadata.name%3Dx&allowWatchBookmarks=true',
    );
    const holder = 'é';
    const line = Buffer.from(
      `${JSON.stringify({ type: 'ADDED', object: { metadata: { resourceVersion: '7' }, spec: { holderIdentity: holder, leaseDurationSeconds: 15 } } })}\n`,
    );
    const split = line.indexOf(Buffer.from(holder)) + 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write(line.subarray(0, split));
    // The second piece after the first has been read: the character straddles two reads.
    await eventually(() => established, 'the watch to be established');
    await new Promise((resolve) => setTimeout(resolve, 20));
    response.end(line.subarray(split));
    await watching;
    expect(events).to.have.length(1);
    const [event] = events;
    expect(event?.type === 'changed' ? event.snapshot.record?.holderIdentity : undefined).to.equal(holder);
  });
});
