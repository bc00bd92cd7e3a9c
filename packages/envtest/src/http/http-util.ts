import { clearTimeout, setTimeout } from 'node:timers';
import { isHttp2, writeHead } from './exchange.js';
import type { ApiRequest, ApiResponse } from './exchange.js';
import { ApiError } from '../api/api-error.js';
import { encodeObjectWithLength } from '../storage/encoded-objects.js';
import type { EncodedList } from '../storage/encoded-objects.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';

/** kube-apiserver's limit on request bodies: 3 MiB. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * Writes a JSON response with a Content-Length. The JSON of a stored object is encoded once per
 * version (an update's answer, the following GETs, lists and watch events share it).
 */
export function sendJson(
  response: ApiResponse,
  code: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (typeof body === 'object' && body !== null) {
    const { text, bytes } = encodeObjectWithLength(body);
    sendEncoded(response, code, text, headers, bytes);
  } else sendEncoded(response, code, JSON.stringify(body), headers);
}

/** The headers of a JSON answer of `length` bytes. */
function jsonHead(length: number): string[] {
  return [
    'Content-Type',
    'application/json',
    'Cache-Control',
    'no-cache, private',
    'Content-Length',
    String(length),
  ];
}

/**
 * Writes a JSON response already encoded with a Content-Length;
 * `bytes` is the string's UTF-8 length when the caller knows it.
 */
function sendEncoded(
  response: ApiResponse,
  code: number,
  body: string,
  headers: Readonly<Record<string, string>> = {},
  bytes?: number,
): void {
  const head = jsonHead(bytes ?? Buffer.byteLength(body));
  for (const [name, value] of Object.entries(headers)) head.push(name, value);
  writeHead(response, code, head);
  response.end(body);
}

/**
 * Writes a list with a Content-Length: its first part at once, the others as the response drains
 * (a large list starts going out before it is all encoded, and is never in memory whole).
 */
export function sendList(response: ApiResponse, list: EncodedList): void {
  writeHead(response, 200, jsonHead(list.size));
  const parts = list.parts();
  const first = parts.next();
  if (first.done === true) {
    response.end();
    return;
  }
  const second = parts.next();
  if (second.done === true) {
    response.end(first.value);
    return;
  }
  const head = [first.value, second.value];
  function* rest(): Generator<Buffer, void, undefined> {
    yield* head;
    yield* parts;
  }
  // A client gone meanwhile ends the pipeline (and the encoding) with an error nobody waits for.
  pipeline(Readable.from(rest(), { objectMode: false }), response, () => undefined);
}

export function sendText(response: ApiResponse, code: number, text: string): void {
  writeHead(response, code, [
    'Content-Type',
    'text/plain; charset=utf-8',
    'X-Content-Type-Options',
    'nosniff',
    'Content-Length',
    String(Buffer.byteLength(text)),
  ]);
  response.end(text);
}

/** Answers with the Status of `error` (500 InternalError for anything but an ApiError). */
export function sendError(response: ApiResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const apiError =
    error instanceof ApiError
      ? error
      : new ApiError(
          500,
          'InternalError',
          `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`,
        );
  sendJson(response, apiError.code, apiError.toStatus(), apiError.headers);
}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Reads a request body of at most 3 MiB.
 * @throws ApiError 413 when it is larger (the connection is then closed after the answer).
 */
export async function readBody(request: ApiRequest, response: ApiResponse): Promise<Buffer> {
  const tooLarge = (): ApiError => {
    // HTTP/1.1 cannot skip the rest of the body: the connection closes after the answer. An
    // HTTP/2 stream is reset on its own once answered.
    if (!isHttp2(response)) response.setHeader('Connection', 'close');
    return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`);
  };
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  if (request.readableEnded) return Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      chunks.push(chunk);
      if (size > MAX_BODY_BYTES) {
        cleanUp();
        request.resume();
        reject(tooLarge());
      }
    };
    const onEnd = (): void => {
      cleanUp();
      resolve(chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks));
    };
    const onError = (error: Error): void => {
      cleanUp();
      reject(error);
    };
    const cleanUp = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}

/** Parses a JSON body; 400 BadRequest (as kube-apiserver words it) when malformed. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw ApiError.badRequest(`couldn't get version/kind; json parse error: ${why}`);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
