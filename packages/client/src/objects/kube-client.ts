import { isExpired } from '../api-errors.js';
import { KubeClientError } from '../kube-client-error.js';
import type { Status } from '../kube-client-error.js';
import { PEEK_BYTES } from '../transport/collect-response.js';
import { Deadline } from '../transport/deadline.js';
import type { PeekBody } from '../transport/collect-response.js';
import { Transport } from '../transport/transport.js';
import type { HttpMethod, TransportOptions } from '../transport/transport.js';
import { readWatchEvents } from '../watch/read-watch-events.js';
import type { WatchEvent } from '../watch/watch-event.js';
import type { KindRef, KubeList, KubeObject, ObjectRef } from './kube-object.js';
import type {
  ApplyOptions,
  CallOptions,
  DeleteCollectionOptions,
  DeleteOptions,
  GetOptions,
  ListAllOptions,
  ListOptions,
  ObjectClient,
  PatchOptions,
  WatchOptions,
  WriteOptions,
} from './object-client.js';
import { RestMapper } from './rest-mapper.js';
import type { ResourceMapping } from './rest-mapper.js';

/** Options of {@link createClient}: the transport's, plus the watches'. */
export interface ClientOptions extends TransportOptions {
  /** Default inactivity timeout of watches, in ms; 0 for none. Default 300000 (5 minutes). */
  readonly watchInactivityTimeoutMs?: number;
  /** The longest watch event accepted, in characters. Default 16 Mi (16777216). */
  readonly maxWatchLineLength?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

/**
 * One page request of `listPages`: its answer, and the next page's continue token as soon as it
 * has arrived at the start of the answer (the API server writes a List's `metadata` before its
 * `items`), so the next page can be asked for while this one is still arriving.
 */
class PageRequest<T extends KubeObject> {
  readonly answer: Promise<KubeList<T>>;
  /** The next page's continue token, read from the start of the answer. */
  next: string | undefined;
  /** The next page's request, once sent. */
  ahead: PageRequest<T> | undefined;
  /** The iteration waits for this page. */
  wanted = false;
  readonly #own = new AbortController();

  /**
   * `send` sends the request with an extra signal (this page's abort) and a peek at its answer;
   * `onHead` (none: no peeking) is called once the next token is known, or known to be absent.
   */
  constructor(
    readonly token: string | undefined,
    send: (signal: AbortSignal, peek: PeekBody | undefined) => Promise<KubeList<T>>,
    onHead: ((page: PageRequest<T>) => void) | undefined,
  ) {
    const peek =
      onHead === undefined
        ? undefined
        : (start: string): boolean => {
            const head = listHead(start);
            if (head === undefined) return false;
            this.next = head.continue;
            onHead(this);
            return true;
          };
    this.answer = send(this.#own.signal, peek);
    // A failure is thrown where the page is awaited (after the page before it); never unhandled.
    this.answer.catch(() => undefined);
  }

  /** Aborts the request (the page is not needed). */
  abort(): void {
    this.#own.abort(new DOMException('the page is not needed', 'AbortError'));
  }

  /**
   * Starts the deadline of a page asked for ahead (sent without one), once the page before has
   * arrived: its wait for a connection that page still used does not count, as one after the
   * other. `ms` 0: none.
   */
  startDeadline(ms: number): void {
    if (ms <= 0) return;
    const deadline = new Deadline(undefined, ms);
    deadline.onAbort((reason) => {
      this.#own.abort(reason);
    });
    const end = (): void => {
      deadline.end();
    };
    this.answer.then(end, end);
  }
}

const ITEMS = ',"items":[';

/**
 * The `metadata` of a List from the start of its JSON, which the API server writes before `items`
 * (`{"kind":…,"apiVersion":…,"metadata":{…},"items":[`): undefined until the start up to `items`
 * has arrived; `{}` when that start is not as expected (the caller then waits for the whole answer).
 */
function listHead(start: string): { readonly continue?: string } | undefined {
  const end = start.indexOf(ITEMS);
  if (end < 0) return start.length >= PEEK_BYTES ? {} : undefined;
  try {
    const head = JSON.parse(`${start.slice(0, end)}}`) as { metadata?: { continue?: unknown } };
    const token = head.metadata?.continue;
    return typeof token === 'string' && token !== '' ? { continue: token } : {};
  } catch {
    return {};
  }
}

const patchTypes = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

/** Accept headers of metadata-only reads, as client-go's metadata client asks (JSON only). */
const metadataAccept = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
const metadataListAccept = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

function acceptOf(metadataOnly: boolean | undefined, accept: string): { accept?: string } {
  return metadataOnly === true ? { accept } : {};
}

function queryString(query: Query): string {
  let params: URLSearchParams | undefined;
  for (const key in query) {
    const value = query[key];
    if (value !== undefined) (params ??= new URLSearchParams()).append(key, String(value));
  }
  return params === undefined ? '' : `?${params.toString()}`;
}

function writeQuery(
  options: { dryRun?: boolean | undefined; fieldManager?: string | undefined } | undefined,
): Query {
  return { dryRun: options?.dryRun === true ? 'All' : undefined, fieldManager: options?.fieldManager };
}

function callOf(options: CallOptions | undefined): {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
} {
  return { signal: options?.signal, timeoutMs: options?.timeoutMs };
}

/**
 * The generic object client ({@link ObjectClient}) over one {@link Transport}. Build it with
 * {@link createClient}; `close()` it when done.
 */
export class KubeClient implements ObjectClient {
  /** The HTTP stack under this client: for raw requests and client-node's generated APIs. */
  readonly transport: Transport;
  readonly mapper: RestMapper;
  private readonly watchInactivityTimeoutMs: number;
  private readonly maxWatchLineLength: number;

  constructor(options: ClientOptions) {
    this.transport = new Transport(options);
    this.mapper = new RestMapper(this.transport);
    this.watchInactivityTimeoutMs = options.watchInactivityTimeoutMs ?? 300_000;
    this.maxWatchLineLength = options.maxWatchLineLength ?? 16 * 1024 * 1024;
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef, options?: GetOptions): Promise<T> {
    const path = await this.path(ref, ref.name, '', options?.signal);
    return this.call<T>(
      'GET',
      path + queryString({ resourceVersion: options?.resourceVersion }),
      undefined,
      options,
      undefined,
      options?.metadataOnly === true ? metadataAccept : undefined,
    );
  }

  async list<T extends KubeObject = KubeObject>(ref: KindRef, options?: ListOptions): Promise<KubeList<T>> {
    return this.listPage<T>(ref, options, undefined);
  }

  /** One list request; `peek` sees the start of its answer as it arrives. */
  private async listPage<T extends KubeObject>(
    ref: KindRef,
    options: ListOptions | undefined,
    peek: PeekBody | undefined,
  ): Promise<KubeList<T>> {
    const path = await this.path(ref, undefined, '', options?.signal);
    const query: Query = {
      labelSelector: options?.labelSelector,
      fieldSelector: options?.fieldSelector,
      limit: options?.limit,
      continue: options?.continue,
      resourceVersion: options?.resourceVersion,
      resourceVersionMatch: options?.resourceVersionMatch,
    };
    return this.call<KubeList<T>>(
      'GET',
      path + queryString(query),
      undefined,
      options,
      undefined,
      options?.metadataOnly === true ? metadataListAccept : undefined,
      peek,
    );
  }

  async *listPages<T extends KubeObject = KubeObject>(
    ref: KindRef,
    options?: ListAllOptions,
  ): AsyncGenerator<KubeList<T>> {
    const limit = options?.pageSize ?? 500;
    const pipelined = options?.pipelined ?? true;
    const selectors = {
      labelSelector: options?.labelSelector,
      fieldSelector: options?.fieldSelector,
      metadataOnly: options?.metadataOnly,
    };
    // The first page reads at the asked resourceVersion; the continue token carries it after.
    const first = {
      resourceVersion: options?.resourceVersion,
      resourceVersionMatch: options?.resourceVersionMatch,
    };
    // Aborts the requests still in flight when the iteration ends (early, or by an error).
    const stop = new AbortController();
    const signal =
      options?.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
    const timeoutMs = options?.timeoutMs ?? this.transport.requestTimeoutMs;
    // `ahead`: sent before the page before has arrived; its deadline starts once that has.
    const request = (token: string | undefined, ahead = false): PageRequest<T> =>
      new PageRequest<T>(
        token,
        (own, peek) =>
          this.listPage<T>(
            ref,
            {
              timeoutMs: ahead ? 0 : timeoutMs,
              signal: AbortSignal.any([signal, own]),
              ...selectors,
              ...(token === undefined ? first : {}),
              limit,
              continue: token,
            },
            peek,
          ),
        pipelined
          ? (page) => {
              if (page.wanted) sendAhead(page);
            }
          : undefined,
      );
    // At most one request ahead of the page being read: only the page the iteration waits for
    // sends the next one.
    const sendAhead = (pending: PageRequest<T>): void => {
      if (pending.next !== undefined && pending.ahead === undefined)
        pending.ahead = request(pending.next, true);
    };
    try {
      let current = request(undefined);
      for (;;) {
        current.wanted = true;
        if (pipelined) sendAhead(current);
        const list = await current.answer;
        current.ahead?.startDeadline(timeoutMs);
        const next = list.metadata.continue === '' ? undefined : list.metadata.continue;
        if (next === undefined) {
          // The last page, although its start named a next one (an answer sent again): nothing
          // more is read, so the request ahead is not left running while the consumer holds it.
          current.ahead?.abort();
          yield list;
          return;
        }
        let ahead = current.ahead;
        if (ahead?.token !== next) {
          // Not the whole answer's token (a server that changed its mind): ask again with it.
          ahead?.abort();
          ahead = pipelined ? request(next) : undefined;
        }
        yield list;
        current = ahead ?? request(next);
      }
    } finally {
      stop.abort(new DOMException('the iteration ended', 'AbortError'));
    }
  }

  async listAll<T extends KubeObject = KubeObject>(
    ref: KindRef,
    options?: ListAllOptions,
  ): Promise<KubeList<T>> {
    let first: KubeList<T> | undefined;
    try {
      for await (const page of this.listPages<T>(ref, options)) {
        if (first === undefined) first = page;
        else first.items.push(...page.items);
      }
    } catch (error: unknown) {
      if (first === undefined || !isExpired(error)) throw error;
      // The continue token expired: read the whole list in one request, as client-go's pager.
      first = await this.list<T>(ref, {
        ...callOf(options),
        labelSelector: options?.labelSelector,
        fieldSelector: options?.fieldSelector,
        metadataOnly: options?.metadataOnly,
        resourceVersion: options?.resourceVersion,
        resourceVersionMatch: options?.resourceVersionMatch,
      });
    }
    if (first === undefined) throw new KubeClientError('invalidResponse', `list ${ref.kind}: no page`);
    const { continue: _continue, remainingItemCount: _remaining, ...metadata } = first.metadata;
    return { ...first, metadata };
  }

  async *watch<T extends KubeObject = KubeObject>(
    ref: KindRef & { readonly name?: string | undefined },
    options?: WatchOptions,
  ): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const path = await this.path(ref, undefined, '', options?.signal);
    const byName = ref.name === undefined ? undefined : `metadata.name=${ref.name}`;
    const fieldSelector =
      byName === undefined
        ? options?.fieldSelector
        : [byName, options?.fieldSelector].filter((s) => s !== undefined && s !== '').join(',');
    const query: Query = {
      watch: 'true',
      resourceVersion: options?.resourceVersion,
      allowWatchBookmarks: options?.allowWatchBookmarks,
      labelSelector: options?.labelSelector,
      fieldSelector,
      timeoutSeconds: options?.timeoutSeconds,
      sendInitialEvents: options?.sendInitialEvents,
      resourceVersionMatch: options?.sendInitialEvents === true ? 'NotOlderThan' : undefined,
    };
    const inactivityTimeoutMs = options?.inactivityTimeoutMs ?? this.watchInactivityTimeoutMs;
    const stream = await this.transport.stream({
      method: 'GET',
      path: path + queryString(query),
      signal: options?.signal,
      timeoutMs: inactivityTimeoutMs,
      ...acceptOf(options?.metadataOnly, metadataAccept),
    });
    try {
      options?.onEstablished?.();
    } catch (error: unknown) {
      stream.body.destroy();
      throw error;
    }
    const events = readWatchEvents<T>(stream.body, {
      maxLineLength: this.maxWatchLineLength,
      inactivityTimeoutMs,
      what: `watch ${path}`,
      clock: this.transport.clock,
    });
    try {
      yield* events;
    } catch (error: unknown) {
      const signal = options?.signal;
      if (signal?.aborted === true) {
        throw new KubeClientError('aborted', `watch ${path} was aborted`, { cause: signal.reason });
      }
      if (KubeClientError.is(error)) throw error;
      throw new KubeClientError(
        'network',
        `watch ${path}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  async create<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T> {
    const ref = this.kindOf(object, 'create');
    const path = await this.path(ref, undefined, '', options?.signal, true);
    return this.call<T>('POST', path + queryString(writeQuery(options)), JSON.stringify(object), options);
  }

  async update<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T> {
    return this.put(object, '', options);
  }

  async updateStatus<T extends KubeObject>(object: T, options?: WriteOptions): Promise<T> {
    return this.put(object, 'status', options);
  }

  async patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    options?: PatchOptions,
  ): Promise<T> {
    return this.sendPatch<T>(ref, '', patch, options);
  }

  async patchStatus<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    options?: PatchOptions,
  ): Promise<T> {
    return this.sendPatch<T>(ref, 'status', patch, options);
  }

  async apply<T extends KubeObject>(object: T, options: ApplyOptions): Promise<T> {
    if (options.fieldManager === '') {
      throw new KubeClientError('invalidArgument', 'apply: fieldManager is required');
    }
    const ref = this.kindOf(object, 'apply');
    const name = this.nameOf(object, 'apply');
    const path = await this.path(ref, name, '', options.signal);
    const query: Query = { ...writeQuery(options), force: options.force === true ? true : undefined };
    return this.call<T>(
      'PATCH',
      path + queryString(query),
      JSON.stringify(object),
      options,
      'application/apply-patch+yaml',
    );
  }

  async delete<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    options?: DeleteOptions,
  ): Promise<T | Status> {
    const path = await this.path(ref, ref.name, '', options?.signal);
    return this.call<T | Status>('DELETE', path, this.deleteBody(options), options);
  }

  async deleteCollection(ref: KindRef, options?: DeleteCollectionOptions): Promise<KubeList | Status> {
    const path = await this.path(ref, undefined, '', options?.signal);
    const query: Query = { labelSelector: options?.labelSelector, fieldSelector: options?.fieldSelector };
    return this.call<KubeList | Status>(
      'DELETE',
      path + queryString(query),
      this.deleteBody(options),
      options,
    );
  }

  /** Closes the connections: requests in flight finish first unless `graceful` is false. Idempotent. */
  async close(graceful = true): Promise<void> {
    await this.transport.close(graceful);
  }

  /** DeleteOptions as the body, when any is set. */
  private deleteBody(options: DeleteOptions | undefined): string | undefined {
    if (
      options === undefined ||
      (options.preconditions === undefined &&
        options.propagationPolicy === undefined &&
        options.gracePeriodSeconds === undefined &&
        options.dryRun !== true)
    ) {
      return undefined;
    }
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: options.preconditions,
      propagationPolicy: options.propagationPolicy,
      gracePeriodSeconds: options.gracePeriodSeconds,
      dryRun: options.dryRun === true ? ['All'] : undefined,
    };
    return JSON.stringify(body);
  }

  private async put<T extends KubeObject>(
    object: T,
    subresource: string,
    options: WriteOptions | undefined,
  ): Promise<T> {
    const verb = subresource === '' ? 'update' : 'updateStatus';
    const ref = this.kindOf(object, verb);
    const name = this.nameOf(object, verb);
    const path = await this.path(ref, name, subresource, options?.signal);
    return this.call<T>('PUT', path + queryString(writeQuery(options)), JSON.stringify(object), options);
  }

  private async sendPatch<T extends KubeObject>(
    ref: ObjectRef,
    subresource: string,
    patch: unknown,
    options: PatchOptions | undefined,
  ): Promise<T> {
    const path = await this.path(ref, ref.name, subresource, options?.signal);
    const contentType = patchTypes[options?.type ?? 'merge'];
    return this.call<T>(
      'PATCH',
      path + queryString(writeQuery(options)),
      JSON.stringify(patch),
      options,
      contentType,
    );
  }

  private async call<T>(
    method: HttpMethod,
    path: string,
    body: string | undefined,
    options: (CallOptions & { idempotent?: boolean | undefined }) | undefined,
    contentType?: string,
    accept?: string,
    peek?: PeekBody,
  ): Promise<T> {
    return (await this.transport.json({
      method,
      path,
      body,
      ...(contentType === undefined ? {} : { contentType }),
      ...(accept === undefined ? {} : { accept }),
      signal: options?.signal,
      timeoutMs: options?.timeoutMs,
      idempotent: options?.idempotent,
      beforeSend: options?.beforeSend,
      ...(peek === undefined ? {} : { peek }),
    })) as T;
  }

  private kindOf(object: KubeObject, verb: string): KindRef {
    const { apiVersion, kind } = object;
    if (apiVersion === undefined || apiVersion === '' || kind === undefined || kind === '') {
      throw new KubeClientError('invalidArgument', `${verb}: the object needs apiVersion and kind`);
    }
    return { apiVersion, kind, namespace: object.metadata?.namespace };
  }

  private nameOf(object: KubeObject, verb: string): string {
    const name = object.metadata?.name;
    if (name === undefined || name === '') {
      throw new KubeClientError(
        'invalidArgument',
        `${verb} ${object.kind ?? ''}: the object needs metadata.name`,
      );
    }
    return name;
  }

  /** The request path of `ref` (and `name`, `subresource`), resolved by the REST mapper. */
  private async path(
    ref: KindRef,
    name: string | undefined,
    subresource: string,
    signal: AbortSignal | undefined,
    needsNamespace = name !== undefined,
  ): Promise<string> {
    const mapping: ResourceMapping =
      this.mapper.known(ref.apiVersion, ref.kind) ??
      (await this.mapper.mapping(ref.apiVersion, ref.kind, { signal }));
    let path = mapping.groupVersionPath;
    if (mapping.namespaced && ref.namespace !== undefined && ref.namespace !== '') {
      path += `/namespaces/${encodeURIComponent(ref.namespace)}`;
    } else if (mapping.namespaced && needsNamespace) {
      throw new KubeClientError(
        'invalidArgument',
        `${ref.kind} ${name ?? ''}: a namespaced kind needs a namespace`,
      );
    }
    path += `/${mapping.resource}`;
    if (name !== undefined) {
      if (name === '') throw new KubeClientError('invalidArgument', `${ref.kind}: an empty name`);
      path += `/${encodeURIComponent(name)}`;
    }
    if (subresource !== '') path += `/${subresource}`;
    return path;
  }
}

/** A client for `options.kubeConfig`'s current context. Close it when done. */
export function createClient(options: ClientOptions): KubeClient {
  return new KubeClient(options);
}
