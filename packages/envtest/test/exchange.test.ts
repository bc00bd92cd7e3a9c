import { createServer, request } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { writeBody, writeHead } from '#lib/http/exchange.js';

/** A plain HTTP/1.1 server whose only response streams the pieces `respond` writes. */
async function streamingServer(respond: (response: ServerResponse) => void): Promise<Server> {
  const server = createServer((_request, response) => {
    respond(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** GETs `/` and resolves with the decoded body and its Transfer-Encoding. */
function fetchBody(server: Server): Promise<{ body: string; encoding: string | undefined }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ body, encoding: res.headers['transfer-encoding'] });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('exchange', () => {
  describe('writeBody', () => {
    let server: Server | undefined;

    afterEach(async () => {
      const closing = server;
      server = undefined;
      if (closing) await new Promise((resolve) => closing.close(resolve));
    });

    it('hands an HTTP/1.1 chunk to the socket before it returns (no write left for the next tick)', async () => {
      const pending: number[] = [];
      server = await streamingServer((response) => {
        writeHead(response, 200, ['Content-Type', 'application/json'], true);
        for (const piece of ['{"a":1}\n', Buffer.from('{"b":2}\n')]) {
          writeBody(response, piece);
          pending.push(response.socket?.writableLength ?? -1);
        }
        response.end();
      });
      const { body, encoding } = await fetchBody(server);
      expect(pending).to.deep.equal([0, 0]);
      expect(encoding).to.equal('chunked');
      expect(body).to.equal('{"a":1}\n{"b":2}\n');
    });
  });
});
