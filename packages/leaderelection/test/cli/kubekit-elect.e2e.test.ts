import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CoordinationV1Api,
  CoreV1Api,
  V1Container,
  V1LeaseSpec,
  V1MicroTime,
  V1ObjectMeta,
  V1Pod,
  V1PodSpec,
} from '@kubernetes/client-node';
import { processRunning, useEnvtest } from '@kubekit/envtest/testing';
import { probeCommandSupervision } from '#lib/cli/command-supervision.js';
import { processGroupAlive } from '#lib/cli/process-group.js';
import { ElectProcess } from '../../bench/support/elect-process.js';
import { eventually } from '../support/wait.js';

/** The pids a command wrote to `file`, one a line, once there are `count`. */
async function pidsFrom(file: string, count: number): Promise<number[]> {
  const lines = (): number[] =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map(Number)
      : [];
  await eventually(() => lines().length >= count, 30_000, `${String(count)} pids in ${file}`);
  return lines();
}

/** Whether the watchdog of the command whose process group is `pgid` runs. */
function watchdogRuns(pgid: number): boolean {
  const argument = `kubekit-elect-watchdog\u0000${String(pgid)}\u0000`;
  return readdirSync('/proc').some((entry) => {
    try {
      return /^\d+$/.test(entry) && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(argument);
    } catch {
      return false;
    }
  });
}

/** SIGKILL to process group `pgid` if it still exists (cleanup after a failed test). */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Gone, as it should be.
  }
}

/** The pid a command wrote to `file` (`echo $$ > file`), once it has. */
async function pidFrom(file: string): Promise<number> {
  await eventually(
    () => existsSync(file) && readFileSync(file, 'utf8').trim() !== '',
    30_000,
    `a pid in ${file}`,
  );
  return Number(readFileSync(file, 'utf8'));
}

// Real `kubekit-elect` processes against the embedded API server, each as its own user.
describe('kubekit-elect (processes on envtest)', function () {
  this.timeout(90_000);
  const env = useEnvtest({ users: ['a', 'b'] });
  let dir: string;
  let kubeconfig: string;
  const started: ElectProcess[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubekit-elect-e2e-'));
    kubeconfig = join(dir, 'kubeconfig');
    await env.writeKubeconfig(kubeconfig);
  });

  afterEach(async () => {
    // SIGTERM, as a user would: kubekit-elect then stops its command too (SIGKILL could not).
    const running = started.splice(0);
    for (const process of running) process.kill('SIGTERM');
    const exited = Promise.all(running.map((process) => process.exited));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
    clearTimeout(timer);
    for (const process of running) process.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  function elect(user: string, ...extra: string[]): ElectProcess {
    const running = new ElectProcess(user, [
      '--name',
      'e2e',
      '--namespace',
      env.namespace,
      '--identity',
      user,
      '--kubeconfig',
      kubeconfig,
      '--context',
      user,
      '--lease-duration',
      '1s',
      '--renew-deadline',
      '600ms',
      '--retry-period',
      '200ms',
      ...extra,
    ]);
    started.push(running);
    return running;
  }

  it('hands over on SIGTERM with --release-on-cancel, long before the lease could expire', async () => {
    const a = elect('a', '--release-on-cancel');
    await a.next((e) => e.event === 'acquired', 0, 30_000);
    const b = elect('b', '--release-on-cancel');
    await b.next((e) => e.event === 'leader' && e.fields['leader'] === 'a', 0, 30_000);
    a.kill('SIGTERM');
    const released = await a.next((e) => e.event === 'released', 0, 30_000);
    const acquired = await b.next((e) => e.event === 'acquired', 0, 30_000);
    // At least 1: under heavy load a may have lost and re-acquired its own lease in between.
    expect(acquired.fields['epoch']).to.be.at.least(1);
    // Well under the 1 s lease duration: the follower acted on the release, not on expiry.
    expect(acquired.at - released.at).to.be.below(500);
    expect(await a.exited).to.equal(0);
  });

  it('runs the command only on the leader and exits with its code after releasing', async () => {
    const marker = join(dir, 'ran-by');
    const go = join(dir, 'go');
    const a = elect(
      'a',
      '--',
      'sh',
      '-c',
      `echo a >> ${marker}; while [ ! -e ${go} ]; do sleep 0.02; done; exit 5`,
    );
    await a.next((e) => e.event === 'acquired', 0, 30_000);
    const b = elect('b', '--', 'sh', '-c', `echo b >> ${marker}; sleep 30`);
    await b.next((e) => e.event === 'leader' && e.fields['leader'] === 'a', 0, 30_000);
    writeFileSync(go, '');
    expect(await a.exited).to.equal(5);
    expect(a.events.map((e) => e.event)).to.include('released');
    await b.next((e) => e.event === 'acquired', 0, 30_000);
    for (let i = 0; i < 100 && !readFileSync(marker, 'utf8').includes('b'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(readFileSync(marker, 'utf8')).to.equal('a\nb\n');
  });

  it('stops the command when the leader is cut off from the API server', async () => {
    const pidFile = join(dir, 'pid');
    const a = elect('a', '--', 'sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`);
    await a.next((e) => e.event === 'acquired', 0, 30_000);
    const pid = await pidFrom(pidFile);
    env.faults.add({ user: 'a', partition: true });
    const lost = await a.next((e) => e.event === 'lost', 0, 30_000);
    expect(String(lost.fields['reason'])).to.match(/renew/i);
    await eventually(() => !processRunning(pid), 2_000, 'the command to stop after the lease was lost');
  });

  describe('guarding its command', function () {
    before(function () {
      if (probeCommandSupervision().kind === 'none') this.skip();
    });

    it('regression: a leader command dies with its SIGKILLed elector', async () => {
      const pidFile = join(dir, 'pids');
      // The command (a shell, its process group's leader) starts a child and waits on another.
      const a = elect(
        'a',
        '--',
        'sh',
        '-c',
        `echo $$ >> ${pidFile}; sleep 1000 & echo $! >> ${pidFile}; sleep 1000`,
      );
      await a.next((e) => e.event === 'acquired', 0, 30_000);
      const [group = 0, child = 0] = await pidsFrom(pidFile, 2);
      try {
        expect(processRunning(group) && processRunning(child), 'the command and its child run').to.equal(
          true,
        );
        expect(watchdogRuns(group), 'its watchdog runs').to.equal(true);
        const killedAt = performance.now();
        a.kill('SIGKILL');
        // Poll every millisecond for the whole group: command, its children, and no zombies counted.
        await eventually(() => !processGroupAlive(group), 5_000, 'the command group to die');
        const tookMs = performance.now() - killedAt;
        expect(await a.exited).to.equal(null);
        expect(tookMs, 'ms from SIGKILL of the elector until its command group was gone').to.be.below(200);
        // The watchdog that killed the group leaves nothing behind either.
        await eventually(() => !watchdogRuns(group), 5_000, 'the watchdog to exit');
      } finally {
        killGroup(group);
      }
    });

    it('regression: a command gets no grace when another identity takes the lease', async () => {
      const pidFile = join(dir, 'pid');
      // Without the takeover the term would stay exclusive for about 10 s (8 s after the margin),
      // and a command that ignores SIGTERM would be killed only then.
      const a = elect(
        'a',
        '--lease-duration',
        '10s',
        '--renew-deadline',
        '6s',
        '--',
        'sh',
        '-c',
        `trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 0.05; done`,
      );
      await a.next((e) => e.event === 'acquired', 0, 30_000);
      const pid = await pidFrom(pidFile);
      try {
        const api = env.kubeConfigFor('admin').makeApiClient(CoordinationV1Api);
        // Overwrite the holder (compare-and-swap: retried when a's renew came in between).
        for (let attempt = 1; ; attempt++) {
          const lease = await api.readNamespacedLease({ name: 'e2e', namespace: env.namespace });
          const now = new V1MicroTime();
          const spec = lease.spec ?? new V1LeaseSpec();
          spec.holderIdentity = 'intruder';
          spec.acquireTime = now;
          spec.renewTime = now;
          spec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
          lease.spec = spec;
          try {
            await api.replaceNamespacedLease({ name: 'e2e', namespace: env.namespace, body: lease });
            break;
          } catch (error) {
            if (attempt >= 20) throw error;
          }
        }
        const lost = await a.next((e) => e.event === 'lost', 0, 30_000);
        await eventually(() => !processRunning(pid), 9_000, 'the command to be killed');
        expect(performance.now() - lost.at, 'ms from the loss until the command was gone').to.be.below(2_000);
      } finally {
        killGroup(pid);
      }
    });
  });

  it('reports a context the kubeconfig lacks and exits 1', async () => {
    const bad = new ElectProcess('bad', ['--name', 'e2e', '--kubeconfig', kubeconfig, '--context', 'nobody']);
    started.push(bad);
    expect(await bad.exited).to.equal(1);
    expect(bad.events[0]?.fields['message']).to.match(/no context "nobody"/);
  });

  describe('--lock leader-for-life', () => {
    async function createPod(name: string): Promise<void> {
      const container = Object.assign(new V1Container(), { name: 'operator', image: 'example.com/op:1' });
      const pod = Object.assign(new V1Pod(), {
        metadata: Object.assign(new V1ObjectMeta(), { name }),
        spec: Object.assign(new V1PodSpec(), { containers: [container] }),
      });
      await env.kubeConfig
        .makeApiClient(CoreV1Api)
        .createNamespacedPod({ namespace: env.namespace, body: pod });
    }

    /** A leader-for-life candidate as `user`, in Pod `pod` (no POD_NAME when `undefined`). */
    function electForLife(user: string, pod: string | undefined, ...extra: string[]): ElectProcess {
      const elector = new ElectProcess(
        user,
        [
          '--name',
          'op-lock',
          '--lock',
          'leader-for-life',
          '--namespace',
          env.namespace,
          '--kubeconfig',
          kubeconfig,
          '--context',
          user,
          ...extra,
        ],
        pod === undefined ? {} : { POD_NAME: pod },
      );
      started.push(elector);
      return elector;
    }

    it('leads until its Pod is gone, then the follower takes over and the old command is stopped', async () => {
      await createPod('pod-a');
      await createPod('pod-b');
      const pidFile = join(dir, 'pid');
      const a = electForLife('a', 'pod-a', '--', 'sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`);
      const acquired = await a.next((e) => e.event === 'acquired', 0, 30_000);
      expect(acquired.fields['identity']).to.equal('pod-a');
      const pid = await pidFrom(pidFile);
      const b = electForLife('b', 'pod-b');
      await b.next((e) => e.event === 'leader' && e.fields['leader'] === 'pod-a', 0, 30_000);

      // Deleting the leader's Pod lets the garbage collector remove the lock it owns.
      await env.kubeConfig
        .makeApiClient(CoreV1Api)
        .deleteNamespacedPod({ name: 'pod-a', namespace: env.namespace, gracePeriodSeconds: 0 });
      await b.next((e) => e.event === 'acquired', 0, 30_000);
      const lost = await a.next((e) => e.event === 'lost', 0, 30_000);
      expect(String(lost.fields['reason'])).to.not.equal('');
      await eventually(
        () => !processRunning(pid),
        5_000,
        'the old leader to stop its command after losing the lock',
      );
    });

    it('reports a missing POD_NAME as an error naming the downward API and exits 1', async () => {
      const elector = electForLife('a', undefined);
      expect(await elector.exited).to.equal(1);
      expect(String(elector.events[0]?.fields['message'])).to.match(/POD_NAME/);
    });
  });
});
