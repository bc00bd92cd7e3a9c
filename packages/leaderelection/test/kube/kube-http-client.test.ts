import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { expect } from 'chai';
import sinon from 'sinon';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { useEnvtest } from '@kubekit/envtest/testing';
import { LeaderElectionError } from '@kubekit/leaderelection';
import { KubeHttpClient } from '#lib/kube/kube-http-client.js';
import { lockRequestError, statusCodeOf } from '#lib/locks/kube-request.js';

// Real HTTPS against the embedded API server; no client-node API layer in between.

interface Lease {
  metadata: { name: string; resourceVersion: string };
  spec: { holderIdentity?: string; renewTime?: string };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

const request = { lock: 'lease ns/x', verb: 'get', resource: 'leases', namespace: 'ns' } as const;

describe('KubeHttpClient (integration)', function () {
  this.timeout(20_000);
  const env = useEnvtest({ users: ['a', 'b'] });
  let kubeConfig: KubeConfig;
  let client: KubeHttpClient;
  const never = new AbortController().signal;

  beforeEach(() => {
    kubeConfig = env.kubeConfigFor('a');
    client = KubeHttpClient.for(kubeConfig);
  });

  afterEach(() => {
    sinon.restore();
  });

  function leases(name?: string): string {
    const collection = `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases`;
    return name === undefined ? collection : `${collection}/${name}`;
  }

  function lease(name: string, holder: string, resourceVersion?: string): object {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
      spec: { holderIdentity: holder, leaseDurationSeconds: 15 },
    };
  }

  describe('.for', () => {
    it('returns one client per KubeConfig', () => {
      expect(KubeHttpClient.for(kubeConfig)).to.equal(client);
      expect(KubeHttpClient.for(env.kubeConfigFor('b'))).to.not.equal(client);
    });
  });

  describe('.request', () => {
    it('creates, reads and conditionally replaces an object with JSON bodies', async () => {
      const created = (await client.request('POST', leases(), lease('x', 'a'), never)) as Lease;
      expect(created.spec.holderIdentity).to.equal('a');
      const read = (await client.request('GET', leases('x'), undefined, never)) as Lease;
      expect(read.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
      const replaced = (await client.request(
        'PUT',
        leases('x'),
        lease('x', 'b', read.metadata.resourceVersion),
        never,
      )) as Lease;
      expect(replaced.spec.holderIdentity).to.equal('b');
      expect(replaced.metadata.resourceVersion).to.not.equal(read.metadata.resourceVersion);
      expect(env.counters.snapshot()).to.deep.include({
        'a create leases': 1,
        'a get leases': 1,
        'a update leases': 1,
      });
    });

    it('throws ApiException 409 with the Status body for a stale resourceVersion and for AlreadyExists', async () => {
      const created = (await client.request('POST', leases(), lease('x', 'a'), never)) as Lease;
      await client.request('PUT', leases('x'), lease('x', 'b', created.metadata.resourceVersion), never);
      const stale = await failure(
        client.request('PUT', leases('x'), lease('x', 'c', created.metadata.resourceVersion), never),
      );
      expect(stale).to.be.instanceOf(ApiException);
      expect(statusCodeOf(stale)).to.equal(409);
      expect(JSON.parse((stale as ApiException<string>).body)).to.include({
        kind: 'Status',
        reason: 'Conflict',
      });
      expect(LeaderElectionError.is(lockRequestError(stale, request, never), 'lockConflict')).to.be.true;

      const exists = await failure(client.request('POST', leases(), lease('x', 'a'), never));
      expect(statusCodeOf(exists)).to.equal(409);
      expect(JSON.parse((exists as ApiException<string>).body)).to.include({ reason: 'AlreadyExists' });
    });

    it('throws ApiException 404 for a missing object', async () => {
      const missing = await failure(client.request('GET', leases('nothing'), undefined, never));
      expect(statusCodeOf(missing)).to.equal(404);
    });

    for (const [code, kind] of [
      [403, 'forbidden'],
      [410, 'watchExpired'],
      [429, 'apiError'],
      [500, 'apiError'],
      [503, 'apiError'],
    ] as const) {
      it(`maps an injected ${code} to ApiException ${code} (lockRequestError: ${kind})`, async () => {
        env.faults.add({ user: 'a', resource: 'leases', error: { code, retryAfterSeconds: 3 } });
        const error = await failure(client.request('GET', leases('x'), undefined, never));
        expect(error).to.be.instanceOf(ApiException);
        expect(statusCodeOf(error)).to.equal(code);
        const mapped = lockRequestError(error, request, never);
        expect(LeaderElectionError.is(mapped, kind)).to.be.true;
        expect(mapped.statusCode).to.equal(code);
        if (code === 429) expect(mapped.message).to.include('Retry-After 3s');
      });
    }

    it('rejects at once when its signal aborts a hung request, and the next request works', async () => {
      await client.request('POST', leases(), lease('x', 'a'), never);
      const fault = env.faults.add({ user: 'a', verb: 'get', resource: 'leases', hang: true });
      const controller = new AbortController();
      const pending = failure(client.request('GET', leases('x'), undefined, controller.signal));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const abortedAt = performance.now();
      controller.abort(new Error('stop'));
      const error = await pending;
      expect(performance.now() - abortedAt).to.be.below(100);
      expect((error as Error).name).to.equal('AbortError');
      fault.remove();
      const read = (await client.request('GET', leases('x'), undefined, never)) as Lease;
      expect(read.metadata.name).to.equal('x');
    });

    it('rejects with a network error when the connection drops, and reconnects for the next request', async () => {
      await client.request('POST', leases(), lease('x', 'a'), never);
      const partition = env.faults.add({ user: 'a', verb: 'get', resource: 'leases', partition: true });
      const error = await failure(client.request('GET', leases('x'), undefined, never));
      expect(error).to.not.be.instanceOf(ApiException);
      expect(statusCodeOf(error)).to.equal(undefined);
      expect(lockRequestError(error, request, never).message).to.include('could not reach the API server');
      partition.remove();
      const read = (await client.request('GET', leases('x'), undefined, never)) as Lease;
      expect(read.metadata.name).to.equal('x');
    });

    it('sends a request once more when its reused keep-alive connection turns out closed', async () => {
      await client.request('POST', leases(), lease('x', 'a'), never);
      env.faults.add({ user: 'a', verb: 'get', resource: 'leases', partition: true, times: 1 });
      const read = (await client.request('GET', leases('x'), undefined, never)) as Lease;
      expect(read.metadata.name).to.equal('x');
      expect(env.counters.count({ user: 'a', verb: 'get' })).to.equal(2);
    });

    it('reuses its keep-alive connections: no new connection for sequential requests once warm', async () => {
      const connect = sinon.spy(tls, 'connect');
      await client.request('POST', leases(), lease('x', 'a'), never);
      await client.request('GET', leases('x'), undefined, never);
      const warm = connect.callCount;
      expect(warm).to.be.within(1, 2);
      for (let i = 0; i < 20; i++) await client.request('GET', leases('x'), undefined, never);
      expect(env.counters.count({ user: 'a', verb: 'get' })).to.equal(21);
      expect(connect.callCount).to.equal(warm);
    });

    it('reuses one authentication for up to a second, then authenticates afresh', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['performance'] });
      const user = kubeConfig.getCurrentUser();
      const other = env.kubeConfigFor('b').getCurrentUser();
      await client.request('GET', leases('x'), undefined, never).catch(() => undefined);
      Object.assign(user ?? {}, { token: other?.token });
      clock.tick(900);
      await client.request('GET', leases('x'), undefined, never).catch(() => undefined);
      expect(env.counters.snapshot()).to.deep.include({ 'a get leases': 2 });
      clock.tick(200);
      await client.request('GET', leases('x'), undefined, never).catch(() => undefined);
      expect(env.counters.snapshot()).to.deep.include({ 'a get leases': 2, 'b get leases': 1 });
    });

    it('after a 401, authenticates afresh and sends the request once more', async () => {
      const user = kubeConfig.getCurrentUser();
      const token = user?.token;
      Object.assign(user ?? {}, { token: 'not-a-token' });
      const refused = await failure(client.request('GET', leases('x'), undefined, never));
      expect(refused).to.be.instanceOf(ApiException).with.property('code', 401);
      // Within the second the refused authentication would be reused: the 401 drops it.
      Object.assign(user ?? {}, { token });
      await client.request('POST', leases(), lease('x', 'a'), never);
      expect(env.counters.snapshot()).to.deep.include({ 'a create leases': 1 });
    });
  });

  describe('.watch', () => {
    function watch(
      query: Record<string, string | boolean | undefined>,
      events: [string, unknown][],
    ): { started: Promise<AbortController>; ended: Promise<unknown> } {
      let started!: Promise<AbortController>;
      const ended = new Promise<unknown>((resolve) => {
        started = client.watch(
          leases(),
          query,
          (type, object) => {
            events.push([type, object]);
          },
          resolve,
        );
      });
      return { started, ended };
    }

    it('streams the events of one object and ends with null when the server closes the stream', async () => {
      const created = (await client.request('POST', leases(), lease('x', 'a'), never)) as Lease;
      await client.request('POST', leases(), lease('y', 'a'), never);
      const events: [string, unknown][] = [];
      const { started, ended } = watch(
        { fieldSelector: 'metadata.name=x', resourceVersion: created.metadata.resourceVersion },
        events,
      );
      await started;
      await client.request('PUT', leases('x'), lease('x', 'b', created.metadata.resourceVersion), never);
      const deadline = performance.now() + 5_000;
      while (events.length === 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(events).to.have.length(1);
      expect(events[0]?.[0]).to.equal('MODIFIED');
      expect((events[0]?.[1] as Lease).spec.holderIdentity).to.equal('b');
      expect(env.faults.dropWatches({ user: 'a' })).to.equal(1);
      expect(await ended).to.equal(null);
    });

    it('delivers a 410 ERROR event for a compacted resourceVersion', async () => {
      const created = (await client.request('POST', leases(), lease('x', 'a'), never)) as Lease;
      await client.request('PUT', leases('x'), lease('x', 'b', created.metadata.resourceVersion), never);
      env.cluster.compact();
      const events: [string, unknown][] = [];
      const { started, ended } = watch({ resourceVersion: created.metadata.resourceVersion }, events);
      const controller = await started;
      const deadline = performance.now() + 5_000;
      while (events.length === 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(events[0]?.[0]).to.equal('ERROR');
      expect(events[0]?.[1]).to.include({ code: 410 });
      controller.abort();
      await ended;
    });

    it('fails with ApiException for a refused watch', async () => {
      env.faults.add({ user: 'a', verb: 'watch', error: { code: 403 } });
      const { started, ended } = watch({}, []);
      const error = await ended;
      await started;
      expect(error).to.be.instanceOf(ApiException);
      expect(LeaderElectionError.is(lockRequestError(error, request, never), 'forbidden')).to.be.true;
    });

    it('fails with the network error when the connection drops', async () => {
      const { started, ended } = watch({}, []);
      await started;
      env.faults.add({ user: 'a', partition: true });
      const error = await ended;
      expect(error).to.be.instanceOf(Error);
      expect(statusCodeOf(error)).to.equal(undefined);
    });

    it('ends when its controller aborts', async () => {
      const { started, ended } = watch({}, []);
      const controller = await started;
      controller.abort();
      await ended;
    });
  });
});

describe('KubeHttpClient (scripted plain-HTTP server)', () => {
  let server: net.Server;
  const sockets: net.Socket[] = [];

  beforeEach(async () => {
    server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('decodes a watch event whose multi-byte character straddles two chunks', async () => {
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
    const connected = once(server, 'connection') as Promise<[net.Socket]>;
    const events: unknown[] = [];
    let done!: (error: unknown) => void;
    const ended = new Promise<unknown>((resolve) => (done = resolve));
    const started = KubeHttpClient.for(kubeConfig).watch(
      '/api/v1/namespaces/ns/configmaps',
      {},
      (_type, object) => {
        events.push(object);
      },
      done,
    );
    const [socket] = await connected;
    const line = Buffer.from(`${JSON.stringify({ type: 'ADDED', object: { holder: 'é' } })}\n`);
    const split = line.indexOf(Buffer.from('é')) + 1;
    const chunk = (bytes: Buffer): string =>
      `${bytes.length.toString(16)}\r\n${bytes.toString('latin1')}\r\n`;
    socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'latin1');
    await started;
    // Two chunks reach the watch as two pieces of data, however TCP delivers them.
    socket.write(`${chunk(line.subarray(0, split))}${chunk(line.subarray(split))}0\r\n\r\n`, 'latin1');
    expect(await ended).to.equal(null);
    expect(events).to.deep.equal([{ holder: 'é' }]);
  });
});
