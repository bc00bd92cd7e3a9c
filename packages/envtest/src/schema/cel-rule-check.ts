import { Environment } from '@marcbachmann/cel-js';
import { isSchema } from './openapi-schema.js';
import type { OpenApiSchema, ValidationRule } from './openapi-schema.js';

const base = new Environment({ homogeneousAggregateLiterals: false, enableOptionalTypes: true });

/** Words CEL reserves; kube-apiserver escapes property names that are one as `__name__`. */
const RESERVED = new Set(
  (
    'true false null in as break const continue else for function if import let loop package namespace ' +
    'return var void'
  ).split(' '),
);

/**
 * Functions of the CEL libraries kube-apiserver enables (its lists, regex, URLs, quantities, IPs
 * and CIDRs, formats, semver; cel-go's string extensions) that the CEL library envtest uses does
 * not have.
 */
const KUBE_LIBRARY = new Set(
  (
    'isSorted sum min max indexOf lastIndexOf find findAll url isURL getScheme getHost getHostname getPort ' +
    'getEscapedPath getQuery quantity isQuantity sign isInteger asInteger asApproximateFloat add sub compareTo ' +
    'isGreaterThan isLessThan ip isIP cidr isCIDR family isUnspecified isLoopback isLinkLocalMulticast ' +
    'isLinkLocalUnicast isGlobalUnicast containsIP containsCIDR prefixLength masked named validate semver ' +
    'isSemver major minor patch replace charAt format quote reverse'
  ).split(' '),
);

/**
 * The function (or library) of kube-apiserver's CEL libraries that the CEL error `message` (of a
 * type check or an evaluation) says is missing, or undefined when it is about something else.
 */
export function unsupportedLibrary(message: string, rule: string): string | undefined {
  const summary = message.split('\n')[0] ?? '';
  const name = /^found no matching overload for '(?:[^'(]*\.)?(\w+)\(/.exec(summary)?.[1];
  if (name !== undefined && KUBE_LIBRARY.has(name)) return name;
  // `format.dns1123Label()` and its kin: an unknown variable to the check, a call on a missing
  // value to the evaluation.
  if (/^Unknown variable: format\b/.test(summary)) return 'format';
  if (name !== undefined && new RegExp(`\\bformat\\.${name}\\s*\\(`).test(rule)) return 'format';
  return undefined;
}

/** A property name as CEL rules spell it (kube-apiserver's escaping), or undefined if it cannot be. */
function celName(name: string): string | undefined {
  if (RESERVED.has(name)) return `__${name}__`;
  if (!/^[A-Za-z_./-][A-Za-z0-9_./-]*$/.test(name)) return undefined;
  return name
    .replace(/__/g, '__underscores__')
    .replace(/\./g, '__dot__')
    .replace(/-/g, '__dash__')
    .replace(/\//g, '__slash__');
}

const FORMATTED = new Set(['date-time', 'date', 'duration', 'byte']);

/** Builds CEL declarations for schema nodes: one object type per node with properties. */
class TypeDeclarations {
  readonly types = new Map<string, Record<string, string>>();

  typeOf(schema: OpenApiSchema, root: boolean): string {
    if (schema['x-kubernetes-int-or-string'] === true) return 'dyn';
    if (schema['x-kubernetes-preserve-unknown-fields'] === true) return 'dyn';
    const type = schema.type ?? '';
    switch (type) {
      case 'integer':
        return 'int';
      case 'number':
        return 'double';
      case 'boolean':
        return 'bool';
      case 'string':
        // Formatted strings are timestamps, durations or bytes to kube-apiserver's CEL.
        return schema.format !== undefined && FORMATTED.has(schema.format) ? 'dyn' : 'string';
      case 'array':
        return isSchema(schema.items) ? `list<${this.typeOf(schema.items, false)}>` : 'list<dyn>';
      case 'object':
        return this.#objectType(schema, root);
      default:
        return 'dyn';
    }
  }

  #objectType(schema: OpenApiSchema, root: boolean): string {
    if (isSchema(schema.additionalProperties)) {
      return `map<string, ${this.typeOf(schema.additionalProperties, false)}>`;
    }
    const properties = schema.properties ?? {};
    const embedded = schema['x-kubernetes-embedded-resource'] === true;
    if (Object.keys(properties).length === 0 && !embedded && !root) return 'dyn';
    const fields: Record<string, string> = {};
    if (root || embedded) {
      fields['apiVersion'] = 'string';
      fields['kind'] = 'string';
      fields['metadata'] = this.#register({ name: 'string', generateName: 'string' });
    }
    for (const [key, property] of Object.entries(properties)) {
      const name = celName(key);
      if (name === undefined || !isSchema(property)) continue;
      if ((root || embedded) && key === 'metadata') continue;
      fields[name] = this.typeOf(property, false);
    }
    return this.#register(fields);
  }

  #register(fields: Record<string, string>): string {
    const name = `Object${this.types.size}`;
    this.types.set(name, fields);
    return name;
  }
}

/** The 1-based line and column of a character of a rule, and cel-go's two lines that point at it. */
function located(rule: string, offset: number): { line: number; column: number; pointer: string } {
  const before = rule.slice(0, offset);
  const line = before.split('\n').length;
  const start = before.lastIndexOf('\n') + 1;
  const text = rule.split('\n')[line - 1] ?? '';
  const column = offset - start;
  return { line, column: column + 1, pointer: `\n | ${text}\n | ${'.'.repeat(column)}^` };
}

interface CheckError {
  readonly message: string;
  readonly code?: string;
  readonly range?: { readonly start: number; readonly end: number };
}

function describe(rule: string, error: CheckError): string {
  const summary = error.message.split('\n')[0] ?? '';
  const start = error.range?.start ?? 0;
  const missing = /^No such key: (.+)$/.exec(summary);
  if (missing !== null) {
    // cel-go places a select at its dot.
    const at = located(rule, Math.max(0, start - 1));
    return `ERROR: <input>:${at.line}:${at.column}: undefined field '${missing[1] ?? ''}'${at.pointer}`;
  }
  const at = located(rule, start);
  const unknown = /^Unknown variable: (\S+)$/.exec(summary);
  if (unknown !== null) {
    return `ERROR: <input>:${at.line}:${at.column}: undeclared reference to '${unknown[1] ?? ''}' (in container '')${at.pointer}`;
  }
  const text = summary.charAt(0).toLowerCase() + summary.slice(1).replace(/\.$/, '');
  return `ERROR: <input>:${at.line}:${at.column}: ${text}${at.pointer}`;
}

/**
 * Type-checks the `x-kubernetes-validations` rules of one schema node as kube-apiserver does when
 * a CRD is written: `self` and `oldSelf` are typed from the node's schema (objects with their
 * declared properties, maps, lists, scalars; int-or-string, preserved and formatted values as
 * `dyn`). Returns, per rule, why it does not compile (cel-go's wording where the failure is an
 * undefined field), or undefined.
 */
export function ruleTypeErrors(
  schema: OpenApiSchema,
  rules: readonly ValidationRule[],
  root: boolean,
): (string | undefined)[] {
  const environment = typedEnvironment(schema, root);
  return rules.map((rule) => {
    if (environment === undefined || typeof rule.rule !== 'string') return undefined;
    const result = environment.check(rule.rule);
    if (result.valid) return undefined;
    const error = result.error as CheckError;
    // Rules that call kube's CEL libraries are accepted, and left out when objects are validated.
    if (unsupportedLibrary(error.message, rule.rule) !== undefined) return undefined;
    return describe(rule.rule, error);
  });
}

/**
 * An environment with `self` and `oldSelf` typed from the schema, or undefined where cel-js
 * cannot declare the types (the rules are then only parsed, as before type checking existed).
 */
function typedEnvironment(schema: OpenApiSchema, root: boolean): Environment | undefined {
  try {
    const declarations = new TypeDeclarations();
    const selfType = declarations.typeOf(schema, root);
    const environment = base.clone();
    for (const [name, fields] of declarations.types) {
      environment.registerType(name, { fields });
      // Objects compare whole in CEL; the check needs the overload, evaluation does not use it.
      environment.registerOperator(`${name} == ${name}`, () => true);
    }
    environment.registerVariable('self', selfType);
    environment.registerVariable('oldSelf', selfType);
    return environment;
  } catch {
    return undefined;
  }
}
