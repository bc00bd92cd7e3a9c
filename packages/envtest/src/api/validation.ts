import { ApiError, forbiddenValue, invalidValue, requiredValue } from './api-error.js';
import type { StatusCause } from './api-error.js';
import { isRecord } from './kube-object.js';
import type { KubeObject } from './kube-object.js';
import type { NameRule } from './resource-type.js';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `name` is not valid under `rule`, in kube-apiserver's words; undefined when valid. */
export function nameProblem(name: string, rule: NameRule): string | undefined {
  switch (rule) {
    case 'subdomain':
      if (name.length > 253) return 'must be no more than 253 characters';
      if (!SUBDOMAIN.test(name)) {
        return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
      }
      return undefined;
    case 'label':
      if (name.length > 63) return 'must be no more than 63 characters';
      if (!LABEL.test(name)) {
        return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
      }
      return undefined;
    case 'label1035':
      if (name.length > 63) return 'must be no more than 63 characters';
      if (!LABEL_1035.test(name)) {
        return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
      }
      return undefined;
    case 'pathSegment':
      if (name === '.' || name === '..') return `may not be '${name}'`;
      if (name.includes('/') || name.includes('%')) return `may not contain '/' or '%'`;
      return undefined;
  }
}

function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !SUBDOMAIN.test(prefix))) {
    return 'prefix part must be a lowercase RFC 1123 subdomain';
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

function validateStringMap(field: string, value: unknown, labels: boolean, causes: StatusCause[]): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) {
    causes.push(invalidValue(field, value, 'must be a map of strings'));
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) causes.push(invalidValue(field, key, keyProblem));
    if (typeof item !== 'string') causes.push(invalidValue(`${field}[${key}]`, item, 'must be a string'));
    else if (labels && (item.length > 63 || !LABEL_VALUE.test(item))) {
      causes.push(
        invalidValue(
          field,
          item,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
    }
  }
}

/** Validates the metadata every type shares: name, labels, annotations, owner references, finalizers. */
export function validateMetadata(object: KubeObject, rule: NameRule): StatusCause[] {
  const causes: StatusCause[] = [];
  const meta = object.metadata;
  const name = meta.name;
  if (!name) causes.push(requiredValue('metadata.name', 'Required value: name or generateName is required'));
  else {
    const problem = nameProblem(name, rule);
    if (problem) causes.push(invalidValue('metadata.name', name, problem));
  }
  validateStringMap('metadata.labels', meta.labels, true, causes);
  validateStringMap('metadata.annotations', meta.annotations, false, causes);
  const owners: unknown = meta.ownerReferences;
  if (owners !== undefined && owners !== null) {
    if (!Array.isArray(owners))
      causes.push(invalidValue('metadata.ownerReferences', owners, 'must be a list'));
    else {
      let controllers = 0;
      owners.forEach((owner: unknown, index) => {
        const field = `metadata.ownerReferences[${index}]`;
        if (!isRecord(owner)) {
          causes.push(invalidValue(field, owner, 'must be an object'));
          return;
        }
        const apiVersion = owner['apiVersion'];
        if (typeof apiVersion !== 'string' || apiVersion === '') {
          causes.push(invalidValue(`${field}.apiVersion`, apiVersion ?? '', 'version must not be empty'));
        }
        if (typeof owner['kind'] !== 'string' || owner['kind'] === '') {
          causes.push(invalidValue(`${field}.kind`, owner['kind'] ?? '', 'kind must not be empty'));
        }
        if (typeof owner['name'] !== 'string' || owner['name'] === '') {
          causes.push(invalidValue(`${field}.name`, owner['name'] ?? '', 'name must not be empty'));
        }
        if (typeof owner['uid'] !== 'string' || owner['uid'] === '') {
          causes.push(invalidValue(`${field}.uid`, owner['uid'] ?? '', 'uid must not be empty'));
        }
        if (owner['controller'] === true) controllers += 1;
      });
      if (controllers > 1) {
        causes.push(
          invalidValue(
            'metadata.ownerReferences',
            owners,
            'Only one reference can have Controller set to true',
          ),
        );
      }
    }
  }
  const finalizers: unknown = meta.finalizers;
  if (finalizers !== undefined && finalizers !== null) {
    if (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string')) {
      causes.push(invalidValue('metadata.finalizers', finalizers, 'must be a list of strings'));
    }
  }
  return causes;
}

/** Checks that an update does not try to add finalizers to an object being deleted. */
export function validateDeletingUpdate(object: KubeObject, old: KubeObject): StatusCause[] {
  if (!old.metadata.deletionTimestamp) return [];
  const before = new Set(old.metadata.finalizers ?? []);
  const added = (object.metadata.finalizers ?? []).filter((f) => !before.has(f));
  return added.length > 0
    ? [
        forbiddenValue(
          'metadata.finalizers',
          `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
        ),
      ]
    : [];
}

const MICRO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/**
 * A `metav1.MicroTime` as kube-apiserver writes it: UTC with exactly 6 fractional digits.
 * @throws ApiError 400 when `value` is not an RFC 3339 time.
 */
export function normalizeMicroTime(value: unknown, kind: string): string {
  const text = typeof value === 'string' ? value : '';
  const match = MICRO_TIME.exec(text);
  const parsed = match
    ? Date.parse(`${text.slice(0, 19).replace(/[t ]/, 'T')}${match[8] === 'z' ? 'Z' : (match[8] ?? 'Z')}`)
    : NaN;
  if (!match || Number.isNaN(parsed)) {
    throw ApiError.badRequest(
      `${kind} in version "v1" cannot be handled as a ${kind}: parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse`,
    );
  }
  const micros = (match[7] ?? '').padEnd(6, '0').slice(0, 6);
  return `${new Date(parsed).toISOString().slice(0, 19)}.${micros}Z`;
}

/** Normalises the MicroTime at `path` of `object` if it is set. */
export function normalizeMicroTimeAt(object: KubeObject, path: readonly string[], kind: string): void {
  let parent: unknown = object;
  for (const part of path.slice(0, -1)) {
    if (!isRecord(parent)) return;
    parent = parent[part];
  }
  const last = path[path.length - 1];
  if (!isRecord(parent) || last === undefined) return;
  const value = parent[last];
  if (value === undefined || value === null) return;
  parent[last] = normalizeMicroTime(value, kind);
}
