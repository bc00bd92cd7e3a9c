import { randomInt } from 'node:crypto';
import { forbiddenValue, invalidValue, requiredValue } from './api-error.js';
import type { StatusCause } from './api-error.js';
import { establishCrd, validateCrd } from './custom-resources.js';
import { isRecord, jsonEqual } from './kube-object.js';
import type { KubeObject } from './kube-object.js';
import { resourceType } from './resource-type.js';
import type { ResourceType } from './resource-type.js';
import { coreToEventsV1, eventsV1ToCore } from './event-conversion.js';
import { normalizeMicroTimeAt } from './validation.js';
import {
  clusterRoleBindings,
  clusterRoles,
  endpoints,
  endpointSlices,
  ingresses,
  mutatingWebhookConfigurations,
  persistentVolumeClaims,
  roleBindings,
  roles,
  validatingWebhookConfigurations,
} from './cluster-resources.js';
import {
  cronJobs,
  daemonSets,
  jobs,
  podDisruptionBudgets,
  replicaSets,
  statefulSets,
} from './workload-resources.js';
import { defaultPodSpec, defaultPodTemplate, immutableSelector, recordAt } from './pod-defaults.js';
import { podSpecCauses, workloadTemplateCauses } from './pod-spec-validation.js';
import { podUpdateCauses } from './pod-updates.js';
import { serviceCauses } from './service-validation.js';

function record(object: Record<string, unknown>, field: string): Record<string, unknown> {
  const value = object[field];
  if (isRecord(value)) return value;
  const fresh: Record<string, unknown> = {};
  object[field] = fresh;
  return fresh;
}

const EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

export const namespaces = resourceType({
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  shortNames: ['ns'],
  statusSubresource: true,
  nameRule: 'label',
  fieldLabels: ['status.phase'],
  // kube-apiserver serves no deletecollection of namespaces.
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  prepareCreate(object) {
    const name = object.metadata.name ?? '';
    object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': name };
    record(object, 'spec')['finalizers'] = ['kubernetes'];
    object['status'] = { phase: 'Active' };
  },
});

export const pods = resourceType({
  group: '',
  version: 'v1',
  plural: 'pods',
  kind: 'Pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  statusSubresource: true,
  fieldLabels: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  normalize(object) {
    defaultPodSpec(record(object, 'spec'));
  },
  prepareCreate(object) {
    object['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
  },
  validate(object, old) {
    return [...podSpecCauses(object['spec'], 'spec'), ...podUpdateCauses(object, old)];
  },
});

export const nodes = resourceType({
  group: '',
  version: 'v1',
  plural: 'nodes',
  kind: 'Node',
  namespaced: false,
  shortNames: ['no'],
  statusSubresource: true,
  keepsStatusOnCreate: true,
  fieldLabels: ['spec.unschedulable'],
});

/** ConfigMaps and Secrets marked `immutable: true` keep their data and the mark. */
function validateImmutable(object: KubeObject, old: KubeObject | undefined): StatusCause[] {
  if (old?.['immutable'] !== true) return [];
  const causes: StatusCause[] = [];
  if (object['immutable'] !== true) {
    causes.push(forbiddenValue('immutable', 'field is immutable when `immutable` is set'));
  }
  for (const field of ['data', 'binaryData']) {
    if (!jsonEqual(object[field] ?? {}, old[field] ?? {})) {
      causes.push(forbiddenValue(field, 'field is immutable when `immutable` is set'));
    }
  }
  return causes;
}

export const configmaps = resourceType({
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
  shortNames: ['cm'],
  validate: validateImmutable,
});

export const secrets = resourceType({
  group: '',
  version: 'v1',
  plural: 'secrets',
  kind: 'Secret',
  namespaced: true,
  fieldLabels: ['type'],
  validate: validateImmutable,
  prepareCreate(object) {
    if (object['type'] === undefined || object['type'] === '') object['type'] = 'Opaque';
  },
  normalize(object) {
    const stringData = object['stringData'];
    if (!isRecord(stringData)) return;
    const data = record(object, 'data');
    for (const [key, value] of Object.entries(stringData)) {
      data[key] = Buffer.from(String(value)).toString('base64');
    }
    delete object['stringData'];
  },
});

export const services = resourceType({
  group: '',
  version: 'v1',
  plural: 'services',
  kind: 'Service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  statusSubresource: true,
  nameRule: 'label1035',
  normalize(object) {
    const spec = record(object, 'spec');
    spec['type'] ??= 'ClusterIP';
    spec['sessionAffinity'] ??= 'None';
    if (spec['type'] !== 'ExternalName') spec['internalTrafficPolicy'] ??= 'Cluster';
    const ports = spec['ports'];
    if (Array.isArray(ports)) {
      for (const port of ports) {
        if (!isRecord(port)) continue;
        port['protocol'] ??= 'TCP';
        // As kube-apiserver: an unset, 0 or "" targetPort is the port.
        if (port['targetPort'] === undefined || port['targetPort'] === 0 || port['targetPort'] === '') {
          port['targetPort'] = port['port'];
        }
      }
    }
  },
  prepareCreate(object) {
    const spec = record(object, 'spec');
    if ((spec['clusterIP'] === undefined || spec['clusterIP'] === '') && spec['type'] !== 'ExternalName') {
      const ip = `10.96.${randomInt(0, 255)}.${randomInt(1, 255)}`;
      spec['clusterIP'] = ip;
      spec['clusterIPs'] = [ip];
    }
    if (spec['type'] !== 'ExternalName') {
      spec['ipFamilies'] ??= ['IPv4'];
      spec['ipFamilyPolicy'] ??= 'SingleStack';
    }
    object['status'] = { loadBalancer: {} };
  },
  prepareUpdate(object, old) {
    // A PUT that leaves the allocated values out keeps them, as kube-apiserver patches them in.
    const spec = record(object, 'spec');
    const before = isRecord(old['spec']) ? old['spec'] : {};
    for (const key of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) {
      if ((spec[key] === undefined || spec[key] === '') && before[key] !== undefined) spec[key] = before[key];
    }
  },
  validate: serviceCauses,
});

export const serviceaccounts = resourceType({
  group: '',
  version: 'v1',
  plural: 'serviceaccounts',
  kind: 'ServiceAccount',
  namespaced: true,
  shortNames: ['sa'],
});

export const coreEvents = resourceType({
  group: '',
  version: 'v1',
  plural: 'events',
  kind: 'Event',
  namespaced: true,
  shortNames: ['ev'],
  nameRule: 'pathSegment',
  allowCreateOnUpdate: true,
  fieldLabels: EVENT_FIELDS,
  normalize(object) {
    normalizeMicroTimeAt(object, ['eventTime'], 'Event');
  },
});

export const eventsV1 = resourceType({
  group: 'events.k8s.io',
  version: 'v1',
  plural: 'events',
  kind: 'Event',
  namespaced: true,
  // One store behind both Event APIs: events.k8s.io/v1 Events are stored as core/v1 Events.
  storageId: coreEvents.storageId,
  fromStorage: coreToEventsV1,
  toStorage: eventsV1ToCore,
  shortNames: ['ev'],
  nameRule: 'pathSegment',
  allowCreateOnUpdate: true,
  fieldLabels: [
    'regarding.kind',
    'regarding.namespace',
    'regarding.name',
    'regarding.uid',
    'reason',
    'reportingController',
    'type',
  ],
  normalize(object) {
    normalizeMicroTimeAt(object, ['eventTime'], 'Event');
    normalizeMicroTimeAt(object, ['series', 'lastObservedTime'], 'Event');
  },
  validate(object) {
    return object['eventTime'] ? [] : [requiredValue('eventTime')];
  },
});

function validateLeaseSpec(object: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = object['spec'];
  if (!isRecord(spec)) return causes;
  const duration = spec['leaseDurationSeconds'];
  if (duration !== undefined && duration !== null && (typeof duration !== 'number' || duration <= 0)) {
    causes.push(invalidValue('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  }
  const transitions = spec['leaseTransitions'];
  if (
    transitions !== undefined &&
    transitions !== null &&
    (typeof transitions !== 'number' || transitions < 0)
  ) {
    causes.push(invalidValue('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  }
  if (spec['preferredHolder'] && !spec['strategy']) {
    causes.push(
      invalidValue(
        'spec.preferredHolder',
        spec['preferredHolder'],
        'may only be specified if `strategy` is defined',
      ),
    );
  }
  return causes;
}

export const leases = resourceType({
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
  namespaced: true,
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: false,
  validate: validateLeaseSpec,
  normalize(object) {
    normalizeMicroTimeAt(object, ['spec', 'acquireTime'], 'Lease');
    normalizeMicroTimeAt(object, ['spec', 'renewTime'], 'Lease');
  },
});

export const leaseCandidates = resourceType({
  group: 'coordination.k8s.io',
  version: 'v1beta1',
  plural: 'leasecandidates',
  kind: 'LeaseCandidate',
  namespaced: true,
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: false,
  normalize(object) {
    normalizeMicroTimeAt(object, ['spec', 'pingTime'], 'LeaseCandidate');
    normalizeMicroTimeAt(object, ['spec', 'renewTime'], 'LeaseCandidate');
  },
  validate(object) {
    const spec = object['spec'];
    const causes: StatusCause[] = [];
    if (!isRecord(spec) || !spec['leaseName']) causes.push(requiredValue('spec.leaseName'));
    return causes;
  },
});

export const deployments = resourceType({
  group: 'apps',
  version: 'v1',
  plural: 'deployments',
  kind: 'Deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  statusSubresource: true,
  tracksGeneration: true,
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
  normalize(object) {
    const spec = record(object, 'spec');
    spec['replicas'] ??= 1;
    spec['revisionHistoryLimit'] ??= 10;
    spec['progressDeadlineSeconds'] ??= 600;
    const strategy = record(spec, 'strategy');
    strategy['type'] ??= 'RollingUpdate';
    if (strategy['type'] === 'RollingUpdate') {
      const rolling = record(strategy, 'rollingUpdate');
      rolling['maxUnavailable'] ??= '25%';
      rolling['maxSurge'] ??= '25%';
    }
    defaultPodTemplate(recordAt(spec, 'template'));
  },
  prepareCreate(object) {
    object['status'] = {};
  },
  validate(object, old) {
    const causes: StatusCause[] = [...immutableSelector(object, old)];
    const spec = object['spec'];
    const selector = isRecord(spec) ? spec['selector'] : undefined;
    const template = isRecord(spec) ? spec['template'] : undefined;
    if (!isRecord(selector)) {
      causes.push(requiredValue('spec.selector'));
      return causes;
    }
    const matchLabels = isRecord(selector['matchLabels']) ? selector['matchLabels'] : {};
    const templateMeta = isRecord(template) ? template['metadata'] : undefined;
    const labels = isRecord(templateMeta) && isRecord(templateMeta['labels']) ? templateMeta['labels'] : {};
    if (!Object.entries(matchLabels).every(([key, value]) => labels[key] === value)) {
      causes.push(
        invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
      );
    }
    const replicas = isRecord(spec) ? spec['replicas'] : undefined;
    if (typeof replicas === 'number' && replicas < 0) {
      causes.push(invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0'));
    }
    causes.push(...workloadTemplateCauses(isRecord(template) ? template : undefined, 'spec.template'));
    return causes;
  },
});

export const customResourceDefinitions = resourceType({
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  statusSubresource: true,
  tracksGeneration: true,
  nameRule: 'subdomain',
  validate: validateCrd,
  prepareCreate: establishCrd,
});

/** Answered at once from RBAC, never stored. */
export const selfSubjectAccessReviews = resourceType({
  group: 'authorization.k8s.io',
  version: 'v1',
  plural: 'selfsubjectaccessreviews',
  kind: 'SelfSubjectAccessReview',
  namespaced: false,
  verbs: ['create'],
});

/** Every built-in resource, in the order discovery lists them. */
export const builtinResources: readonly ResourceType[] = [
  namespaces,
  pods,
  nodes,
  configmaps,
  secrets,
  services,
  serviceaccounts,
  persistentVolumeClaims,
  endpoints,
  coreEvents,
  eventsV1,
  leases,
  leaseCandidates,
  deployments,
  statefulSets,
  replicaSets,
  daemonSets,
  jobs,
  cronJobs,
  podDisruptionBudgets,
  roles,
  roleBindings,
  clusterRoles,
  clusterRoleBindings,
  ingresses,
  endpointSlices,
  validatingWebhookConfigurations,
  mutatingWebhookConfigurations,
  selfSubjectAccessReviews,
  customResourceDefinitions,
];
