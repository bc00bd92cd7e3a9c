import { readFileSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import sinon from 'sinon';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { isForbidden, isTooManyRequests, isUnauthorized, KubeClientError } from '@kubekit/client';
import { selfSigned } from '../support/certificates.js';
import { clusterOf, execPlugin, kubeConfigWith, tempDir, tokenOf } from '../support/kube-configs.js';
import type { TempDir } from '../support/kube-configs.js';
import { rejectionOf } from '../support/rejection.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';
import { useClients } from '../support/clients.js';

for (const protocol of PROTOCOLS) {
  describe(`Transport on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    const client = useClients(env);
    let dir: TempDir;

    beforeEach(() => {
      dir = tempDir();
    });
    afterEach(() => {
      dir.remove();
    });

    const cm = (name: string): ConfigMap => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: env.namespace },
    });
    const cmRef = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace, name });
    const lines = (file: string): number =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '').length;

    describe('authentication', () => {
      it('authenticates afresh after a 401 and sends the request once more', async () => {
        const plugin = execPlugin(dir);
        writeFileSync(plugin.tokenFile, 'wrong');
        const kubeConfig = kubeConfigWith(clusterOf(env.kubeConfig), {
          name: 'exec-user',
          exec: { command: plugin.command, apiVersion: 'client.authentication.k8s.io/v1' },
        });
        // Time stands still: the kept authentication never expires by age, only by a 401.
        const c = client({ kubeConfig, clock: new VirtualClock() });
        const refused = await rejectionOf(
          c.transport.json({ method: 'GET', path: '/api/v1/namespaces/default' }),
        );
        expect(isUnauthorized(refused), String(refused)).to.be.true;
        expect(lines(plugin.runs)).to.equal(2);

        writeFileSync(plugin.tokenFile, tokenOf(env.kubeConfig));
        await c.transport.json({ method: 'GET', path: '/api/v1/namespaces/default' });
        expect(lines(plugin.runs)).to.equal(3);
        await c.transport.json({ method: 'GET', path: '/api/v1/namespaces/default' });
        expect(lines(plugin.runs)).to.equal(3);
      });

      it("impersonates the kubeconfig user's `as` (the server authorizes the impersonated user)", async () => {
        const kubeConfig = kubeConfigWith(clusterOf(env.kubeConfig), {
          name: 'impersonating',
          token: tokenOf(env.kubeConfig),
          impersonateUser: 'nobody-in-particular',
        });
        const error = await rejectionOf(client({ kubeConfig }).get(cmRef('a')));
        expect(isForbidden(error), String(error)).to.be.true;
        expect((error as KubeClientError).message).to.include('nobody-in-particular');
      });

      it('fails with authTimeout when an exec plugin hangs, and does not keep the failure', async () => {
        const plugin = execPlugin(dir, `[ -f '${dir.file('hang')}' ] && exec sleep 30`);
        writeFileSync(dir.file('hang'), '');
        writeFileSync(plugin.tokenFile, tokenOf(env.kubeConfig));
        const kubeConfig = kubeConfigWith(clusterOf(env.kubeConfig), {
          name: 'exec-user',
          exec: { command: plugin.command, apiVersion: 'client.authentication.k8s.io/v1' },
        });
        const c = client({ kubeConfig, authTimeoutMs: 2000 });
        const started = performance.now();
        const error = await rejectionOf(c.get(cmRef('x')));
        expect(KubeClientError.is(error, 'authTimeout'), String(error)).to.be.true;
        expect(performance.now() - started).to.be.lessThan(10_000);
        process.kill(Number(readFileSync(plugin.pid, 'utf8').trim()), 'SIGKILL');

        dir.remove();
        dir = tempDir();
        const healthy = execPlugin(dir);
        writeFileSync(healthy.tokenFile, tokenOf(env.kubeConfig));
        const user = kubeConfig.getCurrentUser() as { exec: { command: string } };
        user.exec.command = healthy.command;
        await c.create(cm('after-timeout'));
      });

      it('sends a new TLS identity on new connections after the client certificate rotates, closing the old ones gracefully', async () => {
        const first = await selfSigned('client-1');
        const second = await selfSigned('client-2');
        writeFileSync(dir.file('tls.crt'), first.cert);
        writeFileSync(dir.file('tls.key'), first.key);
        const kubeConfig = kubeConfigWith(clusterOf(env.kubeConfig), {
          name: 'cert-user',
          token: tokenOf(env.kubeConfig),
          certFile: dir.file('tls.crt'),
          keyFile: dir.file('tls.key'),
        });
        const clock = new VirtualClock();
        const c = client({ kubeConfig, clock, authCacheMs: 1000 });
        await c.create(cm('a'));
        const watch = c.watch<ConfigMap>(
          { apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace },
          { resourceVersion: '0' },
        );
        const events = watch[Symbol.asyncIterator]();
        expect((await events.next()).value?.object.metadata?.name).to.equal('a');
        expect(c.transport.connections).to.deep.equal({ dispatchers: 1, retiring: 0 });

        writeFileSync(dir.file('tls.crt'), second.cert);
        writeFileSync(dir.file('tls.key'), second.key);
        clock.advance(1000);
        await c.create(cm('b'));
        // A new dispatcher for the new identity; the old one waits for its watch to finish.
        expect(c.transport.connections).to.deep.equal({ dispatchers: 1, retiring: 1 });
        const next = await events.next();
        expect(next.value?.object.metadata?.name).to.equal('b');
        await events.return();
        for (let i = 0; i < 250 && c.transport.connections.retiring > 0; i++)
          await new Promise((r) => setTimeout(r, 20));
        expect(c.transport.connections).to.deep.equal({ dispatchers: 1, retiring: 0 });
      });
    });

    describe('retries', () => {
      it('honours Retry-After on 429, within maxRetries', async () => {
        const clock = new VirtualClock(true);
        const c = client({ clock, maxRetries: 3 });
        await c.create(cm('a'));
        env.counters.reset();
        env.faults.add({
          verb: 'get',
          resource: 'configmaps',
          error: { code: 429, retryAfterSeconds: 2 },
          times: 2,
        });
        await c.get(cmRef('a'));
        expect(clock.sleeps).to.deep.equal([2000, 2000]);
        expect(env.counters.count({ verb: 'get', resource: 'configmaps' })).to.equal(3);

        env.counters.reset();
        env.faults.add({ verb: 'get', resource: 'configmaps', error: { code: 429, retryAfterSeconds: 1 } });
        const error = await rejectionOf(c.get(cmRef('a')));
        expect(isTooManyRequests(error)).to.be.true;
        expect((error as KubeClientError).retryAfter).to.equal(1);
        expect(env.counters.count({ verb: 'get', resource: 'configmaps' })).to.equal(4);
      });

      it('sends a GET again after its connection broke, but not a POST', async () => {
        const c = client();
        await c.create(cm('a'));
        env.counters.reset();
        env.faults.add({ verb: 'get', resource: 'configmaps', partition: true, times: 1 });
        await c.get(cmRef('a'));
        expect(env.counters.count({ verb: 'get', resource: 'configmaps' })).to.equal(2);

        env.faults.add({ verb: 'create', resource: 'configmaps', partition: true, times: 1 });
        const error = await rejectionOf(c.create(cm('b')));
        expect(KubeClientError.is(error, 'network'), String(error)).to.be.true;
        expect(env.counters.count({ verb: 'create', resource: 'configmaps' })).to.equal(1);
      });
    });

    describe('deadlines', () => {
      it('fails a hung request with kind timeout at its deadline, and an aborted one with kind aborted', async () => {
        const c = client();
        env.faults.add({ verb: 'get', resource: 'configmaps', hang: true });
        const timedOut = await rejectionOf(c.get(cmRef('a'), { timeoutMs: 200 }));
        expect(KubeClientError.is(timedOut, 'timeout'), String(timedOut)).to.be.true;
        const stop = new AbortController();
        const pending = rejectionOf(c.get(cmRef('a'), { signal: stop.signal }));
        setTimeout(() => {
          stop.abort(new Error('enough'));
        }, 50);
        const aborted = await pending;
        expect(KubeClientError.is(aborted, 'aborted'), String(aborted)).to.be.true;
      });
    });

    describe('rate limit', () => {
      it('holds requests beyond the burst until their tokens are due', async () => {
        const clock = new VirtualClock();
        const c = client({ clock, rateLimit: { qps: 10, burst: 2 } });
        await c.mapper.mapping('v1', 'ConfigMap'); // takes the first token
        const done: string[] = [];
        const gets = ['a', 'b', 'c'].map((name) => c.get(cmRef(name)).catch(() => done.push(name)));
        const settle = async (count: number): Promise<void> => {
          for (let i = 0; i < 200 && done.length < count; i++) await new Promise((r) => setTimeout(r, 10));
        };
        await settle(1);
        expect(done).to.deep.equal(['a']);
        expect(clock.sleeps).to.deep.equal([100, 200]);
        clock.advance(100);
        await settle(2);
        expect(done).to.deep.equal(['a', 'b']);
        clock.advance(100);
        await Promise.all(gets);
        expect(done).to.deep.equal(['a', 'b', 'c']);
        expect(env.counters.count({ verb: 'get', resource: 'configmaps' })).to.equal(3);
      });
    });

    describe('metrics', () => {
      it('counts requests as client-go: rest_client_requests_total{code,method,host} and the duration by verb', async () => {
        const registry = new Registry();
        const c = client({ metrics: registry });
        await c.create(cm('a'));
        await rejectionOf(c.create(cm('a')));
        const text = await registry.metrics();
        const host = new URL(env.url).host;
        expect(text).to.include(`rest_client_requests_total{code="201",method="POST",host="${host}"} 1`);
        expect(text).to.include(`rest_client_requests_total{code="409",method="POST",host="${host}"} 1`);
        expect(text).to.include(`rest_client_request_duration_seconds_count{verb="POST",host="${host}"} 2`);
        // A second client on the same registry shares the metrics.
        const other = client({ metrics: registry });
        await other.get(cmRef('a'));
        expect(await registry.metrics()).to.include(
          `rest_client_requests_total{code="200",method="GET",host="${host}"}`,
        );
      });
      it('counts an attempt that got no answer (a partitioned POST) with code="<error>"', async () => {
        const registry = new Registry();
        const c = client({ metrics: registry });
        await c.mapper.mapping('v1', 'ConfigMap');
        env.faults.add({ verb: 'create', resource: 'configmaps', partition: true, times: 1 });
        const error = await rejectionOf(c.create(cm('cut')));
        expect(KubeClientError.is(error, 'network'), String(error)).to.be.true;
        const text = await registry.metrics();
        const host = new URL(env.url).host;
        expect(text).to.include(`rest_client_requests_total{code="<error>",method="POST",host="${host}"} 1`);
        expect(text).to.include(`rest_client_request_duration_seconds_count{verb="POST",host="${host}"} 1`);
      });
    });

    describe('peek', () => {
      it('shows the start of a 2xx body as it arrives, up to 64 KiB or until it returns true, and nothing of other answers', async () => {
        const c = client();
        for (let i = 0; i < 40; i++) {
          await c.create<ConfigMap>({ ...cm(`p-${String(i)}`), data: { big: 'x'.repeat(4000) } });
        }
        const path = `/api/v1/namespaces/${env.namespace}/configmaps`;
        const seen: string[] = [];
        const text = await c.transport.text({
          method: 'GET',
          path,
          peek: (start) => {
            seen.push(start);
            return false;
          },
        });
        expect(text.length).to.be.greaterThan(128 * 1024);
        expect(seen).to.not.be.empty;
        for (const start of seen) expect(text.startsWith(start)).to.be.true;
        expect(seen.at(-1)).to.have.length(64 * 1024);
        const once: string[] = [];
        await c.transport.text({
          method: 'GET',
          path,
          peek: (start) => {
            once.push(start);
            return true;
          },
        });
        expect(once).to.have.length(1);
        const missing: string[] = [];
        const error = await rejectionOf(
          c.transport.text({
            method: 'GET',
            path: `${path}/missing`,
            peek: (start) => {
              missing.push(start);
              return true;
            },
          }),
        );
        expect(KubeClientError.is(error, 'api')).to.be.true;
        expect(missing).to.deep.equal([]);
      });
    });

    describe('connections', () => {
      afterEach(() => {
        sinon.restore();
      });

      it('opens at most `connections` connections for concurrent requests; watches get their own and never wait', async () => {
        await client().create(cm('x'));
        const c = client({ connections: 2 });
        const connect = sinon.spy(tls, 'connect');
        const stop = new AbortController();
        // HTTP/1.1: three watches, each holding a connection for as long as it lasts. HTTP/2: the
        // watches' dispatcher multiplexes them on one connection.
        const watches = [1, 2, 3].map(() =>
          c.transport.stream({
            method: 'GET',
            path: `/api/v1/namespaces/${env.namespace}/configmaps?watch=true`,
            signal: stop.signal,
          }),
        );
        await Promise.all(watches);
        expect(connect.callCount).to.equal(protocol === 'h2' ? 1 : 3);
        const reads = await Promise.all(
          Array.from({ length: 20 }, () =>
            c.transport.json({ method: 'GET', path: `/api/v1/namespaces/${env.namespace}/configmaps/x` }),
          ),
        );
        expect(reads).to.have.length(20);
        // HTTP/2: the requests' dispatcher multiplexes the 20 reads on one more connection.
        if (protocol === 'h2') expect(connect.callCount).to.equal(2);
        else expect(connect.callCount).to.be.within(4, 5);
        stop.abort();
        await Promise.allSettled(watches.map(async (w) => (await w).body.destroy()));
      });

      it(`carries 50 watches of one client on ${protocol === 'h2' ? 'one TLS connection' : 'a TLS connection each'}`, async () => {
        await client().create(cm('before'));
        const accepted = env.connectionStats().accepted;
        const c = client();
        const stop = new AbortController();
        const iterators = Array.from({ length: 50 }, () => {
          const watch = c.watch<ConfigMap>(
            { apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace },
            { resourceVersion: '0', signal: stop.signal },
          );
          return watch[Symbol.asyncIterator]();
        });
        const first = await Promise.all(iterators.map((events) => events.next()));
        expect(first.map((event) => event.value?.object.metadata?.name)).to.deep.equal(
          Array.from({ length: 50 }, () => 'before'),
        );
        expect(env.connectionStats().watches).to.equal(50);
        // HTTP/1.1: one connection per watch, and maybe one more for the discovery request before them.
        if (protocol === 'h2') expect(env.connectionStats().accepted - accepted).to.equal(1);
        else expect(env.connectionStats().accepted - accepted).to.be.within(50, 51);
        // Every stream carries the next change.
        await c.create(cm('after'));
        const second = await Promise.all(iterators.map((events) => events.next()));
        expect(new Set(second.map((event) => event.value?.object.metadata?.name))).to.deep.equal(
          new Set(['after']),
        );
        await Promise.all(iterators.map((events) => events.return()));
        stop.abort();
        for (let i = 0; i < 250 && env.connectionStats().watches > 0; i++)
          await new Promise((r) => setTimeout(r, 20));
        expect(env.connectionStats().watches).to.equal(0);
      });

      it('rejects a connections limit below 1', () => {
        expect(() => client({ connections: 0 })).to.throw(KubeClientError, /connections/);
      });
    });
  });
}
