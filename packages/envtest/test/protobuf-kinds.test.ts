import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { builtinResources } from '#lib/api/builtin-resources.js';
import { decodeProtobufObject, hasProtobufMessage } from '#lib/protobuf/protobuf-decoder.js';
import { encodeProtobufObject } from './support/protobuf-encoder.js';
import { raw } from './support/raw-client.js';

const META = {
  name: 'x',
  namespace: 'ns',
  labels: { app: 'web' },
  annotations: { note: 'n' },
  ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u1', controller: true }],
  finalizers: ['example.com/f'],
};
const SELECTOR = {
  matchLabels: { app: 'web' },
  matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }],
};
const POD_SPEC = {
  containers: [
    {
      name: 'c',
      image: 'nginx:1.27',
      command: ['sh'],
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } }],
      resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '100m' } },
      readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
      securityContext: { runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
      stdin: true,
    },
  ],
  volumes: [
    { name: 'v', configMap: { name: 'cm', defaultMode: 420 } },
    { name: 'e', emptyDir: { sizeLimit: '1Gi' } },
  ],
  tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 30 }],
  affinity: {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 10, podAffinityTerm: { labelSelector: SELECTOR, topologyKey: 'zone' } },
      ],
    },
  },
  nodeSelector: { disk: 'ssd' },
  serviceAccountName: 'sa',
  terminationGracePeriodSeconds: 10,
};
const TEMPLATE = { metadata: { labels: { app: 'web' } }, spec: POD_SPEC };
const RULES = [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'], resourceNames: ['a'] }];
const WEBHOOK = {
  name: 'w.example.com',
  clientConfig: { service: { namespace: 'ns', name: 's', path: '/v', port: 443 }, caBundle: 'Y2E=' },
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }],
  failurePolicy: 'Fail',
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  timeoutSeconds: 5,
};

/** One object of every kind envtest serves (and of the subresource bodies it reads), in JSON. */
const SAMPLES: Record<string, Record<string, unknown>> = {
  'v1/Namespace': { metadata: { name: 'x', labels: { a: 'b' } }, spec: { finalizers: ['kubernetes'] } },
  'v1/Pod': { metadata: META, spec: POD_SPEC },
  'v1/Node': {
    metadata: { name: 'n' },
    spec: { podCIDR: '10.0.0.0/24', taints: [{ key: 'k', effect: 'NoSchedule' }], unschedulable: true },
    status: {
      capacity: { cpu: '4' },
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-01-02T03:04:05Z' }],
    },
  },
  'v1/ConfigMap': { metadata: META, data: { a: '1' }, binaryData: { b: 'AAEC' }, immutable: true },
  'v1/Secret': { metadata: META, data: { a: 'c2VjcmV0' }, stringData: { s: 't' }, type: 'Opaque' },
  'v1/Service': {
    metadata: META,
    spec: {
      type: 'NodePort',
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080, protocol: 'TCP' }],
      clusterIP: '10.0.0.1',
      ipFamilies: ['IPv4'],
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    },
  },
  'v1/ServiceAccount': {
    metadata: META,
    secrets: [{ name: 's' }],
    imagePullSecrets: [{ name: 'r' }],
    automountServiceAccountToken: false,
  },
  'v1/PersistentVolumeClaim': {
    metadata: META,
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName: 'standard',
      volumeMode: 'Filesystem',
    },
  },
  'v1/Endpoints': {
    metadata: META,
    subsets: [
      { addresses: [{ ip: '10.0.0.2', targetRef: { kind: 'Pod', name: 'p' } }], ports: [{ port: 80 }] },
    ],
  },
  'v1/Event': {
    metadata: META,
    involvedObject: { kind: 'Pod', namespace: 'ns', name: 'p' },
    reason: 'Started',
    message: 'm',
    type: 'Normal',
    count: 2,
    firstTimestamp: '2026-01-02T03:04:05Z',
    eventTime: '2026-01-02T03:04:05.123456Z',
    source: { component: 'kubelet' },
  },
  'events.k8s.io/v1/Event': {
    metadata: META,
    eventTime: '2026-01-02T03:04:05.123456Z',
    series: { count: 3, lastObservedTime: '2026-01-02T03:04:06.000001Z' },
    reportingController: 'c',
    reportingInstance: 'i',
    action: 'Act',
    reason: 'R',
    regarding: { kind: 'Pod', name: 'p' },
    note: 'n',
    type: 'Normal',
  },
  'coordination.k8s.io/v1/Lease': {
    metadata: META,
    spec: {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-01-02T03:04:05.000000Z',
      renewTime: '2026-01-02T03:04:05.654321Z',
      leaseTransitions: 2,
    },
  },
  'coordination.k8s.io/v1beta1/LeaseCandidate': {
    metadata: META,
    spec: {
      leaseName: 'l',
      pingTime: '2026-01-02T03:04:05.000001Z',
      renewTime: '2026-01-02T03:04:05.000002Z',
      binaryVersion: '1.33.0',
      emulationVersion: '1.33.0',
      strategy: 'OldestEmulationVersion',
    },
  },
  'apps/v1/Deployment': {
    metadata: META,
    spec: {
      replicas: 3,
      selector: SELECTOR,
      template: TEMPLATE,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      revisionHistoryLimit: 5,
    },
  },
  'apps/v1/StatefulSet': {
    metadata: META,
    spec: {
      replicas: 2,
      selector: SELECTOR,
      template: TEMPLATE,
      serviceName: 'web',
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
    },
  },
  'apps/v1/ReplicaSet': { metadata: META, spec: { replicas: 1, selector: SELECTOR, template: TEMPLATE } },
  'apps/v1/DaemonSet': {
    metadata: META,
    spec: {
      selector: SELECTOR,
      template: TEMPLATE,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
    },
  },
  'batch/v1/Job': {
    metadata: META,
    spec: { parallelism: 2, completions: 4, backoffLimit: 3, template: TEMPLATE, suspend: true },
  },
  'batch/v1/CronJob': {
    metadata: META,
    spec: {
      schedule: '0 3 * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { template: TEMPLATE } },
    },
  },
  'policy/v1/PodDisruptionBudget': {
    metadata: META,
    spec: { minAvailable: '50%', selector: SELECTOR, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  },
  'rbac.authorization.k8s.io/v1/Role': { metadata: META, rules: RULES },
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    metadata: { name: 'r' },
    rules: [...RULES, { nonResourceURLs: ['/healthz'], verbs: ['get'] }],
    aggregationRule: { clusterRoleSelectors: [SELECTOR] },
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': {
    metadata: META,
    subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'ns' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
  },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': {
    metadata: { name: 'b' },
    subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'ops' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'r' },
  },
  'networking.k8s.io/v1/Ingress': {
    metadata: META,
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: ['a.example.com'], secretName: 't' }],
      rules: [
        {
          host: 'a.example.com',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 's', port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  },
  'discovery.k8s.io/v1/EndpointSlice': {
    metadata: META,
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.3'], conditions: { ready: true }, nodeName: 'n', zone: 'z' }],
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  },
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': {
    metadata: { name: 'v' },
    webhooks: [WEBHOOK],
  },
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': {
    metadata: { name: 'm' },
    webhooks: [{ ...WEBHOOK, reinvocationPolicy: 'IfNeeded', namespaceSelector: SELECTOR }],
  },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    metadata: {},
    spec: { resourceAttributes: { namespace: 'ns', verb: 'get', group: 'apps', resource: 'deployments' } },
  },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': {
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  'x-kubernetes-validations': [{ rule: 'self.size >= 0', message: 'size' }],
                  properties: {
                    size: { type: 'integer', minimum: 1, maximum: 9, default: 3 },
                    mode: { type: 'string', enum: ['a', 'b'] },
                    labels: { type: 'object', additionalProperties: { type: 'string' } },
                    extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    ports: {
                      type: 'array',
                      'x-kubernetes-list-type': 'map',
                      'x-kubernetes-list-map-keys': ['name'],
                      items: { type: 'object', properties: { name: { type: 'string' } } },
                    },
                    port: {
                      'x-kubernetes-int-or-string': true,
                      anyOf: [{ type: 'integer' }, { type: 'string' }],
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  },
  // Subresource bodies: serviceaccounts/token and the scale subresource.
  'authentication.k8s.io/v1/TokenRequest': {
    metadata: {},
    spec: {
      audiences: ['api'],
      expirationSeconds: 3600,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'u' },
    },
  },
  'autoscaling/v1/Scale': { metadata: { name: 'x', namespace: 'ns' }, spec: { replicas: 4 } },
  // The body of a DELETE, sent with the resource's apiVersion.
  'apps/v1/DeleteOptions': {
    gracePeriodSeconds: 0,
    preconditions: { uid: 'u', resourceVersion: '5' },
    propagationPolicy: 'Orphan',
    dryRun: ['All'],
  },
};

const served = [
  ...builtinResources.map((type) => `${type.apiVersion}/${type.kind}`),
  'authentication.k8s.io/v1/TokenRequest',
  'autoscaling/v1/Scale',
  'apps/v1/DeleteOptions',
];

function split(key: string): { apiVersion: string; kind: string } {
  const slash = key.lastIndexOf('/');
  return { apiVersion: key.slice(0, slash), kind: key.slice(slash + 1) };
}

describe('protobuf request bodies of every kind served', () => {
  it('has a sample here for every kind envtest serves', () => {
    expect(served.filter((key) => SAMPLES[key] === undefined)).to.deep.equal([]);
  });

  it('has a message description for every kind envtest serves', () => {
    const missing = served.filter((key) => {
      const { apiVersion, kind } = split(key);
      return !hasProtobufMessage(apiVersion, kind);
    });
    expect(missing).to.deep.equal([]);
  });

  for (const key of served) {
    it(`decodes ${key} to the JSON it was encoded from`, () => {
      const { apiVersion, kind } = split(key);
      const object = { apiVersion, kind, ...SAMPLES[key] };
      expect(decodeProtobufObject(encodeProtobufObject(object))).to.deep.equal(object);
    });
  }
});

describe('protobuf request bodies against envtest', () => {
  const env = useEnvtest();
  const protobufBody = (
    object: Record<string, unknown>,
  ): { rawBody: Buffer; headers: Record<string, string> } => ({
    rawBody: encodeProtobufObject(object),
    headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' },
  });

  it('creates a StatefulSet from protobuf and reads DeleteOptions in protobuf (preconditions, propagation)', async () => {
    const path = `/apis/apps/v1/namespaces/${env.namespace}/statefulsets`;
    const sample = SAMPLES['apps/v1/StatefulSet'] ?? {};
    const created = await raw(
      env,
      'POST',
      path,
      protobufBody({ apiVersion: 'apps/v1', kind: 'StatefulSet', ...sample, metadata: { name: 'db' } }),
    );
    expect(created.status, created.text).to.equal(201);
    expect(created.json).to.have.nested.property('spec.volumeClaimTemplates[0].metadata.name', 'data');
    const stale = await raw(
      env,
      'DELETE',
      `${path}/db`,
      protobufBody({ apiVersion: 'apps/v1', kind: 'DeleteOptions', preconditions: { uid: 'not-its-uid' } }),
    );
    expect(stale.status, stale.text).to.equal(409);
    const deleted = await raw(
      env,
      'DELETE',
      `${path}/db`,
      protobufBody({ apiVersion: 'apps/v1', kind: 'DeleteOptions', propagationPolicy: 'Orphan' }),
    );
    expect(deleted.status, deleted.text).to.equal(200);
    expect(deleted.json).to.have.deep.nested.property('metadata.finalizers', ['orphan']);
  });
});
