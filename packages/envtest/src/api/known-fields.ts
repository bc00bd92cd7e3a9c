import { isRecord } from './kube-object.js';
import type { JsonObject } from './kube-object.js';
import type { QualifiedResource } from './api-error.js';

/**
 * The fields a built-in kind declares, for `fieldValidation`: a tree of field names where `true`
 * accepts anything below (maps, and the parts of a kind envtest does not describe field by field),
 * and an array marks a list whose items have the given fields.
 */
type Known = true | Readonly<Record<string, unknown>> | readonly [Known];

function fields(names: string, nested: Record<string, Known> = {}): Known {
  const out: Record<string, Known> = {};
  for (const name of names.split(/\s+/).filter((part) => part !== '')) out[name] = true;
  return { ...out, ...nested };
}

const METADATA = fields(
  'name generateName namespace selfLink uid resourceVersion generation creationTimestamp deletionTimestamp ' +
    'deletionGracePeriodSeconds labels annotations ownerReferences finalizers managedFields',
);

const CONTAINER = fields(
  'name image command args workingDir ports envFrom env resources resizePolicy restartPolicy restartPolicyRules ' +
    'volumeMounts volumeDevices livenessProbe readinessProbe startupProbe lifecycle terminationMessagePath ' +
    'terminationMessagePolicy imagePullPolicy securityContext stdin stdinOnce tty',
);

const POD_SPEC = fields(
  'volumes restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy nodeSelector ' +
    'serviceAccountName serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID hostIPC ' +
    'shareProcessNamespace securityContext imagePullSecrets hostname subdomain affinity schedulerName tolerations ' +
    'hostAliases priorityClassName priority dnsConfig readinessGates runtimeClassName enableServiceLinks ' +
    'preemptionPolicy overhead topologySpreadConstraints setHostnameAsFQDN os hostUsers schedulingGates ' +
    'resourceClaims resources hostnameOverride',
  { containers: [CONTAINER], initContainers: [CONTAINER], ephemeralContainers: [CONTAINER] },
);

const TEMPLATE = { metadata: METADATA, spec: POD_SPEC };

const JOB_SPEC = fields(
  'parallelism completions activeDeadlineSeconds podFailurePolicy successPolicy backoffLimit backoffLimitPerIndex ' +
    'maxFailedIndexes selector manualSelector ttlSecondsAfterFinished completionMode suspend podReplacementPolicy managedBy',
  { template: TEMPLATE },
);

const OBJECT = 'apiVersion kind status';

const OBJECT_REFERENCE = fields('kind namespace name uid apiVersion resourceVersion fieldPath');

const EVENT_SERIES = fields('count lastObservedTime');

const CRD_VERSION = fields(
  'name served storage deprecated deprecationWarning schema subresources additionalPrinterColumns selectableFields',
);

/**
 * Known fields of each built-in kind by `group/plural` (not storage id: the two Event APIs share
 * one store but not their fields); kinds not listed accept anything.
 */
const KINDS: Readonly<Record<string, Known>> = {
  '/nodes': fields(OBJECT, {
    metadata: METADATA,
    spec: fields('podCIDR podCIDRs providerID unschedulable taints configSource externalID'),
  }),
  '/events': fields(
    `${OBJECT} reason message source firstTimestamp lastTimestamp count type eventTime action related ` +
      'reportingComponent reportingInstance',
    { metadata: METADATA, involvedObject: OBJECT_REFERENCE, series: EVENT_SERIES },
  ),
  'events.k8s.io/events': fields(
    `${OBJECT} eventTime reportingController reportingInstance action reason related note type ` +
      'deprecatedSource deprecatedFirstTimestamp deprecatedLastTimestamp deprecatedCount',
    { metadata: METADATA, regarding: OBJECT_REFERENCE, series: EVENT_SERIES },
  ),
  'coordination.k8s.io/leasecandidates': fields(OBJECT, {
    metadata: METADATA,
    spec: fields('leaseName pingTime renewTime binaryVersion emulationVersion strategy'),
  }),
  'apiextensions.k8s.io/customresourcedefinitions': fields(OBJECT, {
    metadata: METADATA,
    spec: fields('group scope conversion preserveUnknownFields', {
      names: fields('plural singular shortNames kind listKind categories'),
      versions: [CRD_VERSION],
    }),
  }),
  'authorization.k8s.io/selfsubjectaccessreviews': fields(OBJECT, {
    metadata: METADATA,
    spec: fields('resourceAttributes nonResourceAttributes'),
  }),
  '/namespaces': fields(`${OBJECT} spec`, { metadata: METADATA }),
  '/pods': fields(OBJECT, { metadata: METADATA, spec: POD_SPEC }),
  '/configmaps': fields(`${OBJECT} data binaryData immutable`, { metadata: METADATA }),
  '/secrets': fields(`${OBJECT} data stringData type immutable`, { metadata: METADATA }),
  '/serviceaccounts': fields(`${OBJECT} secrets imagePullSecrets automountServiceAccountToken`, {
    metadata: METADATA,
  }),
  '/services': fields(OBJECT, {
    metadata: METADATA,
    spec: fields(
      'ports selector clusterIP clusterIPs type externalIPs sessionAffinity loadBalancerIP loadBalancerSourceRanges ' +
        'externalName externalTrafficPolicy healthCheckNodePort publishNotReadyAddresses sessionAffinityConfig ' +
        'ipFamilies ipFamilyPolicy allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution',
    ),
  }),
  '/persistentvolumeclaims': fields(`${OBJECT} spec`, { metadata: METADATA }),
  '/endpoints': fields(`${OBJECT} subsets`, { metadata: METADATA }),
  'coordination.k8s.io/leases': fields(OBJECT, {
    metadata: METADATA,
    spec: fields(
      'holderIdentity leaseDurationSeconds acquireTime renewTime leaseTransitions strategy preferredHolder',
    ),
  }),
  'apps/deployments': fields(OBJECT, {
    metadata: METADATA,
    spec: fields(
      'replicas selector strategy minReadySeconds revisionHistoryLimit paused progressDeadlineSeconds',
      { template: TEMPLATE },
    ),
  }),
  'apps/statefulsets': fields(OBJECT, {
    metadata: METADATA,
    spec: fields(
      'replicas selector volumeClaimTemplates serviceName podManagementPolicy updateStrategy revisionHistoryLimit ' +
        'minReadySeconds persistentVolumeClaimRetentionPolicy ordinals',
      { template: TEMPLATE },
    ),
  }),
  'apps/replicasets': fields(OBJECT, {
    metadata: METADATA,
    spec: fields('replicas minReadySeconds selector', { template: TEMPLATE }),
  }),
  'apps/daemonsets': fields(OBJECT, {
    metadata: METADATA,
    spec: fields('selector updateStrategy minReadySeconds revisionHistoryLimit', { template: TEMPLATE }),
  }),
  'batch/jobs': fields(OBJECT, { metadata: METADATA, spec: JOB_SPEC }),
  'batch/cronjobs': fields(OBJECT, {
    metadata: METADATA,
    spec: fields(
      'schedule timeZone startingDeadlineSeconds concurrencyPolicy suspend successfulJobsHistoryLimit failedJobsHistoryLimit',
      { jobTemplate: { metadata: METADATA, spec: JOB_SPEC } },
    ),
  }),
  'policy/poddisruptionbudgets': fields(OBJECT, {
    metadata: METADATA,
    spec: fields('minAvailable selector maxUnavailable unhealthyPodEvictionPolicy'),
  }),
  'rbac.authorization.k8s.io/roles': fields(`${OBJECT} rules`, { metadata: METADATA }),
  'rbac.authorization.k8s.io/clusterroles': fields(`${OBJECT} rules aggregationRule`, { metadata: METADATA }),
  'rbac.authorization.k8s.io/rolebindings': fields(`${OBJECT} subjects roleRef`, { metadata: METADATA }),
  'rbac.authorization.k8s.io/clusterrolebindings': fields(`${OBJECT} subjects roleRef`, {
    metadata: METADATA,
  }),
  'networking.k8s.io/ingresses': fields(`${OBJECT} spec`, { metadata: METADATA }),
  'discovery.k8s.io/endpointslices': fields(`${OBJECT} addressType endpoints ports`, { metadata: METADATA }),
  'admissionregistration.k8s.io/validatingwebhookconfigurations': fields(`${OBJECT} webhooks`, {
    metadata: METADATA,
  }),
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': fields(`${OBJECT} webhooks`, {
    metadata: METADATA,
  }),
};

function walk(value: unknown, known: Known, path: string, found: string[]): void {
  if (known === true) return;
  if (Array.isArray(known)) {
    const [items] = known as readonly [Known];
    if (Array.isArray(value))
      value.forEach((item, index) => {
        walk(item, items, `${path}[${index}]`, found);
      });
    return;
  }
  if (!isRecord(value)) return;
  const table = known as Readonly<Record<string, Known | undefined>>;
  for (const key of Object.keys(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    const inner = table[key];
    if (inner === undefined) {
      found.push(at);
      Reflect.deleteProperty(value, key);
    } else walk(value[key], inner, at, found);
  }
}

/**
 * Removes, in place, the fields of a built-in object its kind does not declare (as decoding into
 * the Go types drops them) and returns their paths (`spec.template.spec.containers[0].imagee`).
 */
export function dropUnknownFields(type: QualifiedResource, object: JsonObject): string[] {
  const known = KINDS[`${type.group}/${type.plural}`];
  if (known === undefined) return [];
  const found: string[] = [];
  walk(object, known, '', found);
  return found;
}
