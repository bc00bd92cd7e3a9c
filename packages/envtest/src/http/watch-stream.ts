import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { wallClock } from '../wall-clock.js';
import { dropConnection, writeBody, writeBodyThen, writeHead } from './exchange.js';
import type { ApiResponse } from './exchange.js';
import type { KubeObject } from '../api/kube-object.js';
import { objectKey } from '../api/kube-object.js';
import type { ObjectService } from '../api/object-service.js';
import type { ResourceType } from '../api/resource-type.js';
import { ApiError } from '../api/api-error.js';
import type { RequestAttributes } from '../faults/request-attributes.js';
import type { FieldSelector } from '../selectors/field-selector.js';
import type { LabelSelector } from '../selectors/label-selector.js';
import type { StoreEvent } from '../storage/object-store.js';
import { derivedForm, encodeEventLine } from '../storage/encoded-objects.js';
import { asPartialObjectMetadata } from './partial-metadata.js';
import { toTable } from './table.js';
import type { IncludeObject } from './table.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** What one watch request asked for. */
export interface WatchRequest {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly labels: LabelSelector;
  readonly fields: FieldSelector;
  /** The `resourceVersion` parameter; undefined or "0" start with the current objects. */
  readonly resourceVersion: string | undefined;
  readonly allowBookmarks: boolean;
  readonly sendInitialEvents: boolean;
  readonly timeoutSeconds: number | undefined;
  readonly bookmarkIntervalMs: number;
  /**
   * How long a watch from a resourceVersion the store has not reached waits for it before its
   * ERROR event (504 Timeout, ResourceVersionTooLarge), in ms.
   */
  readonly futureResourceVersionWaitMs: number;
  readonly attributes: RequestAttributes;
  /** Send each object as a one-row `meta.k8s.io/v1` Table (kubectl get -w), with this includeObject. */
  readonly table: IncludeObject | undefined;
  /** Send each object as `meta.k8s.io/v1` PartialObjectMetadata (metadata-only watches). */
  readonly partial?: boolean;
}

/**
 * The Table lines of the store change being fanned out, by resource type (the object itself: a
 * CRD's new columns make a new one), event type and form.
 */
let tableLines:
  | {
      readonly event: StoreEvent;
      readonly at: number;
      readonly lines: Map<ResourceType, Map<string, string>>;
    }
  | undefined;

/**
 * One open watch: a 200 response streaming JSON lines (`{"type":…,"object":…}`) as the store
 * changes. Ends on `timeoutSeconds`, when the client goes away, or when closed by the server.
 */
export class WatchStream {
  readonly request: WatchRequest;
  readonly #service: ObjectService;
  readonly #response: ApiResponse;
  readonly #onClose: (stream: WatchStream) => void;
  #unsubscribe: (() => void) | undefined;
  #timeout: NodeJS.Timeout | undefined;
  #bookmarks: NodeJS.Timeout | undefined;
  #tooLarge: NodeJS.Timeout | undefined;
  #closed = false;
  /** Stalled by a fault: nothing more is written, the connection stays open. */
  #stalled = false;
  /** Armed by a fault: the next event line is written in part, then the connection is cut. */
  #cutMidEvent = false;
  #headersSent = false;
  /** Changes up to this resourceVersion are not sent (a watch from a future resourceVersion). */
  #startRevision = 0;

  constructor(
    service: ObjectService,
    response: ApiResponse,
    request: WatchRequest,
    onClose: (stream: WatchStream) => void,
  ) {
    this.#service = service;
    this.#response = response;
    this.request = request;
    this.#onClose = onClose;
  }

  #matches(object: KubeObject): boolean {
    const { namespace, labels, fields, type } = this.request;
    return (
      (!type.namespaced || namespace === undefined || object.metadata.namespace === namespace) &&
      labels.matches(object.metadata.labels) &&
      fields.matches(type.fromStorage === undefined ? object : this.#service.view(type, object))
    );
  }

  /** Sends one event; `event` is the store change it comes from (none for initial events). */
  #send(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject, event?: StoreEvent): void {
    const view = this.#service.view(this.request.type, object);
    const include = this.request.table;
    // One event line per object version and form, encoded once for every watcher.
    if (this.request.partial === true) {
      this.#writeEvent(encodeEventLine(type, asPartialObjectMetadata(view)));
      return;
    }
    if (include === undefined) {
      this.#writeEvent(encodeEventLine(type, view));
      return;
    }
    // Column definitions go with the first event only, as kube-apiserver sends them.
    const withHeaders = !this.#headersSent;
    this.#headersSent = true;
    const render = (): string => {
      const metadata = { resourceVersion: view.metadata.resourceVersion };
      const table = toTable(this.request.type, [view], metadata, include, withHeaders);
      return `${JSON.stringify({ type, object: table })}\n`;
    };
    if (event === undefined) {
      this.#writeEvent(render());
      return;
    }
    // A Table shows ages as of now: its line is shared by the watchers of one change while it is
    // fanned out (synchronously, within the same millisecond), not kept with the object.
    const at = wallClock();
    if (tableLines?.event !== event || tableLines.at !== at) tableLines = { event, at, lines: new Map() };
    let forType = tableLines.lines.get(this.request.type);
    if (forType === undefined) {
      forType = new Map();
      tableLines.lines.set(this.request.type, forType);
    }
    const key = `${type} ${include} ${String(withHeaders)}`;
    let line = forType.get(key);
    if (line === undefined) {
      line = render();
      forType.set(key, line);
    }
    this.#writeEvent(line);
  }

  /** Writes one event line, or, when armed by {@link cutMidEvent}, its first half and then cuts the connection. */
  #writeEvent(line: string | Buffer): void {
    if (!this.#cutMidEvent) {
      this.#write(line);
      return;
    }
    this.#cutMidEvent = false;
    if (this.#closed || this.#stalled || this.#response.destroyed || this.#response.writableEnded) return;
    const bytes = typeof line === 'string' ? Buffer.from(line) : line;
    // Half of the line, never its newline: the client holds an incomplete event when the cut comes.
    const part = bytes.subarray(0, Math.max(1, Math.floor((bytes.length - 1) / 2)));
    this.#silence();
    this.#stalled = true;
    const cut = (): void => {
      this.close(true);
    };
    // The cut waits until the part is handed to the connection, so that the client receives it.
    writeBodyThen(this.#response, part, cut);
  }

  /** Writes unless the client is gone (its 'close' event may still be on its way). */
  #write(line: string | Buffer): void {
    if (this.#closed || this.#stalled || this.#response.destroyed || this.#response.writableEnded) return;
    writeBody(this.#response, line);
  }

  /**
   * A fault: the stream goes silent (no events, bookmarks or end at `timeoutSeconds`) while its
   * connection stays open, until the client goes away or the server stops. False if it was
   * already stalled or closed.
   */
  stall(): boolean {
    if (this.#closed || this.#stalled) return false;
    this.#stalled = true;
    this.#silence();
    return true;
  }

  /**
   * A fault: the next event (ADDED, MODIFIED or DELETED; bookmarks are sent whole meanwhile) is
   * written in part, without its newline, and then the connection is cut (on HTTP/2 the whole
   * session), as a network failure in the middle of an event. False if stalled, closed or armed already.
   */
  cutMidEvent(): boolean {
    if (this.#closed || this.#stalled || this.#cutMidEvent) return false;
    this.#cutMidEvent = true;
    return true;
  }

  /** Stops following the store and every timer of the stream. */
  #silence(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearTimeout(this.#timeout);
    clearTimeout(this.#tooLarge);
    clearInterval(this.#bookmarks);
  }

  /** A fault: writes `text` as it is (e.g. a truncated event line). False if stalled or closed. */
  writeRaw(text: string): boolean {
    if (this.#closed || this.#stalled || this.#response.destroyed || this.#response.writableEnded)
      return false;
    writeBody(this.#response, text);
    return true;
  }

  #deliver(event: StoreEvent): void {
    if (event.resourceVersion <= this.#startRevision) return;
    const now = this.#matches(event.object);
    if (event.type === 'ADDED') {
      if (now) this.#send('ADDED', event.object, event);
      return;
    }
    if (event.type === 'DELETED') {
      if (now) this.#send('DELETED', event.object, event);
      return;
    }
    const before = event.previous !== undefined && this.#matches(event.previous);
    if (now && before) this.#send('MODIFIED', event.object, event);
    else if (now) this.#send('ADDED', event.object, event);
    else if (before) {
      // Shared by every watcher the change takes the object out of.
      const previous = event.previous;
      const gone = derivedForm(previous, event.resourceVersion, (): KubeObject => ({
        ...previous,
        metadata: { ...previous.metadata, resourceVersion: String(event.resourceVersion) },
      }));
      this.#send('DELETED', gone, event);
    }
  }

  /** Sends the response head, the initial or missed events, then follows the store. */
  start(): void {
    const { type, resourceVersion, timeoutSeconds } = this.request;
    // No Content-Length: HTTP/1.1 sends the body chunked, HTTP/2 as DATA frames of one stream.
    writeHead(
      this.#response,
      200,
      ['Content-Type', 'application/json', 'Cache-Control', 'no-cache, private'],
      true,
    );
    this.#response.on('close', () => {
      this.close();
    });
    // A write racing the client's disconnect fails; the 'close' handler above cleans up.
    this.#response.on('error', () => undefined);
    const store = this.#service.store;
    try {
      if (
        resourceVersion === undefined ||
        resourceVersion === '' ||
        resourceVersion === '0' ||
        this.request.sendInitialEvents
      ) {
        const name = this.request.fields.name;
        const namespace = type.namespaced ? this.request.namespace : undefined;
        let candidates: readonly KubeObject[];
        if (name === undefined) candidates = store.list(type.storageId, namespace);
        else if (namespace !== undefined || !type.namespaced) {
          // One object (a watch of it by name, as a lock or a single-object informer makes).
          const object = store.get(type.storageId, objectKey(namespace, name));
          candidates = object === undefined ? [] : [object];
        } else candidates = store.list(type.storageId).filter((o) => o.metadata.name === name);
        for (const object of candidates) if (this.#matches(object)) this.#send('ADDED', object);
        if (this.request.sendInitialEvents && this.request.allowBookmarks) this.#bookmark(true);
      } else {
        if (!/^\d+$/.test(resourceVersion))
          throw ApiError.badRequest(`invalid resource version: ${resourceVersion}`);
        this.#startRevision = Number(resourceVersion);
        if (this.#startRevision > store.revision) this.#awaitRevision();
        else
          for (const event of store.changesSince(type.storageId, this.#startRevision)) this.#deliver(event);
      }
    } catch (error) {
      const status = error instanceof ApiError ? error : ApiError.fromCode(500, String(error));
      this.#write(`${JSON.stringify({ type: 'ERROR', object: status.toStatus() })}\n`);
      this.close();
      return;
    }
    this.#unsubscribe = store.subscribe(type.storageId, (event) => {
      this.#deliver(event);
    });
    if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
      this.#timeout = setTimeout(() => {
        this.close();
      }, timeoutSeconds * 1000);
    }
    if (this.request.allowBookmarks) {
      this.#bookmarks = setInterval(() => {
        this.#bookmark(false);
      }, this.request.bookmarkIntervalMs);
    }
  }

  /**
   * A watch from a resourceVersion the store has not reached: kube-apiserver's watch cache waits
   * for it (3 s), then answers 504 Timeout "Too large resource version" as an ERROR event.
   */
  #awaitRevision(): void {
    this.#tooLarge = setTimeout(() => {
      const current = this.#service.store.revision;
      if (current >= this.#startRevision) return;
      const status = ApiError.tooLargeResourceVersion(this.#startRevision, current).toStatus();
      this.#write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      this.close();
    }, this.request.futureResourceVersionWaitMs);
  }

  #bookmark(initialEventsEnd: boolean): void {
    // Still waiting for a future resourceVersion: a bookmark would take the client back.
    if (this.#service.store.revision < this.#startRevision) return;
    const { type } = this.request;
    const metadata: Record<string, unknown> = { resourceVersion: String(this.#service.store.revision) };
    if (initialEventsEnd) metadata['annotations'] = { 'k8s.io/initial-events-end': 'true' };
    this.#write(
      `${JSON.stringify({ type: 'BOOKMARK', object: { kind: type.kind, apiVersion: type.apiVersion, metadata } })}\n`,
    );
  }

  /**
   * Ends the stream cleanly (the client sees the response end), or cuts its connection (on HTTP/2
   * the whole session, as a network failure would).
   */
  close(destroy = false): void {
    if (this.#closed) {
      if (destroy) dropConnection(this.#response);
      return;
    }
    this.#closed = true;
    this.#unsubscribe?.();
    clearTimeout(this.#timeout);
    clearTimeout(this.#tooLarge);
    clearInterval(this.#bookmarks);
    if (destroy) dropConnection(this.#response);
    else this.#response.end();
    this.#onClose(this);
  }
}
