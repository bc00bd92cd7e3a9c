import type { ApiRequest, ApiResponse } from './exchange.js';
import { parse as parseYaml } from 'yaml';
import { ApiError } from '../api/api-error.js';
import type { StatusCause } from '../api/api-error.js';
import { formatTime, isRecord } from '../api/kube-object.js';
import type { ObjectService } from '../api/object-service.js';
import type { ResourceType } from '../api/resource-type.js';
import { scopeOf, shapeOf } from '../apply/field-tracking.js';
import { serverSideApply } from '../apply/server-side-apply.js';
import { checkDeclaredFields } from '../apply/undeclared-fields.js';
import { jsonPatch } from '../patch/json-patch.js';
import { mergePatch } from '../patch/merge-patch.js';
import { strategicMergePatch } from '../patch/strategic-merge-patch.js';
import { wallClock } from '../wall-clock.js';
import { mediaType, parseJson, readBody, sendJson } from './http-util.js';
import { checkName, checkObject, unsupportedMediaType } from './request-body.js';
import { fieldManagerOf, flag } from './request-params.js';
import { validateFields } from './field-validation.js';

const APPLY = 'application/apply-patch+yaml';

/** The patch types a resource accepts, as kube-apiserver lists them. */
export function patchTypes(type: ResourceType): string[] {
  return [
    'application/json-patch+json',
    'application/merge-patch+json',
    ...(type.strategicMergePatch ? ['application/strategic-merge-patch+json'] : []),
    APPLY,
  ];
}

function patchOptionsInvalid(cause: StatusCause): ApiError {
  return new ApiError(
    422,
    'Invalid',
    `PatchOptions.meta.k8s.io "" is invalid: ${cause.field}: ${cause.message}`,
    { group: 'meta.k8s.io', kind: 'PatchOptions', causes: [cause] },
  );
}

/** One PATCH of a resource or its status: JSON, merge, strategic merge, or server-side apply. */
export interface PatchRequest {
  readonly service: ObjectService;
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly subresource: string | undefined;
  readonly query: URLSearchParams;
  readonly dryRun: boolean;
}

function parseApplyBody(raw: Buffer): unknown {
  try {
    return parseYaml(raw.toString('utf8'));
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw ApiError.badRequest(`error decoding YAML: ${why ?? ''}`);
  }
}

/** Serves a PATCH; answers 200 with the object (201 when an apply created it). */
export async function servePatch(
  patchRequest: PatchRequest,
  request: ApiRequest,
  response: ApiResponse,
): Promise<void> {
  const { service, type, namespace, name, subresource, query, dryRun } = patchRequest;
  const contentType = mediaType(request.headers['content-type']);
  const accepted = patchTypes(type);
  if (!accepted.includes(contentType)) {
    throw unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    );
  }
  const manager = fieldManagerOf(query, request);
  const apply = contentType === APPLY;
  if (!apply && query.has('force')) {
    throw patchOptionsInvalid({
      reason: 'FieldValueForbidden',
      message: 'Forbidden: may not be specified for non-apply patch',
      field: 'force',
    });
  }
  if (apply && !query.get('fieldManager')) {
    throw patchOptionsInvalid({
      reason: 'FieldValueRequired',
      message: 'Required value: is required for apply patch',
      field: 'fieldManager',
    });
  }
  const raw = await readBody(request, response);
  const status = subresource === 'status' ? 'status' : undefined;
  if (apply) {
    const config = parseApplyBody(raw);
    if (!isRecord(config)) throw ApiError.badRequest('the apply configuration must be an object');
    if (typeof config['apiVersion'] !== 'string' || config['apiVersion'] === '')
      throw ApiError.badRequest(
        `error decoding patch: Object 'apiVersion' is missing in the apply configuration`,
      );
    if (typeof config['kind'] !== 'string' || config['kind'] === '')
      throw ApiError.badRequest(`error decoding patch: Object 'Kind' is missing in the apply configuration`);
    const object = checkObject(service.registry, type, config, namespace);
    checkName(object, name);
    if (object.metadata['managedFields'] !== undefined) {
      throw ApiError.badRequest('metadata.managedFields must be nil');
    }
    checkDeclaredFields(type, object, shapeOf(type));
    validateFields(type, object, query, response);
    const live = service.find(type, namespace, name);
    if (live === undefined && status !== undefined) throw ApiError.notFound(type, name);
    const applied = serverSideApply(live === undefined ? undefined : service.view(type, live), object, {
      manager,
      force: flag(query, 'force'),
      apiVersion: type.apiVersion,
      ...(status === undefined ? {} : { subresource: status }),
      shape: shapeOf(type),
      scope: scopeOf(type, status),
      time: formatTime(wallClock()),
    });
    if (live === undefined) {
      delete applied.metadata.resourceVersion;
      const created = service.create(type, namespace, applied, dryRun, true, { operation: 'Apply' });
      sendJson(response, 201, created);
      return;
    }
    applied.metadata.resourceVersion = live.metadata.resourceVersion ?? '';
    const { object: updated } = service.update(type, namespace, name, applied, status, dryRun, true, {
      operation: 'Apply',
    });
    sendJson(response, 200, updated);
    return;
  }
  const patch = parseJson(raw);
  const current = service.get(type, namespace, name);
  let patched: unknown;
  if (contentType === 'application/json-patch+json') patched = jsonPatch(current, patch);
  else {
    if (!isRecord(patch)) throw ApiError.badRequest('the patch must be a JSON object');
    patched =
      contentType === 'application/merge-patch+json'
        ? mergePatch(current, patch)
        : strategicMergePatch(current, patch);
  }
  if (!isRecord(patched)) throw ApiError.badRequest('the patched object is not a JSON object');
  const object = checkObject(service.registry, type, patched, namespace);
  checkName(object, name);
  validateFields(type, object, query, response);
  object.metadata.resourceVersion ??= current.metadata.resourceVersion ?? '';
  const { object: updated } = service.update(type, namespace, name, object, status, dryRun, false, {
    operation: 'Update',
    manager,
  });
  sendJson(response, 200, updated);
}
