import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants } from 'node:http2';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/**
 * A request as the server's handler sees it: HTTP/1.1 (`node:http`) or HTTP/2 (the compatibility
 * API of `node:http2`), which share headers, url, method and the body stream.
 */
export type ApiRequest = IncomingMessage | Http2ServerRequest;

/** The response to an {@link ApiRequest}, of the same protocol. */
export type ApiResponse = ServerResponse | Http2ServerResponse;

/** True for a response on an HTTP/2 stream. */
export function isHttp2(response: ApiResponse): response is Http2ServerResponse {
  return 'stream' in response;
}

/** The protocol a request arrived on, as ALPN names it: `h2` or `http/1.1`. */
export function protocolOf(request: ApiRequest): 'h2' | 'http/1.1' {
  return request.httpVersionMajor === 2 ? 'h2' : 'http/1.1';
}

/**
 * Cuts the connection a response travels on, as a network failure would: on HTTP/1.1 its socket,
 * on HTTP/2 its whole session (every stream multiplexed on it fails too).
 */
export function dropConnection(response: ApiResponse): void {
  if (isHttp2(response)) response.stream.session?.destroy();
  else response.socket?.destroy();
}

/**
 * Fails one request without an answer: on HTTP/1.1 its socket is destroyed (a request owns its
 * connection while it is served); on HTTP/2 only its stream is reset (RST_STREAM `CANCEL`), and
 * the other streams of the session go on.
 */
export function abortExchange(response: ApiResponse): void {
  if (isHttp2(response)) {
    if (!response.stream.destroyed) response.stream.close(constants.NGHTTP2_CANCEL);
  } else response.socket?.destroy();
}

/** Writes `body`, then calls `then` once it is handed to the connection (or the write failed). */
export function writeBodyThen(response: ApiResponse, body: Buffer, then: () => void): void {
  // The two response classes declare `write` with overloads TypeScript cannot call on their union.
  if (isHttp2(response)) response.write(body, then);
  else response.write(body, then);
}

/** Writes the status and headers (`[name, value, name, value, …]`); `flush` sends them at once. */
export function writeHead(response: ApiResponse, code: number, headers: string[], flush = false): void {
  if (isHttp2(response)) {
    // The compatibility API sends the HEADERS frame as soon as the head is written.
    response.writeHead(code, headers);
    return;
  }
  response.writeHead(code, headers);
  if (flush) response.flushHeaders();
}

/**
 * Writes a piece of the body, at once; false when it was buffered (the peer reads slower).
 *
 * On HTTP/1.1, node:http frames a chunk as four writes (size, CRLF, data, CRLF) on a corked
 * socket that it uncorks on the next tick. Here the socket is corked around the write and
 * uncorked at once instead: the chunk goes out as one socket write before this returns, so a watch
 * event reaches every watcher while the change is fanned out (and before the writer's answer),
 * with no deferred callback per watcher.
 */
export function writeBody(response: ApiResponse, body: string | Buffer): boolean {
  if (isHttp2(response)) return response.write(body);
  const socket = response.socket;
  if (socket === null) return response.write(body);
  socket.cork();
  try {
    return response.write(body);
  } finally {
    socket.uncork();
  }
}
