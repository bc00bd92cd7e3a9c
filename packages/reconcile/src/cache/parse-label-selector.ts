import type { LabelSelector, LabelSelectorRequirement } from 'kubernetes-types/meta/v1.js';
import { ReconcileError } from '../reconcile-error.js';

// One requirement: `key`, `!key`, `key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`.
const requirement =
  /^\s*(!?)\s*([A-Za-z0-9][-A-Za-z0-9_./]*)\s*(?:(==|=|!=)\s*([-A-Za-z0-9_.]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$/;

/** Splits at commas outside parentheses. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts;
}

/**
 * Reads a label selector in the API's string form (`app=web,tier!=db,env in (a,b),!canary`) into
 * a `LabelSelector`. An empty string selects everything. Throws `ReconcileError`
 * `invalidArgument` on anything else.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  const matchExpressions: LabelSelectorRequirement[] = [];
  if (selector.trim() === '') return { matchExpressions };
  for (const part of splitRequirements(selector)) {
    const match = requirement.exec(part);
    if (match === null) {
      throw new ReconcileError(
        'invalidArgument',
        `label selector ${JSON.stringify(selector)}: cannot read ${JSON.stringify(part.trim())}`,
      );
    }
    const [, not, key = '', operator, value = '', setOperator, values] = match;
    if (not === '!') {
      if (operator !== undefined || setOperator !== undefined) {
        throw new ReconcileError(
          'invalidArgument',
          `label selector ${JSON.stringify(selector)}: "!" takes a bare key`,
        );
      }
      matchExpressions.push({ key, operator: 'DoesNotExist' });
    } else if (operator === '=' || operator === '==') {
      matchExpressions.push({ key, operator: 'In', values: [value] });
    } else if (operator === '!=') {
      matchExpressions.push({ key, operator: 'NotIn', values: [value] });
    } else if (setOperator !== undefined) {
      const list = (values ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      matchExpressions.push({ key, operator: setOperator === 'in' ? 'In' : 'NotIn', values: list });
    } else {
      matchExpressions.push({ key, operator: 'Exists' });
    }
  }
  return { matchExpressions };
}
