import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import {
  ConfigMapLock,
  LeaderElectionError,
  LeaseLock,
  createLeaseElector,
  defaultIdentity,
  resolveNamespace,
} from '@kubekit/leaderelection';

describe('resolveNamespace', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubekit-ns-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prefers the explicit namespace', () => {
    expect(resolveNamespace('lease x', 'team-a', join(dir, 'absent'))).to.equal('team-a');
  });

  it("reads the Pod's namespace from the service-account file", () => {
    const file = join(dir, 'namespace');
    writeFileSync(file, 'kube-system\n');
    expect(resolveNamespace('lease x', undefined, file)).to.equal('kube-system');
  });

  it('throws noNamespace saying what to set when neither is available', () => {
    expect(() => resolveNamespace('lease x', undefined, join(dir, 'absent')))
      .to.throw(/lease x: no namespace given and none found in .*absent.*set the lock's namespace option/)
      .that.satisfies((e: unknown) => LeaderElectionError.is(e, 'noNamespace'));
  });
});

describe('defaultIdentity', () => {
  it('is <hostname>_<random> and unique per call', () => {
    const a = defaultIdentity();
    expect(a).to.match(/^.+_[0-9a-f-]{36}$/);
    expect(defaultIdentity()).to.not.equal(a);
  });
});

describe('LeaseLock', () => {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });

  it('describes itself and defaults its identity', () => {
    const lock = new LeaseLock({ kubeConfig, name: 'op', namespace: 'ns' });
    expect(lock.description).to.equal('lease ns/op');
    expect(lock.identity).to.include('_');
    expect(lock.eventRecorder).to.not.be.undefined;
    expect(new LeaseLock({ kubeConfig, name: 'op', namespace: 'ns', events: false }).eventRecorder).to.be
      .undefined;
  });

  it('throws noNamespace outside a Pod without a namespace', () => {
    expect(() => new LeaseLock({ kubeConfig, name: 'op', namespaceFile: '/nonexistent/namespace' })).to.throw(
      LeaderElectionError,
      /lease op: no namespace/,
    );
  });

  it('is what createLeaseElector builds by default; configmaps on request', () => {
    const lease = createLeaseElector({
      kubeConfig,
      name: 'op',
      namespace: 'ns',
      identity: 'me',
      registry: null,
    });
    expect(lease.lockDescription).to.equal('lease ns/op');
    expect(lease.identity).to.equal('me');
    const configMap = createLeaseElector({
      kubeConfig,
      name: 'op',
      namespace: 'ns',
      lockKind: 'configmaps',
      registry: null,
    });
    expect(configMap.lockDescription).to.equal('configmap ns/op');
    expect(() => createLeaseElector({ kubeConfig, name: 'op', namespaceFile: '/nonexistent' })).to.throw(
      /no namespace/,
    );
  });

  it('names the ConfigMap lock after its object', () => {
    const lock = new ConfigMapLock({
      kubeConfig,
      name: 'op',
      namespace: 'ns',
      identity: 'me',
      events: false,
    });
    expect(lock.description).to.equal('configmap ns/op');
    expect(lock.identity).to.equal('me');
  });
});
