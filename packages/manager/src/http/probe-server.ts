import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManagerError } from '../manager-error.js';
import type { BindAddress } from './bind-address.js';

/** Answers one request; the server sends 404 for paths the handler does not know. */
export type RequestHandler = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;

/**
 * A small `node:http` server for the manager's probes and metrics: GET only, plain-text answers,
 * no keep-alive left open once it closes.
 */
export class ProbeServer {
  private server: Server | undefined;
  private boundPort: number | undefined;

  constructor(
    /** The option it serves, for messages (`healthProbeBindAddress`). */
    private readonly what: string,
    private readonly address: BindAddress,
    private readonly handler: RequestHandler,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The port it listens on, once listening. */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Binds the address. @throws ManagerError kind `bindFailed` when it cannot. */
  async listen(): Promise<number> {
    const server = createServer((request, response) => {
      this.serve(request, response).catch((error: unknown) => {
        this.onError(error);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('internal server error\n');
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.address.host, port: this.address.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error: unknown) {
      const where = `${this.address.host ?? ''}:${this.address.port}`;
      throw new ManagerError(
        'bindFailed',
        `${this.what}: cannot listen on ${where} (${(error as Error).message}); choose a free port or turn the server off`,
        { cause: error },
      );
    }
    server.on('error', this.onError);
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    return this.boundPort;
  }

  /** Stops listening and closes every connection, idle or not; resolves once closed. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    server.closeAllConnections();
    await closed;
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' });
      response.end('method not allowed\n');
      return;
    }
    await this.handler(request, response, url);
    if (!response.writableEnded) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('404 page not found\n');
    }
  }
}
