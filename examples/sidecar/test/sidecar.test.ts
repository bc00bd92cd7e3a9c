import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { createClient, type KubeClient, type KubeObject } from '@kubekit/client';
import { startEnvtest, type Envtest } from '@kubekit/envtest';
import { parseAllDocuments } from 'yaml';
import { ElectProcess } from './elect-process.js';
import { overlappingRuns, readHeartbeats, scriptRuns } from './heartbeat-log.js';

const exampleDir = fileURLToPath(new URL('../../', import.meta.url));
const script = join(exampleDir, 'app', 'run.sh');
const manifests = join(exampleDir, 'deploy', 'heartbeat.yaml');
const namespace = 'heartbeat';

/** True while process `pid` runs (a zombie counts as gone: it runs nothing any more). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000, everyMs = 20): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${String(timeoutMs)} ms`);
    await sleep(everyMs);
  }
  return Date.now();
}

// Two kubekit-elect processes guarding app/run.sh (a shell script), each as the example's
// ServiceAccount under exactly the RBAC of deploy/heartbeat.yaml. What runs when is read from the
// script's own output (one file both copies append to), not from what the electors say.
describe('kubekit-elect guarding a shell script (sidecar example)', function () {
  this.timeout(60_000);
  let env: Envtest;
  let admin: KubeClient;
  let dir: string;
  let kubeconfig: string;
  const started: ElectProcess[] = [];

  before(async () => {
    env = await startEnvtest({
      users: ['replica-a', 'replica-b'].map((name) => ({
        name,
        serviceAccount: { namespace, name: 'heartbeat' },
      })),
    });
    admin = createClient({ kubeConfig: env.kubeConfig, metrics: null });
    dir = mkdtempSync(join(tmpdir(), 'sidecar-example-'));
    kubeconfig = join(dir, 'kubeconfig');
    await env.writeKubeconfig(kubeconfig);
    // deploy/ as the admin would apply it: the electors below run under exactly its RBAC.
    const objects = parseAllDocuments(readFileSync(manifests, 'utf8')).map((d) => d.toJS() as KubeObject);
    for (const object of objects) await admin.create(object);
  });
  after(async () => {
    await admin.close();
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    const running = started.splice(0);
    for (const elector of running) elector.kill('SIGTERM');
    const timeout = new AbortController();
    await Promise.race([
      Promise.all(running.map((e) => e.exited)),
      sleep(15_000, undefined, { signal: timeout.signal }).catch(() => undefined),
    ]);
    timeout.abort();
    for (const elector of running) elector.kill('SIGKILL');
    await Promise.all(running.map((e) => e.exited));
  });

  function elect(
    user: string,
    lease: string,
    output: string,
    timings: readonly string[] = ['--lease-duration=1s', '--renew-deadline=600ms', '--retry-period=200ms'],
  ): ElectProcess {
    const elector = new ElectProcess(
      [
        `--name=${lease}`,
        `--namespace=${namespace}`,
        `--identity=${user}`,
        `--kubeconfig=${kubeconfig}`,
        `--context=${user}`,
        '--release-on-cancel',
        ...timings,
        '--',
        script,
      ],
      { HEARTBEAT_FILE: output, HEARTBEAT_ID: user, HEARTBEAT_INTERVAL: '0.05' },
    );
    started.push(elector);
    return elector;
  }

  const beatsOf = (output: string, who: string): number =>
    readHeartbeats(output).filter((beat) => beat.who === who).length;

  it('has its deploy/ manifests accepted by envtest: kubekit-elect wraps /app/run.sh, POD_NAME from the downward API', async () => {
    const deployment = await admin.get<Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace,
      name: 'heartbeat',
    });
    const container = deployment.spec?.template.spec?.containers[0];
    expect(container?.command).to.deep.equal(['kubekit-elect']);
    expect(container?.args?.slice(-2)).to.deep.equal(['--', '/app/run.sh']);
    expect(container?.env?.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).to.equal(
      'metadata.name',
    );
  });

  it('runs one copy at a time; kill -9 of the leading elector kills its script, and the other takes over', async () => {
    const output = join(dir, 'crash.log');
    const a = elect('replica-a', 'crash', output);
    await a.next((e) => e.event === 'acquired');
    const b = elect('replica-b', 'crash', output);
    await b.next((e) => e.event === 'leader' && e.fields['leader'] === 'replica-a');
    await until('replica-a beats', () => beatsOf(output, 'replica-a') >= 10);
    expect(beatsOf(output, 'replica-b')).to.equal(0);

    const [first] = scriptRuns(readHeartbeats(output));
    if (first === undefined) throw new Error('no run of the script');
    const killedAt = Date.now();
    a.kill('SIGKILL'); // nothing is released: replica-b may take over only once the lease expired
    const goneAt = await until('the script of the killed elector gone', () => !alive(first.pid), 5_000, 2);
    await b.next((e) => e.event === 'acquired');
    await until('replica-b beats', () => beatsOf(output, 'replica-b') >= 10);
    b.kill('SIGTERM');
    expect(await b.exited).to.equal(0);

    const runs = scriptRuns(readHeartbeats(output));
    expect(runs.map((run) => run.who)).to.deep.equal(['replica-a', 'replica-b']);
    expect(overlappingRuns(runs)).to.deep.equal([]);
    const [killed, next] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(killed.stopped, 'the killed copy had no chance to say stop').to.equal(false);
    expect(next.stopped, 'the copy stopped by SIGTERM says stop').to.equal(true);
    // Killed within milliseconds of its elector (kernel parent-death signal) ...
    expect(goneAt - killedAt).to.be.below(1_000);
    // ... and seen dead before the other copy wrote its first line.
    expect(goneAt).to.be.below(next.first);
    expect(killed.last).to.be.below(next.first);
  });

  it('hands over on SIGTERM: the script stops, the lease is released, the other starts its copy long before expiry', async () => {
    const output = join(dir, 'handover.log');
    const timings = ['--lease-duration=5s', '--renew-deadline=3s', '--retry-period=500ms'];
    const a = elect('replica-a', 'handover', output, timings);
    await a.next((e) => e.event === 'acquired');
    const b = elect('replica-b', 'handover', output, timings);
    await b.next((e) => e.event === 'leader' && e.fields['leader'] === 'replica-a');
    await until('replica-a beats', () => beatsOf(output, 'replica-a') >= 5);
    a.kill('SIGTERM');
    expect(await a.exited).to.equal(0);
    await b.next((e) => e.event === 'acquired');
    await until('replica-b beats', () => beatsOf(output, 'replica-b') >= 5);

    const runs = scriptRuns(readHeartbeats(output));
    expect(runs.map((run) => run.who)).to.deep.equal(['replica-a', 'replica-b']);
    expect(overlappingRuns(runs)).to.deep.equal([]);
    const [stopped, next] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(stopped.stopped).to.equal(true);
    // From the first copy's `stop` to the second's `start`: the release, not the 5 s expiry.
    expect(next.first - stopped.last).to.be.within(0, 2_500);
  });
});
