import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { EnvtestError, startEnvtest } from '@kubekit/envtest';
import { useEnvtest } from '@kubekit/envtest/testing';
import { main } from '#lib/cli.js';
import { raw, rawWatch, sleep } from './support/raw-client.js';

describe('startEnvtest', () => {
  it('serves HTTPS on 127.0.0.1 with a CA in the KubeConfig and stops without leaving handles', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout').length;
    const started = performance.now();
    const env = await startEnvtest();
    expect(performance.now() - started).to.be.lessThan(2000);
    expect(env.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    const cluster = env.kubeConfig.getCurrentCluster();
    expect(Buffer.from(cluster?.caData ?? '', 'base64').toString()).to.contain('BEGIN CERTIFICATE');
    const namespaces = await env.kubeConfig.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((ns) => ns.metadata?.name)).to.include.members([
      'default',
      'kube-system',
      'kube-public',
      'kube-node-lease',
    ]);
    await env.stop();
    await env.stop();
    await sleep(20);
    const after = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout').length;
    expect(after).to.be.at.most(before);
    expect(() => env.url).to.throw(EnvtestError, /stopped/);
  });

  it('stop() releases hung requests, pending latencies, open watches and keep-alive connections', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout').length;
    const env = await startEnvtest({ users: ['a', 'b'] });
    const core = (user: string): CoreV1Api => env.kubeConfigFor(user).makeApiClient(CoreV1Api);
    await core('a').listNamespace();
    env.faults.add({ user: 'a', hang: true });
    env.faults.add({ user: 'b', latencyMs: 60_000 });
    const settled: string[] = [];
    const hung = core('a')
      .listNamespace()
      .then(
        () => settled.push('hung: answered'),
        () => settled.push('hung: failed'),
      );
    const slow = core('b')
      .listNamespace()
      .then(
        () => settled.push('slow: answered'),
        () => settled.push('slow: failed'),
      );
    const watch = rawWatch(env, '/api/v1/namespaces?watch=true');
    await watch.status;
    await sleep(50);
    const stopping = performance.now();
    await env.stop();
    await Promise.all([hung, slow, watch.ended]);
    expect(performance.now() - stopping).to.be.lessThan(1000);
    expect(settled.sort()).to.deep.equal(['hung: failed', 'slow: failed']);
    await sleep(20);
    expect(process.getActiveResourcesInfo().filter((r) => r !== 'Timeout').length).to.be.at.most(before);
  });

  it('stop() also closes connections that never finished their TLS handshake', async () => {
    const env = await startEnvtest();
    const { port } = new URL(env.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const started = performance.now();
    await env.stop();
    await closed;
    expect(performance.now() - started).to.be.lessThan(1000);
  });

  it('stop() during start waits for the start, then stops', async () => {
    const { EnvtestServer } = await import('#lib/envtest-server.js');
    const server = new EnvtestServer();
    const started = server.start();
    const stopped = server.stop();
    await started;
    await stopped;
    expect(() => server.url).to.throw(EnvtestError, /stopped/);
    let error: unknown;
    await server.start().catch((e: unknown) => (error = e));
    expect(EnvtestError.is(error, 'alreadyRunning')).to.equal(true);
  });

  it('rejects invalid options with EnvtestError invalidOptions', async () => {
    for (const options of [
      { port: -1 },
      { port: 70000 },
      { gcDelayMs: -5 },
      { users: [''] },
      { bookmarkIntervalMs: 0 },
      { watchHistorySize: 0 },
    ]) {
      let error: unknown;
      await startEnvtest(options).catch((e: unknown) => (error = e));
      expect(EnvtestError.is(error, 'invalidOptions'), JSON.stringify(options)).to.equal(true);
    }
  });

  it('is reached on loopback when asked to listen on every interface', async () => {
    const env = await startEnvtest({ host: '0.0.0.0' });
    try {
      expect(env.url).to.match(/^https:\/\/127\.0\.0\.1:/);
      await env.kubeConfig.makeApiClient(CoreV1Api).listNamespace();
    } finally {
      await env.stop();
    }
  });

  it('fails with startFailed when the port is taken', async () => {
    const first = await startEnvtest();
    let error: unknown;
    await startEnvtest({ port: Number(new URL(first.url).port) }).catch((e: unknown) => (error = e));
    await first.stop();
    expect(EnvtestError.is(error, 'startFailed')).to.equal(true);
  });

  it('serves plain HTTP in insecure mode, where every request acts as the admin', async () => {
    const env = await startEnvtest({ insecure: true });
    try {
      expect(env.url).to.match(/^http:\/\//);
      const response = await raw(env, 'GET', '/api/v1/namespaces', { token: null });
      expect(response.status).to.equal(200);
    } finally {
      await env.stop();
    }
  });
});

describe('envtest authentication, users and kubeconfig', () => {
  const env = useEnvtest({ users: ['alice'] });

  it('answers 401 Status for a missing or wrong token', async () => {
    for (const token of [null, 'wrong']) {
      const response = await raw(env, 'GET', '/api/v1/namespaces', { token });
      expect(response.status).to.equal(401);
      expect(response.json).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
  });

  it('lets anonymous clients read health and version only', async () => {
    for (const path of ['/healthz', '/livez', '/readyz', '/readyz/ping']) {
      const response = await raw(env, 'GET', path, { token: null });
      expect(response.status, path).to.equal(200);
      expect(response.text).to.equal('ok');
    }
    const version = await raw(env, 'GET', '/version', { token: null });
    expect(version.json).to.include({ major: '1' });
  });

  it('gives each user its own token and KubeConfig; addUser is idempotent', async () => {
    const alice = env.kubeConfigFor('alice');
    expect(alice.getCurrentUser()?.token).to.not.equal(env.kubeConfig.getCurrentUser()?.token);
    await alice.makeApiClient(CoreV1Api).listNamespace();
    env.addUser('dave');
    const token = env.kubeConfigFor('dave').getCurrentUser()?.token;
    env.addUser('dave');
    expect(env.kubeConfigFor('dave').getCurrentUser()?.token).to.equal(token);
    expect(() => env.kubeConfigFor('nobody')).to.throw(EnvtestError, /no user "nobody"/);
    expect(() => {
      env.addUser('');
    }).to.throw(EnvtestError);
  });

  it('writes a kubeconfig with the CA, the admin context current and one context per user', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'envtest-'));
    try {
      const path = join(dir, 'kubeconfig');
      await env.writeKubeconfig(path);
      const document = JSON.parse(await readFile(path, 'utf8')) as {
        'current-context': string;
        contexts: { name: string }[];
      };
      expect(document['current-context']).to.equal('admin');
      expect(document.contexts.map((context) => context.name)).to.include.members(['admin', 'alice']);
      const loaded = new KubeConfig();
      loaded.loadFromFile(path);
      loaded.setCurrentContext('alice');
      const list = await loaded.makeApiClient(CoreV1Api).listNamespace();
      expect(list.items.length).to.be.greaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('kubekit-envtest CLI', () => {
  it('prints one JSON line with url and kubeconfig, and stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'envtest-cli-'));
    const signals = new EventEmitter();
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      const exit = main(
        ['--kubeconfig-out', join(dir, 'kc'), '--user', 'alice', '--gc-delay', '5', '--port', '0'],
        signals,
      );
      while (lines.length === 0) await sleep(5);
      const ready = JSON.parse(lines[0] ?? '') as { url: string; kubeconfig: string };
      expect(ready.url).to.match(/^https:\/\/127\.0\.0\.1:/);
      expect(ready.kubeconfig).to.equal(join(dir, 'kc'));
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(ready.kubeconfig);
      await kubeConfig.makeApiClient(CoreV1Api).listNamespace();
      signals.emit('SIGTERM');
      expect(await exit).to.equal(0);
      expect(await main(['--help'], signals)).to.equal(0);
      const errors: string[] = [];
      const error = console.error;
      console.error = (line: string) => errors.push(line);
      try {
        expect(await main(['--port', 'x'], signals)).to.equal(2);
        expect(await main(['--bogus'], signals)).to.equal(2);
      } finally {
        console.error = error;
      }
      expect(errors.join('\n')).to.contain('usage: kubekit-envtest');
    } finally {
      console.log = log;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes its own temporary kubeconfig and removes it on SIGINT', async () => {
    const signals = new EventEmitter();
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      const exit = main(['--insecure'], signals);
      while (lines.length === 0) await sleep(5);
      const ready = JSON.parse(lines[0] ?? '') as { url: string; kubeconfig: string };
      expect(ready.url).to.match(/^http:\/\//);
      await readFile(ready.kubeconfig, 'utf8');
      signals.emit('SIGINT');
      expect(await exit).to.equal(0);
      let missing = false;
      await readFile(ready.kubeconfig).catch(() => (missing = true));
      expect(missing).to.equal(true);
    } finally {
      console.log = log;
    }
  });

  it('serves HTTP/1.1 only with --http1-only, and h2 beside it by default', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'envtest-cli-'));
    const log = console.log;
    try {
      const alpn = async (args: string[]): Promise<string | false> => {
        const signals = new EventEmitter();
        const lines: string[] = [];
        console.log = (line: string) => lines.push(line);
        const exit = main([...args, '--kubeconfig-out', join(dir, 'kc')], signals);
        while (lines.length === 0) await sleep(5);
        const kubeConfig = new KubeConfig();
        kubeConfig.loadFromFile(join(dir, 'kc'));
        const url = new URL(kubeConfig.getCurrentCluster()?.server ?? '');
        const socket = tlsConnect({
          host: url.hostname,
          port: Number(url.port),
          ca: Buffer.from(kubeConfig.getCurrentCluster()?.caData ?? '', 'base64').toString('utf8'),
          ALPNProtocols: ['h2', 'http/1.1'],
        });
        await new Promise((resolve) => socket.once('secureConnect', resolve));
        const protocol = socket.alpnProtocol ?? false;
        socket.destroy();
        signals.emit('SIGTERM');
        expect(await exit).to.equal(0);
        return protocol;
      };
      expect(await alpn(['--http1-only'])).to.equal('http/1.1');
      expect(await alpn([])).to.equal('h2');
    } finally {
      console.log = log;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
