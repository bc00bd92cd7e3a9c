import { writeFileSync } from 'node:fs';
import { expect } from 'chai';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';
import { selfSigned } from '../support/certificates.js';
import { clusterOf, kubeConfigWith, tempDir, tokenOf } from '../support/kube-configs.js';
import type { TempDir } from '../support/kube-configs.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';
import { useClients } from '../support/clients.js';

for (const protocol of PROTOCOLS) {
  describe(`CA rotation on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    const client = useClients(env);
    let dir: TempDir;

    beforeEach(() => {
      dir = tempDir();
    });
    afterEach(() => {
      dir.remove();
    });

    /** envtest's CA, PEM. */
    const envCa = (): string => {
      const caData = clusterOf(env.kubeConfig).caData;
      if (caData === undefined) throw new Error('envtest kubeconfig without caData');
      return Buffer.from(caData, 'base64').toString('utf8');
    };

    /**
     * Sends a GET, changes the CA (`rotate`: still trusting envtest, plus another CA), lets the
     * kept authentication expire, sends a GET again: a new dispatcher on a new TLS connection, and
     * the old one closed with its connection.
     */
    async function expectNewDispatcherAfter(kubeConfig: KubeConfig, rotate: () => void): Promise<void> {
      const clock = new VirtualClock();
      const c = client({ kubeConfig, clock, authCacheMs: 1000 });
      const get = () => c.transport.json({ method: 'GET', path: '/api/v1/namespaces/default' });
      // Over HTTP/1.1 the second request of a new dispatcher may open a second connection: warm up.
      await get();
      await get();
      const before = env.connectionStats();
      expect(c.transport.connections).to.deep.equal({ dispatchers: 1, retiring: 0 });
      // Nothing changed: the same dispatcher and connection after the authentication expires.
      clock.advance(1000);
      await get();
      expect(env.connectionStats().accepted).to.equal(before.accepted);

      rotate();
      clock.advance(1000);
      await get();
      expect(env.connectionStats().accepted).to.equal(before.accepted + 1);
      for (
        let i = 0;
        i < 250 && (c.transport.connections.retiring > 0 || env.connectionStats().open > 1);
        i++
      )
        await new Promise((r) => setTimeout(r, 20));
      expect(c.transport.connections).to.deep.equal({ dispatchers: 1, retiring: 0 });
      // The old dispatcher's connections closed: only the new one is open.
      expect(env.connectionStats().open, 'connections open').to.equal(1);
    }

    it('a changed CA file: a new dispatcher, the old one closed', async () => {
      const other = await selfSigned('other-ca');
      const caFile = dir.file('ca.crt');
      writeFileSync(caFile, envCa());
      const cluster = clusterOf(env.kubeConfig);
      const kubeConfig = kubeConfigWith(
        { name: 'ca-file', server: cluster.server, caFile, skipTLSVerify: false },
        { name: 'u', token: tokenOf(env.kubeConfig) },
      );
      await expectNewDispatcherAfter(kubeConfig, () => {
        writeFileSync(caFile, `${envCa()}\n${other.cert}`);
      });
    });

    it('changed caData: a new dispatcher, the old one closed', async () => {
      const other = await selfSigned('other-ca');
      const cluster = clusterOf(env.kubeConfig);
      const kubeConfig = kubeConfigWith(
        {
          name: 'ca-data',
          server: cluster.server,
          caData: Buffer.from(envCa()).toString('base64'),
          skipTLSVerify: false,
        },
        { name: 'u', token: tokenOf(env.kubeConfig) },
      );
      await expectNewDispatcherAfter(kubeConfig, () => {
        const current = kubeConfig.getCurrentCluster() as { caData?: string } & Cluster;
        current.caData = Buffer.from(`${envCa()}\n${other.cert}`).toString('base64');
      });
    });
  });
}
