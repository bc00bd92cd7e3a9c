/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be used. */
import { CoreV1Api, EventsV1Api, V1MicroTime } from '@kubernetes/client-node';
import { expect } from 'chai';
import { useEnvtest } from '@kubekit/envtest/testing';
import { useKubectl } from '../support/kubectl.js';
import { eventually, raw, rawWatch } from '../support/raw-client.js';

describe('envtest Events: one store behind core/v1 and events.k8s.io/v1', () => {
  const env = useEnvtest();
  const kubectl = useKubectl(env);
  const regarding = (name: string): Record<string, string> => ({
    apiVersion: 'v1',
    kind: 'Pod',
    name,
    namespace: env.namespace,
    uid: '00000000-0000-0000-0000-000000000001',
  });

  it('shows an events.k8s.io Event to core/v1 readers, converted as kube-apiserver converts it', async () => {
    const events = env.kubeConfig.makeApiClient(EventsV1Api);
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    await events.createNamespacedEvent({
      namespace: env.namespace,
      body: {
        metadata: { name: 'e1' },
        eventTime: new V1MicroTime('2026-01-01T00:00:00.123456Z'),
        regarding: regarding('web-0'),
        note: 'pulled image',
        reason: 'Pulled',
        type: 'Normal',
        action: 'Pull',
        reportingController: 'kubekit.dev/operator',
        reportingInstance: 'operator-0',
      },
    });
    const seen = await core.readNamespacedEvent({ namespace: env.namespace, name: 'e1' });
    expect(seen.apiVersion).to.equal('v1');
    expect(seen.involvedObject.name).to.equal('web-0');
    expect(seen.message).to.equal('pulled image');
    expect(seen.reportingComponent).to.equal('kubekit.dev/operator');
    expect(seen.reportingInstance).to.equal('operator-0');
    expect(seen.reason).to.equal('Pulled');
    const listed = await core.listNamespacedEvent({
      namespace: env.namespace,
      fieldSelector: 'involvedObject.name=web-0',
    });
    expect(listed.items.map((event) => event.metadata.name)).to.deep.equal(['e1']);
  });

  it('shows a core/v1 Event to events.k8s.io readers, in lists, field selectors and watches', async () => {
    const watch = rawWatch(env, `/apis/events.k8s.io/v1/namespaces/${env.namespace}/events?watch=true`);
    try {
      const created = await raw(env, 'POST', `/api/v1/namespaces/${env.namespace}/events`, {
        body: {
          metadata: { name: 'e2' },
          involvedObject: regarding('web-1'),
          message: 'started',
          reason: 'Started',
          type: 'Normal',
          source: { component: 'kubelet' },
          count: 2,
          firstTimestamp: '2026-01-01T00:00:00Z',
          lastTimestamp: '2026-01-01T00:01:00Z',
        },
      });
      expect(created.status).to.equal(201);
      const read = await raw(env, 'GET', `/apis/events.k8s.io/v1/namespaces/${env.namespace}/events/e2`);
      expect(read.json).to.deep.include({
        apiVersion: 'events.k8s.io/v1',
        note: 'started',
        deprecatedSource: { component: 'kubelet' },
        deprecatedCount: 2,
        deprecatedFirstTimestamp: '2026-01-01T00:00:00Z',
        deprecatedLastTimestamp: '2026-01-01T00:01:00Z',
      });
      expect(read.json).to.have.nested.property('regarding.name', 'web-1');
      expect(read.json).not.to.have.property('message');
      const selected = await raw(
        env,
        'GET',
        `/apis/events.k8s.io/v1/namespaces/${env.namespace}/events?fieldSelector=regarding.name%3Dweb-1`,
      );
      expect((selected.json as { items: unknown[] }).items).to.have.length(1);
      await eventually(() => watch.events.some((event) => event.object.metadata?.name === 'e2'));
      const event = watch.events.find((candidate) => candidate.object.metadata?.name === 'e2');
      expect(event?.object).to.include({ apiVersion: 'events.k8s.io/v1' });
      expect(event?.object).to.have.property('note', 'started');
      const deleted = await raw(
        env,
        'DELETE',
        `/apis/events.k8s.io/v1/namespaces/${env.namespace}/events/e2`,
      );
      expect(deleted.status).to.equal(200);
      expect((await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/events/e2`)).status).to.equal(404);
    } finally {
      watch.close();
    }
  });

  it('lets kubectl get events list Events written through either API', async () => {
    await raw(env, 'POST', `/apis/events.k8s.io/v1/namespaces/${env.namespace}/events`, {
      body: {
        metadata: { name: 'e3' },
        eventTime: '2026-01-01T00:00:00.000000Z',
        regarding: regarding('web-2'),
        note: 'scaled',
        reason: 'Scaled',
        type: 'Normal',
        action: 'Scale',
        reportingController: 'ctl',
        reportingInstance: 'ctl-0',
      },
    });
    const shown = await kubectl.ok('get', 'events');
    expect(shown).to.contain('Scaled');
    expect(shown).to.contain('pod/web-2');
  });
});
