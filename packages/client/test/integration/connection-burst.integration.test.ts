import { expect } from 'chai';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';
import { useClients } from '../support/clients.js';

/**
 * How many connections a cold client opens for a burst of concurrent calls, counted by envtest
 * (TLS handshakes it completed). client-go's HTTP/2 transport dials once per server and carries
 * every request of a burst as a stream of that connection, up to the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS (1000 on kube-apiserver and envtest); over HTTP/1.1 a burst
 * fans out over keep-alive connections.
 */
for (const protocol of PROTOCOLS) {
  describe(`a burst from a cold client on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    const coldClient = useClients(env);
    const cm = (name: string): ConfigMap => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: env.namespace },
    });
    const configMaps = () => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: env.namespace });
    /** Runs `burst` and resolves with the connections envtest accepted meanwhile. */
    async function connectionsOf(burst: () => Promise<unknown>): Promise<number> {
      const before = env.connectionStats().accepted;
      await burst();
      return env.connectionStats().accepted - before;
    }

    it(`sends 100 concurrent creates over ${protocol === 'h2' ? 'one connection' : 'several keep-alive connections'}`, async () => {
      const client = coldClient();
      const connections = await connectionsOf(() =>
        Promise.all(Array.from({ length: 100 }, (_, i) => client.create(cm(`c${i}`)))),
      );
      expect((await client.list(configMaps())).items).to.have.length(100);
      if (protocol === 'h2') expect(connections).to.equal(1);
      // The discovery request goes first, alone; then up to one connection per create.
      else expect(connections).to.be.within(2, 101);
    });

    it(`sends 1000 concurrent reads over ${protocol === 'h2' ? 'one connection (the server allows 1000 streams)' : 'several keep-alive connections'}`, async () => {
      const client = coldClient();
      await coldClient().create(cm('x'));
      // Over HTTP/1.1 a burst this size opens a connection per read: 100 show the fan-out.
      const count = protocol === 'h2' ? 1000 : 100;
      const connections = await connectionsOf(() =>
        Promise.all(
          Array.from({ length: count }, () =>
            client.transport.json({
              method: 'GET',
              path: `/api/v1/namespaces/${env.namespace}/configmaps/x`,
            }),
          ),
        ),
      );
      if (protocol === 'h2') expect(connections).to.equal(1);
      else expect(connections).to.be.within(2, count);
    });

    it(`carries 100 watches and 100 requests started together over ${protocol === 'h2' ? 'one connection' : 'a connection per watch and keep-alive connections'}`, async () => {
      const client = coldClient();
      await coldClient().create(cm('before'));
      const stop = new AbortController();
      const iterators = Array.from({ length: 100 }, () => {
        const watch = client.watch<ConfigMap>(configMaps(), { resourceVersion: '0', signal: stop.signal });
        return watch[Symbol.asyncIterator]();
      });
      try {
        const connections = await connectionsOf(() =>
          Promise.all([
            ...iterators.map((events) => events.next()),
            ...Array.from({ length: 100 }, () => client.get({ ...configMaps(), name: 'before' })),
          ]),
        );
        expect(env.connectionStats().watches).to.equal(100);
        if (protocol === 'h2') expect(connections).to.equal(1);
        else expect(connections).to.be.within(101, 201);
      } finally {
        stop.abort();
        await Promise.allSettled(iterators.map((events) => events.return()));
      }
    });
  });
}
