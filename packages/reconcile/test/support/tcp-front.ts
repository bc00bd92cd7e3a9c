import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP port in front of a server (bytes piped both ways, TLS untouched) that can be taken down,
 * so that connecting to it is refused (ECONNREFUSED, as an API server that is not listening),
 * and brought back up on the same port.
 */
export class TcpFront {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** Opens a front for `target` (e.g. `https://127.0.0.1:PORT`) on a free port of 127.0.0.1. */
  static async open(target: string): Promise<TcpFront> {
    const url = new URL(target);
    const front = new TcpFront({ host: url.hostname, port: Number(url.port) });
    await front.up();
    return front;
  }

  get port(): number {
    return this.#port;
  }

  /** Listens (again, on the same port once it has one). */
  async up(): Promise<void> {
    if (this.#server !== undefined) return;
    const server = createServer((client) => {
      const upstream = createConnection(this.#target);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') this.#port = address.port;
    this.#server = server;
  }

  /** Stops listening and cuts every connection through it: new connections are refused. */
  async down(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
