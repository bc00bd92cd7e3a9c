import { expect } from 'chai';
import { createClient, KubeClientError } from '@kubekit/client';
import { MAX_BODY_BYTES } from '#lib/transport/body-buffer.js';
import { startFakeListServer, within } from '../support/fake-list-server.js';
import { rejectionOf } from '../support/rejection.js';

describe('collecting an answer from a server that announces more than a string can hold', () => {
  it('fails the request as soon as the head arrives, not at its deadline, and reserves nothing for it', async () => {
    const server = await startFakeListServer((_url, response) => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(MAX_BODY_BYTES + 1),
      });
      response.write('{"kind":"ConfigMapList","items":['); // then nothing more
    });
    const client = createClient({ kubeConfig: server.kubeConfig, metrics: null, rateLimit: false });
    try {
      const before = process.memoryUsage().arrayBuffers;
      const error = await within(
        rejectionOf(client.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' })),
        5_000,
        'the request waited for the body (its deadline is 60 s)',
      );
      expect(KubeClientError.is(error), String(error)).to.equal(true);
      expect(String((error as Error).cause)).to.match(/announces \d+ bytes, more than/);
      expect(process.memoryUsage().arrayBuffers - before).to.be.below(2 ** 20);
    } finally {
      await client.close(false);
      await server.close();
    }
  });
});
