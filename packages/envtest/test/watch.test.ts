/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be called. */
import { expect } from 'chai';
import { CoordinationV1Api, CoreV1Api, Watch } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually, raw, rawWatch, sleep } from './support/raw-client.js';

describe('envtest watch streams', () => {
  const env = useEnvtest({ bookmarkIntervalMs: 50 });
  const core = (): CoreV1Api => env.kubeConfig.makeApiClient(CoreV1Api);

  it('streams ADDED, MODIFIED and DELETED to client-node Watch (watch=true on the list path)', async () => {
    const seen: [string, string | undefined][] = [];
    const watch = new Watch(env.kubeConfig);
    const controller = await watch.watch(
      `/api/v1/namespaces/${env.namespace}/configmaps`,
      {},
      (type: string, object: KubernetesObject) => seen.push([type, object.metadata?.name]),
      () => undefined,
    );
    await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'w' } } });
    await core().patchNamespacedConfigMap({
      namespace: env.namespace,
      name: 'w',
      body: [{ op: 'add', path: '/data', value: { a: 'b' } }],
    });
    await core().deleteNamespacedConfigMap({ namespace: env.namespace, name: 'w' });
    await eventually(() => seen.length === 3);
    controller.abort();
    expect(seen).to.deep.equal([
      ['ADDED', 'w'],
      ['MODIFIED', 'w'],
      ['DELETED', 'w'],
    ]);
  });

  it('sends synthetic ADDED events for existing objects when resourceVersion is unset or "0"', async () => {
    await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'old' } } });
    for (const query of ['', '&resourceVersion=0']) {
      const watch = rawWatch(env, `/api/v1/namespaces/${env.namespace}/configmaps?watch=true${query}`);
      await eventually(() => watch.events.length === 1);
      expect(watch.events[0]).to.have.property('type', 'ADDED');
      expect(watch.events[0]?.object.metadata?.name).to.equal('old');
      watch.close();
      await watch.ended;
    }
  });

  it('sends only the changes after resourceVersion N', async () => {
    const a = await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'a' } },
    });
    await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'b' } } });
    const watch = rawWatch(
      env,
      `/api/v1/namespaces/${env.namespace}/configmaps?watch=1&resourceVersion=${a.metadata?.resourceVersion ?? ''}`,
    );
    await eventually(() => watch.events.length === 1);
    expect(watch.events[0]?.object.metadata?.name).to.equal('b');
    await sleep(20);
    expect(watch.events).to.have.length(1);
    watch.close();
    await watch.ended;
  });

  it('reads watch as apimachinery reads a bool: any value but 0 or false (the Python client sends True)', async () => {
    const a = await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'a' } },
    });
    const from = a.metadata?.resourceVersion ?? '';
    await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'b' } } });
    for (const value of ['True', 'TRUE', 't', '']) {
      const watch = rawWatch(
        env,
        `/api/v1/namespaces/${env.namespace}/configmaps?watch=${value}&resourceVersion=${from}`,
      );
      await eventually(() => watch.events.length === 1);
      expect(watch.events[0]).to.deep.include({ type: 'ADDED' });
      watch.close();
      await watch.ended;
    }
    for (const value of ['0', 'false', 'False']) {
      const listed = await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/configmaps?watch=${value}`);
      expect(listed.status).to.equal(200);
      expect((listed.json as { kind: string }).kind).to.equal('ConfigMapList');
    }
  });

  it('sends nothing up to a resourceVersion that is still in the future', async () => {
    const a = await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'a' } },
    });
    const future = Number(a.metadata?.resourceVersion) + 2;
    const watch = rawWatch(
      env,
      `/api/v1/namespaces/${env.namespace}/configmaps?watch=true&resourceVersion=${future}`,
    );
    await watch.status;
    for (const name of ['b', 'c', 'd']) {
      await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name } } });
    }
    await eventually(() => watch.events.length === 1);
    expect(watch.events[0]?.object.metadata?.name).to.equal('d');
    watch.close();
    await watch.ended;
  });

  it('answers a too old resourceVersion with a 200 stream holding one ERROR event of a 410 Expired Status', async () => {
    const a = await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'a' } },
    });
    await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'b' } } });
    env.cluster.compact();
    const watch = rawWatch(
      env,
      `/api/v1/namespaces/${env.namespace}/configmaps?watch=true&resourceVersion=${a.metadata?.resourceVersion ?? ''}`,
    );
    expect(await watch.status).to.equal(200);
    await watch.ended;
    expect(watch.events).to.have.length(1);
    expect(watch.events[0]?.type).to.equal('ERROR');
    expect(watch.events[0]?.object).to.include({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('reports an Expired ERROR to client-node Watch too', async () => {
    const a = await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'a' } },
    });
    await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'b' } } });
    env.cluster.compact();
    const seen: string[] = [];
    let done = false;
    const controller = await new Watch(env.kubeConfig).watch(
      `/api/v1/namespaces/${env.namespace}/configmaps`,
      { resourceVersion: a.metadata?.resourceVersion },
      (type: string, object: { code?: number }) => seen.push(`${type} ${object.code ?? ''}`),
      () => {
        done = true;
      },
    );
    await eventually(() => done);
    controller.abort();
    expect(seen).to.deep.equal(['ERROR 410']);
  });

  it('watches one object by fieldSelector metadata.name, as client-go watches one lock', async () => {
    const coordination = env.kubeConfig.makeApiClient(CoordinationV1Api);
    const watch = rawWatch(
      env,
      `/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases?watch=true&fieldSelector=metadata.name%3Dlock`,
    );
    await watch.status;
    for (const name of ['other', 'lock']) {
      await coordination.createNamespacedLease({
        namespace: env.namespace,
        body: { metadata: { name }, spec: { holderIdentity: 'x', leaseDurationSeconds: 10 } },
      });
    }
    await eventually(() => watch.events.length === 1);
    expect(watch.events[0]?.object.metadata?.name).to.equal('lock');
    watch.close();
    await watch.ended;
  });

  it('turns label changes into ADDED and DELETED for a label-selected watch', async () => {
    await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'l' } } });
    const watch = rawWatch(
      env,
      `/api/v1/namespaces/${env.namespace}/configmaps?watch=true&labelSelector=app%3Dx`,
    );
    await watch.status;
    const label = (value: string | null): Promise<unknown> =>
      core().patchNamespacedConfigMap({
        namespace: env.namespace,
        name: 'l',
        body:
          value === null
            ? [{ op: 'remove', path: '/metadata/labels' }]
            : [{ op: 'add', path: '/metadata/labels', value: { app: value } }],
      });
    await label('x');
    await label(null);
    await eventually(() => watch.events.length === 2);
    expect(watch.events.map((event) => event.type)).to.deep.equal(['ADDED', 'DELETED']);
    watch.close();
    await watch.ended;
  });

  it('supports the legacy /watch/ path for one object', async () => {
    const watch = rawWatch(env, `/api/v1/watch/namespaces/${env.namespace}/configmaps/one`);
    await watch.status;
    await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'two' } } });
    await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'one' } } });
    await eventually(() => watch.events.length === 1);
    expect(watch.events[0]?.object.metadata?.name).to.equal('one');
    watch.close();
    await watch.ended;
  });

  it('sends BOOKMARK events when allowWatchBookmarks is set', async () => {
    const watch = rawWatch(
      env,
      `/api/v1/namespaces/${env.namespace}/configmaps?watch=true&allowWatchBookmarks=true`,
    );
    await eventually(() => watch.events.some((event) => event.type === 'BOOKMARK'));
    const bookmark = watch.events.find((event) => event.type === 'BOOKMARK');
    expect(bookmark?.object.kind).to.equal('ConfigMap');
    expect(bookmark?.object.metadata?.resourceVersion).to.match(/^\d+$/);
    watch.close();
    await watch.ended;
  });

  it('marks the end of initial events with a bookmark for sendInitialEvents', async () => {
    await core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'i' } } });
    const watch = rawWatch(
      env,
      `/api/v1/namespaces/${env.namespace}/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`,
    );
    await eventually(() => watch.events.length >= 2);
    expect(watch.events[0]?.type).to.equal('ADDED');
    expect(watch.events[1]?.type).to.equal('BOOKMARK');
    expect(watch.events[1]?.object.metadata?.annotations).to.deep.equal({
      'k8s.io/initial-events-end': 'true',
    });
    watch.close();
    await watch.ended;
  });

  it('ends the stream after timeoutSeconds', async () => {
    const started = Date.now();
    const watch = rawWatch(env, `/api/v1/namespaces/${env.namespace}/configmaps?watch=true&timeoutSeconds=1`);
    await watch.ended;
    expect(Date.now() - started).to.be.within(900, 2500);
  });

  it('answers 400 for a malformed resourceVersion inside the stream', async () => {
    const watch = rawWatch(
      env,
      `/api/v1/namespaces/${env.namespace}/configmaps?watch=true&resourceVersion=abc`,
    );
    await watch.ended;
    expect(watch.events[0]?.object.code).to.equal(400);
  });
});
