import type { ApiRequest } from './exchange.js';
import { ApiError } from '../api/api-error.js';
import type { Verb } from '../envtest.js';
import type { ResourceRequestInfo } from './request-info.js';

/** A boolean query parameter: true when present with any value but `0` or `false`. */
export function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  // As apimachinery decodes a bool query parameter: present and not "0" or "false" in any case
  // (the Python client sends `watch=True`).
  return value !== null && value !== '0' && value.toLowerCase() !== 'false';
}

/** An integer query parameter; 400 when it is not one. */
export function integerParam(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value))
    throw ApiError.badRequest(`${name}: invalid value "${value}": must be an integer`);
  return Number(value);
}

/** The RBAC verb of a resource request. */
export function verbOf(method: string, info: ResourceRequestInfo, query: URLSearchParams): Verb {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (info.watchPrefix || flag(query, 'watch')) return 'watch';
      return info.name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return info.name === undefined ? 'deletecollection' : 'delete';
    default:
      throw new ApiError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );
  }
}

/**
 * The field manager of a write: the `fieldManager` parameter, else (as kube-apiserver) the
 * User-Agent up to its first `/`.
 * @throws ApiError 422 for a manager name longer than 128 characters.
 */
export function fieldManagerOf(query: URLSearchParams, request: ApiRequest): string {
  const given = query.get('fieldManager');
  if (given !== null && given !== '') {
    if (given.length > 128) {
      throw new ApiError(422, 'Invalid', `fieldManager: Too long: may not be more than 128 bytes`);
    }
    return given;
  }
  const agent = request.headers['user-agent'] ?? '';
  const prefix = agent.split('/')[0] ?? '';
  return prefix === '' ? 'unknown' : prefix.slice(0, 128);
}
