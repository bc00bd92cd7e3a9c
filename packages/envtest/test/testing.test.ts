import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import { EnvtestError } from '@kubekit/envtest';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually, raw } from './support/raw-client.js';

describe('useEnvtest', () => {
  const env = useEnvtest({ namespacePrefix: 'helper' });
  const namespaces: string[] = [];

  it('creates a fresh namespace for each test', async () => {
    namespaces.push(env.namespace);
    expect(env.namespace).to.match(/^helper-\d+-[0-9a-f]{6}$/);
    const ns = await env.kubeConfig.makeApiClient(CoreV1Api).readNamespace({ name: env.namespace });
    expect(ns.status?.phase).to.equal('Active');
    env.faults.add({ verb: 'get', resource: 'secrets', error: { code: 500 } });
  });

  it('deletes the namespace of the previous test and clears its faults', async () => {
    namespaces.push(env.namespace);
    expect(namespaces[1]).to.not.equal(namespaces[0]);
    await eventually(
      async () => (await raw(env, 'GET', `/api/v1/namespaces/${namespaces[0] ?? ''}`)).status === 404,
    );
    const secret = await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/secrets/none`);
    expect(secret.status).to.equal(404);
    expect(env.url).to.match(/^https:/);
    expect(env.counters.count({ verb: 'create', resource: 'namespaces' })).to.equal(0);
    expect(env.cluster).to.have.property('setNodeReady');
  });
});

describe('useEnvtest outside its tests', () => {
  const env = useEnvtest();
  let namespaceOutside: unknown;

  before(() => {
    try {
      namespaceOutside = env.namespace;
    } catch (error) {
      namespaceOutside = error;
    }
  });

  it('throws EnvtestError notRunning for env.namespace outside a test', () => {
    expect(EnvtestError.is(namespaceOutside, 'notRunning')).to.equal(true);
  });
});
