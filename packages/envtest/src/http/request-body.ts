import type { ApiRequest, ApiResponse } from './exchange.js';
import { ApiError } from '../api/api-error.js';
import { isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import type { ResourceRegistry } from '../api/resource-registry.js';
import type { ResourceType } from '../api/resource-type.js';
import { mediaType, parseJson, readBody } from './http-util.js';
import { decodeProtobufObject } from '../protobuf/protobuf-decoder.js';

// kube-apiserver also accepts YAML; envtest reads JSON, and protobuf for every built-in kind it
// serves (what kubectl's imperative commands and client-go send).
const UNKNOWN_FORMAT =
  'the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf';

/** 415 for a body in a media type the server does not read. */
export function unsupportedMediaType(message: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', message);
}

export function unknownFormat(): ApiError {
  return unsupportedMediaType(UNKNOWN_FORMAT);
}

/** Reads a JSON (or protobuf) request body. */
export async function readJson(request: ApiRequest, response: ApiResponse): Promise<unknown> {
  const type = mediaType(request.headers['content-type']);
  if (type === 'application/vnd.kubernetes.protobuf')
    return decodeProtobufObject(await readBody(request, response));
  if (type !== '' && type !== 'application/json' && type !== '*/*') throw unknownFormat();
  return parseJson(await readBody(request, response));
}

/** Checks an object body against the URL (apiVersion, kind, namespace) and gives it the type's. */
export function checkObject(
  registry: ResourceRegistry,
  type: ResourceType,
  body: Record<string, unknown>,
  namespace: string | undefined,
): KubeObject {
  const apiVersion = body['apiVersion'];
  const kind = body['kind'];
  if (apiVersion !== undefined && apiVersion !== '' && apiVersion !== type.apiVersion) {
    const served = registry.versionsOf(type.storageId).some((t) => t.apiVersion === apiVersion);
    if (!served) {
      throw ApiError.badRequest(
        `the API version in the data (${JSON.stringify(apiVersion)}) does not match the expected API version (${type.apiVersion})`,
      );
    }
  }
  if (kind !== undefined && kind !== '' && kind !== type.kind) {
    throw ApiError.badRequest(
      `the kind in the data (${JSON.stringify(kind)}) does not match the expected kind (${type.kind})`,
    );
  }
  const metadata = body['metadata'];
  if (metadata !== undefined && !isRecord(metadata)) throw ApiError.badRequest('metadata: must be an object');
  const object = {
    ...body,
    apiVersion: type.apiVersion,
    kind: type.kind,
    metadata: { ...(metadata ?? {}) },
  } as KubeObject;
  const bodyNamespace = object.metadata.namespace;
  if (type.namespaced && bodyNamespace !== undefined && bodyNamespace !== '' && bodyNamespace !== namespace) {
    throw ApiError.badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  return object;
}

/** Reads an object body and checks it against the URL. */
export async function readObject(
  registry: ResourceRegistry,
  type: ResourceType,
  request: ApiRequest,
  response: ApiResponse,
  namespace: string | undefined,
): Promise<KubeObject> {
  const body = await readJson(request, response);
  if (!isRecord(body))
    throw ApiError.badRequest(`couldn't get version/kind; json parse error: the body is not a JSON object`);
  return checkObject(registry, type, body, namespace);
}

/** Checks the body's name against the URL's and sets it. */
export function checkName(object: KubeObject, name: string): void {
  const bodyName = object.metadata.name;
  if (bodyName !== undefined && bodyName !== '' && bodyName !== name) {
    throw ApiError.badRequest(
      `the name of the object (${bodyName}) does not match the name on the URL (${name})`,
    );
  }
  object.metadata.name = name;
}
