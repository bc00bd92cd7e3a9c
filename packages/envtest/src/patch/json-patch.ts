import { ApiError } from '../api/api-error.js';
import { cloneJson, isRecord, jsonEqual } from '../api/kube-object.js';

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw ApiError.badRequest(`invalid JSON pointer: "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function fail(message: string): never {
  throw new ApiError(
    422,
    'Invalid',
    `the server rejected our request due to an error in our request: ${message}`,
  );
}

type Container = Record<string, unknown> | unknown[];

function parentOf(document: unknown, tokens: readonly string[], path: string): [Container, string] {
  let current = document;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isRecord(current)) current = current[token];
    else fail(`doc is missing path: "${path}"`);
    if (current === undefined) fail(`doc is missing path: "${path}"`);
  }
  if (!Array.isArray(current) && !isRecord(current)) fail(`doc is missing path: "${path}"`);
  return [current, tokens[tokens.length - 1] ?? ''];
}

function arrayIndex(array: unknown[], token: string, path: string, forAdd: boolean): number {
  if (forAdd && token === '-') return array.length;
  if (!/^\d+$/.test(token)) fail(`invalid array index "${token}" in "${path}"`);
  const index = Number(token);
  if (index > array.length || (!forAdd && index === array.length))
    fail(`array index out of bounds in "${path}"`);
  return index;
}

function read(document: unknown, path: string): unknown {
  let current = document;
  for (const token of decodePointer(path)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isRecord(current)) current = current[token];
    else current = undefined;
    if (current === undefined) fail(`doc is missing path: "${path}"`);
  }
  return current;
}

function remove(document: unknown, path: string): unknown {
  const tokens = decodePointer(path);
  if (tokens.length === 0) fail('cannot remove the whole document');
  const [parent, last] = parentOf(document, tokens, path);
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, path, false);
    return parent.splice(index, 1)[0];
  }
  if (!(last in parent)) fail(`unable to remove nonexistent key: ${last}: missing value`);
  const value = parent[last];
  Reflect.deleteProperty(parent, last);
  return value;
}

function add(document: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = decodePointer(path);
  if (tokens.length === 0) return value;
  const [parent, last] = parentOf(document, tokens, path);
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, path, !replace);
    if (replace) parent[index] = value;
    else parent.splice(index, 0, value);
  } else {
    if (replace && !(last in parent)) fail(`replace operation does not apply: doc is missing key: ${path}`);
    parent[last] = value;
  }
  return document;
}

/**
 * RFC 6902 JSON patch (add, remove, replace, move, copy, test) applied to a copy of `document`.
 * @throws ApiError 400 for a malformed patch, 422 when an operation does not apply.
 */
export function jsonPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) {
    throw ApiError.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  let result = cloneJson(document);
  for (const operation of operations) {
    if (
      !isRecord(operation) ||
      typeof operation['op'] !== 'string' ||
      typeof operation['path'] !== 'string'
    ) {
      throw ApiError.badRequest('invalid JSON patch operation: each needs "op" and "path"');
    }
    const path = operation['path'];
    const from = typeof operation['from'] === 'string' ? operation['from'] : undefined;
    switch (operation['op']) {
      case 'add':
        result = add(result, path, cloneJson(operation['value']), false);
        break;
      case 'replace':
        result = add(result, path, cloneJson(operation['value']), true);
        break;
      case 'remove':
        remove(result, path);
        break;
      case 'move': {
        if (from === undefined) fail('move operation requires "from"');
        const value = remove(result, from);
        result = add(result, path, value, false);
        break;
      }
      case 'copy': {
        if (from === undefined) fail('copy operation requires "from"');
        result = add(result, path, cloneJson(read(result, from)), false);
        break;
      }
      case 'test':
        if (!jsonEqual(read(result, path), operation['value']))
          fail(`testing value ${path} failed: test failed`);
        break;
      default:
        throw ApiError.badRequest(`Unexpected kind: ${operation['op']}`);
    }
  }
  return result;
}
