import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { isUnauthorized, loadKubeConfig } from '@kubekit/client';
import { clusterOf, tempDir, tokenOf } from '../support/kube-configs.js';
import type { TempDir } from '../support/kube-configs.js';
import { rejectionOf } from '../support/rejection.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';
import { useClients } from '../support/clients.js';

/** Where client-node's `loadFromCluster(prefix)` looks for the service account's files. */
const serviceAccount = '/var/run/secrets/kubernetes.io/serviceaccount';

for (const protocol of PROTOCOLS) {
  describe(`a rotated token file on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    const client = useClients(env);
    let dir: TempDir;
    let saved: { host: string | undefined; port: string | undefined };

    beforeEach(() => {
      dir = tempDir();
      saved = {
        host: process.env['KUBERNETES_SERVICE_HOST'],
        port: process.env['KUBERNETES_SERVICE_PORT'],
      };
    });
    afterEach(() => {
      dir.remove();
      const restore = (name: string, value: string | undefined): void => {
        if (value === undefined) Reflect.deleteProperty(process.env, name);
        else process.env[name] = value;
      };
      restore('KUBERNETES_SERVICE_HOST', saved.host);
      restore('KUBERNETES_SERVICE_PORT', saved.port);
    });

    /** A token envtest knows: a new admin user's. */
    const newToken = (user: string): string => {
      env.addUser(user);
      return tokenOf(env.kubeConfigFor(user));
    };
    const getDefault = (kubeConfig: KubeConfig, clock: VirtualClock) => {
      // Time stands still: neither the kept authentication nor the token read expires by age.
      const c = client({ kubeConfig, clock });
      return () => c.transport.json({ method: 'GET', path: '/api/v1/namespaces/default' });
    };

    it('in-cluster (loadFromCluster): reads the token file again after a 401 and sends the request once more', async () => {
      const prefix = dir.path;
      const tokenFile = join(prefix, serviceAccount, 'token');
      mkdirSync(dirname(tokenFile), { recursive: true });
      const caData = clusterOf(env.kubeConfig).caData;
      if (caData === undefined) throw new Error('envtest kubeconfig without caData');
      writeFileSync(join(prefix, serviceAccount, 'ca.crt'), Buffer.from(caData, 'base64'));
      writeFileSync(join(prefix, serviceAccount, 'namespace'), env.namespace);
      writeFileSync(tokenFile, 'unknown-to-envtest\n');
      const url = new URL(env.url);
      process.env['KUBERNETES_SERVICE_HOST'] = url.hostname;
      process.env['KUBERNETES_SERVICE_PORT'] = url.port;
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromCluster(prefix);

      const get = getDefault(kubeConfig, new VirtualClock());
      const refused = await rejectionOf(get());
      expect(isUnauthorized(refused), String(refused)).to.be.true;

      writeFileSync(tokenFile, `${newToken('rotated-in-cluster')}\n`);
      env.counters.reset();
      await get();
      // The first attempt still carried the old token (401); the one sent again read the file.
      expect(env.counters.count({ user: 'rotated-in-cluster' })).to.equal(1);
    });

    it('kubeconfig token-file (loadKubeConfig): reads the file again after a 401 and sends the request once more', async () => {
      const tokenFile = dir.file('token');
      writeFileSync(tokenFile, 'unknown-to-envtest');
      const cluster = clusterOf(env.kubeConfig);
      const kubeconfigFile = dir.file('config');
      writeFileSync(
        kubeconfigFile,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'envtest',
              cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData },
            },
          ],
          users: [{ name: 'file-user', user: { 'token-file': tokenFile } }],
          contexts: [{ name: 'c', context: { cluster: 'envtest', user: 'file-user' } }],
          'current-context': 'c',
        }),
      );
      const kubeConfig = loadKubeConfig(kubeconfigFile);

      const get = getDefault(kubeConfig, new VirtualClock());
      const refused = await rejectionOf(get());
      expect(isUnauthorized(refused), String(refused)).to.be.true;

      writeFileSync(tokenFile, newToken('rotated-file'));
      env.counters.reset();
      await get();
      expect(env.counters.count({ user: 'rotated-file' })).to.equal(1);
    });

    it('kubeconfig token-file: re-reads the file once a minute of clock time without a 401', async () => {
      const tokenFile = dir.file('token');
      writeFileSync(tokenFile, newToken('first-file'));
      const cluster = clusterOf(env.kubeConfig);
      const kubeconfigFile = dir.file('config');
      writeFileSync(
        kubeconfigFile,
        JSON.stringify({
          clusters: [
            {
              name: 'envtest',
              cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData },
            },
          ],
          // Relative: resolved against the kubeconfig's folder.
          users: [{ name: 'file-user', user: { 'token-file': 'token' } }],
          contexts: [{ name: 'c', context: { cluster: 'envtest', user: 'file-user' } }],
          'current-context': 'c',
        }),
      );
      const kubeConfig = loadKubeConfig(kubeconfigFile);
      const clock = new VirtualClock();
      const get = getDefault(kubeConfig, clock);
      await get();
      writeFileSync(tokenFile, newToken('second-file'));
      env.counters.reset();
      clock.advance(59_000); // the kept authentication (authCacheMs 1000) expires, the token read does not
      await get();
      expect(env.counters.snapshot()).to.deep.equal({ 'first-file get namespaces': 1 });
      clock.advance(1000); // a minute after the read
      env.counters.reset();
      await get();
      expect(env.counters.snapshot()).to.deep.equal({ 'second-file get namespaces': 1 });
    });
  });
}
