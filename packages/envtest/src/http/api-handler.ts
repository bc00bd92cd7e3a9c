import { abortExchange, dropConnection } from './exchange.js';
import type { ApiRequest, ApiResponse } from './exchange.js';
import { ApiError } from '../api/api-error.js';
import type { KubeObject } from '../api/kube-object.js';
import { supportedFields } from '../api/object-service.js';
import type { DeleteOptions, ObjectService } from '../api/object-service.js';
import type { ResourceType } from '../api/resource-type.js';
import { serviceaccounts, selfSubjectAccessReviews } from '../api/builtin-resources.js';
import { impersonate } from '../auth/impersonation.js';
import type { RbacAuthorizer } from '../auth/rbac-authorizer.js';
import { ADMIN_USER } from '../auth/token-authenticator.js';
import type { Identity, TokenAuthenticator } from '../auth/token-authenticator.js';
import { authorize, serveSelfSubjectAccessReview, serveTokenRequest } from './access-control.js';
import type { Verb } from '../envtest.js';
import type { FaultTable } from '../faults/fault-table.js';
import type { RequestAttributes } from '../faults/request-attributes.js';
import type { RequestCounterTable } from '../faults/request-counter-table.js';
import { FieldSelector } from '../selectors/field-selector.js';
import { LabelSelector } from '../selectors/label-selector.js';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV2Document,
  openApiV3Document,
  openApiV3Root,
  SERVER_VERSION,
} from './discovery.js';
import { readDeleteOptions } from './delete-options.js';
import { sendError, sendJson, sendList, sendText, sleep } from './http-util.js';
import { encodeList } from '../storage/encoded-objects.js';
import { validateFields } from './field-validation.js';
import { servePatch } from './patch-handler.js';
import { asPartialObjectMetadata, wantsPartialMetadata } from './partial-metadata.js';
import { checkName, readObject } from './request-body.js';
import { parseRequestInfo } from './request-info.js';
import { fieldManagerOf, flag, integerParam, verbOf } from './request-params.js';
import { serveScale } from './scale-handler.js';
import { includeObjectParam, toTable, wantsTable } from './table.js';
import type { ResourceRequestInfo } from './request-info.js';
import type { WatchRegistry } from './watch-registry.js';
import { WatchStream } from './watch-stream.js';

/** Everything the request handler works with; owned by the server. */
export interface ApiHandlerContext {
  readonly service: ObjectService;
  readonly authenticator: TokenAuthenticator;
  readonly authorizer: RbacAuthorizer;
  readonly faults: FaultTable;
  readonly counters: RequestCounterTable;
  readonly watches: WatchRegistry;
  /** Plain HTTP: every request acts as the admin. */
  readonly insecure: boolean;
  readonly bookmarkIntervalMs: number;
  readonly futureResourceVersionWaitMs: number;
  /** Aborted when the server stops: pending latencies end at once. */
  readonly signal: AbortSignal;
  /** Requests kept open by a `hang` fault; destroyed on stop. */
  readonly hung: Set<ApiResponse>;
  /** `host:port` as clients reach the server. */
  serverAddress(): string;
  /** Serves `/_envtest/…` (already authenticated as the admin). */
  admin(path: string, request: ApiRequest, response: ApiResponse): Promise<void>;
}

const NO_QUERY = new URLSearchParams();
const ADMIN_IDENTITY: Identity = {
  user: ADMIN_USER,
  username: ADMIN_USER,
  groups: ['system:masters', 'system:authenticated'],
  rbac: false,
};

function notAcceptable(): ApiError {
  return new ApiError(
    406,
    'NotAcceptable',
    'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
  );
}
const PUBLIC_PATHS = /^\/(healthz|livez|readyz|version)(\/.*)?$/;

/**
 * The request pipeline of the embedded API server: authentication, request counting, fault
 * injection, then discovery, health, or the resource verbs over the object service.
 */
export class ApiHandler {
  readonly #context: ApiHandlerContext;

  constructor(context: ApiHandlerContext) {
    this.#context = context;
  }

  /** Serves one request; never rejects. */
  async handle(request: ApiRequest, response: ApiResponse): Promise<void> {
    try {
      await this.#handle(request, response);
    } catch (error) {
      sendError(response, error);
    }
  }

  #authenticate(request: ApiRequest, path: string): Identity | undefined {
    if (this.#context.insecure) return ADMIN_IDENTITY;
    const header = request.headers.authorization;
    const identity = this.#context.authenticator.authenticate(header);
    if (identity !== undefined) return identity;
    if (header === undefined && PUBLIC_PATHS.test(path)) return undefined;
    throw new ApiError(401, 'Unauthorized', 'Unauthorized');
  }

  async #handle(request: ApiRequest, response: ApiResponse): Promise<void> {
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    const path = queryStart < 0 ? url : url.slice(0, queryStart);
    const query = queryStart < 0 ? NO_QUERY : new URLSearchParams(url.slice(queryStart + 1));
    const identity = this.#authenticate(request, path);
    const user = identity?.user;
    if (path === '/_envtest' || path.startsWith('/_envtest/')) {
      if (user !== ADMIN_USER)
        throw ApiError.forbidden(
          `User "${user ?? 'system:anonymous'}" cannot use the envtest admin endpoint`,
        );
      await this.#context.admin(path, request, response);
      return;
    }
    const info = parseRequestInfo(path);
    const method = request.method ?? 'GET';
    if (info.kind === 'nonResource') {
      const attributes: RequestAttributes = {
        user: user ?? 'system:anonymous',
        verb: method === 'GET' ? 'get' : 'create',
      };
      if (!(await this.#applyFaults(attributes, response))) return;
      this.#nonResource(path, method, response);
      return;
    }
    const verb = verbOf(method, info, query);
    const attributes: RequestAttributes = {
      user: user ?? 'system:anonymous',
      verb,
      resource: info.plural,
      ...(info.subresource === undefined ? {} : { subresource: info.subresource }),
      ...(info.namespace === undefined ? {} : { namespace: info.namespace }),
      ...(info.name === undefined ? {} : { name: info.name }),
    };
    this.#context.counters.record(attributes);
    if (!(await this.#applyFaults(attributes, response))) return;
    if (identity === undefined) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    const actingAs = impersonate(identity, request.rawHeaders, this.#context.authorizer);
    authorize(this.#context.authorizer, actingAs, info, verb);
    await this.#resource(info, verb, attributes, actingAs, query, request, response);
  }

  /** Applies the matching faults; false when the request must not be served. */
  async #applyFaults(attributes: RequestAttributes, response: ApiResponse): Promise<boolean> {
    const decision = this.#context.faults.decide(attributes);
    if (decision.latencyMs > 0) {
      await sleep(decision.latencyMs, this.#context.signal);
      if (this.#context.signal.aborted) {
        dropConnection(response);
        return false;
      }
    }
    const effect = decision.effect;
    if (!effect) return true;
    switch (effect.kind) {
      case 'error':
        throw ApiError.fromCode(effect.code, effect.message, effect.retryAfterSeconds);
      case 'hang': {
        const hung = this.#context.hung;
        hung.add(response);
        const unregister = effect.release(() => {
          abortExchange(response);
        });
        response.on('close', () => {
          unregister();
          hung.delete(response);
        });
        return false;
      }
      case 'partition':
        dropConnection(response);
        return false;
    }
  }

  #nonResource(path: string, method: string, response: ApiResponse): void {
    const registry = this.#context.service.registry;
    if (method !== 'GET' && method !== 'HEAD') {
      sendText(response, 405, 'method not allowed');
      return;
    }
    const segments = path.split('/').filter((segment) => segment !== '');
    let body: unknown;
    if (path === '/api' || path === '/api/') body = apiVersions(this.#context.serverAddress());
    else if (segments[0] === 'api' && segments.length === 2)
      body = apiResourceList(registry, '', segments[1] ?? '');
    else if (path === '/apis' || path === '/apis/') body = apiGroupList(registry);
    else if (segments[0] === 'apis' && segments.length === 2) body = apiGroup(registry, segments[1] ?? '');
    else if (segments[0] === 'apis' && segments.length === 3) {
      body = apiResourceList(registry, segments[1] ?? '', segments[2] ?? '');
    } else if (path === '/version' || path === '/version/') body = SERVER_VERSION;
    else if (path === '/openapi/v3' || path === '/openapi/v3/') body = openApiV3Root(registry);
    else if (path === '/openapi/v2' || path === '/openapi/v2/') body = openApiV2Document(registry);
    else if (segments[0] === 'openapi' && segments[1] === 'v3') {
      const [, , root, first, second] = segments;
      if (root === 'api' && first !== undefined && second === undefined)
        body = openApiV3Document(registry, '', first);
      else if (root === 'apis' && first !== undefined && second !== undefined && segments.length === 5) {
        body = openApiV3Document(registry, first, second);
      }
    } else if (PUBLIC_PATHS.test(path)) {
      sendText(response, 200, 'ok');
      return;
    }
    if (body === undefined) {
      sendText(response, 404, '404 page not found\n');
      return;
    }
    sendJson(response, 200, body);
  }

  #type(info: ResourceRequestInfo): ResourceType {
    const type = this.#context.service.registry.byPath(info.group, info.version, info.plural);
    if (!type) throw ApiError.resourceNotFound();
    const subresource = info.subresource;
    const served =
      subresource === 'status'
        ? type.statusSubresource
        : subresource === 'scale'
          ? type.scale !== undefined
          : subresource === 'token' && type === serviceaccounts;
    if (subresource !== undefined && !served) {
      throw ApiError.resourceNotFound();
    }
    if (!type.namespaced && info.namespace !== undefined) throw ApiError.resourceNotFound();
    return type;
  }

  async #resource(
    info: ResourceRequestInfo,
    verb: Verb,
    attributes: RequestAttributes,
    identity: Identity,
    query: URLSearchParams,
    request: ApiRequest,
    response: ApiResponse,
  ): Promise<void> {
    const type = this.#type(info);
    if (type.verbs !== undefined && !type.verbs.includes(verb)) {
      // A collection DELETE has no route at all where deletecollection is not served.
      if (verb === 'deletecollection') throw ApiError.methodNotAllowed();
      throw ApiError.methodNotSupported(type, verb);
    }
    if (type === selfSubjectAccessReviews) {
      await serveSelfSubjectAccessReview(this.#context.authorizer, identity, request, response, query);
      return;
    }
    const service = this.#context.service;
    const namespace = type.namespaced ? info.namespace : undefined;
    const name = info.name ?? '';
    const dryRun = query.get('dryRun') === 'All';
    if (type.namespaced && namespace === undefined && verb !== 'list' && verb !== 'watch') {
      if (verb === 'create' || verb === 'deletecollection') throw ApiError.resourceNotFound();
      throw ApiError.resourceNotFound();
    }
    if (info.subresource === 'token') {
      if (verb !== 'create') throw ApiError.methodNotSupported(type, verb);
      await serveTokenRequest(service, this.#context.authenticator, namespace ?? '', name, request, response);
      return;
    }
    if (info.subresource === 'scale' && type.scale) {
      await serveScale(
        service,
        { type, scale: type.scale, namespace, name },
        verb,
        request,
        response,
        dryRun,
        fieldManagerOf(query, request),
      );
      return;
    }
    switch (verb) {
      case 'get': {
        const object = service.get(type, namespace, name);
        const partial = wantsPartialMetadata(request.headers.accept);
        if (partial !== undefined) {
          if (partial !== 'PartialObjectMetadata') throw notAcceptable();
          sendJson(response, 200, asPartialObjectMetadata(object));
          return;
        }
        const table = wantsTable(request.headers.accept);
        sendJson(
          response,
          200,
          table
            ? toTable(
                type,
                [object],
                { resourceVersion: object.metadata.resourceVersion },
                includeObjectParam(query.get('includeObject')),
              )
            : object,
        );
        return;
      }
      case 'list':
        this.#list(type, namespace, query, request.headers.accept, response);
        return;
      case 'watch':
        this.#watch(type, namespace, info.name, query, attributes, request.headers.accept, response);
        return;
      case 'create': {
        if (info.subresource !== undefined) throw ApiError.methodNotSupported(type, 'create');
        const body = await readObject(service.registry, type, request, response, namespace);
        validateFields(type, body, query, response);
        const manager = fieldManagerOf(query, request);
        sendJson(
          response,
          201,
          service.create(type, namespace, body, dryRun, true, { operation: 'Update', manager }),
        );
        return;
      }
      case 'update': {
        const body = await readObject(service.registry, type, request, response, namespace);
        checkName(body, name);
        validateFields(type, body, query, response);
        const subresource = info.subresource === 'status' ? 'status' : undefined;
        const manager = fieldManagerOf(query, request);
        const { object, created } = service.update(type, namespace, name, body, subresource, dryRun, true, {
          operation: 'Update',
          manager,
        });
        sendJson(response, created ? 201 : 200, object);
        return;
      }
      case 'patch':
        await servePatch(
          { service, type, namespace, name, subresource: info.subresource, query, dryRun },
          request,
          response,
        );
        return;
      case 'delete':
        this.#delete(type, namespace, name, await readDeleteOptions(query, request, response), response);
        return;
      case 'deletecollection': {
        const options = await readDeleteOptions(query, request, response);
        const listed = service.list(type, namespace, {
          labelSelector: LabelSelector.parse(query.get('labelSelector')),
          fieldSelector: FieldSelector.parse(query.get('fieldSelector'), supportedFields(type)),
        });
        const items: KubeObject[] = [];
        for (const object of listed.items) {
          try {
            items.push(
              service.delete(type, object.metadata.namespace, object.metadata.name ?? '', options).object,
            );
          } catch {
            // Deleted concurrently.
          }
        }
        const metadata = { resourceVersion: String(service.store.revision) };
        sendList(response, encodeList(type.listKind, type.apiVersion, metadata, items));
        return;
      }
    }
  }

  #list(
    type: ResourceType,
    namespace: string | undefined,
    query: URLSearchParams,
    accept: string | undefined,
    response: ApiResponse,
  ): void {
    const partial = wantsPartialMetadata(accept);
    if (partial === 'PartialObjectMetadata') throw notAcceptable();
    const continueToken = query.get('continue');
    // resourceVersion "0" (any) is answered from memory in one piece, the limit ignored, as
    // kube-apiserver's watch cache does; unset (consistent) lists honour it.
    const asked = integerParam(query, 'limit');
    const limit = query.get('resourceVersion') === '0' && !continueToken ? undefined : asked;
    const result = this.#context.service.list(type, namespace, {
      labelSelector: LabelSelector.parse(query.get('labelSelector')),
      fieldSelector: FieldSelector.parse(query.get('fieldSelector'), supportedFields(type)),
      ...(limit === undefined ? {} : { limit }),
      ...(continueToken ? { continueToken } : {}),
    });
    const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
    if (result.continueToken !== undefined) metadata['continue'] = result.continueToken;
    if (result.remainingItemCount !== undefined) metadata['remainingItemCount'] = result.remainingItemCount;
    if (partial !== undefined) {
      const items = result.items.map(asPartialObjectMetadata);
      sendList(response, encodeList('PartialObjectMetadataList', 'meta.k8s.io/v1', metadata, items));
      return;
    }
    if (wantsTable(accept)) {
      sendJson(
        response,
        200,
        toTable(type, result.items, metadata, includeObjectParam(query.get('includeObject'))),
      );
      return;
    }
    // The items' cached JSON joined, not the whole list serialised again.
    sendList(response, encodeList(type.listKind, type.apiVersion, metadata, result.items));
  }

  #watch(
    type: ResourceType,
    namespace: string | undefined,
    name: string | undefined,
    query: URLSearchParams,
    attributes: RequestAttributes,
    accept: string | undefined,
    response: ApiResponse,
  ): void {
    const table = wantsTable(accept);
    let fieldSelector = query.get('fieldSelector') ?? '';
    if (name !== undefined)
      fieldSelector = fieldSelector ? `${fieldSelector},metadata.name=${name}` : `metadata.name=${name}`;
    const timeoutSeconds = integerParam(query, 'timeoutSeconds');
    const resourceVersion = query.get('resourceVersion') ?? undefined;
    const stream = new WatchStream(
      this.#context.service,
      response,
      {
        type,
        namespace,
        labels: LabelSelector.parse(query.get('labelSelector')),
        fields: FieldSelector.parse(fieldSelector, supportedFields(type)),
        resourceVersion,
        allowBookmarks: flag(query, 'allowWatchBookmarks'),
        sendInitialEvents: flag(query, 'sendInitialEvents'),
        timeoutSeconds,
        bookmarkIntervalMs: this.#context.bookmarkIntervalMs,
        futureResourceVersionWaitMs: this.#context.futureResourceVersionWaitMs,
        attributes,
        table: table ? includeObjectParam(query.get('includeObject')) : undefined,
        partial: wantsPartialMetadata(accept) !== undefined,
      },
      (closed) => {
        this.#context.watches.delete(closed);
      },
    );
    this.#context.watches.add(stream);
    stream.start();
  }

  #delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
    response: ApiResponse,
  ): void {
    const { object, removed } = this.#context.service.delete(type, namespace, name, options);
    if (!removed || type.custom || type.plural === 'pods' || type.plural === 'namespaces') {
      sendJson(response, 200, object);
      return;
    }
    sendJson(response, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name,
        ...(type.group ? { group: type.group } : {}),
        kind: type.plural,
        uid: object.metadata.uid ?? '',
      },
    });
  }
}
