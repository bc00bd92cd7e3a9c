import type { ApiRequest, ApiResponse } from './exchange.js';
import { ApiError } from '../api/api-error.js';
import { isRecord } from '../api/kube-object.js';
import type { DeleteOptions } from '../api/object-service.js';
import { mediaType, parseJson, readBody } from './http-util.js';
import { flag, integerParam } from './request-params.js';
import { unknownFormat } from './request-body.js';
import { decodeProtobufObject } from '../protobuf/protobuf-decoder.js';

/** The DeleteOptions of a DELETE request: its body merged with its query parameters. */
export async function readDeleteOptions(
  query: URLSearchParams,
  request: ApiRequest,
  response: ApiResponse,
): Promise<DeleteOptions> {
  const raw = await readBody(request, response);
  let body: Record<string, unknown> = {};
  if (raw.length > 0) {
    const type = mediaType(request.headers['content-type']);
    const parsed = type === 'application/vnd.kubernetes.protobuf' ? decodeProtobufObject(raw) : undefined;
    if (parsed === undefined && type !== '' && type !== 'application/json' && type !== '*/*')
      throw unknownFormat();
    const decoded = parsed ?? parseJson(raw);
    if (isRecord(decoded)) body = decoded;
  }
  const grace =
    typeof body['gracePeriodSeconds'] === 'number'
      ? body['gracePeriodSeconds']
      : integerParam(query, 'gracePeriodSeconds');
  let policy =
    (typeof body['propagationPolicy'] === 'string'
      ? body['propagationPolicy']
      : query.get('propagationPolicy')) ?? undefined;
  const orphan =
    body['orphanDependents'] ?? (query.has('orphanDependents') ? flag(query, 'orphanDependents') : undefined);
  if (policy === undefined && orphan === true) policy = 'Orphan';
  if (policy !== undefined && policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
    throw new ApiError(
      422,
      'Invalid',
      `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
      {
        kind: 'DeleteOptions',
        group: 'meta.k8s.io',
        causes: [
          {
            reason: 'FieldValueNotSupported',
            message: `Unsupported value: "${policy}"`,
            field: 'propagationPolicy',
          },
        ],
      },
    );
  }
  const preconditions = isRecord(body['preconditions']) ? body['preconditions'] : undefined;
  const dryRun = Array.isArray(body['dryRun'])
    ? body['dryRun'].includes('All')
    : query.get('dryRun') === 'All';
  return {
    ...(grace === undefined ? {} : { gracePeriodSeconds: grace }),
    ...(policy === undefined ? {} : { propagationPolicy: policy }),
    ...(preconditions === undefined
      ? {}
      : {
          preconditions: {
            ...(typeof preconditions['uid'] === 'string' ? { uid: preconditions['uid'] } : {}),
            ...(typeof preconditions['resourceVersion'] === 'string'
              ? { resourceVersion: preconditions['resourceVersion'] }
              : {}),
          },
        }),
    ...(dryRun ? { dryRun } : {}),
  };
}
