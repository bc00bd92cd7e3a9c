import { invalidValue, requiredValue, forbiddenValue } from '../api/api-error.js';
import type { StatusCause } from '../api/api-error.js';
import { ruleCompileError } from './cel-rules.js';
import { listTypeCauses } from './list-type-causes.js';
import { isSchema } from './openapi-schema.js';
import type { OpenApiSchema, ValidationRule } from './openapi-schema.js';
import { ruleTypeErrors } from './cel-rule-check.js';

const VALUE_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'not'] as const;

/** A rule as kube-apiserver shows an invalid one (Go's `%#v` of apiextensions.ValidationRule). */
function shownRule(rule: ValidationRule): string {
  const pointer = (type: string, value: unknown): string =>
    value === undefined ? `(*${type})(nil)` : `(*${type})(${JSON.stringify(value)})`;
  return (
    `apiextensions.ValidationRule{Rule:${JSON.stringify(rule.rule)}, Message:${JSON.stringify(rule.message ?? '')}, ` +
    `MessageExpression:${JSON.stringify(rule.messageExpression ?? '')}, ` +
    `Reason:${pointer('apiextensions.FieldValueErrorReason', rule.reason)}, ` +
    `FieldPath:${JSON.stringify(rule.fieldPath ?? '')}, OptionalOldSelf:${pointer('bool', rule.optionalOldSelf)}}`
  );
}

function ruleCauses(schema: OpenApiSchema, path: string, root: boolean): StatusCause[] {
  const rules = schema['x-kubernetes-validations'] ?? [];
  if (rules.length === 0) return [];
  const parsed = rules.map((rule) =>
    typeof rule.rule === 'string' ? ruleCompileError(rule.rule) : 'rule must be a string',
  );
  const typed = parsed.every((problem) => problem === undefined) ? ruleTypeErrors(schema, rules, root) : [];
  const causes: StatusCause[] = [];
  rules.forEach((rule, index) => {
    const problem = parsed[index] ?? typed[index];
    if (problem === undefined) return;
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${shownRule(rule)}: compilation failed: ${problem}`,
      field: `${path}.x-kubernetes-validations[${index}].rule`,
    });
  });
  return causes;
}

/** kube-apiserver lists schema errors first, then the CEL rules' errors. */
interface Found {
  readonly causes: StatusCause[];
  readonly rules: StatusCause[];
}

function walk(schema: OpenApiSchema, path: string, root: boolean, found: Found): void {
  const { causes } = found;
  const before = causes.length;
  const type = schema.type ?? '';
  const intOrString = schema['x-kubernetes-int-or-string'] === true;
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  if (root && type !== '' && type !== 'object') {
    causes.push(invalidValue(`${path}.type`, type, 'must be object at the root'));
  }
  if (type === '' && !intOrString && !embedded && !schema['x-kubernetes-preserve-unknown-fields']) {
    causes.push(
      requiredValue(`${path}.type`, 'Required value: must not be empty for specified object fields'),
    );
  }
  if (intOrString && type !== '') {
    causes.push(invalidValue(`${path}.type`, type, 'must be empty if x-kubernetes-int-or-string is true'));
  }
  if (embedded && type !== 'object') {
    const why = 'must be object if x-kubernetes-embedded-resource is true';
    causes.push(
      type === ''
        ? requiredValue(`${path}.type`, `Required value: ${why}`)
        : invalidValue(`${path}.type`, type, why),
    );
  }
  if (schema['x-kubernetes-preserve-unknown-fields'] === false) {
    causes.push(
      invalidValue(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'),
    );
  }
  if (schema.properties !== undefined && schema.additionalProperties !== undefined) {
    causes.push(
      forbiddenValue(
        `${path}.additionalProperties`,
        'additionalProperties and properties are mutual exclusive',
      ),
    );
  }
  if (type === 'array' && !isSchema(schema.items))
    causes.push(requiredValue(`${path}.items`, 'Required value: must be specified'));
  if (root && isSchema(schema.properties)) {
    const metadata = schema.properties['metadata'];
    if (isSchema(metadata)) {
      const other = Object.keys(metadata.properties ?? {}).filter(
        (k) => k !== 'name' && k !== 'generateName',
      );
      if (other.length > 0 || (metadata.type !== undefined && metadata.type !== 'object')) {
        causes.push(
          forbiddenValue(
            `${path}.properties[metadata]`,
            'must not specify anything other than name and generateName, but metadata is implicitly specified',
          ),
        );
      }
    }
  }
  for (const keyword of VALUE_KEYWORDS) {
    const value = schema[keyword];
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    list.forEach((inner: OpenApiSchema, index) => {
      const at = Array.isArray(value) ? `${path}.${keyword}[${index}]` : `${path}.${keyword}`;
      if (isSchema(inner) && inner.default !== undefined) {
        causes.push(forbiddenValue(`${at}.default`, 'must not be set inside value validation'));
      }
      if (isSchema(inner) && inner.type !== undefined && inner.type !== type) {
        causes.push(forbiddenValue(`${at}.type`, 'must be empty to be structural'));
      }
    });
  }
  causes.push(...listTypeCauses(schema, path));
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (isSchema(property)) walk(property, `${path}.properties[${key}]`, false, found);
  }
  if (isSchema(schema.additionalProperties))
    walk(schema.additionalProperties, `${path}.additionalProperties`, false, found);
  if (isSchema(schema.items)) walk(schema.items, `${path}.items`, false, found);
  // As kube-apiserver, rules are compiled only where the schema here and below is sound.
  if (causes.length === before) found.rules.push(...ruleCauses(schema, path, root));
}

/**
 * Why a CRD version's schema is not structural, in kube-apiserver's words (field paths under
 * `path`, e.g. `spec.validation.openAPIV3Schema`); empty when it is.
 */
export function structuralSchemaCauses(schema: OpenApiSchema, path: string): StatusCause[] {
  const found: Found = { causes: [], rules: [] };
  walk(schema, path, true, found);
  return [...found.causes, ...found.rules];
}
