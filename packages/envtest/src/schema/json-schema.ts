import { isRecord } from '../api/kube-object.js';
import type { OpenApiSchema } from './openapi-schema.js';

/** Formats kube-apiserver validates (apiextensions' strfmt registry); others are ignored. */
export const CHECKED_FORMATS = [
  'byte',
  'date',
  'date-time',
  'datetime',
  'uuid',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'cidr',
  'mac',
  'uri',
  'duration',
] as const;

const COPIED = [
  'enum',
  'required',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxProperties',
  'minProperties',
  'multipleOf',
] as const;

/**
 * Translates an OpenAPI v3 schema of a CRD (structural, already checked) to the JSON schema
 * (draft-07) that ajv validates: `nullable` and `x-kubernetes-int-or-string` become type lists,
 * boolean `exclusiveMaximum`/`exclusiveMinimum` become numbers, unchecked formats are dropped,
 * and pruning, defaults and the `x-kubernetes-*` extensions are left to the other passes.
 */
export function toJsonSchema(schema: OpenApiSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const nullable = schema.nullable === true;
  if (schema['x-kubernetes-int-or-string'] === true) {
    out['type'] = nullable ? ['integer', 'string', 'null'] : ['integer', 'string'];
  } else if (schema.type !== undefined && schema.type !== '') {
    out['type'] = nullable ? [schema.type, 'null'] : schema.type;
  }
  for (const keyword of COPIED) {
    if (schema[keyword] !== undefined) out[keyword] = schema[keyword];
  }
  const values: readonly unknown[] | undefined = schema.enum;
  if (nullable && values !== undefined && !values.includes(null)) out['enum'] = [...values, null];
  if (typeof schema.maximum === 'number') {
    out[schema.exclusiveMaximum === true ? 'exclusiveMaximum' : 'maximum'] = schema.maximum;
  }
  if (typeof schema.minimum === 'number') {
    out[schema.exclusiveMinimum === true ? 'exclusiveMinimum' : 'minimum'] = schema.minimum;
  }
  if (typeof schema.format === 'string' && (CHECKED_FORMATS as readonly string[]).includes(schema.format)) {
    out['format'] = schema.format;
  }
  if (isRecord(schema.properties)) {
    const properties: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties)) {
      if (isRecord(property)) properties[key] = toJsonSchema(property);
    }
    out['properties'] = properties;
  }
  if (isRecord(schema.additionalProperties))
    out['additionalProperties'] = toJsonSchema(schema.additionalProperties);
  if (isRecord(schema.items)) out['items'] = toJsonSchema(schema.items);
  for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[keyword];
    if (Array.isArray(list)) out[keyword] = list.filter(isRecord).map((inner) => toJsonSchema(inner));
  }
  if (isRecord(schema.not)) out['not'] = toJsonSchema(schema.not);
  return out;
}
