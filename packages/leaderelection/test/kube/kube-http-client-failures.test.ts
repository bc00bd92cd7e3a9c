import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sinon from 'sinon';
import { KubeConfig } from '@kubernetes/client-node';
import { useEnvtest } from '@kubekit/envtest/testing';
import { LeaderElectionError } from '@kubekit/leaderelection';
import { KubeHttpClient } from '#lib/kube/kube-http-client.js';

/** A KubeConfig whose client key is not a key: TLS refuses it before any connection is made. */
function malformedKeyConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:9', skipTLSVerify: true }],
    users: [
      {
        name: 'u',
        certData: Buffer.from('not a certificate').toString('base64'),
        keyData: Buffer.from('not a key').toString('base64'),
      },
    ],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

describe('KubeHttpClient (requests that fail before they are sent)', () => {
  let clock: sinon.SinonFakeTimers;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });

  afterEach(() => {
    clock.restore();
  });

  it('regression: a watch that fails synchronously does not throw 30 s later', async () => {
    const client = KubeHttpClient.for(malformedKeyConfig());
    const ends: unknown[] = [];
    const started = client.watch(
      '/apis/coordination.k8s.io/v1/namespaces/ns/leases',
      {},
      () => undefined,
      (error) => ends.push(error),
    );
    await started.then(
      () => undefined,
      () => undefined,
    );
    // The inactivity timer of the failed watch must be gone: firing it would throw in a timer.
    expect(() => clock.tick(60_000)).to.not.throw();
    // The failure is reported through `done`, exactly once.
    expect(ends).to.have.length(1);
    expect(ends[0]).to.be.instanceOf(Error);
  });

  it('regression: a request that fails synchronously leaves nothing on its signal', async () => {
    const client = KubeHttpClient.for(malformedKeyConfig());
    const controller = new AbortController();
    const error = await client.request('GET', '/api/v1/namespaces', undefined, controller.signal).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(Error);
    // Aborting later must not reach a listener of the failed request (it would throw in it).
    const uncaught: unknown[] = [];
    const record = (failure: unknown): void => {
      uncaught.push(failure);
    };
    process.prependListener('uncaughtException', record);
    try {
      controller.abort();
      await clock.tickAsync(0);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', record);
    }
    expect(uncaught).to.deep.equal([]);
  });
});

/** How `promise` settled, or `'pending'` when it had not within `ms` of real time. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise((resolve) => (timer = setTimeout(resolve, ms, 'pending')));
  try {
    return await Promise.race([
      promise.then(
        (value: unknown) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('KubeHttpClient (exec authentication on envtest)', function () {
  this.timeout(30_000);
  const env = useEnvtest({ users: ['a'] });
  let dir: string;
  let users = 0;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubekit-exec-auth-'));
  });

  afterEach(() => {
    // The plugins that hung are still sleeping: end them.
    const calls = join(dir, 'calls');
    const pids = existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [];
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Exited already.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A KubeConfig for envtest user `a` whose token comes from an exec plugin that records each call
   * in `calls` and hangs until the file `ready` exists.
   */
  function execConfig(): KubeConfig {
    const source = env.kubeConfigFor('a');
    const token = source.getCurrentUser()?.token ?? '';
    const cluster = source.getCurrentCluster();
    if (cluster === null) throw new Error('envtest gave no cluster');
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token },
    });
    writeFileSync(join(dir, 'credential'), credential);
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(
      plugin,
      [
        '#!/bin/sh',
        `echo $$ >> '${dir}/calls'`,
        `[ -e '${dir}/ready' ] || exec sleep 1000`,
        `cat '${dir}/credential'`,
        '',
      ].join('\n'),
    );
    chmodSync(plugin, 0o755);
    // client-node caches exec credentials per user name, process-wide: a fresh name per test.
    users += 1;
    const user = `exec-${String(users)}-${String(process.pid)}`;
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [cluster],
      users: [
        {
          name: user,
          exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' },
        },
      ],
      contexts: [{ name: 'x', cluster: cluster.name, user }],
      currentContext: 'x',
    });
    return kubeConfig;
  }

  function calls(): number {
    const file = join(dir, 'calls');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').length : 0;
  }

  it('regression: a hung exec plugin fails requests by their deadline and is retried afterwards', async () => {
    const client = KubeHttpClient.for(execConfig(), { authTimeoutMs: 1_000 });
    const path = `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases`;
    const never = new AbortController().signal;

    // A request with a deadline fails by it, while the plugin hangs.
    const started = performance.now();
    const bounded = await settledWithin(
      client.request('GET', path, undefined, AbortSignal.timeout(200)),
      5_000,
    );
    expect(bounded, 'a request with a 200 ms deadline').to.not.equal('pending');
    expect((bounded as { error?: unknown }).error).to.be.instanceOf(Error);
    expect(performance.now() - started).to.be.below(3_000);

    // Requests without a deadline, and watches, fail by the authentication timeout: all of them
    // waited on the one plugin call.
    let watchEnded: (error: unknown) => void = () => undefined;
    const watchDone = new Promise<unknown>((resolve) => (watchEnded = resolve));
    const watching = client.watch(path, {}, () => undefined, watchEnded);
    const unbounded = await settledWithin(client.request('GET', path, undefined, never), 10_000);
    expect(unbounded, 'a request without a deadline').to.not.equal('pending');
    const error = (unbounded as { error?: unknown }).error;
    expect(LeaderElectionError.is(error, 'timeout'), String(error)).to.equal(true);
    expect((error as Error).message).to.match(/exec/);
    const watchEnd = await settledWithin(watchDone, 10_000);
    expect((watchEnd as { value?: unknown }).value, 'the watch').to.be.instanceOf(Error);
    await watching;
    expect(calls(), 'plugin calls while it hung').to.equal(1);

    // The failure is not kept: the next request asks the plugin again, which now answers.
    writeFileSync(join(dir, 'ready'), '');
    const list = (await client.request('GET', path, undefined, never)) as { kind?: unknown };
    expect(list.kind).to.equal('LeaseList');
    expect(calls()).to.equal(2);
  });
});
