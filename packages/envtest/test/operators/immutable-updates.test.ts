import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { expectInvalid } from '../support/invalid-status.js';
import { raw } from '../support/raw-client.js';
import type { RawResponse } from '../support/raw-client.js';

const labels = { app: 'a' };
const container = { name: 'c', image: 'nginx:1.27' };

interface Stored {
  readonly metadata: Record<string, unknown>;
  readonly spec: Record<string, unknown>;
}

/**
 * Asserts a 422 whose single cause is `field: <message>`, where kube-apiserver's message goes on
 * after `prefix` with text envtest cannot match byte for byte (a Go value or a Go diff).
 */
function expectInvalidPrefix(
  answer: RawResponse,
  expected: {
    qualified: string;
    kind: string;
    name: string;
    field: string;
    reason: string;
    prefix: string;
    suffix?: string;
  },
): void {
  expect(answer.status, answer.text).to.equal(422);
  const status = answer.json as {
    reason: string;
    message: string;
    details: { kind: string; name: string; causes: { reason: string; message: string; field: string }[] };
  };
  expect(status.reason).to.equal('Invalid');
  expect(status.details.kind).to.equal(expected.kind);
  expect(status.details.name).to.equal(expected.name);
  expect(status.details.causes).to.have.length(1);
  const cause = status.details.causes[0];
  expect(cause?.field).to.equal(expected.field);
  expect(cause?.reason).to.equal(expected.reason);
  expect(cause?.message.startsWith(expected.prefix), cause?.message).to.equal(true);
  if (expected.suffix !== undefined)
    expect(cause?.message.endsWith(expected.suffix), cause?.message).to.equal(true);
  expect(status.message).to.equal(
    `${expected.qualified} "${expected.name}" is invalid: ${expected.field}: ${cause?.message ?? ''}`,
  );
}

describe('envtest immutable fields on update (as kube-apiserver)', () => {
  const env = useEnvtest();

  async function createAndGet(path: string, body: Record<string, unknown>): Promise<Stored> {
    const created = await raw(env, 'POST', path, { body });
    expect(created.status, created.text).to.equal(201);
    return created.json as Stored;
  }

  describe('Job', () => {
    const path = () => `/apis/batch/v1/namespaces/${env.namespace}/jobs`;
    const job = (suspend: boolean) => ({
      metadata: { name: 'j' },
      spec: { suspend, template: { spec: { restartPolicy: 'Never', containers: [container] } } },
    });

    it('answers 422 to a changed spec.template', async () => {
      const stored = await createAndGet(path(), job(false));
      const template = stored.spec['template'] as { spec: { containers: Record<string, unknown>[] } };
      template.spec.containers[0] = { ...template.spec.containers[0], image: 'nginx:1.28' };
      const answer = await raw(env, 'PUT', `${path()}/j`, { body: stored });
      expectInvalidPrefix(answer, {
        qualified: 'Job.batch',
        kind: 'Job',
        name: 'j',
        field: 'spec.template',
        reason: 'FieldValueInvalid',
        prefix: 'Invalid value: ',
        suffix: ': field is immutable',
      });
    });

    it('lets a suspended Job that never started change its template scheduling directives', async () => {
      const stored = await createAndGet(path(), job(true));
      const template = stored.spec['template'] as {
        metadata: Record<string, unknown>;
        spec: Record<string, unknown>;
      };
      template.spec['nodeSelector'] = { zone: 'a' };
      template.metadata['annotations'] = { note: 'x' };
      const answer = await raw(env, 'PUT', `${path()}/j`, { body: stored });
      expect(answer.status, answer.text).to.equal(200);
    });

    it('answers 422 to a changed completionMode', async () => {
      const stored = await createAndGet(path(), job(false));
      stored.spec['completionMode'] = 'Indexed';
      const answer = await raw(env, 'PUT', `${path()}/j`, { body: stored });
      expect(answer.status, answer.text).to.equal(422);
      expect(answer.json).to.have.nested.property(
        'message',
        'Job.batch "j" is invalid: spec.completionMode: Invalid value: "Indexed": field is immutable',
      );
    });
  });

  describe('StatefulSet', () => {
    const FORBIDDEN =
      "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
    const path = () => `/apis/apps/v1/namespaces/${env.namespace}/statefulsets`;
    const body = {
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [container] } },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    };

    for (const [what, change] of [
      ['serviceName', (spec: Record<string, unknown>) => (spec['serviceName'] = 'other')],
      [
        'volumeClaimTemplates',
        (spec: Record<string, unknown>) =>
          (spec['volumeClaimTemplates'] = [
            {
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
            },
          ]),
      ],
      ['podManagementPolicy', (spec: Record<string, unknown>) => (spec['podManagementPolicy'] = 'Parallel')],
    ] as const) {
      it(`answers 422 to a changed ${what}`, async () => {
        const stored = await createAndGet(path(), body);
        change(stored.spec);
        const answer = await raw(env, 'PUT', `${path()}/db`, { body: stored });
        expectInvalid(
          answer,
          { kind: 'StatefulSet', group: 'apps', name: 'db' },
          `StatefulSet.apps "db" is invalid: spec: ${FORBIDDEN}`,
          [{ reason: 'FieldValueForbidden', message: FORBIDDEN, field: 'spec' }],
        );
      });
    }

    it('accepts changes of replicas, template, updateStrategy, minReadySeconds and the retention policy', async () => {
      const stored = await createAndGet(path(), body);
      stored.spec['replicas'] = 3;
      stored.spec['minReadySeconds'] = 5;
      stored.spec['updateStrategy'] = { type: 'OnDelete' };
      stored.spec['persistentVolumeClaimRetentionPolicy'] = { whenDeleted: 'Delete', whenScaled: 'Retain' };
      stored.spec['template'] = {
        metadata: { labels },
        spec: { containers: [{ ...container, image: 'nginx:1.28' }] },
      };
      const answer = await raw(env, 'PUT', `${path()}/db`, { body: stored });
      expect(answer.status, answer.text).to.equal(200);
    });
  });

  describe('PersistentVolumeClaim', () => {
    const PREFIX =
      'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';
    const path = () => `/api/v1/namespaces/${env.namespace}/persistentvolumeclaims`;
    const body = {
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };

    for (const [what, change] of [
      ['accessModes', (spec: Record<string, unknown>) => (spec['accessModes'] = ['ReadWriteMany'])],
      ['storageClassName', (spec: Record<string, unknown>) => (spec['storageClassName'] = 'fast')],
      [
        'the storage request of a claim that is not bound',
        (spec: Record<string, unknown>) => (spec['resources'] = { requests: { storage: '2Gi' } }),
      ],
    ] as const) {
      it(`answers 422 to a changed ${what}`, async () => {
        const stored = await createAndGet(path(), body);
        change(stored.spec);
        const answer = await raw(env, 'PUT', `${path()}/data`, { body: stored });
        expectInvalidPrefix(answer, {
          qualified: 'PersistentVolumeClaim',
          kind: 'PersistentVolumeClaim',
          name: 'data',
          field: 'spec',
          reason: 'FieldValueForbidden',
          prefix: `${PREFIX}\n`,
        });
      });
    }

    it('lets a bound claim grow its storage request and an unbound one get its volumeName', async () => {
      const stored = await createAndGet(path(), body);
      stored.spec['volumeName'] = 'pv-1';
      const named = await raw(env, 'PUT', `${path()}/data`, { body: stored });
      expect(named.status, named.text).to.equal(200);
      const bound = await raw(env, 'PATCH', `${path()}/data/status`, {
        rawBody: JSON.stringify({ status: { phase: 'Bound' } }),
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(bound.status, bound.text).to.equal(200);
      const grown = await raw(env, 'PATCH', `${path()}/data`, {
        rawBody: JSON.stringify({ spec: { resources: { requests: { storage: '2Gi' } } } }),
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(grown.status, grown.text).to.equal(200);
      const renamed = await raw(env, 'PATCH', `${path()}/data`, {
        rawBody: JSON.stringify({ spec: { volumeName: 'pv-2' } }),
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(renamed.status, renamed.text).to.equal(422);
    });
  });

  describe('Pod', () => {
    const PREFIX =
      'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';
    const path = () => `/api/v1/namespaces/${env.namespace}/pods`;
    const body = {
      metadata: { name: 'p' },
      spec: { containers: [container], tolerations: [{ key: 'a', operator: 'Exists' }] },
    };

    for (const [what, change] of [
      [
        'container port',
        (spec: Record<string, unknown>) =>
          (spec['containers'] = [{ ...container, ports: [{ containerPort: 80 }] }]),
      ],
      ['serviceAccountName', (spec: Record<string, unknown>) => (spec['serviceAccountName'] = 'other')],
    ] as const) {
      it(`answers 422 to a changed ${what}`, async () => {
        const stored = await createAndGet(path(), body);
        change(stored.spec);
        const answer = await raw(env, 'PUT', `${path()}/p`, { body: stored });
        expectInvalidPrefix(answer, {
          qualified: 'Pod',
          kind: 'Pod',
          name: 'p',
          field: 'spec',
          reason: 'FieldValueForbidden',
          prefix: `${PREFIX}\n`,
        });
      });
    }

    it('answers 422 to a removed toleration', async () => {
      const stored = await createAndGet(path(), body);
      stored.spec['tolerations'] = [];
      const answer = await raw(env, 'PUT', `${path()}/p`, { body: stored });
      expect(answer.status, answer.text).to.equal(422);
      expect(answer.json).to.have.property(
        'message',
        'Pod "p" is invalid: spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
      );
    });

    it('accepts a new image, an added toleration and a shorter activeDeadlineSeconds', async () => {
      const stored = await createAndGet(path(), {
        ...body,
        spec: { ...body.spec, activeDeadlineSeconds: 60 },
      });
      stored.spec['containers'] = [{ ...(stored.spec['containers'] as object[])[0], image: 'nginx:1.28' }];
      stored.spec['tolerations'] = [
        { key: 'a', operator: 'Exists' },
        { key: 'b', operator: 'Exists' },
      ];
      stored.spec['activeDeadlineSeconds'] = 30;
      const answer = await raw(env, 'PUT', `${path()}/p`, { body: stored });
      expect(answer.status, answer.text).to.equal(200);
    });

    it('answers 422 to a longer activeDeadlineSeconds', async () => {
      const stored = await createAndGet(path(), {
        ...body,
        spec: { ...body.spec, activeDeadlineSeconds: 60 },
      });
      stored.spec['activeDeadlineSeconds'] = 90;
      const answer = await raw(env, 'PUT', `${path()}/p`, { body: stored });
      expect(answer.status, answer.text).to.equal(422);
      expect(answer.json).to.have.property(
        'message',
        'Pod "p" is invalid: spec.activeDeadlineSeconds: Invalid value: 90: must be less than or equal to previous value',
      );
    });
  });
});
