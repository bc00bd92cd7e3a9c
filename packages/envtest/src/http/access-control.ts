import type { ApiRequest, ApiResponse } from './exchange.js';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../api/api-error.js';
import { selfSubjectAccessReviews, serviceaccounts } from '../api/builtin-resources.js';
import { formatTime, isRecord } from '../api/kube-object.js';
import type { ObjectService } from '../api/object-service.js';
import { forbiddenError } from '../auth/rbac-authorizer.js';
import type { RbacAuthorizer, ResourceAttributes } from '../auth/rbac-authorizer.js';
import type { Identity, TokenAuthenticator } from '../auth/token-authenticator.js';
import type { Verb } from '../envtest.js';
import { wallClock } from '../wall-clock.js';
import { validateFields } from './field-validation.js';
import { sendJson } from './http-util.js';
import { readJson } from './request-body.js';
import type { ResourceRequestInfo } from './request-info.js';

// What kube-apiserver's bootstrap policy lets every authenticated user do.
const EVERYONE: readonly string[] = [
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
  'authentication.k8s.io/selfsubjectreviews',
];

/**
 * Authorizes a resource request of an RBAC user (others pass).
 * @throws ApiError 403 Forbidden in kube-apiserver's words.
 */
export function authorize(
  authorizer: RbacAuthorizer,
  identity: Identity,
  info: ResourceRequestInfo,
  verb: Verb,
): void {
  if (!identity.rbac) return;
  if (verb === 'create' && EVERYONE.includes(`${info.group}/${info.plural}`)) return;
  const request: ResourceAttributes = {
    verb,
    group: info.group,
    resource: info.plural,
    ...(info.subresource === undefined ? {} : { subresource: info.subresource }),
    ...(info.namespace === undefined ? {} : { namespace: info.namespace }),
    ...(info.name === undefined ? {} : { name: info.name }),
  };
  if (authorizer.authorize(identity, request).allowed) return;
  throw forbiddenError(identity, request);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** POST of a SelfSubjectAccessReview: whether the caller may do what it asks, answered at once. */
export async function serveSelfSubjectAccessReview(
  authorizer: RbacAuthorizer,
  identity: Identity,
  request: ApiRequest,
  response: ApiResponse,
  query: URLSearchParams,
): Promise<void> {
  const body = await readJson(request, response);
  if (isRecord(body)) validateFields(selfSubjectAccessReviews, body, query, response);
  const spec = isRecord(body) && isRecord(body['spec']) ? body['spec'] : {};
  const attributes = isRecord(spec['resourceAttributes']) ? spec['resourceAttributes'] : undefined;
  const nonResource = isRecord(spec['nonResourceAttributes']) ? spec['nonResourceAttributes'] : undefined;
  if (attributes === undefined && nonResource === undefined) {
    throw new ApiError(
      422,
      'Invalid',
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  }
  let status: Record<string, unknown>;
  if (attributes !== undefined) {
    const namespace = text(attributes['namespace']);
    const decision = authorizer.authorize(identity, {
      verb: text(attributes['verb']),
      group: text(attributes['group']),
      resource: text(attributes['resource']),
      ...(text(attributes['subresource']) ? { subresource: text(attributes['subresource']) } : {}),
      ...(namespace ? { namespace } : {}),
      ...(text(attributes['name']) ? { name: text(attributes['name']) } : {}),
    });
    status = { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) };
  } else {
    // Discovery and health paths are open to every authenticated user, as kube's bootstrap policy.
    status = { allowed: !identity.rbac || text(nonResource?.['verb']) === 'get' };
  }
  sendJson(response, 201, {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status,
  });
}

/** POST of `serviceaccounts/NAME/token`: a TokenRequest, answered with a bearer token for the account. */
export async function serveTokenRequest(
  service: ObjectService,
  authenticator: TokenAuthenticator,
  namespace: string,
  name: string,
  request: ApiRequest,
  response: ApiResponse,
): Promise<void> {
  service.get(serviceaccounts, namespace, name); // 404 for an account that does not exist
  const body = await readJson(request, response);
  const spec = isRecord(body) && isRecord(body['spec']) ? body['spec'] : {};
  const seconds = typeof spec['expirationSeconds'] === 'number' ? spec['expirationSeconds'] : 3600;
  if (seconds < 600) {
    throw new ApiError(
      422,
      'Invalid',
      `TokenRequest.authentication.k8s.io "${name}" is invalid: spec.expirationSeconds: Invalid value: ${seconds}: may not specify a duration less than 10 minutes`,
    );
  }
  const token = authenticator.addServiceAccountToken(namespace, name);
  sendJson(response, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: formatTime(wallClock()), uid: randomUUID() },
    spec: {
      audiences: Array.isArray(spec['audiences']) ? spec['audiences'] : [],
      expirationSeconds: seconds,
      boundObjectRef: spec['boundObjectRef'] ?? null,
    },
    status: { token, expirationTimestamp: formatTime(wallClock() + seconds * 1000) },
  });
}
