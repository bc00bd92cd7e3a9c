import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { ReconcileError } from '../reconcile-error.js';
import { parseLabelSelector } from './parse-label-selector.js';

/**
 * A label selector: the API's string form (`app=web,tier!=db,env in (a,b),!canary`), Kubernetes'
 * `LabelSelector`, or plain `key: value` equalities.
 */
export type Selector = string | LabelSelector | Readonly<Record<string, string>>;

function isLabelSelector(selector: Exclude<Selector, string>): selector is LabelSelector {
  return 'matchLabels' in selector || 'matchExpressions' in selector;
}

/** Compiles `selector` into a predicate over an object's labels. */
export function compileSelector(selector: Selector): (labels: Readonly<Record<string, string>>) => boolean {
  if (typeof selector === 'string') return compileSelector(parseLabelSelector(selector));
  if (!isLabelSelector(selector)) {
    const pairs = Object.entries(selector as Record<string, string>);
    return (labels) => pairs.every(([key, value]) => labels[key] === value);
  }
  const tests: ((labels: Readonly<Record<string, string>>) => boolean)[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    tests.push((labels) => labels[key] === value);
  }
  for (const expression of selector.matchExpressions ?? []) {
    const { key, operator } = expression;
    const values = new Set(expression.values ?? []);
    switch (operator) {
      case 'In':
        tests.push((labels) => key in labels && values.has(labels[key] ?? ''));
        break;
      case 'NotIn':
        tests.push((labels) => !(key in labels) || !values.has(labels[key] ?? ''));
        break;
      case 'Exists':
        tests.push((labels) => key in labels);
        break;
      case 'DoesNotExist':
        tests.push((labels) => !(key in labels));
        break;
      default:
        throw new ReconcileError(
          'invalidArgument',
          `label selector: operator ${JSON.stringify(operator)} of key ${JSON.stringify(key)} must be In, NotIn, Exists or DoesNotExist`,
        );
    }
  }
  return (labels) => tests.every((test) => test(labels));
}
