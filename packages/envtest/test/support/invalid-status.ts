import { expect } from 'chai';
import type { RawResponse } from './raw-client.js';

/** One of the `details.causes` of a 422 Status. */
export interface Cause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

/** A FieldValueRequired cause (`Required value`, with kube's detail when it gives one). */
export function required(field: string, detail?: string): Cause {
  return {
    reason: 'FieldValueRequired',
    message: detail === undefined ? 'Required value' : `Required value: ${detail}`,
    field,
  };
}

/** A FieldValueInvalid cause; `value` is written as kube-apiserver prints it. */
export function invalid(field: string, value: string, detail: string): Cause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${detail}`, field };
}

/** A FieldValueDuplicate cause; `value` is written as kube-apiserver prints it. */
export function duplicate(field: string, value: string): Cause {
  return { reason: 'FieldValueDuplicate', message: `Duplicate value: ${value}`, field };
}

/** A FieldValueNotSupported cause. */
export function unsupported(field: string, value: string, supported: readonly string[]): Cause {
  return {
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
    field,
  };
}

/** A FieldValueForbidden cause. */
export function forbidden(field: string, detail: string): Cause {
  return { reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field };
}

/**
 * Asserts a 422 Invalid answer exactly as kube-apiserver writes it: `message` is the whole
 * Status message, `causes` the details' causes in order.
 */
export function expectInvalid(
  answer: RawResponse,
  object: { readonly kind: string; readonly group: string; readonly name: string },
  message: string,
  causes: readonly Cause[],
): void {
  expect(answer.status, answer.text).to.equal(422);
  expect(answer.json).to.deep.equal({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Invalid',
    details: {
      name: object.name,
      ...(object.group ? { group: object.group } : {}),
      kind: object.kind,
      causes,
    },
    code: 422,
  });
}
