import type { RequestCounters, RequestMatch } from '../envtest.js';
import { matchesRequest } from './request-attributes.js';
import type { RequestAttributes } from './request-attributes.js';

interface Row {
  readonly attributes: RequestAttributes;
  count: number;
}

/** Counts served resource requests by user, verb, resource, namespace and name. */
export class RequestCounterTable implements RequestCounters {
  readonly #rows = new Map<string, Row>();

  record(attributes: RequestAttributes): void {
    const key = [
      attributes.user,
      attributes.verb,
      attributes.resource ?? '',
      attributes.subresource ?? '',
      attributes.namespace ?? '',
      attributes.name ?? '',
    ].join('\u0000');
    const row = this.#rows.get(key);
    if (row) row.count += 1;
    else this.#rows.set(key, { attributes, count: 1 });
  }

  count(match: RequestMatch = {}): number {
    let total = 0;
    for (const row of this.#rows.values()) if (matchesRequest(match, row.attributes)) total += row.count;
    return total;
  }

  snapshot(): Record<string, number> {
    const result: Record<string, number> = {};
    for (const { attributes, count } of this.#rows.values()) {
      const resource = attributes.subresource
        ? `${attributes.resource ?? ''}/${attributes.subresource}`
        : (attributes.resource ?? '');
      const key = `${attributes.user} ${attributes.verb} ${resource}`;
      result[key] = (result[key] ?? 0) + count;
    }
    return result;
  }

  reset(): void {
    this.#rows.clear();
  }
}
