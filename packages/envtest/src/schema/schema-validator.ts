import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { invalidValue, requiredValue } from '../api/api-error.js';
import type { StatusCause } from '../api/api-error.js';
import { isRecord } from '../api/kube-object.js';
import { FORMAT_CHECKS } from './formats.js';
import { toJsonSchema } from './json-schema.js';
import type { OpenApiSchema } from './openapi-schema.js';

let shared: Ajv | undefined;

function ajv(): Ajv {
  if (shared === undefined) {
    shared = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    for (const [name, check] of Object.entries(FORMAT_CHECKS)) shared.addFormat(name, check);
  }
  return shared;
}

/** The JSON type name kube-apiserver reports for a value of the wrong type. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** `/spec/list/0/name` of `object` → `spec.list[0].name`, with the value found there. */
function locate(object: unknown, pointer: string): { path: string; value: unknown } {
  let path = '';
  let value = object;
  if (pointer === '') return { path, value };
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      path = `${path}[${segment}]`;
      value = value[Number(segment)];
    } else {
      path = path === '' ? segment : `${path}.${segment}`;
      value = isRecord(value) ? value[segment] : undefined;
    }
  }
  return { path, value };
}

function quoted(values: readonly unknown[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

function tooMany(field: string, actual: number, max: number): StatusCause {
  return {
    reason: 'FieldValueTooMany',
    message: `Too many: ${actual}: must have at most ${max} items`,
    field,
  };
}

/** One ajv error as kube-apiserver's apiextensions validation words it; undefined to skip. */
function causeOf(error: ErrorObject, object: unknown): StatusCause | undefined {
  const { path, value } = locate(object, error.instancePath);
  const name = path === '' ? '<root>' : path;
  const params = error.params as Record<string, unknown>;
  const limit = params['limit'];
  switch (error.keyword) {
    case 'type': {
      const expected = String(params['type'])
        .split(',')
        .filter((type) => type !== 'null')
        .join(' or ');
      const actual = typeName(value);
      return {
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: ${JSON.stringify(actual)}: ${name} in body must be of type ${expected}: ${JSON.stringify(actual)}`,
        field: path,
      };
    }
    case 'required': {
      const missing = String(params['missingProperty']);
      return requiredValue(path === '' ? missing : `${path}.${missing}`);
    }
    case 'enum': {
      const allowed = Array.isArray(params['allowedValues']) ? params['allowedValues'] : [];
      return {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${quoted(allowed)}`,
        field: path,
      };
    }
    case 'maximum':
      return invalidValue(path, value, `${name} in body should be less than or equal to ${String(limit)}`);
    case 'exclusiveMaximum':
      return invalidValue(path, value, `${name} in body should be less than ${String(limit)}`);
    case 'minimum':
      return invalidValue(path, value, `${name} in body should be greater than or equal to ${String(limit)}`);
    case 'exclusiveMinimum':
      return invalidValue(path, value, `${name} in body should be greater than ${String(limit)}`);
    case 'maxLength': {
      const max = Number(limit);
      return {
        reason: 'FieldValueTooLong',
        message: `Too long: may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}`,
        field: path,
      };
    }
    case 'minLength':
      return invalidValue(path, value, `${name} in body should be at least ${String(limit)} chars long`);
    case 'pattern':
      return invalidValue(path, value, `${name} in body should match '${String(params['pattern'])}'`);
    case 'maxItems':
      return tooMany(path, Array.isArray(value) ? value.length : 0, Number(limit));
    case 'minItems':
      return invalidValue(path, value, `${name} in body should have at least ${String(limit)} items`);
    case 'maxProperties':
      return tooMany(path, isRecord(value) ? Object.keys(value).length : 0, Number(limit));
    case 'minProperties':
      return invalidValue(path, value, `${name} in body should have at least ${String(limit)} properties`);
    case 'multipleOf':
      return invalidValue(
        path,
        value,
        `${name} in body should be a multiple of ${String(params['multipleOf'])}`,
      );
    case 'uniqueItems': {
      const duplicate: unknown = Array.isArray(value) ? value[Number(params['j'])] : undefined;
      return {
        reason: 'FieldValueDuplicate',
        message: `Duplicate value: ${JSON.stringify(duplicate)}`,
        field: `${path}[${String(params['j'])}]`,
      };
    }
    case 'format':
      return invalidValue(
        path,
        value,
        `${name} in body must be of type ${String(params['format'])}: ${JSON.stringify(value)}`,
      );
    case 'anyOf':
      return invalidValue(path, value, `${name} in body must validate at least one schema (anyOf)`);
    case 'oneOf':
      return invalidValue(path, value, `${name} in body must validate one and only one schema (oneOf)`);
    case 'not':
      return invalidValue(path, value, `${name} in body must not validate the schema (not)`);
    default:
      return invalidValue(path, value, error.message ?? 'is invalid');
  }
}

/** Errors found inside an anyOf/oneOf/not branch are summed up by that keyword's own error. */
function insideComposite(error: ErrorObject): boolean {
  return /\/(anyOf|oneOf|not)\//.test(error.schemaPath) || error.schemaPath.endsWith('/not');
}

/**
 * The plain OpenAPI checks of a CRD version's schema (types, formats, required, enum, bounds,
 * lengths, patterns, nullable, int-or-string), run by ajv over the translated schema.
 */
export class SchemaValidator {
  readonly #validate: ValidateFunction;

  constructor(schema: OpenApiSchema) {
    this.#validate = ajv().compile(toJsonSchema(schema));
  }

  /** Every violation in `object`, as causes of a 422 Invalid. */
  causes(object: unknown): StatusCause[] {
    if (this.#validate(object)) return [];
    const causes: StatusCause[] = [];
    for (const error of this.#validate.errors ?? []) {
      if (error.keyword !== 'not' && insideComposite(error)) continue;
      const cause = causeOf(error, object);
      if (cause !== undefined) causes.push(cause);
    }
    return causes;
  }
}
