import { ApiError } from '../api/api-error.js';
import { forbiddenError } from './rbac-authorizer.js';
import type { RbacAuthorizer, ResourceAttributes } from './rbac-authorizer.js';
import type { Identity } from './token-authenticator.js';

const PREFIX = 'impersonate-';
const USER = 'impersonate-user';
const UID = 'impersonate-uid';
const GROUP = 'impersonate-group';
const EXTRA_PREFIX = 'impersonate-extra-';
const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The values of each impersonation header of a request, from its raw headers (a header may repeat). */
function impersonationHeaders(rawHeaders: readonly string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i] ?? '';
    // Most requests carry none: look closer only at names that start as these do.
    if (raw.length <= PREFIX.length || !(raw.startsWith('i') || raw.startsWith('I'))) continue;
    const name = raw.toLowerCase();
    if (!name.startsWith(PREFIX)) continue;
    const values = found.get(name) ?? [];
    values.push(rawHeaders[i + 1] ?? '');
    found.set(name, values);
  }
  return found;
}

/** One thing the requester asks to act as, and the RBAC request that must allow it. */
interface ActingAs {
  readonly attributes: ResourceAttributes;
}

function actingAs(resource: string, name: string, namespace?: string, subresource?: string): ActingAs {
  return {
    attributes: {
      verb: 'impersonate',
      group: resource === 'userextras' || resource === 'uids' ? 'authentication.k8s.io' : '',
      resource,
      name,
      ...(namespace === undefined ? {} : { namespace }),
      ...(subresource === undefined ? {} : { subresource }),
    },
  };
}

/**
 * The identity a request acts as, after kube-apiserver's impersonation: with `Impersonate-User`
 * (and optionally `Impersonate-Group`, `Impersonate-Uid`, `Impersonate-Extra-*`) the request is
 * served as that user, once the requester is allowed to `impersonate` each of them (RBAC users
 * need a rule for it; admins may). The impersonated identity is subject to RBAC unless its groups
 * include `system:masters`. Without impersonation headers, `identity` itself.
 * @throws ApiError 403 Forbidden when the requester may not impersonate one of them; 500 when
 * groups, a uid or extras are asked for without a user (kube-apiserver's answers).
 */
export function impersonate(
  identity: Identity,
  rawHeaders: readonly string[],
  authorizer: RbacAuthorizer,
): Identity {
  const headers = impersonationHeaders(rawHeaders);
  if (headers.size === 0) return identity;
  const user = headers.get(USER)?.[0] ?? '';
  const requestedGroups = headers.get(GROUP) ?? [];
  const requests: ActingAs[] = [];
  let serviceAccount: RegExpExecArray | null = null;
  if (user !== '') {
    serviceAccount = SERVICE_ACCOUNT.exec(user);
    requests.push(
      serviceAccount === null
        ? actingAs('users', user)
        : actingAs('serviceaccounts', serviceAccount[2] ?? '', serviceAccount[1]),
    );
  }
  for (const group of requestedGroups) requests.push(actingAs('groups', group));
  for (const uid of headers.get(UID) ?? []) requests.push(actingAs('uids', uid));
  for (const [name, values] of headers) {
    if (!name.startsWith(EXTRA_PREFIX)) continue;
    const key = decodeURIComponent(name.slice(EXTRA_PREFIX.length));
    for (const value of values) requests.push(actingAs('userextras', value, undefined, key));
  }
  if (user === '') {
    const asked = requests.map(({ attributes }) => `${attributes.resource} "${String(attributes.name)}"`);
    throw new ApiError(
      500,
      'InternalError',
      `Internal error occurred: requested [${asked.join(', ')}] without impersonating a user`,
    );
  }
  for (const { attributes } of requests) {
    if (!authorizer.authorize(identity, attributes).allowed) {
      throw forbiddenError(identity, attributes);
    }
  }
  const groups: string[] =
    requestedGroups.length === 0 && serviceAccount !== null
      ? ['system:serviceaccounts', `system:serviceaccounts:${serviceAccount[1] ?? ''}`]
      : [...requestedGroups];
  // kube-apiserver adds the group every request of the kind has, unless one of the two was asked for.
  if (!groups.includes('system:authenticated') && !groups.includes('system:unauthenticated')) {
    groups.push(user === 'system:anonymous' ? 'system:unauthenticated' : 'system:authenticated');
  }
  return { user: identity.user, username: user, groups, rbac: !groups.includes('system:masters') };
}
