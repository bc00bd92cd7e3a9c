import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { BodyBuffer, MAX_BODY_BYTES } from './body-buffer.js';
import type { Deadline } from './deadline.js';

/** A whole answer: status, headers and its body as text (decoded as UTF-8, without a byte order mark). */
export interface CollectedResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** How much of a body's start {@link PeekBody} sees at most, in bytes. */
export const PEEK_BYTES = 64 * 1024;

/**
 * Sees the start of a 2xx answer's body while the rest is still arriving: called with the text
 * received so far (decoded as UTF-8; a character cut at the end shows as U+FFFD) after each
 * chunk, until it returns true or the first {@link PEEK_BYTES} have been seen. A throw counts as
 * true. Not called for other answers.
 */
export type PeekBody = (start: string) => boolean;

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** The `content-length` of an answer, if it has a usable one. */
function contentLength(headers: IncomingHttpHeaders): number | undefined {
  const value = headers['content-length'];
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return undefined;
  return Number(value);
}

/**
 * The handler of one {@link collectResponse}: undici's `dispatch` callbacks collecting the body
 * into one {@link BodyBuffer} (no stream per answer, as `dispatcher.request` builds). undici
 * parses the protocol; this only keeps what it hands over, and decodes it once it is whole.
 */
class CollectingHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private statusCode = 0;
  private headers: IncomingHttpHeaders = {};
  private body = new BodyBuffer();
  private settled = false;
  /** Still to be called with the body's start (2xx answers only). */
  private peek: PeekBody | undefined;

  constructor(
    private readonly deadline: Deadline,
    private readonly resolve: (response: CollectedResponse) => void,
    private readonly reject: (error: unknown) => void,
    peek: PeekBody | undefined,
  ) {
    this.peek = peek;
  }

  /** The request ended before its answer (caller's abort or deadline): fail now, stop undici. */
  readonly abort = (reason: unknown): void => {
    const error = asError(reason);
    this.fail(error);
    this.controller?.abort(error);
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) {
      // Aborted while it waited for a connection.
      controller.abort(new Error('the request was aborted'));
    }
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200) return; // 1xx: the answer is still to come
    this.statusCode = statusCode;
    this.headers = headers;
    const length = contentLength(headers);
    if (length !== undefined && length > MAX_BODY_BYTES) {
      // Could never become one string: fail now rather than after receiving it.
      this.abort(
        new RangeError(`the answer announces ${String(length)} bytes, more than ${String(MAX_BODY_BYTES)}`),
      );
      return;
    }
    this.body = new BodyBuffer(length);
    if (statusCode >= 300) this.peek = undefined;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    try {
      this.body.append(chunk);
    } catch (error: unknown) {
      // No memory for the body (a RangeError from Buffer): the request fails, undici stops.
      this.abort(error);
      return;
    }
    if (this.peek !== undefined) this.peekAtStart(this.peek);
  }

  private peekAtStart(peek: PeekBody): void {
    let done: boolean;
    try {
      done = peek(this.body.start(PEEK_BYTES));
    } catch {
      done = true;
    }
    if (done || this.body.size >= PEEK_BYTES) this.peek = undefined;
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    this.deadline.onAbort(undefined);
    let text: string;
    try {
      // Frees the body's bytes before the caller parses the text.
      text = this.body.text();
    } catch (error: unknown) {
      this.reject(error); // a body longer than the longest string
      return;
    }
    this.resolve({ statusCode: this.statusCode, headers: this.headers, text });
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    this.fail(error);
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.body.release();
    this.deadline.onAbort(undefined);
    this.reject(error);
  }
}

/**
 * Sends one request through `dispatcher.dispatch` and resolves with the whole answer; rejects with
 * undici's error, or with the deadline's reason as soon as `deadline` ends (the request is then
 * aborted, also when it still waits for a connection). `peek` sees the start of a 2xx body as it
 * arrives (see {@link PeekBody}).
 */
export function collectResponse(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  deadline: Deadline,
  peek?: PeekBody,
): Promise<CollectedResponse> {
  return new Promise<CollectedResponse>((resolve, reject) => {
    if (deadline.isAborted()) {
      reject(asError(deadline.reason));
      return;
    }
    const handler = new CollectingHandler(deadline, resolve, reject, peek);
    deadline.onAbort(handler.abort);
    // undici reports its errors to the handler; one thrown here rejects this promise.
    dispatcher.dispatch(options, handler);
  });
}
