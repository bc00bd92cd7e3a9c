import { requiredValue } from './api-error.js';
import type { StatusCause } from './api-error.js';
import type { KubeObject } from './kube-object.js';
import { claimUpdateCauses } from './claim-updates.js';
import { record, recordAt } from './pod-defaults.js';
import {
  bindingCauses,
  clusterRoleCauses,
  defaultBinding,
  RBAC_GROUP as RBAC,
  roleCauses,
} from './rbac-validation.js';
import { resourceType } from './resource-type.js';

export const roles = resourceType({
  group: RBAC,
  version: 'v1',
  plural: 'roles',
  kind: 'Role',
  // RBAC names are path segments (e.g. `system:controller:foo`), as kube-apiserver validates them.
  nameRule: 'pathSegment',
  namespaced: true,
  validate: roleCauses,
});
export const clusterRoles = resourceType({
  group: RBAC,
  version: 'v1',
  plural: 'clusterroles',
  kind: 'ClusterRole',
  // RBAC names are path segments (e.g. `system:controller:foo`), as kube-apiserver validates them.
  nameRule: 'pathSegment',
  namespaced: false,
  validate: clusterRoleCauses,
});
export const roleBindings = resourceType({
  group: RBAC,
  version: 'v1',
  plural: 'rolebindings',
  kind: 'RoleBinding',
  // RBAC names are path segments (e.g. `system:controller:foo`), as kube-apiserver validates them.
  nameRule: 'pathSegment',
  namespaced: true,
  normalize: defaultBinding,
  validate: bindingCauses(false),
});
export const clusterRoleBindings = resourceType({
  group: RBAC,
  version: 'v1',
  plural: 'clusterrolebindings',
  kind: 'ClusterRoleBinding',
  // RBAC names are path segments (e.g. `system:controller:foo`), as kube-apiserver validates them.
  nameRule: 'pathSegment',
  namespaced: false,
  normalize: defaultBinding,
  validate: bindingCauses(true),
});

export const persistentVolumeClaims = resourceType({
  group: '',
  version: 'v1',
  plural: 'persistentvolumeclaims',
  kind: 'PersistentVolumeClaim',
  namespaced: true,
  shortNames: ['pvc'],
  statusSubresource: true,
  normalize(object) {
    record(object, 'spec')['volumeMode'] ??= 'Filesystem';
  },
  prepareCreate(object) {
    object['status'] = { phase: 'Pending' };
  },
  validate(object, old) {
    const spec = recordAt(object, 'spec');
    const causes: StatusCause[] = [];
    const modes = spec?.['accessModes'];
    if (!Array.isArray(modes) || modes.length === 0) {
      causes.push(requiredValue('spec.accessModes', 'Required value: at least 1 access mode is required'));
    }
    if (recordAt(spec, 'resources', 'requests')?.['storage'] === undefined) {
      causes.push(requiredValue('spec.resources[storage]'));
    }
    causes.push(...claimUpdateCauses(object, old));
    return causes;
  },
});

export const endpoints = resourceType({
  group: '',
  version: 'v1',
  plural: 'endpoints',
  kind: 'Endpoints',
  namespaced: true,
  shortNames: ['ep'],
  singular: 'endpoints',
  listKind: 'EndpointsList',
});

export const endpointSlices = resourceType({
  group: 'discovery.k8s.io',
  version: 'v1',
  plural: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
  validate(object) {
    const type = object['addressType'];
    if (type === 'IPv4' || type === 'IPv6' || type === 'FQDN') return [];
    return type === undefined
      ? [requiredValue('addressType')]
      : [
          {
            reason: 'FieldValueNotSupported',
            message: `Unsupported value: ${JSON.stringify(type)}: supported values: "FQDN", "IPv4", "IPv6"`,
            field: 'addressType',
          },
        ];
  },
});

export const ingresses = resourceType({
  group: 'networking.k8s.io',
  version: 'v1',
  plural: 'ingresses',
  kind: 'Ingress',
  namespaced: true,
  shortNames: ['ing'],
  statusSubresource: true,
  tracksGeneration: true,
  normalize(object) {
    const rules = recordAt(object, 'spec')?.['rules'];
    if (!Array.isArray(rules)) return;
    for (const rule of rules) {
      const paths = recordAt(rule, 'http')?.['paths'];
      if (!Array.isArray(paths)) continue;
      for (const path of paths)
        if (typeof path === 'object' && path !== null)
          (path as Record<string, unknown>)['pathType'] ??= 'ImplementationSpecific';
    }
  },
  prepareCreate(object) {
    object['status'] = { loadBalancer: {} };
  },
});

function defaultWebhooks(mutating: boolean): (object: KubeObject) => void {
  return (object) => {
    const webhooks = object['webhooks'];
    if (!Array.isArray(webhooks)) return;
    for (const webhook of webhooks) {
      if (typeof webhook !== 'object' || webhook === null) continue;
      const entry = webhook as Record<string, unknown>;
      entry['failurePolicy'] ??= 'Fail';
      entry['matchPolicy'] ??= 'Equivalent';
      entry['namespaceSelector'] ??= {};
      entry['objectSelector'] ??= {};
      entry['timeoutSeconds'] ??= 10;
      if (mutating) entry['reinvocationPolicy'] ??= 'Never';
      const rules = entry['rules'];
      if (Array.isArray(rules))
        for (const rule of rules)
          if (typeof rule === 'object' && rule !== null) (rule as Record<string, unknown>)['scope'] ??= '*';
    }
  };
}

function webhookCauses(object: KubeObject): StatusCause[] {
  const webhooks = object['webhooks'];
  const causes: StatusCause[] = [];
  if (!Array.isArray(webhooks)) return causes;
  webhooks.forEach((webhook: unknown, index) => {
    const entry = recordAt({ webhook }, 'webhook') ?? {};
    if (!entry['name']) causes.push(requiredValue(`webhooks[${index}].name`));
    if (entry['sideEffects'] === undefined) {
      causes.push(
        requiredValue(
          `webhooks[${index}].sideEffects`,
          'Required value: must specify one of None, NoneOnDryRun',
        ),
      );
    }
    if (!Array.isArray(entry['admissionReviewVersions']) || entry['admissionReviewVersions'].length === 0) {
      causes.push(
        requiredValue(
          `webhooks[${index}].admissionReviewVersions`,
          'Required value: must specify one of v1, v1beta1',
        ),
      );
    }
  });
  return causes;
}

export const validatingWebhookConfigurations = resourceType({
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'validatingwebhookconfigurations',
  kind: 'ValidatingWebhookConfiguration',
  namespaced: false,
  tracksGeneration: true,
  normalize: defaultWebhooks(false),
  validate: webhookCauses,
});

export const mutatingWebhookConfigurations = resourceType({
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'mutatingwebhookconfigurations',
  kind: 'MutatingWebhookConfiguration',
  namespaced: false,
  tracksGeneration: true,
  normalize: defaultWebhooks(true),
  validate: webhookCauses,
});
