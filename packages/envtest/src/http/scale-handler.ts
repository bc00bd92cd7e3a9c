import type { ApiRequest, ApiResponse } from './exchange.js';
import { ApiError } from '../api/api-error.js';
import type { ObjectService } from '../api/object-service.js';
import type { ResourceType, ScaleSubresource } from '../api/resource-type.js';
import type { Verb } from '../envtest.js';
import { jsonPatch } from '../patch/json-patch.js';
import { mergePatch } from '../patch/merge-patch.js';
import { mediaType, parseJson, readBody, sendJson } from './http-util.js';
import { readJson, unsupportedMediaType } from './request-body.js';
import { applyScale, scaleOf } from './scale.js';

const SCALE_PATCH_TYPES = new Set([
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
]);

/** GET, PUT and PATCH of the `scale` subresource (autoscaling/v1 Scale). */
export async function serveScale(
  service: ObjectService,
  target: { type: ResourceType; scale: ScaleSubresource; namespace: string | undefined; name: string },
  verb: Verb,
  request: ApiRequest,
  response: ApiResponse,
  dryRun: boolean,
  manager: string,
): Promise<void> {
  const { type, scale, namespace, name } = target;
  const current = service.get(type, namespace, name);
  let body: unknown;
  switch (verb) {
    case 'get':
      sendJson(response, 200, scaleOf(scale, current));
      return;
    case 'update':
      body = await readJson(request, response);
      break;
    case 'patch': {
      const contentType = mediaType(request.headers['content-type']);
      if (!SCALE_PATCH_TYPES.has(contentType))
        throw unsupportedMediaType(`the server does not support patch type ${contentType}`);
      const patch = parseJson(await readBody(request, response));
      const view = scaleOf(scale, current);
      if (contentType === 'application/json-patch+json') body = jsonPatch(view, patch);
      else body = mergePatch(view, patch);
      break;
    }
    case 'create':
    case 'delete':
    case 'deletecollection':
    case 'list':
    case 'watch':
      throw ApiError.methodNotSupported(type, verb);
  }
  const updated = applyScale(scale, current, body);
  const { object } = service.update(type, namespace, name, updated, undefined, dryRun, true, {
    operation: 'Update',
    manager,
  });
  sendJson(response, 200, scaleOf(scale, object));
}
