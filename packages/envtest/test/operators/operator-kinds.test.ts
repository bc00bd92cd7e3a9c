/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment, @typescript-eslint/no-misused-spread -- client-node models are plain-data classes; object literals and spreads are how its API is meant to be used. */
import { AppsV1Api, BatchV1Api, CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { apiFailure } from '../support/api-failure.js';
import { useKubectl } from '../support/kubectl.js';
import { eventually, raw, rawWatch } from '../support/raw-client.js';

const template = {
  metadata: { labels: { app: 'a' } },
  spec: { containers: [{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
};
const jobTemplate = { spec: { ...template.spec, restartPolicy: 'Never' } };

interface Kind {
  readonly path: (namespace: string) => string;
  readonly resource: string;
  readonly body: Record<string, unknown>;
}

const kinds: Kind[] = [
  {
    resource: 'roles',
    path: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
    body: { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
  },
  {
    resource: 'rolebindings',
    path: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
    body: {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      subjects: [{ kind: 'User', name: 'alice' }],
    },
  },
  {
    resource: 'clusterroles',
    path: () => '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    body: { rules: [] },
  },
  {
    resource: 'clusterrolebindings',
    path: () => '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    body: { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' } },
  },
  {
    resource: 'poddisruptionbudgets',
    path: (ns) => `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`,
    body: { spec: { minAvailable: 1, selector: { matchLabels: { app: 'a' } } } },
  },
  {
    resource: 'statefulsets',
    path: (ns) => `/apis/apps/v1/namespaces/${ns}/statefulsets`,
    body: { spec: { serviceName: 's', selector: { matchLabels: { app: 'a' } }, template } },
  },
  {
    resource: 'replicasets',
    path: (ns) => `/apis/apps/v1/namespaces/${ns}/replicasets`,
    body: { spec: { selector: { matchLabels: { app: 'a' } }, template } },
  },
  {
    resource: 'daemonsets',
    path: (ns) => `/apis/apps/v1/namespaces/${ns}/daemonsets`,
    body: { spec: { selector: { matchLabels: { app: 'a' } }, template } },
  },
  {
    resource: 'jobs',
    path: (ns) => `/apis/batch/v1/namespaces/${ns}/jobs`,
    body: { spec: { template: jobTemplate } },
  },
  {
    resource: 'cronjobs',
    path: (ns) => `/apis/batch/v1/namespaces/${ns}/cronjobs`,
    body: { spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: jobTemplate } } } },
  },
  {
    resource: 'ingresses',
    path: (ns) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`,
    body: {
      spec: {
        rules: [
          {
            host: 'a.example.com',
            http: { paths: [{ path: '/', backend: { service: { name: 's', port: { number: 80 } } } }] },
          },
        ],
      },
    },
  },
  {
    resource: 'persistentvolumeclaims',
    path: (ns) => `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
    body: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  },
  {
    resource: 'endpoints',
    path: (ns) => `/api/v1/namespaces/${ns}/endpoints`,
    body: { subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] },
  },
  {
    resource: 'endpointslices',
    path: (ns) => `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
    body: { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }] },
  },
  {
    resource: 'validatingwebhookconfigurations',
    path: () => '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
    body: {
      webhooks: [
        {
          name: 'v.example.com',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          clientConfig: { url: 'https://example.com' },
        },
      ],
    },
  },
  {
    resource: 'mutatingwebhookconfigurations',
    path: () => '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
    body: {
      webhooks: [
        {
          name: 'm.example.com',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          clientConfig: { url: 'https://example.com' },
        },
      ],
    },
  },
];

describe('envtest kinds operators own', () => {
  const env = useEnvtest();
  const kubectl = useKubectl(env);

  for (const kind of kinds) {
    it(`creates, lists, watches and shows ${kind.resource} (kubectl get)`, async () => {
      const name = `x-${env.namespace}`;
      const path = kind.path(env.namespace);
      const watch = rawWatch(env, `${path}?watch=true&fieldSelector=metadata.name%3D${name}`);
      try {
        const created = await raw(env, 'POST', path, { body: { metadata: { name }, ...kind.body } });
        expect(created.status, created.text).to.equal(201);
        const listed = await raw(env, 'GET', path);
        expect(JSON.stringify(listed.json)).to.contain(`"name":"${name}"`);
        await eventually(() => watch.events.some((event) => event.type === 'ADDED'));
        const shown = await kubectl.ok('get', kind.resource, name);
        expect(shown).to.match(/^NAME\s/);
        expect(shown).to.contain(name);
        const deleted = await raw(env, 'DELETE', `${path}/${name}`);
        expect(deleted.status).to.equal(200);
      } finally {
        watch.close();
      }
    });
  }

  it('lists every new kind in discovery, so that kubectl api-resources shows them', async () => {
    const shown = await kubectl.ok('api-resources');
    for (const kind of kinds) expect(shown).to.contain(kind.resource);
    expect(shown).to.match(/statefulsets\s+sts\s+apps\/v1\s+true\s+StatefulSet/);
  });

  it('defaults pod templates as kube-apiserver does, so desired equals stored', async () => {
    const apps = env.kubeConfig.makeApiClient(AppsV1Api);
    const created = await apps.createNamespacedDeployment({
      namespace: env.namespace,
      body: { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'a' } }, template } },
    });
    const pod = created.spec?.template.spec;
    expect(pod?.restartPolicy).to.equal('Always');
    expect(pod?.dnsPolicy).to.equal('ClusterFirst');
    expect(pod?.schedulerName).to.equal('default-scheduler');
    expect(pod?.terminationGracePeriodSeconds).to.equal(30);
    const container = pod?.containers[0];
    expect(container?.terminationMessagePath).to.equal('/dev/termination-log');
    expect(container?.terminationMessagePolicy).to.equal('File');
    expect(container?.imagePullPolicy).to.equal('IfNotPresent');
    expect(container?.ports?.[0]?.protocol).to.equal('TCP');
    const replaced = await apps.replaceNamespacedDeployment({
      namespace: env.namespace,
      name: 'd',
      body: { ...created, spec: { ...created.spec, template } } as typeof created,
    });
    expect(
      replaced.metadata?.generation,
      'an update that sends the undefaulted template changes nothing',
    ).to.equal(1);
    const moved = await apiFailure(
      apps.patchNamespacedDeployment({
        namespace: env.namespace,
        name: 'd',
        body: [{ op: 'replace', path: '/spec/selector/matchLabels', value: { app: 'b' } }],
      }),
    );
    expect(moved.code).to.equal(422);
    expect(moved.body.message).to.contain('spec.selector: Invalid value:');
    expect(moved.body.message).to.contain('field is immutable');
  });

  it('defaults Service ports, keeps clusterIP on a PUT without it, and refuses to change it', async () => {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedService({
      namespace: env.namespace,
      body: { metadata: { name: 's' }, spec: { selector: { app: 'a' }, ports: [{ port: 80 }] } },
    });
    expect(created.spec?.ports?.[0]).to.deep.include({ port: 80, protocol: 'TCP', targetPort: 80 });
    expect(created.spec?.type).to.equal('ClusterIP');
    const clusterIP = created.spec?.clusterIP;
    expect(clusterIP).to.match(/^10\.96\./);
    const put = await raw(env, 'PUT', `/api/v1/namespaces/${env.namespace}/services/s`, {
      body: {
        metadata: { name: 's', resourceVersion: created.metadata?.resourceVersion },
        spec: { selector: { app: 'b' }, ports: [{ port: 80 }] },
      },
    });
    expect(put.status, put.text).to.equal(200);
    expect(put.json).to.have.nested.property('spec.clusterIP', clusterIP);
    expect(put.json).to.have.nested.property('spec.type', 'ClusterIP');
    const changed = await raw(env, 'PATCH', `/api/v1/namespaces/${env.namespace}/services/s`, {
      body: { spec: { clusterIP: '10.96.0.99', clusterIPs: ['10.96.0.99'] } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(changed.status).to.equal(422);
    expect((changed.json as { message: string }).message).to.equal(
      `Service "s" is invalid: spec.clusterIP: Invalid value: "10.96.0.99": field is immutable`,
    );
  });

  it('gives Jobs their selector and labels, and refuses restartPolicy Always', async () => {
    const batch = env.kubeConfig.makeApiClient(BatchV1Api);
    const job = await batch.createNamespacedJob({
      namespace: env.namespace,
      body: { metadata: { name: 'j' }, spec: { template: jobTemplate } },
    });
    const uid = job.metadata?.uid ?? '';
    expect(job.spec?.selector?.matchLabels).to.deep.equal({ 'batch.kubernetes.io/controller-uid': uid });
    expect(job.spec?.template.metadata?.labels).to.include({
      'job-name': 'j',
      'batch.kubernetes.io/job-name': 'j',
    });
    expect(job.spec?.backoffLimit).to.equal(6);
    const always = await apiFailure(
      batch.createNamespacedJob({
        namespace: env.namespace,
        body: { metadata: { name: 'k' }, spec: { template: { spec: template.spec } } },
      }),
    );
    expect(always.code).to.equal(422);
    expect(always.body.message).to.contain(
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    );
  });

  it("refuses to change a RoleBinding's roleRef", async () => {
    const rbac = env.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRoleBinding({
      namespace: env.namespace,
      body: {
        metadata: { name: 'rb' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'a' },
        subjects: [],
      },
    });
    const failure = await apiFailure(
      rbac.patchNamespacedRoleBinding({
        namespace: env.namespace,
        name: 'rb',
        body: [{ op: 'replace', path: '/roleRef/name', value: 'b' }],
      }),
    );
    expect(failure.code).to.equal(422);
    expect(failure.body.message).to.contain('cannot change roleRef');
  });
});

describe('envtest Tables of the kinds operators own (kubectl get)', () => {
  const env = useEnvtest();
  const kubectl = useKubectl(env);

  it("prints kube-apiserver's columns for workloads, jobs, PDBs, PVCs, bindings and ingresses", async () => {
    for (const kind of kinds) {
      if (kind.path(env.namespace).includes('/namespaces/')) {
        await raw(env, 'POST', kind.path(env.namespace), {
          body: { metadata: { name: 'shown' }, ...kind.body },
        });
      }
    }
    const headers = async (resource: string): Promise<string> =>
      ((await kubectl.ok('get', resource)).split('\n')[0] ?? '').replace(/\s+/g, ' ').trim();
    expect(await headers('statefulsets')).to.equal('NAME READY AGE');
    expect(await headers('replicasets')).to.equal('NAME DESIRED CURRENT READY AGE');
    expect(await headers('daemonsets')).to.equal(
      'NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE',
    );
    expect(await headers('jobs')).to.equal('NAME STATUS COMPLETIONS DURATION AGE');
    expect(await headers('cronjobs')).to.equal('NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE');
    expect(await headers('pdb')).to.equal('NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE');
    expect(await headers('pvc')).to.equal(
      'NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE',
    );
    expect(await headers('rolebindings')).to.equal('NAME ROLE AGE');
    expect(await headers('roles')).to.equal('NAME CREATED AT');
    expect(await headers('ingresses')).to.equal('NAME CLASS HOSTS ADDRESS PORTS AGE');
    expect(await kubectl.ok('get', 'cronjob', 'shown')).to.match(
      /shown\s+\*\/5 \* \* \* \*\s+<none>\s+false\s+0\s+<none>/,
    );
    expect(await kubectl.ok('get', 'rolebinding', 'shown')).to.match(/shown\s+Role\/r\s/);
    expect(await kubectl.ok('get', 'job', 'shown')).to.match(/shown\s+Running\s+0\/1\s/);
  });
});
