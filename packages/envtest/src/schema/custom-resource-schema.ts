import { requiredValue } from '../api/api-error.js';
import type { StatusCause } from '../api/api-error.js';
import { isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import { celRuleCauses } from './cel-rules.js';
import { childPath, propertySchema } from './openapi-schema.js';
import type { OpenApiSchema } from './openapi-schema.js';
import { applyDefaults, pruneUnknownFields } from './prune-unknown-fields.js';
import { SchemaValidator } from './schema-validator.js';

function embeddedCauses(value: unknown, schema: OpenApiSchema, path: string, causes: StatusCause[]): void {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (isRecord(items))
      value.forEach((item, index) => {
        embeddedCauses(item, items, childPath(path, index), causes);
      });
    return;
  }
  if (!isRecord(value)) return;
  if (path !== '' && schema['x-kubernetes-embedded-resource'] === true) {
    for (const field of ['apiVersion', 'kind']) {
      if (typeof value[field] !== 'string' || value[field] === '') {
        causes.push(requiredValue(childPath(path, field), 'Required value: must not be empty'));
      }
    }
  }
  for (const [key, item] of Object.entries(value)) {
    const inner = propertySchema(schema, key);
    if (inner !== undefined) embeddedCauses(item, inner, childPath(path, key), causes);
  }
}

/**
 * What apiextensions-apiserver does with a custom resource of one CRD version on every write:
 * prune unknown fields, apply defaults, then validate against the schema (OpenAPI checks,
 * embedded resources, CEL rules).
 */
export class CustomResourceSchema {
  readonly #schema: OpenApiSchema;
  readonly #validator: SchemaValidator;

  constructor(schema: OpenApiSchema) {
    this.#schema = schema;
    this.#validator = new SchemaValidator(schema);
  }

  get schema(): OpenApiSchema {
    return this.#schema;
  }

  /** Prunes and defaults `object` in place; returns the pruned paths. */
  normalize(object: KubeObject): string[] {
    const pruned = pruneUnknownFields(object, this.#schema);
    applyDefaults(object, this.#schema);
    return pruned;
  }

  /** Every schema violation of `object` (with `old` for transition rules). */
  validate(object: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const causes = this.#validator.causes(object);
    embeddedCauses(object, this.#schema, '', causes);
    causes.push(...celRuleCauses(object, old, this.#schema));
    return causes;
  }
}
