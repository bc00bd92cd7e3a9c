import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

/** Receives one response. `data` chunks are the receiver's to keep. */
export interface ResponseSink {
  start(statusCode: number, headers: IncomingHttpHeaders, statusMessage: string | undefined): void;
  data(chunk: Buffer): void;
  end(): void;
  error(error: Error): void;
}

/** One request in flight; `abort` ends it at once (the sink hears nothing more). */
export interface Exchange {
  abort(reason: Error): void;
}

/** Where a pool connects: `tls` undefined means plain TCP (an `http://` server). */
export interface Http1PoolOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: tls.ConnectionOptions | undefined;
  /** Idle connections close after this long (default 30 s), or sooner if the server says so. */
  readonly idleTimeoutMs?: number;
}

/** A response header block larger than this is refused. */
const maxHeaderBytes = 64 * 1024;
/** Every connection reads into one buffer of this size (`onread`): no stream machinery per read. */
const readBufferBytes = 64 * 1024;
const lf = 0x0a;

/** The connection failed or closed before the answer was complete. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  constructor(
    message: string,
    /** `ECONNRESET` when the connection closed early, otherwise the socket's own code. */
    readonly code: string,
    /** Whether part of the answer had come (then the request may have taken effect). */
    readonly answered: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A header name or value that would break the request's framing (CR, LF or NUL). */
export function assertHeaderSafe(text: string, what: string): void {
  if (/[\r\n\0]/.test(text)) throw new TypeError(`${what} contains a line break or NUL: refusing to send it`);
}

type BodyMode =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; left: number }
  | { readonly kind: 'chunked'; state: 'size' | 'data' | 'data-end' | 'trailers'; left: number }
  | { readonly kind: 'until-close' };

/**
 * One keep-alive HTTP/1.1 connection, one exchange at a time. Reads go through `onread` into a
 * fixed buffer and are parsed here: the status line and headers, then the body by
 * Content-Length, chunked transfer coding, or until the connection closes.
 */
class Http1Connection {
  private readonly socket: net.Socket;
  private sink: ResponseSink | undefined;
  /** Bytes of the status line and headers received so far (latin1), while reading them. */
  private head = '';
  private headBytes = 0;
  private body: BodyMode | undefined;
  /** The partial chunk-size or trailer line carried over between reads. */
  private line = '';
  private keepAlive = true;
  private answered = false;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleMs: number;

  constructor(
    options: Http1PoolOptions,
    private readonly onIdle: (connection: Http1Connection) => void,
    private readonly onClose: (connection: Http1Connection) => void,
  ) {
    this.idleMs = options.idleTimeoutMs ?? 30_000;
    const onread = {
      buffer: Buffer.allocUnsafe(readBufferBytes),
      callback: (size: number, buffer: Uint8Array): boolean => {
        this.received(Buffer.from(buffer.buffer, buffer.byteOffset, size));
        return true;
      },
    };
    const socket =
      options.tls === undefined
        ? net.connect({ host: options.host, port: options.port, onread, noDelay: true })
        : // tls.connect takes `onread` too (node's documentation), but @types/node leaves it out.
          tls.connect({
            ...options.tls,
            host: options.host,
            port: options.port,
            onread,
          } as tls.ConnectionOptions);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('error', (error: Error & { code?: string }) => {
      this.fail(
        new ConnectionError(error.message, error.code ?? 'ECONNRESET', this.answered, { cause: error }),
      );
    });
    socket.on('end', () => {
      if (this.body?.kind === 'until-close' && this.sink !== undefined) {
        this.complete();
      }
      this.fail(
        new ConnectionError(
          'the server closed the connection before the answer was complete',
          'ECONNRESET',
          this.answered,
        ),
      );
    });
    socket.on('close', () => {
      this.fail(
        new ConnectionError(
          'the connection closed before the answer was complete',
          'ECONNRESET',
          this.answered,
        ),
      );
    });
    this.socket = socket;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one request (`head` ends with the blank line; `body` follows). */
  send(head: string, body: string | undefined, sink: ResponseSink): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.socket.ref();
    this.sink = sink;
    this.head = '';
    this.headBytes = 0;
    this.body = undefined;
    this.line = '';
    this.answered = false;
    this.socket.write(body === undefined ? head : head + body);
  }

  /** Ends the exchange under way by closing the connection; its sink hears nothing more. */
  abort(sink: ResponseSink): void {
    if (this.sink !== sink) return;
    this.sink = undefined;
    this.destroy();
  }

  destroy(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.socket.destroy();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
  }

  private fail(error: ConnectionError): void {
    const sink = this.sink;
    this.sink = undefined;
    if (!this.closed) this.destroy();
    sink?.error(error);
  }

  private protocolError(what: string): void {
    this.fail(
      new ConnectionError(`invalid HTTP answer from the API server: ${what}`, 'EPROTO', this.answered),
    );
  }

  private received(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.sink === undefined) {
        // Bytes nobody asked for: the connection is out of step.
        this.destroy();
        return;
      }
      if (this.body === undefined) {
        offset = this.readHead(data, offset);
        if (offset < 0) return;
        continue;
      }
      offset = this.readBody(data, offset);
      if (offset < 0) return;
    }
  }

  /** Reads status line and headers; returns where the body starts, or -1 to stop. */
  private readHead(data: Buffer, offset: number): number {
    // The end of the head may straddle reads: search from up to 3 bytes before this read.
    const carried = Math.min(3, this.head.length);
    const text = this.head.slice(this.head.length - carried) + data.toString('latin1', offset);
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) {
      this.head += data.toString('latin1', offset);
      this.headBytes += data.length - offset;
      if (this.headBytes > maxHeaderBytes) this.protocolError('the header block is too large');
      return -1;
    }
    const consumed = end + 4 - carried;
    if (this.headBytes + consumed > maxHeaderBytes) {
      this.protocolError('the header block is too large');
      return -1;
    }
    const head = this.head + data.toString('latin1', offset, offset + consumed);
    this.head = '';
    this.headBytes = 0;
    if (!this.parseHead(head)) return -1;
    return offset + consumed;
  }

  /** Parses one head; starts the body or, for 1xx, waits for the next head. False to stop. */
  private parseHead(head: string): boolean {
    const lines = head.slice(0, -4).split('\r\n');
    const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
    if (status === null) {
      this.protocolError(`status line ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
      return false;
    }
    const statusCode = Number(status[2]);
    if (statusCode >= 100 && statusCode < 200) return true;
    const headers: IncomingHttpHeaders = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] ?? '';
      const colon = line.indexOf(':');
      if (colon <= 0) {
        this.protocolError(`header line ${JSON.stringify(line.slice(0, 80))}`);
        return false;
      }
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const previous = headers[name];
      headers[name] = previous === undefined ? value : `${String(previous)}, ${value}`;
    }
    const connection = (headers.connection ?? '').toLowerCase();
    this.keepAlive = status[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const hint = /timeout=(\d+)/.exec(String(headers['keep-alive'] ?? ''));
    if (hint !== null) this.idleMs = Math.min(this.idleMs, Math.max(0, Number(hint[1]) * 1000 - 1000));
    const transferEncoding = (headers['transfer-encoding'] ?? '').toLowerCase();
    const length = headers['content-length'];
    if (statusCode === 204 || statusCode === 304) {
      this.body = { kind: 'none' };
    } else if (transferEncoding !== '') {
      if (transferEncoding !== 'chunked') {
        this.protocolError(`transfer-encoding ${transferEncoding}`);
        return false;
      }
      this.body = { kind: 'chunked', state: 'size', left: 0 };
    } else if (length !== undefined) {
      if (!/^\d+$/.test(length)) {
        this.protocolError(`content-length ${JSON.stringify(length)}`);
        return false;
      }
      this.body = { kind: 'length', left: Number(length) };
    } else {
      this.body = { kind: 'until-close' };
      this.keepAlive = false;
    }
    this.answered = true;
    this.sink?.start(statusCode, headers, status[3]);
    if (this.sink === undefined) return false;
    if (this.body.kind === 'none' || (this.body.kind === 'length' && this.body.left === 0)) {
      this.complete();
      return false;
    }
    return true;
  }

  /** Reads body bytes; returns the offset after them, or -1 to stop. */
  private readBody(data: Buffer, offset: number): number {
    const body = this.body;
    switch (body?.kind) {
      case 'length': {
        const take = Math.min(body.left, data.length - offset);
        this.deliver(data, offset, take);
        body.left -= take;
        if (body.left === 0) {
          this.complete();
          return offset + take < data.length ? this.strayBytes() : -1;
        }
        return this.sink === undefined ? -1 : offset + take;
      }
      case 'until-close':
        this.deliver(data, offset, data.length - offset);
        return -1;
      case 'chunked':
        return this.readChunked(body, data, offset);
      case 'none':
      case undefined:
        return this.strayBytes();
    }
  }

  private readChunked(
    body: { kind: 'chunked'; state: 'size' | 'data' | 'data-end' | 'trailers'; left: number },
    data: Buffer,
    offset: number,
  ): number {
    if (body.state === 'data') {
      const take = Math.min(body.left, data.length - offset);
      this.deliver(data, offset, take);
      body.left -= take;
      if (body.left === 0) body.state = 'data-end';
      return this.sink === undefined ? -1 : offset + take;
    }
    // A line: a chunk size, the CRLF after a chunk's data, or a trailer. Its CR and LF may come
    // in different reads.
    const newline = data.indexOf(lf, offset);
    this.line += data.toString('latin1', offset, newline < 0 ? data.length : newline);
    if (newline < 0) {
      if (this.line.length > 4096) this.protocolError('a chunk line is too long');
      return -1;
    }
    if (!this.line.endsWith('\r')) {
      this.protocolError('a chunk line does not end with CRLF');
      return -1;
    }
    const line = this.line.slice(0, -1);
    this.line = '';
    const next = newline + 1;
    if (body.state === 'data-end') {
      if (line !== '') {
        this.protocolError('a chunk does not end with CRLF');
        return -1;
      }
      body.state = 'size';
      return next;
    }
    if (body.state === 'trailers') {
      if (line !== '') return next;
      this.complete();
      return next < data.length ? this.strayBytes() : -1;
    }
    const size = /^([0-9a-fA-F]{1,8})(?:\s*;.*)?$/.exec(line);
    if (size === null) {
      this.protocolError(`chunk size ${JSON.stringify(line.slice(0, 40))}`);
      return -1;
    }
    body.left = parseInt(size[1] ?? '', 16);
    body.state = body.left === 0 ? 'trailers' : 'data';
    return next;
  }

  private deliver(data: Buffer, offset: number, length: number): void {
    if (length === 0) return;
    // The read buffer is reused by the next read: hand out a copy.
    this.sink?.data(Buffer.from(data.subarray(offset, offset + length)));
  }

  private strayBytes(): number {
    this.destroy();
    return -1;
  }

  /** The answer is complete: hand the connection back (or close it) and tell the sink. */
  private complete(): void {
    const sink = this.sink;
    this.sink = undefined;
    this.body = undefined;
    if (this.keepAlive && !this.closed && this.idleMs > 0) {
      this.socket.unref();
      this.idleTimer = setTimeout(() => {
        this.destroy();
      }, this.idleMs);
      this.idleTimer.unref();
      this.onIdle(this);
    } else {
      this.destroy();
    }
    sink?.end();
  }
}

/**
 * Keep-alive HTTP/1.1 connections to one server: a request takes the most recently idle
 * connection (so that at steady state only as many stay open as are busy at once, and the rest
 * time out), or opens one. Unbounded, as Go's `http.Transport`: a cap would queue requests behind
 * each other, and queueing time eats into a lease's renewDeadline.
 */
export class Http1Pool {
  private readonly idle: Http1Connection[] = [];
  private readonly all = new Set<Http1Connection>();
  /** `Host` header and the start of every head after the request line. */
  private readonly hostLine: string;

  constructor(private readonly options: Http1PoolOptions) {
    const host = net.isIPv6(options.host) ? `[${options.host}]` : options.host;
    this.hostLine = `Host: ${host}:${String(options.port)}\r\n`;
  }

  /**
   * Sends `method path` with `headerBlock` (complete `Name: value\r\n` lines, already checked with
   * {@link assertHeaderSafe}) and `body` (a Content-Length is added), and feeds the answer to `sink`.
   */
  dispatch(
    method: string,
    path: string,
    headerBlock: string,
    body: string | undefined,
    sink: ResponseSink,
  ): Exchange {
    const connection = this.take();
    let head = `${method} ${path} HTTP/1.1\r\n${this.hostLine}${headerBlock}`;
    if (body !== undefined) head += `Content-Length: ${String(Buffer.byteLength(body))}\r\n`;
    head += '\r\n';
    connection.send(head, body, sink);
    return {
      abort: () => {
        connection.abort(sink);
      },
    };
  }

  /** Closes every connection (exchanges under way fail). */
  close(): void {
    for (const connection of [...this.all]) connection.destroy();
  }

  private take(): Http1Connection {
    for (;;) {
      const connection = this.idle.pop();
      if (connection === undefined) break;
      if (!connection.isClosed) return connection;
    }
    const connection = new Http1Connection(
      this.options,
      (idle) => {
        this.idle.push(idle);
      },
      (closed) => {
        this.all.delete(closed);
        const at = this.idle.indexOf(closed);
        if (at >= 0) this.idle.splice(at, 1);
      },
    );
    this.all.add(connection);
    return connection;
  }
}
