import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { processRunning, waitForProcessExit } from '@kubekit/envtest/testing';
import type { ReplicaSpec } from '#lib/demo/replica-process.js';
import { useMemcachedEnvtest } from './memcached-envtest.js';

/**
 * A parent like the demo: starts one replica with the demo's ReplicaProcess and prints its pid
 * once it leads; then waits (the replica's pipes keep it running) until it is killed.
 */
const PARENT = `
const [moduleUrl, spec] = process.argv.slice(1);
const { ReplicaProcess } = await import(moduleUrl);
new ReplicaProcess(JSON.parse(spec), (replica, event) => {
  if (event.type === 'leading') process.stdout.write(JSON.stringify({ pid: replica.pid }) + '\\n');
});
`;

// Regression: the demo's replicas outlived a demo killed with SIGKILL (no chance to stop them).
describe('demo replica whose parent is killed', function () {
  this.timeout(60_000);
  const cluster = useMemcachedEnvtest();
  const env = cluster.env;
  let dir: string | undefined;
  const pids: number[] = [];
  afterEach(() => {
    for (const pid of pids.splice(0)) if (processRunning(pid)) process.kill(pid, 'SIGKILL');
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('stops gracefully (releases its lease) and exits within seconds', async () => {
    dir = mkdtempSync(join(tmpdir(), 'replica-orphan-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await env.writeKubeconfig(kubeconfig);
    const spec: ReplicaSpec = {
      name: 'replica-orphan',
      kubeconfig,
      namespace: env.namespace,
      leaseDuration: 2_000,
      renewDeadline: 1_500,
      retryPeriod: 300,
      resyncMs: 100,
      reconcileLog: join(dir, 'reconciles.jsonl'),
    };
    const parent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        PARENT,
        import.meta.resolve('#lib/demo/replica-process.js'),
        JSON.stringify(spec),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (parent.pid !== undefined) pids.push(parent.pid);
    const lines = createInterface({ input: parent.stdout });
    const [line] = (await once(lines, 'line')) as [string];
    lines.close();
    const { pid } = JSON.parse(line) as { pid: number };
    pids.push(pid);
    const leaseRef = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: env.namespace,
      name: 'memcached-operator',
    };
    const holder = async (): Promise<string | undefined> =>
      (await cluster.client.get<Lease>(leaseRef)).spec?.holderIdentity ?? undefined;
    expect(await holder()).to.equal('replica-orphan');
    expect(processRunning(pid)).to.equal(true);

    const exited = once(parent, 'exit');
    parent.kill('SIGKILL');
    await exited;
    const killedAt = performance.now();
    // Generous for a loaded machine: the replica stops in well under a second; its grace time
    // before a forced exit is 5 s.
    const gone = await waitForProcessExit(pid, 20_000);
    const tookMs = Math.round(performance.now() - killedAt);
    expect(gone, `the replica outlived its parent by ${String(tookMs)} ms`).to.equal(true);
    // It stopped through the Manager's own shutdown, which releases the lease (a crash would not).
    expect(await holder(), `exited ${String(tookMs)} ms after its parent`).to.be.oneOf(['', undefined]);
  });
});
