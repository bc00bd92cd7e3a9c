import type { RequestMatch, Verb } from '../envtest.js';

/** What a request is, for fault rules and counters. */
export interface RequestAttributes {
  readonly user: string;
  readonly verb: Verb;
  /** Plural resource; undefined for non-resource requests (discovery, health). */
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** True when every field `match` sets equals the request's. */
export function matchesRequest(match: RequestMatch, request: RequestAttributes): boolean {
  return (
    (match.user === undefined || match.user === request.user) &&
    (match.verb === undefined || match.verb === request.verb) &&
    (match.resource === undefined || match.resource === request.resource) &&
    (match.subresource === undefined || match.subresource === (request.subresource ?? '')) &&
    (match.namespace === undefined || match.namespace === request.namespace) &&
    (match.name === undefined || match.name === request.name)
  );
}
