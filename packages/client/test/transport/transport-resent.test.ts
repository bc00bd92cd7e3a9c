import { expect } from 'chai';
import { KubeClientError, Transport } from '@kubekit/client';
import { startFakeListServer } from '../support/fake-list-server.js';
import { rejectionOf } from '../support/rejection.js';

const path = '/api/v1/namespaces/ns/configmaps/lock';
const conflict = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason: 'Conflict',
  code: 409,
  message: 'the object has been modified',
});

type Answer = 'break' | '409' | '200' | '429' | '503';

/**
 * A fake API server whose answers to PUTs of `path` are, in turn, `answers`: `break` reads the
 * request and breaks its connection without an answer (as if it had been applied and the answer
 * lost), `409` answers Conflict, `200` the object, `429` and `503` ask to try again at once
 * (`Retry-After: 0`).
 */
async function startServer(answers: readonly Answer[]) {
  let puts = 0;
  const fake = await startFakeListServer((url, response) => {
    if (url.pathname !== path) {
      response.writeHead(404).end();
      return;
    }
    const answer = answers[puts++] ?? '200';
    response.req.resume();
    response.req.once('end', () => {
      switch (answer) {
        case 'break':
          response.socket?.destroy();
          return;
        case '409':
          response.writeHead(409, { 'content-type': 'application/json' }).end(conflict);
          return;
        case '429':
        case '503':
          response.writeHead(Number(answer), { 'retry-after': '0' }).end();
          return;
        case '200':
          response
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ metadata: { name: 'lock', resourceVersion: '2' } }));
          return;
      }
    });
  });
  return { ...fake, puts: () => puts };
}

describe('Transport', () => {
  describe('.text, for an idempotent write sent again', () => {
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    let transport: Transport | undefined;

    afterEach(async () => {
      await transport?.close(false);
      await server?.close();
      transport = undefined;
      server = undefined;
    });

    async function put(answers: readonly Answer[]): Promise<unknown> {
      server = await startServer(answers);
      transport = new Transport({ kubeConfig: server.kubeConfig, metrics: null, rateLimit: false });
      return transport.text({ method: 'PUT', path, body: '{}', idempotent: true, timeoutMs: 10_000 });
    }

    it('marks the 409 that answered the request sent again as resent (the first attempt may have landed)', async () => {
      const error = await rejectionOf(put(['break', '409']));
      expect(KubeClientError.is(error, 'api'), String(error)).to.be.true;
      expect((error as KubeClientError).code).to.equal(409);
      expect((error as KubeClientError).resent).to.be.true;
      expect((error as KubeClientError).message).to.contain('sent again');
      expect(server?.puts()).to.equal(2);
    });

    it('marks the 409 that answered the request sent again after a 5xx (it may come after the write was stored)', async () => {
      const error = await rejectionOf(put(['503', '409']));
      expect((error as KubeClientError).code).to.equal(409);
      expect((error as KubeClientError).resent).to.be.true;
      expect(server?.puts()).to.equal(2);
    });

    it('does not mark the 409 that answered the request sent again after a 429 (never processed)', async () => {
      const error = await rejectionOf(put(['429', '409']));
      expect((error as KubeClientError).code).to.equal(409);
      expect((error as KubeClientError).resent).to.be.false;
      expect(server?.puts()).to.equal(2);
    });

    it('does not mark a 409 to a request sent once', async () => {
      const error = await rejectionOf(put(['409']));
      expect(KubeClientError.is(error, 'api'), String(error)).to.be.true;
      expect((error as KubeClientError).resent).to.be.false;
      expect(server?.puts()).to.equal(1);
    });

    it('says so on an answer of any status through send', async () => {
      server = await startServer(['break', '200']);
      transport = new Transport({ kubeConfig: server.kubeConfig, metrics: null, rateLimit: false });
      const answer = await transport.send({ method: 'PUT', path, body: '{}', idempotent: true });
      expect(answer.status).to.equal(200);
      expect(answer.resent).to.be.true;
      const once = await transport.send({ method: 'PUT', path, body: '{}', idempotent: true });
      expect(once.resent).to.be.false;
    });
  });
});
