import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';
import { createClient, isForbidden, type KubeClient, type KubeObject } from '@kubekit/client';
import { startEnvtest, type Envtest } from '@kubekit/envtest';
import { parseAllDocuments } from 'yaml';
import { stampedByAnnotation, stampLabel } from '#lib/index.js';
import { StamperProcess } from './stamper-process.js';

const namespace = 'stamper';
const manifests = fileURLToPath(new URL('../../deploy/operator.yaml', import.meta.url));

async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${String(timeoutMs)} ms`);
    await sleep(20);
  }
}

// Two replicas of the example (main.js as OS processes), each in its own "Pod" created in envtest
// (leader-for-life owns its lock by its Pod), each as the example's ServiceAccount under exactly
// the RBAC of deploy/operator.yaml.
describe('leader-for-life example (two replicas on envtest)', function () {
  this.timeout(60_000);
  let env: Envtest;
  let admin: KubeClient;
  let dir: string;
  let kubeconfig: string;
  const started: StamperProcess[] = [];

  before(async () => {
    env = await startEnvtest({
      gcDelayMs: 100,
      users: ['replica-a', 'replica-b'].map((name) => ({
        name,
        serviceAccount: { namespace, name: 'stamper' },
      })),
    });
    admin = createClient({ kubeConfig: env.kubeConfig, metrics: null });
    const objects = parseAllDocuments(readFileSync(manifests, 'utf8')).map((d) => d.toJS() as KubeObject);
    for (const object of objects) await admin.create(object);
    dir = mkdtempSync(join(tmpdir(), 'leader-for-life-example-'));
    kubeconfig = join(dir, 'kubeconfig');
    await env.writeKubeconfig(kubeconfig);
  });
  after(async () => {
    for (const replica of started) replica.kill('SIGKILL');
    await Promise.all(started.map((replica) => replica.exited));
    await admin.close();
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function createPod(name: string): Promise<Pod> {
    return admin.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace },
      spec: {
        serviceAccountName: 'stamper',
        containers: [{ name: 'stamper', image: 'example.com/stamper:0' }],
      },
    });
  }

  function run(user: string, podName: string): StamperProcess {
    const replica = new StamperProcess(podName, [`--kubeconfig=${kubeconfig}`, `--context=${user}`], {
      POD_NAMESPACE: namespace,
    });
    started.push(replica);
    return replica;
  }

  async function stampOf(name: string): Promise<string | undefined> {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace, name };
    const configMap = await admin.get<ConfigMap>(ref);
    return configMap.metadata?.annotations?.[stampedByAnnotation];
  }

  async function createLabelled(name: string): Promise<void> {
    await admin.create<ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, labels: { [stampLabel]: 'true' } },
    });
  }

  it('one replica leads for the life of its Pod; the other takes over only once that Pod is deleted', async () => {
    const podA = await createPod('stamper-a');
    await createPod('stamper-b');
    const a = run('replica-a', 'stamper-a');
    await until('replica-a leads', () => (a.leading ? true : undefined)).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${a.describe()}`);
    });
    const b = run('replica-b', 'stamper-b');

    // The lock is owned by replica-a's Pod; replica-a does the work, replica-b does not lead.
    const lock = await admin.get<ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace,
      name: 'stamper-lock',
    });
    expect(lock.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid])).to.deep.equal([
      ['Pod', 'stamper-a', podA.metadata?.uid],
    ]);
    await createLabelled('first');
    expect(await until('first stamped', () => stampOf('first'))).to.equal('stamper-a');

    // replica-a's process stops (the kubelet's SIGTERM): its Pod still exists, so its lock stays
    // and replica-b still does not lead. Leader-for-life never hands over while the Pod lives.
    a.kill('SIGTERM');
    expect(await a.exited, a.describe()).to.equal(0);
    await createLabelled('second');
    await sleep(1_500);
    expect(b.leading, b.describe()).to.equal(false);
    expect(await stampOf('second')).to.equal(undefined);

    // The Pod is deleted: the garbage collector deletes its lock; replica-b creates its own and leads.
    await admin.delete(
      { apiVersion: 'v1', kind: 'Pod', namespace, name: 'stamper-a' },
      { gracePeriodSeconds: 0 },
    );
    await until('replica-b leads', () => (b.leading ? true : undefined)).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${b.describe()}`);
    });
    expect(await until('second stamped', () => stampOf('second'))).to.equal('stamper-b');
    expect(await stampOf('first')).to.equal('stamper-a');
    const newLock = await admin.get<ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace,
      name: 'stamper-lock',
    });
    expect(newLock.metadata?.ownerReferences?.map((o) => o.name)).to.deep.equal(['stamper-b']);
    expect(a.leading && b.leading).to.equal(true); // each led once, one after the other

    b.kill('SIGTERM');
    expect(await b.exited, b.describe()).to.equal(0);
  });

  it('refuses to start without POD_NAME (exit 2, a message naming it)', async () => {
    const replica = new StamperProcess('', [`--kubeconfig=${kubeconfig}`, '--context=replica-a'], {
      POD_NAMESPACE: namespace,
    });
    started.push(replica);
    expect(await replica.exited).to.equal(2);
    expect(replica.stderr).to.contain('POD_NAME');
  });

  it('is refused what deploy/ does not grant it: no ConfigMaps in another namespace, no Secrets', async () => {
    const client = createClient({ kubeConfig: env.kubeConfigFor('replica-a'), metrics: null });
    try {
      for (const ref of [
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default' },
        { apiVersion: 'v1', kind: 'Secret', namespace },
      ]) {
        const error = await client.list(ref).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isForbidden(error), `list ${ref.kind} in ${ref.namespace}: ${String(error)}`).to.equal(true);
      }
    } finally {
      await client.close();
    }
  });
});
