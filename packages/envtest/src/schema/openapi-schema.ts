import { isRecord } from '../api/kube-object.js';

/** A CEL rule of `x-kubernetes-validations`. */
export interface ValidationRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly reason?: string;
  readonly fieldPath?: string;
  readonly optionalOldSelf?: boolean;
}

/**
 * The OpenAPI v3 subset a CRD's `openAPIV3Schema` may use (apiextensions' JSONSchemaProps), as
 * read from a stored CRD. Unknown keywords are kept in the raw object and ignored.
 */
export interface OpenApiSchema {
  readonly type?: string;
  readonly format?: string;
  readonly description?: string;
  readonly nullable?: boolean;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, OpenApiSchema>>;
  readonly additionalProperties?: OpenApiSchema | boolean;
  readonly items?: OpenApiSchema;
  readonly maximum?: number;
  readonly minimum?: number;
  readonly exclusiveMaximum?: boolean;
  readonly exclusiveMinimum?: boolean;
  readonly maxLength?: number;
  readonly minLength?: number;
  readonly pattern?: string;
  readonly maxItems?: number;
  readonly minItems?: number;
  readonly uniqueItems?: boolean;
  readonly maxProperties?: number;
  readonly minProperties?: number;
  readonly multipleOf?: number;
  readonly allOf?: readonly OpenApiSchema[];
  readonly anyOf?: readonly OpenApiSchema[];
  readonly oneOf?: readonly OpenApiSchema[];
  readonly not?: OpenApiSchema;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: string;
  readonly 'x-kubernetes-validations'?: readonly ValidationRule[];
}

/** True for a schema node (a JSON object). */
export function isSchema(value: unknown): value is OpenApiSchema {
  return isRecord(value);
}

/** The schema of a property of an object schema (`properties` or `additionalProperties`). */
export function propertySchema(schema: OpenApiSchema, key: string): OpenApiSchema | undefined {
  const own = schema.properties?.[key];
  if (own !== undefined) return own;
  const additional = schema.additionalProperties;
  return isRecord(additional) ? additional : undefined;
}

/** The `openAPIV3Schema` of one version of a CRD, or undefined when it has none. */
export function versionSchema(version: Record<string, unknown>): OpenApiSchema | undefined {
  const schema = isRecord(version['schema']) ? version['schema'] : undefined;
  const openApi = schema?.['openAPIV3Schema'];
  return isRecord(openApi) ? openApi : undefined;
}

/** Kubernetes' path syntax: `spec.list[0].name`, `spec.map[key]`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}
