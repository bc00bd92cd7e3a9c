import type { ApiResponse } from './exchange.js';
import { ApiError } from '../api/api-error.js';
import type { JsonObject } from '../api/kube-object.js';
import { dropUnknownFields } from '../api/known-fields.js';
import type { ResourceType } from '../api/resource-type.js';
import { pruneUnknownFields } from '../schema/prune-unknown-fields.js';

const DIRECTIVES = ['Ignore', 'Warn', 'Strict'];

/**
 * kube-apiserver's `fieldValidation` for a written object: unknown fields (not declared by the
 * built-in kind, or pruned by the CRD schema) are dropped; `Strict` answers 400 instead, `Warn`
 * (the default) adds one `Warning` header per field, `Ignore` says nothing.
 * @throws ApiError 400 for `Strict` with unknown fields, or an unsupported directive.
 */
export function validateFields(
  type: ResourceType,
  object: JsonObject,
  query: URLSearchParams,
  response: ApiResponse,
): void {
  const given = query.get('fieldValidation');
  const directive = given === null || given === '' ? 'Warn' : given;
  if (!DIRECTIVES.includes(directive)) {
    throw ApiError.badRequest(
      `fieldValidation: Unsupported value: "${directive}": supported values: "Ignore", "Strict", "Warn"`,
    );
  }
  const unknown = type.custom
    ? type.schema === undefined
      ? []
      : pruneUnknownFields(object, type.schema.schema)
    : dropUnknownFields(type, object);
  if (unknown.length === 0 || directive === 'Ignore') return;
  const messages = unknown.map((path) => `unknown field "${path}"`);
  if (directive === 'Strict') {
    // kube-apiserver words decoding errors of built-in kinds and of custom resources alike.
    throw ApiError.badRequest(
      `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ` +
        `strict decoding error: ${messages.join(', ')}`,
    );
  }
  response.setHeader(
    'Warning',
    messages.map((message) => `299 - ${JSON.stringify(message)}`),
  );
}
