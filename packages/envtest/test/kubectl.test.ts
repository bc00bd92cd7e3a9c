import { expect } from 'chai';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually } from './support/raw-client.js';

const available = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

describe('kubectl against envtest', function () {
  this.timeout(60_000);
  const env = useEnvtest();
  let dir = '';

  before(function () {
    if (!available) {
      console.log(
        "    kubectl is not on PATH: skipping the kubectl tests (install Debian's kubernetes-client to run them)",
      );
      this.skip();
    }
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envtest-kubectl-'));
    await env.writeKubeconfig(join(dir, 'kubeconfig'));
  });

  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function args(extra: readonly string[]): string[] {
    return [
      '--kubeconfig',
      join(dir, 'kubeconfig'),
      '--cache-dir',
      join(dir, 'cache'),
      '-n',
      env.namespace,
      ...extra,
    ];
  }

  function kubectl(...extra: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('kubectl', args(extra), { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`kubectl ${extra.join(' ')}: ${stderr || error.message}`));
        else resolve(stdout);
      });
    });
  }

  async function manifest(name: string, objects: readonly unknown[]): Promise<string> {
    const path = join(dir, `${name}.json`);
    // A stream of JSON documents, as `kubectl apply -f` reads it.
    await writeFile(path, objects.map((object) => JSON.stringify(object)).join('\n'));
    return path;
  }

  it('speaks HTTP/2 with envtest, as with kube-apiserver', async () => {
    const before = env.connectionStats().requests;
    await kubectl('get', 'configmaps');
    const after = env.connectionStats().requests;
    expect(after.h2 - before.h2).to.be.greaterThan(0);
    expect(after['http/1.1'] - before['http/1.1']).to.equal(0);
  });

  it('applies, gets, describes, patches and deletes configmaps, leases and pods', async () => {
    const file = await manifest('objects', [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } },
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'lease' },
        spec: { holderIdentity: 'me', leaseDurationSeconds: 15 },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'pod' },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
    ]);
    expect(await kubectl('apply', '-f', file)).to.contain('configmap/cm created');
    expect(await kubectl('apply', '-f', file)).to.contain('configmap/cm unchanged');
    expect(await kubectl('get', 'configmaps', '-o', 'name')).to.contain('configmap/cm');
    expect(await kubectl('get', 'lease', 'lease', '-o', 'jsonpath={.spec.holderIdentity}')).to.equal('me');
    expect(await kubectl('get', 'pods')).to.match(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\npod\s+0\/1\s+Pending\s+0\s+\S+\n$/,
    );
    expect(await kubectl('get', 'leases')).to.match(/^NAME\s+HOLDER\s+AGE\nlease\s+me\s+\S+\n$/);
    expect(await kubectl('describe', 'configmap', 'cm')).to.match(/Name:\s+cm/);
    expect(await kubectl('describe', 'lease', 'lease')).to.match(/Holder Identity:\s+me/);
    expect(await kubectl('describe', 'pod', 'pod')).to.match(/Name:\s+pod/);
    await kubectl('patch', 'configmap', 'cm', '-p', '{"data":{"b":"2"}}');
    await kubectl('patch', 'configmap', 'cm', '--type=merge', '-p', '{"data":{"c":"3"}}');
    await kubectl(
      'patch',
      'lease',
      'lease',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/holderIdentity","value":"you"}]',
    );
    expect(await kubectl('get', 'configmap', 'cm', '-o', 'jsonpath={.data}')).to.equal(
      '{"a":"1","b":"2","c":"3"}',
    );
    expect(await kubectl('get', 'lease', 'lease', '-o', 'jsonpath={.spec.holderIdentity}')).to.equal('you');
    expect(await kubectl('delete', 'configmap', 'cm')).to.contain('configmap "cm" deleted');
    expect(await kubectl('delete', 'lease', 'lease')).to.contain('deleted');
    expect(await kubectl('delete', 'pod', 'pod', '--wait=false')).to.contain('deleted');
    expect(await kubectl('get', 'configmaps', '-o', 'name')).to.equal('');
  });

  it('creates namespaces, configmaps, secrets and serviceaccounts imperatively (protobuf bodies)', async () => {
    const binary = join(dir, 'binary');
    await writeFile(binary, Buffer.from([0, 1, 0xff]));
    const ns = `${env.namespace}-made`;
    expect(await kubectl('create', 'namespace', ns)).to.contain(`namespace/${ns} created`);
    expect(
      await kubectl('create', 'configmap', 'cm', '--from-literal=a=b', `--from-file=bin=${binary}`),
    ).to.contain('created');
    expect(await kubectl('get', 'configmap', 'cm', '-o', 'jsonpath={.data.a} {.binaryData.bin}')).to.equal(
      'b AAH/',
    );
    await kubectl(
      'create',
      'secret',
      'generic',
      's',
      '--from-literal=password=hunter2',
      `--from-file=bin=${binary}`,
    );
    expect(
      await kubectl('get', 'secret', 's', '-o', 'jsonpath={.type} {.data.password} {.data.bin}'),
    ).to.equal(`Opaque ${Buffer.from('hunter2').toString('base64')} AAH/`);
    expect(await kubectl('create', 'serviceaccount', 'sa')).to.contain('serviceaccount/sa created');
    expect(await kubectl('delete', 'namespace', ns)).to.contain('deleted');
  });

  it('scales a deployment', async () => {
    const file = await manifest('deployment', [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      },
    ]);
    await kubectl('apply', '-f', file);
    expect(await kubectl('scale', 'deployment', 'web', '--replicas=3')).to.contain('scaled');
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).to.equal('3');
    expect(await kubectl('get', 'deployments')).to.match(
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/3\s+0\s+0\s+\S+\n$/,
    );
  });

  it('applies a CRD and its custom resources', async () => {
    const group = `${env.namespace.replace(/[^a-z0-9]/g, '')}.example.com`;
    const crd = await manifest('crd', [
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      },
    ]);
    expect(await kubectl('apply', '-f', crd)).to.contain('created');
    const widget = await manifest('widget', [
      { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } },
    ]);
    expect(await kubectl('apply', '-f', widget)).to.contain(`widget.${group}/w created`);
    expect(await kubectl('get', `widgets.${group}`, '-o', 'jsonpath={.items[0].spec.size}')).to.equal('1');
    await kubectl('patch', `widgets.${group}`, 'w', '--type=merge', '-p', '{"spec":{"size":2}}');
    expect(await kubectl('describe', `widgets.${group}`, 'w')).to.match(/Size:\s+2/);
    expect(await kubectl('delete', `widgets.${group}`, 'w')).to.contain('deleted');
    expect(await kubectl('delete', '-f', crd)).to.contain('deleted');
  });

  it('streams changes with kubectl get -w', async () => {
    const child = spawn('kubectl', args(['get', 'configmaps', '-w', '--output-watch-events', '-o', 'json']), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (output += chunk));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await eventually(() => env.counters.count({ verb: 'watch', resource: 'configmaps' }) > 0, 10_000);
      await kubectl(
        'create',
        'configmap',
        'watched',
        '--from-literal=a=b',
        '--dry-run=client',
        '-o',
        'json',
      ).then((json) => writeFile(join(dir, 'watched.json'), json));
      await kubectl('apply', '-f', join(dir, 'watched.json'));
      await kubectl('patch', 'configmap', 'watched', '--type=merge', '-p', '{"data":{"a":"c"}}');
      await kubectl('delete', 'configmap', 'watched');
      await eventually(() => output.includes('"DELETED"'), 10_000);
      const types = output
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { type: string }).type);
      expect(types).to.deep.equal(['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
