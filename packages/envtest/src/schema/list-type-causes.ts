import { forbiddenValue, invalidValue, requiredValue } from '../api/api-error.js';
import type { StatusCause } from '../api/api-error.js';
import { isSchema } from './openapi-schema.js';
import type { OpenApiSchema } from './openapi-schema.js';

function notSupported(field: string, value: string, supported: readonly string[]): StatusCause {
  return {
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported
      .map((option) => JSON.stringify(option))
      .join(', ')}`,
    field,
  };
}

/** An Invalid cause whose value kube-apiserver prints with Go's `%#v` (a string list). */
function invalidKeys(field: string, keys: readonly string[], why: string): StatusCause {
  const shown = `[]string{${keys.map((key) => JSON.stringify(key)).join(', ')}}`;
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: ${why}`, field };
}

/** `Required value: …` when the type is missing, `Invalid value: "T": …` when it is another. */
function wrongType(path: string, type: string, why: string): StatusCause {
  return type === ''
    ? requiredValue(`${path}.type`, `Required value: ${why}`)
    : invalidValue(`${path}.type`, type, why);
}

function setItemCauses(items: OpenApiSchema, path: string): StatusCause[] {
  const why = 'must be atomic as item of a list with x-kubernetes-list-type=set';
  const listType = items['x-kubernetes-list-type'];
  if (items.type === 'array' && listType !== undefined && listType !== 'atomic') {
    return [invalidValue(`${path}.items.x-kubernetes-list-type`, listType, why)];
  }
  if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') {
    // kube-apiserver shows the items' list type here, which is unset on an object schema.
    return [invalidValue(`${path}.items.x-kubernetes-map-type`, listType ?? 'null', why)];
  }
  return [];
}

function mapListCauses(schema: OpenApiSchema, keys: readonly string[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (keys.length === 0) {
    causes.push(
      requiredValue(
        `${path}.x-kubernetes-list-map-keys`,
        'Required value: must not be empty if x-kubernetes-list-type is map',
      ),
    );
  }
  const items = schema.items;
  if (!isSchema(items)) {
    causes.push(
      requiredValue(`${path}.items`, 'Required value: must have a schema if x-kubernetes-list-type is map'),
    );
    return causes;
  }
  if (items.type !== 'object') {
    causes.push(
      invalidValue(
        `${path}.items.type`,
        items.type ?? '',
        "must be object if parent array's x-kubernetes-list-type is map",
      ),
    );
    return causes;
  }
  const seen = new Set<string>();
  for (const key of keys) {
    const property = items.properties?.[key];
    if (property === undefined) {
      causes.push(
        invalidKeys(
          `${path}.x-kubernetes-list-map-keys`,
          keys,
          'entries must all be names of item properties',
        ),
      );
    } else if (property.type === 'array' || property.type === 'object') {
      // kube-apiserver shows the items' type (object) as the invalid value.
      causes.push(
        invalidValue(
          `${path}.items.properties[${key}].type`,
          items.type,
          "must be a scalar type if parent array's x-kubernetes-list-type is map",
        ),
      );
    }
    if (seen.has(key)) {
      causes.push(
        invalidKeys(`${path}.x-kubernetes-list-map-keys`, keys, 'must not contain duplicate entries'),
      );
    }
    seen.add(key);
  }
  return causes;
}

/** Items of set and map lists are never null; map keys are required (or defaulted) and not nullable. */
function keyPresenceCauses(schema: OpenApiSchema, listType: string, path: string): StatusCause[] {
  const items = schema.items;
  if (!isSchema(items) || (listType !== 'set' && listType !== 'map')) return [];
  const causes: StatusCause[] = [];
  if (items.nullable === true) {
    causes.push(
      forbiddenValue(
        `${path}.items.nullable`,
        `cannot be nullable when x-kubernetes-list-type is ${listType}`,
      ),
    );
  }
  if (listType !== 'map') return causes;
  const required = new Set(items.required ?? []);
  for (const key of schema['x-kubernetes-list-map-keys'] ?? []) {
    const property = items.properties?.[key];
    if (property === undefined) continue;
    const at = `${path}.items.properties[${key}]`;
    if (!required.has(key) && property.default === undefined) {
      causes.push(
        requiredValue(
          `${at}.default`,
          'Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property',
        ),
      );
    }
    if (property.nullable === true) {
      causes.push(
        forbiddenValue(
          `${at}.nullable`,
          'this property is in x-kubernetes-list-map-keys, so it cannot be nullable',
        ),
      );
    }
  }
  return causes;
}

/**
 * What kube-apiserver finds wrong with one schema node's `x-kubernetes-map-type`,
 * `x-kubernetes-list-type` and `x-kubernetes-list-map-keys` when a CRD is created, in its words and
 * order (field paths under `path`).
 */
export function listTypeCauses(schema: OpenApiSchema, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const type = schema.type ?? '';
  const mapType = schema['x-kubernetes-map-type'];
  if (mapType !== undefined && type !== 'object') {
    causes.push(wrongType(path, type, 'must be object if x-kubernetes-map-type is specified'));
  }
  if (mapType !== undefined && mapType !== 'atomic' && mapType !== 'granular') {
    causes.push(notSupported(`${path}.x-kubernetes-map-type`, mapType, ['atomic', 'granular']));
  }
  const listType = schema['x-kubernetes-list-type'];
  if (listType !== undefined && type !== 'array') {
    causes.push(wrongType(path, type, 'must be array if x-kubernetes-list-type is specified'));
  } else if (listType === 'set' && isSchema(schema.items)) {
    causes.push(...setItemCauses(schema.items, path));
  }
  if (listType !== undefined && !['atomic', 'set', 'map'].includes(listType)) {
    causes.push(notSupported(`${path}.x-kubernetes-list-type`, listType, ['atomic', 'set', 'map']));
  }
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  if (keys.length > 0 && listType !== 'map') {
    const why = 'must be map if x-kubernetes-list-map-keys is non-empty';
    causes.push(
      listType === undefined
        ? requiredValue(`${path}.x-kubernetes-list-type`, `Required value: ${why}`)
        : invalidValue(`${path}.x-kubernetes-list-type`, listType, why),
    );
  }
  if (listType === 'map') causes.push(...mapListCauses(schema, keys, path));
  if (listType !== undefined) causes.push(...keyPresenceCauses(schema, listType, path));
  return causes;
}
