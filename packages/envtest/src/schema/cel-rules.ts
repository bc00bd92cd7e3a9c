import { Environment } from '@marcbachmann/cel-js';
import type { StatusCause } from '../api/api-error.js';
import { isRecord } from '../api/kube-object.js';
import { childPath, propertySchema } from './openapi-schema.js';
import type { OpenApiSchema, ValidationRule } from './openapi-schema.js';
import { unsupportedLibrary } from './cel-rule-check.js';

const environment = new Environment({
  unlistedVariablesAreDyn: true,
  homogeneousAggregateLiterals: false,
  enableOptionalTypes: true,
});

type Program = ReturnType<Environment['parse']>;
const programs = new Map<string, Program>();

function compile(rule: string): Program {
  let program = programs.get(rule);
  if (program === undefined) {
    program = environment.parse(rule);
    programs.set(rule, program);
  }
  return program;
}

/** Why a rule does not compile (kube-apiserver rejects such a CRD), or undefined. */
export function ruleCompileError(rule: string): string | undefined {
  try {
    compile(rule);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

/** A JSON value as CEL sees it under `schema`: integers as CEL ints (bigint). */
function celValue(value: unknown, schema: OpenApiSchema | undefined): unknown {
  if (typeof value === 'number') {
    const integer = schema?.type === 'integer' || schema?.['x-kubernetes-int-or-string'] === true;
    return integer && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => celValue(item, schema?.items));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = celValue(item, schema === undefined ? undefined : propertySchema(schema, key));
    }
    return out;
  }
  return value;
}

function schemaTypeName(schema: OpenApiSchema): string {
  return schema.type ?? (schema['x-kubernetes-int-or-string'] === true ? 'integer' : 'object');
}

function ruleCause(rule: ValidationRule, path: string, schema: OpenApiSchema, detail: string): StatusCause {
  const field = rule.fieldPath
    ? `${path}${rule.fieldPath.startsWith('.') ? '' : '.'}${rule.fieldPath}`
    : path;
  switch (rule.reason) {
    case 'FieldValueForbidden':
      return { reason: rule.reason, message: `Forbidden: ${detail}`, field };
    case 'FieldValueRequired':
      return { reason: rule.reason, message: `Required value: ${detail}`, field };
    case 'FieldValueDuplicate':
      return { reason: rule.reason, message: `Duplicate value: ${detail}`, field };
    case 'FieldValueInvalid':
    case undefined:
    default:
      return {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(schemaTypeName(schema))}: ${detail}`,
        field,
      };
  }
}

function check(
  value: unknown,
  old: unknown,
  schema: OpenApiSchema,
  path: string,
  causes: StatusCause[],
): void {
  if (value === undefined || value === null) return;
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    const transition = /\boldSelf\b/.test(rule.rule);
    if (transition && old === undefined) continue;
    try {
      const result: unknown = compile(rule.rule)({
        self: celValue(value, schema),
        ...(transition ? { oldSelf: celValue(old, schema) } : {}),
      });
      if (result !== true)
        causes.push(ruleCause(rule, path, schema, rule.message ?? `failed rule: ${rule.rule}`));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A rule that needs kube's CEL libraries is not enforced (README, "Differences").
      if (unsupportedLibrary(message, rule.rule) !== undefined) continue;
      causes.push(ruleCause(rule, path, schema, `rule evaluation error: ${message.split('\n')[0] ?? ''}`));
    }
  }
  if (Array.isArray(value)) {
    const items = schema.items;
    if (isRecord(items))
      value.forEach((item, index) => {
        check(item, undefined, items, childPath(path, index), causes);
      });
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, item] of Object.entries(value)) {
    const inner = propertySchema(schema, key);
    if (inner === undefined) continue;
    check(item, isRecord(old) ? old[key] : undefined, inner, childPath(path, key), causes);
  }
}

/**
 * Evaluates the `x-kubernetes-validations` CEL rules of a schema over an object: `self` is the
 * value at the rule's node, `oldSelf` the value it had before an update (rules that use `oldSelf`
 * are transition rules, skipped on create and where the old value is absent).
 */
export function celRuleCauses(object: unknown, old: unknown, schema: OpenApiSchema): StatusCause[] {
  const causes: StatusCause[] = [];
  check(object, old, schema, '', causes);
  return causes;
}
