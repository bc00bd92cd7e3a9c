import { watchError } from '../api-errors.js';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { KubeClientError } from '../kube-client-error.js';
import type { KubeObject } from '../objects/kube-object.js';
import { InactivityTimer } from './inactivity-timer.js';
import type { WatchEvent, WatchEventType } from './watch-event.js';

/** Options of {@link readWatchEvents}. */
export interface ReadWatchOptions {
  /** The longest line (one event) accepted, in characters. */
  readonly maxLineLength: number;
  /** The stream fails with kind `timeout` after this long without data, in ms; 0 for never. */
  readonly inactivityTimeoutMs: number;
  /** E.g. `watch /api/v1/namespaces/x/pods`, for messages. */
  readonly what: string;
  /** Time of the inactivity timeout. Default the system clock. */
  readonly clock?: Clock | undefined;
}

/** A readable body: chunks, and a way to stop it. */
export interface WatchBody {
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
  destroy(error?: Error): unknown;
}

const eventTypes = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

/**
 * Reads newline-delimited watch events from `body`: decodes UTF-8 across chunks (a character may
 * straddle two), bounds the pending line (`maxLineLength`: a longer line fails with kind
 * `invalidResponse` and the stream is destroyed), fails with kind `timeout` when no data comes for
 * `inactivityTimeoutMs` of `clock` time (not a whole-stream deadline: any chunk restarts it), throws an `ERROR`
 * event's Status as a `KubeClientError` of kind `api` (410 → `isExpired`), and passes every other
 * event (bookmarks included) through. Ends when the server ends the stream; stopping the iteration
 * early destroys the body.
 */
export async function* readWatchEvents<T extends KubeObject>(
  body: WatchBody,
  options: ReadWatchOptions,
): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  const timer =
    options.inactivityTimeoutMs > 0
      ? new InactivityTimer(options.clock ?? systemClock, options.inactivityTimeoutMs, () => {
          body.destroy(
            new KubeClientError(
              'timeout',
              `${options.what}: no data for ${options.inactivityTimeoutMs} ms (restart the watch from its last resourceVersion)`,
            ),
          );
        })
      : undefined;
  try {
    for await (const chunk of body) {
      timer?.touch();
      pending += decoder.decode(chunk, { stream: true });
      let start = 0;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(start, newline);
        start = newline + 1;
        newline = pending.indexOf('\n', start);
        if (line.trim() === '') continue;
        const event = parseEvent<T>(line, options.what);
        // The consumer's time with an event is not the server's silence.
        timer?.pause();
        yield event;
        timer?.resume();
      }
      pending = start === 0 ? pending : pending.slice(start);
      if (pending.length > options.maxLineLength) {
        throw new KubeClientError(
          'invalidResponse',
          `${options.what}: a watch event longer than ${options.maxLineLength} characters (maxLineLength)`,
        );
      }
    }
    pending += decoder.decode();
    if (pending.trim() !== '') yield parseEvent<T>(pending, options.what);
  } finally {
    timer?.cancel();
    body.destroy();
  }
}

function parseEvent<T extends KubeObject>(line: string, what: string): WatchEvent<T> {
  let event: { type?: unknown; object?: unknown };
  try {
    event = JSON.parse(line) as { type?: unknown; object?: unknown };
  } catch (error: unknown) {
    throw new KubeClientError('invalidResponse', `${what}: a watch event that is not JSON`, { cause: error });
  }
  if (event.type === 'ERROR') throw watchError(event.object, what);
  if (
    typeof event.type !== 'string' ||
    !eventTypes.has(event.type) ||
    typeof event.object !== 'object' ||
    event.object === null
  ) {
    throw new KubeClientError('invalidResponse', `${what}: a watch event without a known type and an object`);
  }
  return { type: event.type as WatchEventType, object: event.object as T };
}
