import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sinon from 'sinon';
import { KubeConfig } from '@kubernetes/client-node';
import { useEnvtest } from '@kubekit/envtest/testing';
import { LeaderElectionError, LeaseLock } from '@kubekit/leaderelection';
import type { Lock } from '@kubekit/leaderelection';
import { sharedClient } from '#lib/kube/shared-client.js';

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

function leaseLock(kubeConfig: KubeConfig, namespace = 'ns'): Lock {
  return new LeaseLock({ kubeConfig, name: 'x', namespace, identity: 'a', events: false });
}

const quiet = { onEstablished: () => undefined, onEvent: () => undefined };

describe('LeaseLock over the shared client (requests that fail before they are sent)', () => {
  let clock: sinon.SinonFakeTimers;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });

  afterEach(() => {
    clock.restore();
  });

  it('regression: a watch that fails synchronously does not throw 30 s later', async () => {
    const ends: unknown[] = [];
    await leaseLock(malformedKeyConfig())
      .watch(undefined, quiet, new AbortController().signal)
      .then(
        () => ends.push('resolved'),
        (error: unknown) => ends.push(error),
      );
    // The inactivity timer of the failed watch must be gone: firing it would throw in a timer.
    expect(() => clock.tick(60_000)).to.not.throw();
    await clock.tickAsync(0);
    // The failure is reported once, as a typed error.
    expect(ends).to.have.length(1);
    expect(LeaderElectionError.is(ends[0], 'apiError'), String(ends[0])).to.be.true;
  });

  it('regression: a request that fails synchronously leaves nothing on its signal', async () => {
    const controller = new AbortController();
    const error = await leaseLock(malformedKeyConfig())
      .get(controller.signal)
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    expect(LeaderElectionError.is(error, 'apiError'), String(error)).to.be.true;
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

describe('LeaseLock over the shared client (exec authentication on envtest)', function () {
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
    const kubeConfig = execConfig();
    // The first user of a KubeConfig's shared client sets its options.
    sharedClient(kubeConfig, { authTimeoutMs: 1_000 });
    const lock = leaseLock(kubeConfig, env.namespace);
    const never = new AbortController().signal;

    // A request with a deadline fails by it, while the plugin hangs.
    const started = performance.now();
    const bounded = await settledWithin(lock.get(AbortSignal.timeout(200)), 5_000);
    expect(bounded, 'a request with a 200 ms deadline').to.not.equal('pending');
    const boundedError = (bounded as { error?: unknown }).error;
    expect(LeaderElectionError.is(boundedError, 'timeout'), String(boundedError)).to.equal(true);
    expect(performance.now() - started).to.be.below(3_000);

    // Requests without a deadline, and watches, fail by the authentication timeout: all of them
    // waited on the one plugin call.
    const watching = lock.watch(undefined, quiet, never);
    const unbounded = await settledWithin(lock.get(never), 10_000);
    expect(unbounded, 'a request without a deadline').to.not.equal('pending');
    const error = (unbounded as { error?: unknown }).error;
    expect(LeaderElectionError.is(error, 'timeout'), String(error)).to.equal(true);
    expect((error as Error).message).to.match(/exec/);
    const watchEnd = await settledWithin(watching, 10_000);
    const watchError = (watchEnd as { error?: unknown }).error;
    expect(LeaderElectionError.is(watchError, 'timeout'), `the watch: ${String(watchError)}`).to.equal(true);
    expect(calls(), 'plugin calls while it hung').to.equal(1);

    // The failure is not kept: the next request asks the plugin again, which now answers.
    writeFileSync(join(dir, 'ready'), '');
    expect(await lock.get(never)).to.equal(undefined);
    expect(calls()).to.equal(2);
  });
});
