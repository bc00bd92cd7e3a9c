import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import sinon from 'sinon';
import { assertHeaderSafe, ConnectionError, Http1Pool } from '#lib/kube/http1-pool.js';
import type { ResponseSink } from '#lib/kube/http1-pool.js';

// A plain TCP server writes scripted raw bytes, so each test controls the framing exactly. To make a
// split land in separate reads on the client, `net.connect` is wrapped to count the bytes the pool's
// `onread` callback has consumed, and the server writes the next piece only once the previous one
// has been read.

/** Bytes read by every client connection so far, and a way to wait for a total. */
class ClientReads {
  total = 0;
  private waiters: { target: number; resolve: () => void }[] = [];

  add(size: number): void {
    this.total += size;
    const ready = this.waiters.filter((waiter) => waiter.target <= this.total);
    this.waiters = this.waiters.filter((waiter) => waiter.target > this.total);
    for (const waiter of ready) waiter.resolve();
  }

  reach(target: number): Promise<void> {
    if (target <= this.total) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ target, resolve });
    });
  }
}

interface ReceivedRequest {
  readonly socket: net.Socket;
  readonly raw: Buffer;
}

/** Accepts connections and hands out each complete request (head, plus a Content-Length body). */
class ScriptedServer {
  readonly server = net.createServer();
  readonly sockets: net.Socket[] = [];
  connections = 0;
  private readonly requests: ReceivedRequest[] = [];
  private readonly waiters: ((request: ReceivedRequest) => void)[] = [];

  constructor() {
    this.server.on('connection', (socket) => {
      this.connections += 1;
      this.sockets.push(socket);
      // Writes after the client has gone away may fail; the tests look at the client side.
      socket.on('error', () => undefined);
      socket.setNoDelay(true);
      let buffered = Buffer.alloc(0);
      socket.on('data', (data: Buffer) => {
        buffered = Buffer.concat([buffered, data]);
        for (;;) {
          const headEnd = buffered.indexOf('\r\n\r\n');
          if (headEnd < 0) return;
          const length = /\r\ncontent-length: *(\d+)/i.exec(buffered.toString('latin1', 0, headEnd));
          const end = headEnd + 4 + Number(length?.[1] ?? 0);
          if (buffered.length < end) return;
          this.deliver({ socket, raw: buffered.subarray(0, end) });
          buffered = buffered.subarray(end);
        }
      });
    });
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The next complete request, on whichever connection it came. */
  request(): Promise<ReceivedRequest> {
    const queued = this.requests.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.waiters.push(resolve);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  private deliver(request: ReceivedRequest): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) this.requests.push(request);
    else waiter(request);
  }
}

/** Collects what a sink hears; `done` settles at the first `end` or `error`. */
class Recorder implements ResponseSink {
  statusCode: number | undefined;
  headers: IncomingHttpHeaders | undefined;
  statusMessage: string | undefined;
  readonly chunks: Buffer[] = [];
  readonly events: string[] = [];
  readonly errors: Error[] = [];
  readonly done: Promise<void>;
  private settle: () => void = () => undefined;

  constructor(private readonly onData?: (chunk: Buffer) => void) {
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  get settled(): boolean {
    return this.events.includes('end') || this.events.includes('error');
  }

  get body(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  get connectionError(): ConnectionError {
    expect(this.errors).to.have.length(1);
    const error = this.errors[0];
    expect(error).to.be.instanceOf(ConnectionError);
    return error as ConnectionError;
  }

  start(statusCode: number, headers: IncomingHttpHeaders, statusMessage: string | undefined): void {
    this.events.push('start');
    this.statusCode = statusCode;
    this.headers = headers;
    this.statusMessage = statusMessage;
  }

  data(chunk: Buffer): void {
    this.events.push('data');
    this.chunks.push(chunk);
    this.onData?.(chunk);
  }

  end(): void {
    this.events.push('end');
    this.settle();
  }

  error(error: Error): void {
    this.events.push('error');
    this.errors.push(error);
    this.settle();
  }
}

function closed(socket: net.Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => {
      resolve();
    });
  });
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

describe('Http1Pool', function () {
  this.timeout(2000);
  let reads: ClientReads;
  let server: ScriptedServer;
  let port: number;
  let pool: Http1Pool;
  const extraServers: ScriptedServer[] = [];

  beforeEach(async () => {
    reads = new ClientReads();
    const connect = net.connect.bind(net) as (options: net.NetConnectOpts) => net.Socket;
    const tracked = (options: net.NetConnectOpts): net.Socket => {
      const onread = 'onread' in options ? options.onread : undefined;
      if (onread === undefined) return connect(options);
      const counter = reads;
      return connect({
        ...options,
        onread: {
          buffer: onread.buffer,
          callback: (size: number, buffer: Uint8Array): boolean => {
            const result = onread.callback(size, buffer);
            counter.add(size);
            return result;
          },
        },
      });
    };
    sinon.replace(net, 'connect', tracked as typeof net.connect);
    server = new ScriptedServer();
    port = await server.listen();
    pool = new Http1Pool({ host: '127.0.0.1', port, tls: undefined });
  });

  afterEach(async () => {
    pool.close();
    sinon.restore();
    await server.close();
    for (const extra of extraServers.splice(0)) await extra.close();
  });

  /**
   * Writes each piece once the client has read everything before it, so no two pieces share a read.
   * Stops early if `recorder` settles (the client may close the connection on an error).
   */
  async function feed(socket: net.Socket, recorder: Recorder, pieces: readonly string[]): Promise<void> {
    let target = reads.total;
    for (const piece of pieces) {
      if (recorder.settled) return;
      const bytes = Buffer.from(piece, 'latin1');
      target += bytes.length;
      socket.write(bytes);
      await Promise.race([reads.reach(target), recorder.done]);
    }
  }

  /** Sends one GET and answers it with `ok`: the pool still works. */
  async function expectWorks(target: ScriptedServer = server, on: Http1Pool = pool): Promise<net.Socket> {
    const recorder = new Recorder();
    on.dispatch('GET', '/again', '', undefined, recorder);
    const { socket } = await target.request();
    socket.write(ok);
    await recorder.done;
    expect(recorder.events).to.deep.equal(['start', 'data', 'end']);
    expect(recorder.body).to.equal('ok');
    return socket;
  }

  /** Waits for the server side of `socket` to close and one more turn, then checks `recorder` heard one event. */
  async function settled(socket: net.Socket, recorder: Recorder): Promise<void> {
    await recorder.done;
    await closed(socket);
    await tick();
    expect(recorder.events.filter((event) => event === 'end' || event === 'error')).to.have.length(1);
  }

  describe('reading answers', () => {
    it('reads a Content-Length body split inside the status line, the blank line and the body', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      await feed(socket, recorder, [
        'HTTP/1.1 2',
        '00 All Good\r\nContent-Type: text/plain\r\nX-Custom-Header: Some Value\r\nContent-Length: 11\r\n\r',
        '\n',
        'hello',
        ' wor',
        'ld',
      ]);
      await recorder.done;
      expect(recorder.statusCode).to.equal(200);
      expect(recorder.statusMessage).to.equal('All Good');
      expect(recorder.headers).to.deep.equal({
        'content-type': 'text/plain',
        'x-custom-header': 'Some Value',
        'content-length': '11',
      });
      expect(recorder.body).to.equal('hello world');
      expect(recorder.chunks.length).to.be.greaterThan(1);
      await tick();
      expect(recorder.events.filter((event) => event === 'end')).to.have.length(1);
      expect(recorder.events.at(-1)).to.equal('end');
    });

    it('reads a head whose closing CRLFCRLF is split after each of its first three bytes', async () => {
      for (const split of ['\r', '\r\n', '\r\n\r']) {
        const recorder = new Recorder();
        pool.dispatch('GET', '/path', '', undefined, recorder);
        const { socket } = await server.request();
        const head = 'HTTP/1.1 200 OK\r\nContent-Length: 3';
        await feed(socket, recorder, [head + split, '\r\n\r\n'.slice(split.length) + 'abc']);
        await recorder.done;
        expect(recorder.statusCode).to.equal(200);
        expect(recorder.body).to.equal('abc');
      }
      expect(server.connections).to.equal(1);
    });

    it('reads a chunked body with chunk extensions and trailers, split inside size lines and after data', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      await feed(socket, recorder, [
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
        '5;fo',
        'o=bar\r\nhel',
        'lo',
        '\r\nA\r\n, chunked ',
        '\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Tra',
        'iler: yes\r\nX-Other: 1\r\n',
        '\r\n',
      ]);
      await recorder.done;
      expect(recorder.statusCode).to.equal(200);
      expect(recorder.headers).to.deep.equal({ 'transfer-encoding': 'chunked' });
      expect(recorder.body).to.equal('hello, chunked abcdefghijklmnopqrstuvwxyz');
      expect(recorder.events.at(-1)).to.equal('end');
      expect(recorder.events.filter((event) => event === 'end')).to.have.length(1);
      // The connection is reused: the trailers were consumed to the end.
      await expectWorks();
      expect(server.connections).to.equal(1);
    });

    const crSplits: [string, string[]][] = [
      ['a chunk-size line', ['5\r', '\nhello\r\n0\r\n\r\n']],
      ["a chunk's data", ['5\r\nhello\r', '\n0\r\n\r\n']],
      ['the last-chunk line', ['5\r\nhello\r\n0\r', '\n\r\n']],
      ['the blank line ending the trailers', ['5\r\nhello\r\n0\r\n\r', '\n']],
    ];
    for (const [where, pieces] of crSplits) {
      it(`reads a chunked body whose CRLF after ${where} is split between CR and LF`, async () => {
        const recorder = new Recorder();
        pool.dispatch('GET', '/path', '', undefined, recorder);
        const { socket } = await server.request();
        await feed(socket, recorder, ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', ...pieces]);
        // The client has read every byte: the answer must be complete by now.
        expect(recorder.errors.map(String)).to.deep.equal([]);
        expect(recorder.events.at(-1)).to.equal('end');
        expect(recorder.body).to.equal('hello');
      });
    }

    it('skips a 100 Continue before the real answer', async () => {
      const recorder = new Recorder();
      pool.dispatch('PUT', '/path', '', 'x', recorder);
      const { socket } = await server.request();
      await feed(socket, recorder, [
        'HTTP/1.1 100 Continue\r\n\r\n',
        'HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone',
      ]);
      await recorder.done;
      expect(recorder.events).to.deep.equal(['start', 'data', 'end']);
      expect(recorder.statusCode).to.equal(201);
      expect(recorder.statusMessage).to.equal('Created');
      expect(recorder.body).to.equal('done');
    });

    it('skips a 100 Continue arriving in the same read as the real answer', async () => {
      const recorder = new Recorder();
      pool.dispatch('PUT', '/path', '', 'x', recorder);
      const { socket } = await server.request();
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      await recorder.done;
      expect(recorder.events).to.deep.equal(['start', 'data', 'end']);
      expect(recorder.statusCode).to.equal(200);
    });

    it('completes a 204 with no body and keeps the connection', async () => {
      const recorder = new Recorder();
      pool.dispatch('DELETE', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      await recorder.done;
      expect(recorder.events).to.deep.equal(['start', 'end']);
      expect(recorder.statusCode).to.equal(204);
      await expectWorks();
      expect(server.connections).to.equal(1);
    });

    it('completes an answer with Content-Length 0', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      await recorder.done;
      expect(recorder.events).to.deep.equal(['start', 'end']);
    });

    it('joins repeated headers with a comma and accepts a status line without a reason phrase', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.write('HTTP/1.1 200\r\nWarning: one\r\nwarning:two\r\nContent-Length: 0\r\n\r\n');
      await recorder.done;
      expect(recorder.statusCode).to.equal(200);
      expect(recorder.statusMessage).to.equal(undefined);
      expect(recorder.headers?.warning).to.equal('one, two');
    });
  });

  describe('connections', () => {
    it('sends exact request bytes and reuses one connection for sequential requests', async () => {
      const first = new Recorder();
      pool.dispatch('GET', '/path', 'Accept: application/json\r\n', undefined, first);
      const a = await server.request();
      expect(a.raw.toString('latin1')).to.equal(
        `GET /path HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: application/json\r\n\r\n`,
      );
      a.socket.write(ok);
      await first.done;

      const second = new Recorder();
      pool.dispatch('POST', '/items?x=1', 'Content-Type: text/plain\r\n', 'é', second);
      const b = await server.request();
      expect(b.raw).to.deep.equal(
        Buffer.from(
          `POST /items?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/plain\r\n` +
            'Content-Length: 2\r\n\r\né',
          'utf8',
        ),
      );
      b.socket.write(ok);
      await second.done;
      expect(second.body).to.equal('ok');
      expect(b.socket).to.equal(a.socket);
      expect(server.connections).to.equal(1);
    });

    it('opens a second connection for a request sent while the first is busy', async () => {
      const first = new Recorder();
      const second = new Recorder();
      pool.dispatch('GET', '/one', '', undefined, first);
      pool.dispatch('GET', '/two', '', undefined, second);
      const a = await server.request();
      const b = await server.request();
      expect(a.socket).to.not.equal(b.socket);
      a.socket.write(ok);
      b.socket.write(ok);
      await Promise.all([first.done, second.done]);
      expect(server.connections).to.equal(2);
    });

    it('closes the connection after an answer with Connection: close, and opens a new one next', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
      await recorder.done;
      expect(recorder.events).to.deep.equal(['start', 'data', 'end']);
      await closed(socket);
      await tick();
      expect(recorder.events).to.deep.equal(['start', 'data', 'end']);
      await expectWorks();
      expect(server.connections).to.equal(2);
    });

    it('reads a body delimited by the connection closing, and opens a new connection next', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      await feed(socket, recorder, [
        'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n',
        'until ',
        'close',
      ]);
      expect(recorder.events).to.deep.equal(['start', 'data', 'data']);
      socket.end();
      await settled(socket, recorder);
      expect(recorder.events.at(-1)).to.equal('end');
      expect(recorder.errors).to.deep.equal([]);
      expect(recorder.body).to.equal('until close');
      await expectWorks();
      expect(server.connections).to.equal(2);
    });

    for (const [title, answer] of [
      [
        'closes an HTTP/1.0 answer without keep-alive after it completes',
        'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok',
      ],
      [
        'closes at once a connection whose Keep-Alive timeout is too short to reuse it',
        'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok',
      ],
    ] as const) {
      it(title, async () => {
        const recorder = new Recorder();
        pool.dispatch('GET', '/path', '', undefined, recorder);
        const { socket } = await server.request();
        socket.write(answer);
        await recorder.done;
        await closed(socket);
        await expectWorks();
        expect(server.connections).to.equal(2);
      });
    }

    it('closes an idle connection after idleTimeoutMs', async () => {
      const quick = new Http1Pool({ host: '127.0.0.1', port, tls: undefined, idleTimeoutMs: 20 });
      try {
        const socket = await expectWorks(server, quick);
        await closed(socket);
        await expectWorks(server, quick);
        expect(server.connections).to.equal(2);
      } finally {
        quick.close();
      }
    });

    it('does not hand out an idle connection the server has closed', async () => {
      const socket = await expectWorks();
      socket.end();
      // The server side closes only after the client has answered the FIN with its own.
      await closed(socket);
      await tick();
      const next = await expectWorks();
      expect(next).to.not.equal(socket);
      expect(server.connections).to.equal(2);
    });

    it('fails the exchanges under way on close()', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      pool.close();
      await settled(socket, recorder);
      expect(recorder.connectionError.code).to.equal('ECONNRESET');
      expect(recorder.connectionError.answered).to.equal(false);
    });
  });

  describe('failures', () => {
    it('fails with ECONNRESET, answered, when the server closes mid-body', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      await feed(socket, recorder, ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc']);
      socket.end();
      await settled(socket, recorder);
      expect(recorder.events).to.deep.equal(['start', 'data', 'error']);
      expect(recorder.connectionError.code).to.equal('ECONNRESET');
      expect(recorder.connectionError.answered).to.equal(true);
      await expectWorks();
    });

    it('fails with ECONNRESET, not answered, when the server closes before answering', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.end();
      await settled(socket, recorder);
      expect(recorder.events).to.deep.equal(['error']);
      expect(recorder.connectionError.code).to.equal('ECONNRESET');
      expect(recorder.connectionError.answered).to.equal(false);
      await expectWorks();
    });

    it('fails with ECONNRESET, not answered, when the server closes inside the head', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      await feed(socket, recorder, ['HTTP/1.1 200 OK\r\nContent-Le']);
      socket.end();
      await settled(socket, recorder);
      expect(recorder.connectionError.code).to.equal('ECONNRESET');
      expect(recorder.connectionError.answered).to.equal(false);
      await expectWorks();
    });

    it('fails with EPROTO on a garbage status line', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.write('SSH-2.0-OpenSSH\r\n\r\n');
      await settled(socket, recorder);
      expect(recorder.events).to.deep.equal(['error']);
      expect(recorder.connectionError.code).to.equal('EPROTO');
      expect(recorder.connectionError.answered).to.equal(false);
      await expectWorks();
    });

    it('fails with EPROTO on a header line without a colon', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.write('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n');
      await settled(socket, recorder);
      expect(recorder.connectionError.code).to.equal('EPROTO');
      await expectWorks();
    });

    it('fails with EPROTO on an invalid Content-Length or an unknown Transfer-Encoding', async () => {
      for (const header of ['Content-Length: -1', 'Content-Length: 1, 2', 'Transfer-Encoding: gzip']) {
        const recorder = new Recorder();
        pool.dispatch('GET', '/path', '', undefined, recorder);
        const { socket } = await server.request();
        socket.write(`HTTP/1.1 200 OK\r\n${header}\r\n\r\n`);
        await settled(socket, recorder);
        expect(recorder.connectionError.code).to.equal('EPROTO');
      }
      await expectWorks();
    });

    it('fails with EPROTO on a header block that grows past 64 KiB without ending', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n`);
      await settled(socket, recorder);
      expect(recorder.events).to.deep.equal(['error']);
      expect(recorder.connectionError.code).to.equal('EPROTO');
      await expectWorks();
    });

    it('fails with EPROTO on a complete header block over 64 KiB', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      // 66,000 bytes in all: the first 65,000 in one piece, the rest (with the blank line) in another.
      const head = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(66_000 - 47)}\r\nContent-Length: 0\r\n\r\n`;
      expect(head.length).to.equal(66_000);
      await feed(socket, recorder, [head.slice(0, 65_000), head.slice(65_000)]);
      await recorder.done;
      expect(recorder.events).to.deep.equal(['error']);
      expect(recorder.connectionError.code).to.equal('EPROTO');
    });

    it('fails with EPROTO, answered, on a bad chunk size', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n');
      await settled(socket, recorder);
      expect(recorder.events).to.deep.equal(['start', 'data', 'error']);
      expect(recorder.connectionError.code).to.equal('EPROTO');
      expect(recorder.connectionError.answered).to.equal(true);
      await expectWorks();
    });

    it('fails with EPROTO when a chunk is longer than its size', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n');
      await settled(socket, recorder);
      expect(recorder.connectionError.code).to.equal('EPROTO');
      await expectWorks();
    });

    it('closes a connection that sends bytes after a complete answer', async () => {
      const recorder = new Recorder();
      pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.write(`${ok}HTTP/1.1 200 OK\r\n`);
      await settled(socket, recorder);
      expect(recorder.events).to.deep.equal(['start', 'data', 'end']);
      await expectWorks();
      expect(server.connections).to.equal(2);
    });

    it('fails with ECONNREFUSED when nothing listens, then works once a server does', async () => {
      const gone = new ScriptedServer();
      const gonePort = await gone.listen();
      await gone.close();
      const refused = new Http1Pool({ host: '127.0.0.1', port: gonePort, tls: undefined });
      try {
        const recorder = new Recorder();
        refused.dispatch('GET', '/path', '', undefined, recorder);
        await recorder.done;
        await tick();
        expect(recorder.events).to.deep.equal(['error']);
        expect(recorder.connectionError.code).to.equal('ECONNREFUSED');
        expect(recorder.connectionError.answered).to.equal(false);
        // The same port, listening again: the pool recovers.
        const back = new ScriptedServer();
        extraServers.push(back);
        await back.listen(gonePort);
        await expectWorks(back, refused);
      } finally {
        refused.close();
      }
    });
  });

  describe('abort', () => {
    it('stops the sink and closes the socket when aborted mid-response', async () => {
      // Aborts from inside the first `data` call, so nothing can slip in between.
      const recorder = new Recorder(() => {
        exchange.abort(new Error('x'));
      });
      const exchange = pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      await feed(socket, recorder, ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc']);
      socket.write('defghij');
      await closed(socket);
      await tick();
      expect(recorder.events).to.deep.equal(['start', 'data']);
      expect(recorder.body).to.equal('abc');
      await expectWorks();
      expect(server.connections).to.equal(2);
    });

    it('stops the sink when aborted before any answer', async () => {
      const recorder = new Recorder();
      const exchange = pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      exchange.abort(new Error('x'));
      await closed(socket);
      await tick();
      expect(recorder.events).to.deep.equal([]);
      await expectWorks();
    });

    it('ignores an abort after the exchange completed, leaving the connection to the next request', async () => {
      const recorder = new Recorder();
      const exchange = pool.dispatch('GET', '/path', '', undefined, recorder);
      const { socket } = await server.request();
      socket.write(ok);
      await recorder.done;
      const next = new Recorder();
      pool.dispatch('GET', '/next', '', undefined, next);
      exchange.abort(new Error('late'));
      const again = await server.request();
      expect(again.socket).to.equal(socket);
      socket.write(ok);
      await next.done;
      expect(next.events).to.deep.equal(['start', 'data', 'end']);
    });
  });

  describe('assertHeaderSafe', () => {
    it('throws a TypeError for a value containing CR, LF or NUL', () => {
      for (const value of ['a\rb', 'a\nb', 'a\0b', 'x\r\nInjected: yes']) {
        expect(() => {
          assertHeaderSafe(value, 'the header');
        }).to.throw(TypeError, /the header/);
      }
    });

    it('accepts ordinary values', () => {
      for (const value of ['', 'Bearer abc.def-ghi_jkl', 'application/json; charset=utf-8', 'é ü\t']) {
        expect(() => {
          assertHeaderSafe(value, 'the header');
        }).to.not.throw();
      }
    });
  });
});
