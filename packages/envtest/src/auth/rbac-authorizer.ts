import { ApiError } from '../api/api-error.js';
import { clusterRoleBindings, clusterRoles, roleBindings, roles } from '../api/cluster-resources.js';
import { isRecord } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { Identity } from './token-authenticator.js';

/** What a request does, as RBAC sees it. */
export interface ResourceAttributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface Decision {
  readonly allowed: boolean;
  /** Why, in kube-apiserver's RBAC words (`RBAC: allowed by …`), or empty. */
  readonly reason: string;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function ruleAllows(rule: unknown, request: ResourceAttributes): boolean {
  if (!isRecord(rule)) return false;
  const verbs = strings(rule['verbs']);
  if (!verbs.includes('*') && !verbs.includes(request.verb)) return false;
  const groups = strings(rule['apiGroups']);
  if (!groups.includes('*') && !groups.includes(request.group)) return false;
  const resources = strings(rule['resources']);
  const full = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  const resourceMatch =
    resources.includes('*') ||
    resources.includes(full) ||
    (request.subresource !== undefined && resources.includes(`*/${request.subresource}`));
  if (!resourceMatch) return false;
  const names = strings(rule['resourceNames']);
  return names.length === 0 || (request.name !== undefined && names.includes(request.name));
}

function subjectMatches(subject: unknown, identity: Identity, bindingNamespace: string | undefined): boolean {
  if (!isRecord(subject)) return false;
  const name = subject['name'];
  switch (subject['kind']) {
    case 'User':
      return name === identity.username;
    case 'Group':
      return typeof name === 'string' && identity.groups.includes(name);
    case 'ServiceAccount': {
      const namespace = typeof subject['namespace'] === 'string' ? subject['namespace'] : bindingNamespace;
      return identity.username === `system:serviceaccount:${namespace ?? ''}:${String(name)}`;
    }
    default:
      return false;
  }
}

function describeSubject(subject: Record<string, unknown>, bindingNamespace: string | undefined): string {
  const name = String(subject['name']);
  if (subject['kind'] === 'ServiceAccount') {
    const namespace =
      typeof subject['namespace'] === 'string' ? subject['namespace'] : (bindingNamespace ?? '');
    return `ServiceAccount "${name}/${namespace}"`;
  }
  return `${String(subject['kind'])} "${name}"`;
}

/**
 * kube-apiserver's RBAC authorizer over the stored Roles, ClusterRoles and their bindings: a
 * request is allowed when a binding that names the identity (as User, Group or ServiceAccount)
 * refers to a role with a rule that matches it.
 */
export class RbacAuthorizer {
  readonly #store: ObjectStore;

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  authorize(identity: Identity, request: ResourceAttributes): Decision {
    if (!identity.rbac) return { allowed: true, reason: '' };
    const namespace = request.namespace;
    const bindings: { binding: KubeObject; cluster: boolean }[] = [
      ...this.#store.scan(clusterRoleBindings.storageId).map((binding) => ({ binding, cluster: true })),
      ...(namespace === undefined
        ? []
        : this.#store
            .scan(roleBindings.storageId, namespace)
            .map((binding) => ({ binding, cluster: false }))),
    ];
    for (const { binding, cluster } of bindings) {
      const bindingNamespace = binding.metadata.namespace;
      const subjects: unknown[] = Array.isArray(binding['subjects']) ? binding['subjects'] : [];
      const subject = subjects.find((candidate) => subjectMatches(candidate, identity, bindingNamespace));
      if (!isRecord(subject)) continue;
      const roleRef = isRecord(binding['roleRef']) ? binding['roleRef'] : {};
      const roleName = typeof roleRef['name'] === 'string' ? roleRef['name'] : '';
      const role =
        roleRef['kind'] === 'ClusterRole'
          ? this.#store.get(clusterRoles.storageId, roleName)
          : this.#store.get(roles.storageId, `${bindingNamespace ?? ''}/${roleName}`);
      const rules = Array.isArray(role?.['rules']) ? role['rules'] : [];
      if (!rules.some((rule) => ruleAllows(rule, request))) continue;
      const bindingName = cluster
        ? `ClusterRoleBinding "${binding.metadata.name ?? ''}"`
        : `RoleBinding "${binding.metadata.name ?? ''}/${bindingNamespace ?? ''}"`;
      return {
        allowed: true,
        reason: `RBAC: allowed by ${bindingName} of ${String(roleRef['kind'])} "${roleName}" to ${describeSubject(subject, bindingNamespace)}`,
      };
    }
    return { allowed: false, reason: '' };
  }
}

/** The 403 message kube-apiserver gives for a request RBAC does not allow. */
export function forbiddenMessage(identity: Identity, request: ResourceAttributes): string {
  const qualified = request.group ? `${request.resource}.${request.group}` : request.resource;
  const target = request.name ? `${qualified} "${request.name}"` : qualified;
  const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  const scope =
    request.namespace === undefined ? 'at the cluster scope' : `in the namespace "${request.namespace}"`;
  return `${target} is forbidden: User "${identity.username}" cannot ${request.verb} resource "${resource}" in API group "${request.group}" ${scope}`;
}

/** The 403 Forbidden kube-apiserver answers to a request RBAC does not allow, details included. */
export function forbiddenError(identity: Identity, request: ResourceAttributes): ApiError {
  return new ApiError(403, 'Forbidden', forbiddenMessage(identity, request), {
    ...(request.name === undefined ? {} : { name: request.name }),
    ...(request.group ? { group: request.group } : {}),
    kind: request.resource,
  });
}
