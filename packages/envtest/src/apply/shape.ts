import type { OpenApiSchema } from '../schema/openapi-schema.js';

/**
 * How field ownership sees a value (structured-merge-diff's element relationships): a `struct`
 * has fixed fields and is not itself owned; a `map` (labels, `additionalProperties`) is owned
 * as a whole and per key; a `list` with `keys` merges its items by those keys; a `set` by value;
 * anything `atomic` is owned and replaced as one value.
 */
export type Shape =
  | { readonly kind: 'struct'; readonly fields: Readonly<Record<string, Shape>>; readonly other?: Shape }
  | { readonly kind: 'map'; readonly values?: Shape }
  | { readonly kind: 'list'; readonly keys: readonly string[]; readonly items?: Shape }
  | { readonly kind: 'set' }
  | { readonly kind: 'atomic' };

export const ATOMIC: Shape = { kind: 'atomic' };
/**
 * The shape of a value envtest describes no further (the parts of a built-in kind not listed in
 * its shape): objects are structs whose every field is declared, lists atomic.
 */
export const DEDUCED: Shape = { kind: 'struct', fields: {} };

const untyped: { kind: 'struct'; fields: Record<string, Shape>; other?: Shape } = {
  kind: 'struct',
  fields: {},
};
untyped.other = untyped;
/**
 * The shape of a value a schema leaves untyped (`x-kubernetes-preserve-unknown-fields`), as
 * structured-merge-diff deduces it: objects are maps of undeclared keys, lists atomic.
 */
export const UNTYPED: Shape = untyped;

/** True when `key` is a declared field of a struct shape (not a key of a map or of an untyped object). */
export function declares(shape: Shape, key: string): boolean {
  return shape.kind === 'struct' && (shape.other === undefined || key in shape.fields);
}

export function struct(fields: Record<string, Shape>, other?: Shape): Shape {
  return other === undefined ? { kind: 'struct', fields } : { kind: 'struct', fields, other };
}

export function map(values?: Shape): Shape {
  return values === undefined ? { kind: 'map' } : { kind: 'map', values };
}

export function list(keys: readonly string[], items?: Shape): Shape {
  return items === undefined ? { kind: 'list', keys } : { kind: 'list', keys, items };
}

export const SET: Shape = { kind: 'set' };

/** The shape of a field of a struct or map shape. */
export function fieldShape(shape: Shape, key: string): Shape {
  switch (shape.kind) {
    case 'struct':
      return shape.fields[key] ?? shape.other ?? DEDUCED;
    case 'map':
      return shape.values ?? ATOMIC;
    case 'list':
    case 'set':
    case 'atomic':
      return ATOMIC;
  }
}

const CONDITIONS = list(['type']);

/** Object metadata as every kind has it. */
export const METADATA = struct({
  labels: map(),
  annotations: map(),
  finalizers: SET,
  // OwnerReference is `+structType=atomic`: an item is owned whole.
  ownerReferences: list(['uid'], ATOMIC),
});

/** The shape of a whole object of a kind: metadata plus the kind's own fields. */
export function objectShape(fields: Record<string, Shape>): Shape {
  return struct({
    metadata: METADATA,
    ...fields,
    status: fields['status'] ?? struct({ conditions: CONDITIONS }),
  });
}

/**
 * The shape a CRD version's schema gives: `x-kubernetes-list-type` (`atomic` unless `map` or
 * `set`), `x-kubernetes-list-map-keys`, `x-kubernetes-map-type` (`atomic`, or `granular` by
 * default) of maps and structs.
 */
export function schemaShape(schema: OpenApiSchema | undefined): Shape {
  if (schema === undefined) return UNTYPED;
  if (schema.type === 'array') {
    switch (schema['x-kubernetes-list-type']) {
      case 'map':
        return list(schema['x-kubernetes-list-map-keys'] ?? [], schemaShape(schema.items));
      case 'set':
        return SET;
      case 'atomic':
      case undefined:
      default:
        return ATOMIC;
    }
  }
  if (schema.type === 'object' || schema.type === undefined) {
    if (schema['x-kubernetes-map-type'] === 'atomic') return ATOMIC;
    if (schema.additionalProperties !== undefined && typeof schema.additionalProperties === 'object') {
      return map(schemaShape(schema.additionalProperties));
    }
    if (schema.properties !== undefined) {
      const fields: Record<string, Shape> = {};
      for (const [key, property] of Object.entries(schema.properties)) fields[key] = schemaShape(property);
      return struct(fields, schema['x-kubernetes-preserve-unknown-fields'] === true ? UNTYPED : undefined);
    }
    if (schema.type === 'object' && schema['x-kubernetes-preserve-unknown-fields'] !== true) return map();
    return UNTYPED;
  }
  return ATOMIC;
}

/** The shape of a custom resource: its schema's, with object metadata as every kind has it. */
export function customResourceShape(schema: OpenApiSchema | undefined): Shape {
  const shape = schemaShape(schema);
  return shape.kind === 'struct'
    ? struct({ ...shape.fields, metadata: METADATA }, shape.other)
    : objectShape({});
}
