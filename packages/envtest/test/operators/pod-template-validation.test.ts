import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { raw } from '../support/raw-client.js';
import { duplicate, expectInvalid, invalid, required } from '../support/invalid-status.js';

const DNS1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

interface PodSpecHolder {
  readonly kind: string;
  readonly group: string;
  readonly path: (namespace: string) => string;
  /** Where the pod spec sits, as kube-apiserver names the field. */
  readonly specPath: string;
  /** The object (without metadata) holding `podSpec`. */
  readonly body: (podSpec: Record<string, unknown>) => Record<string, unknown>;
}

const labels = { app: 'a' };
const template = (spec: Record<string, unknown>) => ({ metadata: { labels }, spec });
const jobSpec = (spec: Record<string, unknown>) => ({
  template: template({ restartPolicy: 'Never', ...spec }),
});

const holders: PodSpecHolder[] = [
  {
    kind: 'Pod',
    group: '',
    path: (ns) => `/api/v1/namespaces/${ns}/pods`,
    specPath: 'spec',
    body: (spec) => ({ spec }),
  },
  {
    kind: 'Deployment',
    group: 'apps',
    path: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`,
    specPath: 'spec.template.spec',
    body: (spec) => ({ spec: { selector: { matchLabels: labels }, template: template(spec) } }),
  },
  {
    kind: 'ReplicaSet',
    group: 'apps',
    path: (ns) => `/apis/apps/v1/namespaces/${ns}/replicasets`,
    specPath: 'spec.template.spec',
    body: (spec) => ({ spec: { selector: { matchLabels: labels }, template: template(spec) } }),
  },
  {
    kind: 'StatefulSet',
    group: 'apps',
    path: (ns) => `/apis/apps/v1/namespaces/${ns}/statefulsets`,
    specPath: 'spec.template.spec',
    body: (spec) => ({
      spec: { serviceName: 's', selector: { matchLabels: labels }, template: template(spec) },
    }),
  },
  {
    kind: 'DaemonSet',
    group: 'apps',
    path: (ns) => `/apis/apps/v1/namespaces/${ns}/daemonsets`,
    specPath: 'spec.template.spec',
    body: (spec) => ({ spec: { selector: { matchLabels: labels }, template: template(spec) } }),
  },
  {
    kind: 'Job',
    group: 'batch',
    path: (ns) => `/apis/batch/v1/namespaces/${ns}/jobs`,
    specPath: 'spec.template.spec',
    body: (spec) => ({ spec: jobSpec(spec) }),
  },
  {
    kind: 'CronJob',
    group: 'batch',
    path: (ns) => `/apis/batch/v1/namespaces/${ns}/cronjobs`,
    specPath: 'spec.jobTemplate.spec.template.spec',
    body: (spec) => ({ spec: { schedule: '*/5 * * * *', jobTemplate: { spec: jobSpec(spec) } } }),
  },
];

describe('envtest pod spec validation (pods and pod templates, as kube-apiserver)', () => {
  const env = useEnvtest();

  for (const holder of holders) {
    const qualified = holder.group ? `${holder.kind}.${holder.group}` : holder.kind;
    const object = { kind: holder.kind, group: holder.group, name: 'w' };
    const create = (spec: Record<string, unknown>) =>
      raw(env, 'POST', holder.path(env.namespace), {
        body: { metadata: { name: 'w' }, ...holder.body(spec) },
      });
    const p = holder.specPath;

    describe(holder.kind, () => {
      it('answers 422 to a container without an image', async () => {
        const answer = await create({ containers: [{ name: 'c' }] });
        expectInvalid(
          answer,
          object,
          `${qualified} "w" is invalid: ${p}.containers[0].image: Required value`,
          [required(`${p}.containers[0].image`)],
        );
      });

      it('answers 422 to a container name that is not a DNS-1123 label', async () => {
        const answer = await create({ containers: [{ name: 'C_1', image: 'nginx' }] });
        expectInvalid(
          answer,
          object,
          `${qualified} "w" is invalid: ${p}.containers[0].name: Invalid value: "C_1": ${DNS1123_LABEL}`,
          [invalid(`${p}.containers[0].name`, '"C_1"', DNS1123_LABEL)],
        );
      });

      it('answers 422 to duplicate container names', async () => {
        const answer = await create({
          containers: [
            { name: 'c', image: 'nginx' },
            { name: 'c', image: 'busybox' },
          ],
        });
        expectInvalid(
          answer,
          object,
          `${qualified} "w" is invalid: ${p}.containers[1].name: Duplicate value: "c"`,
          [duplicate(`${p}.containers[1].name`, '"c"')],
        );
      });

      it('answers 422 to a pod spec without containers', async () => {
        const answer = await create({ containers: [] });
        expectInvalid(answer, object, `${qualified} "w" is invalid: ${p}.containers: Required value`, [
          required(`${p}.containers`),
        ]);
      });

      it('answers 422 to an init container without an image or named like a container', async () => {
        const answer = await create({
          containers: [{ name: 'c', image: 'nginx' }],
          initContainers: [{ name: 'init' }, { name: 'c', image: 'busybox' }],
        });
        expectInvalid(
          answer,
          object,
          `${qualified} "w" is invalid: [${p}.initContainers[0].image: Required value, ${p}.initContainers[1].name: Duplicate value: "c"]`,
          [required(`${p}.initContainers[0].image`), duplicate(`${p}.initContainers[1].name`, '"c"')],
        );
      });

      it('accepts a valid pod spec with init containers', async () => {
        const answer = await create({
          containers: [{ name: 'c', image: 'nginx' }],
          initContainers: [{ name: 'init', image: 'busybox' }],
        });
        expect(answer.status, answer.text).to.equal(201);
      });
    });
  }

  for (const [kind, plural, prefix, body] of [
    ['Job', 'jobs', 'spec', (spec: Record<string, unknown>) => ({ template: { spec } })],
    [
      'CronJob',
      'cronjobs',
      'spec.jobTemplate.spec',
      (spec: Record<string, unknown>) => ({
        schedule: '* * * * *',
        jobTemplate: { spec: { template: { spec } } },
      }),
    ],
  ] as const) {
    for (const policy of [undefined, 'Always']) {
      it(`answers 422 to a ${kind} whose template has restartPolicy ${policy ?? 'unset'}`, async () => {
        const spec = {
          containers: [{ name: 'c', image: 'busybox' }],
          ...(policy ? { restartPolicy: policy } : {}),
        };
        const answer = await raw(env, 'POST', `/apis/batch/v1/namespaces/${env.namespace}/${plural}`, {
          body: { metadata: { name: 'w' }, spec: body(spec) },
        });
        const field = `${prefix}.template.spec.restartPolicy`;
        expectInvalid(
          answer,
          { kind, group: 'batch', name: 'w' },
          `${kind}.batch "w" is invalid: ${field}: Required value: valid values: "OnFailure", "Never"`,
          [required(field, 'valid values: "OnFailure", "Never"')],
        );
      });
    }
  }

  it('checks the pod template of a Deployment on update too', async () => {
    const path = `/apis/apps/v1/namespaces/${env.namespace}/deployments`;
    const body = {
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: labels },
        template: template({ containers: [{ name: 'c', image: 'nginx' }] }),
      },
    };
    expect((await raw(env, 'POST', path, { body })).status).to.equal(201);
    const broken = {
      ...body,
      spec: { ...body.spec, template: template({ containers: [{ name: 'c', image: '' }] }) },
    };
    const answer = await raw(env, 'PUT', `${path}/d`, { body: broken });
    expectInvalid(
      answer,
      { kind: 'Deployment', group: 'apps', name: 'd' },
      'Deployment.apps "d" is invalid: spec.template.spec.containers[0].image: Required value',
      [required('spec.template.spec.containers[0].image')],
    );
  });
});
