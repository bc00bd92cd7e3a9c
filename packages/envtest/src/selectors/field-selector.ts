import { ApiError } from '../api/api-error.js';
import { isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';

interface FieldRequirement {
  readonly field: string;
  /** `field` split at its dots, once (watches match every event against it). */
  readonly path: readonly string[];
  readonly equal: boolean;
  readonly value: string;
}

/** The value of a dotted field path as a field selector compares it ('' when absent). */
export function fieldValue(object: KubeObject, path: string): string {
  return valueAt(object, path.split('.'));
}

function valueAt(object: KubeObject, path: readonly string[]): string {
  let current: unknown = object;
  for (const part of path) {
    if (!isRecord(current)) return '';
    current = current[part];
  }
  if (current === undefined || current === null) return '';
  return typeof current === 'string' ? current : JSON.stringify(current);
}

/** A parsed field selector (`metadata.name=x,status.phase!=Failed`) over the fields a type serves. */
export class FieldSelector {
  readonly #requirements: readonly FieldRequirement[];

  private constructor(requirements: readonly FieldRequirement[]) {
    this.#requirements = requirements;
  }

  static readonly everything = new FieldSelector([]);

  get empty(): boolean {
    return this.#requirements.length === 0;
  }

  /**
   * @param supported the field labels the resource serves
   * @throws ApiError 400 BadRequest for a malformed selector or an unsupported field.
   */
  static parse(text: string | null | undefined, supported: readonly string[]): FieldSelector {
    if (!text?.trim()) return FieldSelector.everything;
    const requirements = text.split(',').map((term): FieldRequirement => {
      const match = /^\s*([^!=\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
      if (!match) throw ApiError.badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
      const field = match[1] ?? '';
      if (!supported.includes(field)) throw ApiError.badRequest(`field label not supported: ${field}`);
      return { field, path: field.split('.'), equal: match[2] !== '!=', value: match[3] ?? '' };
    });
    return new FieldSelector(requirements);
  }

  /** The name an `metadata.name=` term pins, if any (lets a watch or list skip the scan). */
  get name(): string | undefined {
    return this.#requirements.find((r) => r.field === 'metadata.name' && r.equal)?.value;
  }

  /** Loops without a callback: every watch calls this for every change of its resource. */
  matches(object: KubeObject): boolean {
    for (const requirement of this.#requirements) {
      if ((valueAt(object, requirement.path) === requirement.value) !== requirement.equal) return false;
    }
    return true;
  }
}
