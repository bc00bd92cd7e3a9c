import { subscribe } from 'node:diagnostics_channel';
import { constants } from 'node:http2';
import type { ClientHttp2Stream } from 'node:http2';

let installed = false;

/**
 * Makes an aborted HTTP/2 request whose body is not yet flushed reset its stream at once.
 *
 * undici (8.12 and 8.13) aborts an HTTP/2 request with `stream.close()` (code `NO_ERROR`) followed
 * at once by `stream.destroy()`. For a stream whose body is ended but not yet flushed (the server's
 * flow-control window is closed, or the socket is blocked because the server is not reading),
 * Node defers the RST_STREAM of a `NO_ERROR` close until the body is flushed, and the destroy then
 * drops the stream without it: nghttp2 keeps the stream open with its body still scheduled. Once
 * the server opens its window again, Node's data source finds no stream and returns no data
 * without end-of-stream, and nghttp2 sends empty DATA frames for it in an endless loop inside one
 * native call: the event loop stops and the process grows by gigabytes a second until it dies
 * (seen with 1,000 lease electors after the API server stalled for a few seconds).
 *
 * This closes such a stream with `CANCEL` instead (as Node does for an `AbortSignal`), which Node
 * sends at once, so nghttp2 drops the stream and its body before the destroy. It applies to every
 * HTTP/2 client stream of the process (the diagnostics channel is process-wide), and changes only
 * that case: `close()` with `NO_ERROR` (or no code) while the body is ended but not flushed.
 * Idempotent.
 */
export function guardHttp2Aborts(): void {
  if (installed) return;
  installed = true;
  subscribe('http2.client.stream.created', onStreamCreated);
}

function onStreamCreated(message: unknown): void {
  const stream = (message as { stream?: ClientHttp2Stream } | null)?.stream;
  if (stream === undefined) return;
  const close = stream.close.bind(stream);
  stream.close = (code?: number, callback?: () => void): void => {
    const unflushed = stream.writableEnded && !stream.writableFinished;
    const reset =
      unflushed && (code === undefined || code === constants.NGHTTP2_NO_ERROR)
        ? constants.NGHTTP2_CANCEL
        : (code ?? constants.NGHTTP2_NO_ERROR);
    close(reset, callback);
  };
}
