import {
  systemClock,
  type DeleteOptions,
  type KindRef,
  type KubeObject,
  type ObjectClient,
  type ObjectRef,
  type PatchOptions,
  type Status,
  type WriteOptions,
} from '@kubekit/client';
import type { Cache } from '../cache/cache.js';
import { objectKey } from '../cache/object-key.js';
import { ReconcileError } from '../reconcile-error.js';
import type {
  CachedApplyOptions,
  CachedClient,
  CachedClientOptions,
  CachedListOptions,
  CachedReadOptions,
} from './cached-client.js';
import { WriteTracker } from './write-tracker.js';

function kindOf(ref: KindRef): KindRef {
  return { apiVersion: ref.apiVersion, kind: ref.kind };
}

function refKey(ref: ObjectRef): string {
  return ref.namespace === undefined || ref.namespace === '' ? ref.name : `${ref.namespace}/${ref.name}`;
}

function isStatus(value: KubeObject | Status): value is Status {
  return (value as KubeObject).kind === 'Status' && (value as KubeObject).apiVersion === 'v1';
}

/** The implementation of {@link CachedClient}; create it with {@link createCachedClient}. */
class ReadYourWritesClient implements CachedClient {
  readonly cache: Cache;
  readonly client: ObjectClient;
  readonly #timeoutMs: number;
  readonly #fieldManager: string | undefined;
  readonly #tracker: WriteTracker;

  constructor(options: CachedClientOptions) {
    this.cache = options.cache;
    this.client = options.client;
    this.#timeoutMs = options.readYourWritesTimeoutMs ?? 5000;
    if (!(this.#timeoutMs >= 0)) {
      throw new ReconcileError(
        'invalidArgument',
        `cached client: readYourWritesTimeoutMs (${String(this.#timeoutMs)}) must be >= 0`,
      );
    }
    this.#fieldManager = options.fieldManager;
    this.#tracker = new WriteTracker(options.clock ?? systemClock);
  }

  async get<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    options: CachedReadOptions = {},
  ): Promise<T | undefined> {
    const wait = this.#wait(options);
    const informer = this.cache.readerFor(ref, { namespace: ref.namespace });
    const kind = kindOf(ref);
    const target =
      this.#tracker.targetOf(kind, refKey(ref)) ??
      (ref.namespace === undefined ? undefined : this.#tracker.targetOf(kind, ref.name));
    // A reader whose scope cannot hold the written object would never show it: nothing to wait for.
    if (target !== undefined && this.#tracker.covers(informer, target)) {
      await this.#tracker.waitFor(kind, informer, [target], wait, `get ${describe(ref)}`);
    }
    const object = this.cache.get<T>(ref);
    return object === undefined ? undefined : structuredClone(object);
  }

  async list<T extends KubeObject = KubeObject>(
    kind: KindRef,
    options: CachedListOptions = {},
  ): Promise<T[]> {
    const { signal, timeoutMs, ...filters } = options;
    const wait = this.#wait({ signal, timeoutMs });
    const informer = this.cache.readerFor(kind, {
      namespace: filters.namespace ?? kind.namespace,
      ...(filters.labelSelector !== undefined && { labelSelector: filters.labelSelector }),
      ...(filters.fieldSelector !== undefined && { fieldSelector: filters.fieldSelector }),
    });
    const targets = this.#tracker.targetsIn(kindOf(kind), informer);
    if (targets.length > 0) {
      await this.#tracker.waitFor(
        kindOf(kind),
        informer,
        targets,
        wait,
        `list ${kind.apiVersion}/${kind.kind}`,
      );
    }
    return structuredClone(this.cache.list<T>(kind, filters));
  }

  async create<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return this.#wrote(object, await this.client.create(object, options), options);
  }

  async update<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return this.#wrote(object, await this.client.update(object, options), options);
  }

  async patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    return this.#wrote(ref, await this.client.patch<T>(ref, patch, options), options);
  }

  async apply<T extends KubeObject>(object: T, options: CachedApplyOptions = {}): Promise<T> {
    const fieldManager = options.fieldManager ?? this.#fieldManager;
    if (fieldManager === undefined) {
      throw new ReconcileError(
        'invalidArgument',
        'apply needs a fieldManager: pass { fieldManager } to apply or to the cached client',
      );
    }
    const { idempotent: _idempotent, ...rest } = options;
    return this.#wrote(object, await this.client.apply(object, { ...rest, fieldManager }), options);
  }

  async updateStatus<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return this.#wrote(object, await this.client.updateStatus(object, options), options);
  }

  async patchStatus<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    return this.#wrote(ref, await this.client.patchStatus<T>(ref, patch, options), options);
  }

  async delete<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    options: DeleteOptions = {},
  ): Promise<T | Status> {
    const kind = kindOf(ref);
    const informers = this.cache.informersOf(kind);
    // The cache key: a ref may name a namespace for a cluster-scoped kind (the API client ignores it,
    // as the cache's get does); an informer holding the bare name tells the kind is cluster-scoped.
    const clusterScoped =
      ref.namespace !== undefined &&
      ref.namespace !== '' &&
      (this.#tracker.targetOf(kind, ref.name) !== undefined ||
        informers.some((i) => i.get(ref.name) !== undefined));
    const key = clusterScoped ? ref.name : refKey(ref);
    // The uid of what is deleted, so that a new object of the same name counts as "gone".
    const known =
      options.preconditions?.uid ??
      this.#tracker.targetOf(kind, key)?.uid ??
      informers.map((i) => i.get(key)?.metadata?.uid).find((uid) => uid !== undefined);
    const answer = await this.client.delete<T>(ref, options);
    if (options.dryRun === true) return answer;
    const pending =
      !isStatus(answer) && answer.metadata?.deletionTimestamp !== undefined ? answer : undefined;
    const uid = isStatus(answer) ? (answer.details?.uid ?? known) : (answer.metadata?.uid ?? known);
    this.#tracker.record(
      kind,
      {
        key,
        namespace: clusterScoped ? '' : (ref.namespace ?? ''),
        labels: {},
        uid,
        resourceVersion: pending?.metadata?.resourceVersion,
        gone: true,
      },
      informers,
    );
    return answer;
  }

  close(): void {
    this.#tracker.close();
  }

  #wait(options: CachedReadOptions): { signal?: AbortSignal; timeoutMs: number } {
    if (options.timeoutMs !== undefined && !(options.timeoutMs >= 0)) {
      throw new ReconcileError(
        'invalidArgument',
        `cached client: a read's timeoutMs (${String(options.timeoutMs)}) must be a number >= 0`,
      );
    }
    return {
      ...(options.signal !== undefined && { signal: options.signal }),
      timeoutMs: options.timeoutMs ?? this.#timeoutMs,
    };
  }

  /** Records a write's answer for later reads; returns it. */
  #wrote<T extends KubeObject>(
    request: KubeObject | ObjectRef,
    answer: T,
    options: { readonly dryRun?: boolean | undefined },
  ): T {
    if (options.dryRun === true) return answer;
    const apiVersion = answer.apiVersion ?? (request as KubeObject).apiVersion;
    const kindName = answer.kind ?? (request as KubeObject).kind;
    if (apiVersion === undefined || kindName === undefined) return answer;
    const kind = { apiVersion, kind: kindName };
    this.#tracker.record(
      kind,
      {
        key: objectKey(answer),
        namespace: answer.metadata?.namespace ?? '',
        labels: answer.metadata?.labels ?? {},
        uid: answer.metadata?.uid,
        resourceVersion: answer.metadata?.resourceVersion,
        gone: false,
        deleting: answer.metadata?.deletionTimestamp !== undefined,
      },
      this.cache.informersOf(kind),
    );
    return answer;
  }
}

function describe(ref: ObjectRef): string {
  return `${ref.apiVersion}/${ref.kind} ${refKey(ref)}`;
}

/** Creates a {@link CachedClient}: reads from `options.cache`, writes through `options.client`. */
export function createCachedClient(options: CachedClientOptions): CachedClient {
  return new ReadYourWritesClient(options);
}
