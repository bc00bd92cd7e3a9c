import { ATOMIC, list, map, objectShape, SET, struct } from './shape.js';
import type { Shape } from './shape.js';

// The merge keys and list types of the built-in kinds, from the `patchMergeKey` /
// `listType` / `listMapKeys` markers of the Kubernetes API types, and their atomic structs and
// maps (`+structType=atomic`, `+mapType=atomic`: owned and replaced as one value).

const CONDITIONS = list(['type']);
const RESOURCES = struct({ limits: map(), requests: map(), claims: list(['name']) });

/** metav1.LabelSelector is `+structType=atomic`. */
const LABEL_SELECTOR = ATOMIC;

/** The sources of an env var: the key and field selectors are `+structType=atomic`. */
const ENV_VAR = struct({
  valueFrom: struct({
    fieldRef: ATOMIC,
    resourceFieldRef: ATOMIC,
    configMapKeyRef: ATOMIC,
    secretKeyRef: ATOMIC,
    fileKeyRef: ATOMIC,
  }),
});

const CONTAINER = struct({
  ports: list(['containerPort', 'protocol']),
  env: list(['name'], ENV_VAR),
  envFrom: ATOMIC,
  volumeMounts: list(['mountPath']),
  volumeDevices: list(['devicePath']),
  resources: RESOURCES,
  args: ATOMIC,
  command: ATOMIC,
  resizePolicy: ATOMIC,
});

export const POD_SPEC = struct({
  containers: list(['name'], CONTAINER),
  initContainers: list(['name'], CONTAINER),
  ephemeralContainers: list(['name'], CONTAINER),
  volumes: list(['name']),
  // LocalObjectReference is `+structType=atomic`.
  imagePullSecrets: list(['name'], ATOMIC),
  hostAliases: list(['ip']),
  tolerations: ATOMIC,
  nodeSelector: ATOMIC,
  affinity: struct({ nodeAffinity: struct({ requiredDuringSchedulingIgnoredDuringExecution: ATOMIC }) }),
  topologySpreadConstraints: list(
    ['topologyKey', 'whenUnsatisfiable'],
    struct({ labelSelector: LABEL_SELECTOR }),
  ),
  readinessGates: ATOMIC,
  resourceClaims: list(['name']),
  schedulingGates: list(['name']),
  overhead: map(),
});

const POD_TEMPLATE = struct({
  metadata: struct({ labels: map(), annotations: map(), finalizers: SET }),
  spec: POD_SPEC,
});

const WORKLOAD_STATUS = struct({ conditions: CONDITIONS });

const WORKLOAD_SPEC = struct({ selector: LABEL_SELECTOR, template: POD_TEMPLATE });

const JOB_SPEC = struct({ selector: LABEL_SELECTOR, template: POD_TEMPLATE, podFailurePolicy: ATOMIC });

const POLICY_RULES = ATOMIC;

const WEBHOOKS = list(
  ['name'],
  struct({ namespaceSelector: LABEL_SELECTOR, objectSelector: LABEL_SELECTOR }),
);

/** ObjectReference is `+structType=atomic` (core/v1 Events and events.k8s.io/v1 Events share storage). */
const EVENT = objectShape({ involvedObject: ATOMIC, regarding: ATOMIC, related: ATOMIC });

/** The shape of each built-in kind by `group/plural` storage id. */
export const BUILTIN_SHAPES: Readonly<Record<string, Shape>> = {
  '/pods': objectShape({
    spec: POD_SPEC,
    status: struct({ conditions: CONDITIONS, containerStatuses: ATOMIC }),
  }),
  '/configmaps': objectShape({ data: map(), binaryData: map() }),
  '/secrets': objectShape({ data: map(), stringData: map() }),
  '/services': objectShape({
    spec: struct({
      ports: list(['port', 'protocol']),
      selector: ATOMIC,
      clusterIPs: ATOMIC,
      ipFamilies: ATOMIC,
    }),
  }),
  '/nodes': objectShape({
    spec: struct({ taints: ATOMIC, podCIDRs: SET }),
    status: struct({
      conditions: CONDITIONS,
      addresses: list(['type']),
      capacity: map(),
      allocatable: map(),
    }),
  }),
  '/namespaces': objectShape({
    spec: struct({ finalizers: ATOMIC }),
    status: struct({ conditions: CONDITIONS }),
  }),
  // ObjectReference is `+structType=atomic`.
  '/serviceaccounts': objectShape({ secrets: list(['name'], ATOMIC), imagePullSecrets: ATOMIC }),
  '/persistentvolumeclaims': objectShape({
    spec: struct({
      accessModes: ATOMIC,
      resources: RESOURCES,
      selector: LABEL_SELECTOR,
      dataSource: ATOMIC,
    }),
  }),
  '/endpoints': objectShape({ subsets: ATOMIC }),
  'apps/deployments': objectShape({ spec: WORKLOAD_SPEC, status: WORKLOAD_STATUS }),
  'apps/statefulsets': objectShape({
    spec: struct({ selector: LABEL_SELECTOR, template: POD_TEMPLATE, volumeClaimTemplates: ATOMIC }),
    status: WORKLOAD_STATUS,
  }),
  'apps/replicasets': objectShape({ spec: WORKLOAD_SPEC, status: WORKLOAD_STATUS }),
  'apps/daemonsets': objectShape({ spec: WORKLOAD_SPEC, status: WORKLOAD_STATUS }),
  'batch/jobs': objectShape({ spec: JOB_SPEC, status: WORKLOAD_STATUS }),
  'batch/cronjobs': objectShape({
    spec: struct({
      jobTemplate: struct({ metadata: struct({ labels: map(), annotations: map() }), spec: JOB_SPEC }),
    }),
  }),
  'rbac.authorization.k8s.io/roles': objectShape({ rules: POLICY_RULES }),
  'rbac.authorization.k8s.io/clusterroles': objectShape({ rules: POLICY_RULES }),
  'rbac.authorization.k8s.io/rolebindings': objectShape({ subjects: ATOMIC, roleRef: ATOMIC }),
  'rbac.authorization.k8s.io/clusterrolebindings': objectShape({ subjects: ATOMIC, roleRef: ATOMIC }),
  'policy/poddisruptionbudgets': objectShape({ spec: struct({ selector: LABEL_SELECTOR }) }),
  'networking.k8s.io/ingresses': objectShape({
    spec: struct({
      rules: ATOMIC,
      tls: ATOMIC,
      defaultBackend: struct({ service: struct({ port: ATOMIC }), resource: ATOMIC }),
    }),
  }),
  'admissionregistration.k8s.io/validatingwebhookconfigurations': objectShape({ webhooks: WEBHOOKS }),
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': objectShape({ webhooks: WEBHOOKS }),
  '/events': EVENT,
  'discovery.k8s.io/endpointslices': objectShape({ endpoints: ATOMIC, ports: ATOMIC }),
  'apiextensions.k8s.io/customresourcedefinitions': objectShape({
    // apiextensions.k8s.io/v1 `versions` is `+listType=atomic`.
    spec: struct({ versions: ATOMIC, names: struct({ shortNames: ATOMIC, categories: ATOMIC }) }),
  }),
};
