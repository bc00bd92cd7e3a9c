import diagnostics from 'node:diagnostics_channel';
import { expect } from 'chai';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import type { KubeObject } from '@kubekit/client';
import { PROTOCOLS, useEnvtestOver } from '../support/protocols.js';
import { useClients } from '../support/clients.js';

const group = 'mapper.example.com';

function crd(kind: string, plural: string): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      scope: 'Namespaced',
      versions: [
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
      ],
    },
  };
}

for (const protocol of PROTOCOLS) {
  describe(`REST mapper on envtest over ${protocol} (integration)`, function () {
    const env = useEnvtestOver(protocol);
    const client = useClients(env);
    /** Paths of the requests undici was given (envtest counts no discovery requests). */
    const paths: string[] = [];
    const onRequest = (message: unknown): void => {
      paths.push((message as { request: { path: string } }).request.path);
    };
    before(() => {
      diagnostics.subscribe('undici:request:create', onRequest);
    });
    after(() => {
      diagnostics.unsubscribe('undici:request:create', onRequest);
    });

    it('reads the discovery of a group version it has cached again when a kind is missing from it', async () => {
      const c = client();
      const object = (kind: string): KubeObject => ({
        apiVersion: `${group}/v1`,
        kind,
        metadata: { name: 'x', namespace: env.namespace },
      });
      const installed: string[] = [];
      try {
        await c.create(crd('Sprocket', 'sprockets'));
        installed.push(`sprockets.${group}`);
        paths.length = 0;
        await c.create(object('Sprocket'));
        const discovery = () => paths.filter((p) => p === `/apis/${group}/v1`).length;
        expect(discovery()).to.equal(1);
        await c.get({ apiVersion: `${group}/v1`, kind: 'Sprocket', name: 'x', namespace: env.namespace });
        expect(discovery()).to.equal(1); // cached

        await c.create(crd('Cog', 'cogs'));
        installed.push(`cogs.${group}`);
        const created = await c.create(object('Cog'));
        expect(created.metadata?.uid).to.be.a('string');
        expect(discovery()).to.equal(2);
        expect(env.counters.count({ verb: 'create', resource: 'cogs' })).to.equal(1);
      } finally {
        for (const name of installed) {
          await client().delete({
            apiVersion: 'apiextensions.k8s.io/v1',
            kind: 'CustomResourceDefinition',
            name,
          });
        }
      }
    });
  });
}
