/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be called. */
import { expect } from 'chai';
import { ApiException, CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { EnvtestError } from '@kubekit/envtest';
import { useEnvtest } from '@kubekit/envtest/testing';
import { raw, rawWatch } from './support/raw-client.js';

async function code(call: Promise<unknown>): Promise<number | string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    return error instanceof ApiException ? error.code : 'network';
  }
}

describe('envtest fault injection and request counters', () => {
  const env = useEnvtest({ users: ['alice', 'bob'] });
  const coreAs = (user: string): CoreV1Api => env.kubeConfigFor(user).makeApiClient(CoreV1Api);

  it('answers matching requests with the injected Status error, Retry-After included', async () => {
    env.faults.add({
      user: 'alice',
      verb: 'get',
      resource: 'configmaps',
      error: { code: 429, retryAfterSeconds: 2 },
    });
    const response = await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/configmaps/x`, {
      token: env.kubeConfigFor('alice').getCurrentUser()?.token ?? '',
    });
    expect(response.status).to.equal(429);
    expect(response.headers['retry-after']).to.equal('2');
    expect(response.json).to.include({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    expect(response.json).to.have.nested.property('details.retryAfterSeconds', 2);
    expect(
      await code(coreAs('bob').readNamespacedConfigMap({ namespace: env.namespace, name: 'x' })),
    ).to.equal(404);
    for (const status of [500, 503, 504]) {
      const fault = env.faults.add({ user: 'bob', error: { code: status } });
      expect(await code(coreAs('bob').listNamespacedConfigMap({ namespace: env.namespace }))).to.equal(
        status,
      );
      fault.remove();
    }
  });

  it('applies a fault only `times` times', async () => {
    env.faults.add({ verb: 'list', error: { code: 500 }, times: 1 });
    expect(await code(coreAs('alice').listNamespacedConfigMap({ namespace: env.namespace }))).to.equal(500);
    expect(await code(coreAs('alice').listNamespacedConfigMap({ namespace: env.namespace }))).to.equal('ok');
  });

  it('adds latency', async () => {
    env.faults.add({ user: 'alice', latencyMs: 100 });
    const started = performance.now();
    await coreAs('alice').listNamespacedConfigMap({ namespace: env.namespace });
    expect(performance.now() - started).to.be.greaterThanOrEqual(95);
  });

  it('partitions a user: its requests fail as network errors, others are served', async () => {
    const fault = env.faults.add({ user: 'alice', partition: true });
    expect(await code(coreAs('alice').listNamespacedConfigMap({ namespace: env.namespace }))).to.equal(
      'network',
    );
    expect(await code(coreAs('bob').listNamespacedConfigMap({ namespace: env.namespace }))).to.equal('ok');
    fault.remove();
    expect(await code(coreAs('alice').listNamespacedConfigMap({ namespace: env.namespace }))).to.equal('ok');
  });

  it('cuts the open watches of a user it partitions', async () => {
    const watch = rawWatch(env, `/api/v1/namespaces/${env.namespace}/configmaps?watch=true`, 'alice');
    await watch.status;
    env.faults.add({ user: 'alice', partition: true });
    await watch.ended;
  });

  it('hangs a request until the client gives up, and releases it when the fault is removed', async () => {
    const fault = env.faults.add({ user: 'alice', verb: 'get', hang: true });
    const api = env.kubeConfigFor('alice').makeApiClient(CoordinationV1Api);
    let settled = false;
    const pending = code(api.readNamespacedLease({ namespace: env.namespace, name: 'x' })).finally(
      () => (settled = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).to.equal(false);
    fault.remove();
    expect(await pending).to.equal('network');
  });

  it('drops open watch streams on request', async () => {
    const watch = rawWatch(env, `/api/v1/namespaces/${env.namespace}/configmaps?watch=true`, 'bob');
    await watch.status;
    expect(env.faults.dropWatches({ user: 'alice' })).to.equal(0);
    expect(env.faults.dropWatches({ user: 'bob', resource: 'configmaps' })).to.equal(1);
    await watch.ended;
  });

  it('rejects invalid rules with EnvtestError invalidFault', () => {
    expect(() => env.faults.add({})).to.throw(EnvtestError, /set latencyMs/);
    expect(() => env.faults.add({ hang: true, partition: true })).to.throw(EnvtestError, /at most one/);
    expect(() => env.faults.add({ error: { code: 200 } })).to.throw(EnvtestError, /400-599/);
    expect(() => env.faults.add({ latencyMs: -1 })).to.throw(EnvtestError);
    expect(() => env.faults.add({ latencyMs: 1, hang: true })).to.throw(EnvtestError);
    expect(() => env.faults.add({ error: { code: 500 }, times: 0 })).to.throw(EnvtestError);
  });

  it('counts requests by user, verb and resource, faulted ones included', async () => {
    env.faults.add({ user: 'bob', verb: 'create', error: { code: 500 } });
    await coreAs('alice').createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'c' } },
    });
    await coreAs('alice').readNamespacedConfigMap({ namespace: env.namespace, name: 'c' });
    await coreAs('alice').readNamespacedConfigMap({ namespace: env.namespace, name: 'c' });
    await code(
      coreAs('bob').createNamespacedConfigMap({
        namespace: env.namespace,
        body: { metadata: { name: 'd' } },
      }),
    );
    expect(env.counters.count({ user: 'alice', verb: 'get', resource: 'configmaps' })).to.equal(2);
    expect(env.counters.count({ user: 'alice', name: 'c' })).to.equal(2);
    expect(env.counters.count({ user: 'bob' })).to.equal(1);
    expect(env.counters.snapshot()).to.deep.equal({
      'alice create configmaps': 1,
      'alice get configmaps': 2,
      'bob create configmaps': 1,
    });
    env.counters.reset();
    expect(env.counters.count()).to.equal(0);
  });

  describe('over HTTP under /_envtest/', () => {
    it('adds, lists and removes faults, drops watches and reads counters (admin only)', async () => {
      const added = await raw(env, 'POST', '/_envtest/faults', {
        body: { user: 'bob', error: { code: 503 } },
      });
      expect(added.status).to.equal(201);
      const id = (added.json as { id: number }).id;
      expect(await code(coreAs('bob').listNamespacedConfigMap({ namespace: env.namespace }))).to.equal(503);
      const listed = await raw(env, 'GET', '/_envtest/faults');
      expect(listed.json).to.have.nested.property('faults[0].id', id);
      expect((await raw(env, 'DELETE', `/_envtest/faults/${id}`)).status).to.equal(200);
      expect((await raw(env, 'DELETE', `/_envtest/faults/${id}`)).status).to.equal(404);
      expect(await code(coreAs('bob').listNamespacedConfigMap({ namespace: env.namespace }))).to.equal('ok');
      expect(
        (await raw(env, 'POST', '/_envtest/faults', { body: { hang: true, partition: true } })).status,
      ).to.equal(400);
      await raw(env, 'POST', '/_envtest/faults', { body: { latencyMs: 1 } });
      expect((await raw(env, 'DELETE', '/_envtest/faults')).status).to.equal(200);
      expect((await raw(env, 'GET', '/_envtest/faults')).json).to.deep.equal({ faults: [] });

      const watch = rawWatch(env, `/api/v1/namespaces/${env.namespace}/configmaps?watch=true`, 'bob');
      await watch.status;
      const dropped = await raw(env, 'POST', '/_envtest/watches/drop', { body: { user: 'bob' } });
      expect(dropped.json).to.deep.equal({ dropped: 1 });
      await watch.ended;

      const counters = await raw(env, 'GET', '/_envtest/counters?user=bob&verb=list');
      expect(counters.json).to.have.property('count', 2);
      expect((await raw(env, 'DELETE', '/_envtest/counters')).status).to.equal(200);
      expect((await raw(env, 'GET', '/_envtest/counters?user=bob')).json).to.have.property('count', 0);

      const bob = env.kubeConfigFor('bob').getCurrentUser()?.token ?? '';
      expect((await raw(env, 'GET', '/_envtest/faults', { token: bob })).status).to.equal(403);
      expect((await raw(env, 'GET', '/_envtest/faults', { token: null })).status).to.equal(401);
      expect((await raw(env, 'GET', '/_envtest/nothing')).status).to.equal(404);
    });

    it('creates users and controls pods, nodes and compaction', async () => {
      const user = await raw(env, 'POST', '/_envtest/users', { body: { name: 'carol' } });
      expect(user.status).to.equal(201);
      const token = (user.json as { token: string }).token;
      expect((await raw(env, 'GET', '/api/v1/namespaces', { token })).status).to.equal(200);
      expect((await raw(env, 'POST', '/_envtest/users', { body: {} })).status).to.equal(400);
      await env.kubeConfig.makeApiClient(CoreV1Api).createNamespacedPod({
        namespace: env.namespace,
        body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      });
      const status = await raw(env, 'POST', `/_envtest/pods/${env.namespace}/p/status`, {
        body: { phase: 'Failed', reason: 'Evicted' },
      });
      expect(status.status).to.equal(200);
      const pod = await raw(env, 'GET', `/api/v1/namespaces/${env.namespace}/pods/p`);
      expect(pod.json).to.have.nested.property('status.reason', 'Evicted');
      expect(
        (await raw(env, 'POST', `/_envtest/pods/${env.namespace}/none/status`, { body: { phase: 'x' } }))
          .status,
      ).to.equal(404);
      expect(
        (await raw(env, 'POST', `/_envtest/pods/${env.namespace}/p/status`, { body: {} })).status,
      ).to.equal(400);
      const node = `n-${env.namespace}`;
      expect(
        (await raw(env, 'POST', `/_envtest/nodes/${node}/ready`, { body: { status: 'False' } })).status,
      ).to.equal(200);
      const read = await raw(env, 'GET', `/api/v1/nodes/${node}`);
      expect(read.json).to.have.nested.property('status.conditions[0].status', 'False');
      expect(
        (await raw(env, 'POST', `/_envtest/nodes/${node}/ready`, { body: { status: 'Maybe' } })).status,
      ).to.equal(400);
      expect((await raw(env, 'POST', '/_envtest/compact')).status).to.equal(200);
    });
  });
});
