/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be called. */
import { expect } from 'chai';
import { CoreV1Api, Watch } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { EnvtestError } from '@kubekit/envtest';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually, raw, rawWatch, sleep } from './support/raw-client.js';

/** Settles as 'ended' if `ended` resolves within `ms`, else 'open'. */
async function stillOpen(ended: Promise<void>, ms: number): Promise<'ended' | 'open'> {
  return Promise.race([ended.then(() => 'ended' as const), sleep(ms).then(() => 'open' as const)]);
}

describe('envtest watch faults and future resourceVersions', () => {
  const env = useEnvtest({
    users: ['alice', 'bob'],
    bookmarkIntervalMs: 50,
    futureResourceVersionWaitMs: 300,
  });
  const core = (user?: string): CoreV1Api =>
    (user === undefined ? env.kubeConfig : env.kubeConfigFor(user)).makeApiClient(CoreV1Api);
  const path = (): string => `/api/v1/namespaces/${env.namespace}/configmaps`;
  const create = (name: string): Promise<unknown> =>
    core().createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name } } });
  const revision = async (): Promise<number> => {
    const list = await core().listNamespacedConfigMap({ namespace: env.namespace });
    return Number(list.metadata?.resourceVersion);
  };

  describe('a watch from a resourceVersion not reached yet', () => {
    it('ends with an ERROR event of a 504 Timeout Status, cause ResourceVersionTooLarge, after the wait', async () => {
      const current = await revision();
      const future = current + 1000;
      const started = Date.now();
      const watch = rawWatch(env, `${path()}?watch=true&allowWatchBookmarks=true&resourceVersion=${future}`);
      expect(await watch.status).to.equal(200);
      await watch.ended;
      expect(Date.now() - started).to.be.at.least(250);
      expect(watch.events).to.have.length(1); // no bookmark while waiting
      expect(watch.events[0]?.type).to.equal('ERROR');
      expect(watch.events[0]?.object).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `Timeout: Too large resource version: ${future}, current: ${current}`,
        reason: 'Timeout',
        details: {
          causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
          retryAfterSeconds: 1,
        },
        code: 504,
      });
    });

    it('streams as usual once the store reaches it within the wait', async () => {
      const future = (await revision()) + 2;
      const watch = rawWatch(env, `${path()}?watch=true&resourceVersion=${future}`);
      await watch.status;
      for (const name of ['a', 'b', 'c']) await create(name);
      await eventually(() => watch.events.length === 1);
      expect(await stillOpen(watch.ended, 500)).to.equal('open');
      expect(watch.events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`)).to.deep.equal([
        'ADDED c',
      ]);
      watch.close();
      await watch.ended;
    });

    it('reports the 504 ERROR to client-node Watch', async () => {
      const seen: string[] = [];
      let done = false;
      const controller = await new Watch(env.kubeConfig).watch(
        path(),
        { resourceVersion: String((await revision()) + 50) },
        (type: string, object: { code?: number; reason?: string }) =>
          seen.push(`${type} ${object.code ?? ''} ${object.reason ?? ''}`),
        () => {
          done = true;
        },
      );
      await eventually(() => done);
      controller.abort();
      expect(seen).to.deep.equal(['ERROR 504 Timeout']);
    });

    it('rejects a negative futureResourceVersionWaitMs', async () => {
      const { startEnvtest } = await import('@kubekit/envtest');
      const error = await startEnvtest({ futureResourceVersionWaitMs: -1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(EnvtestError.is(error, 'invalidOptions'), String(error)).to.be.true;
    });
  });

  describe('faults.stallWatches', () => {
    it('silences the matching open watches, connection kept open; later watches are served', async () => {
      const stalled = rawWatch(env, `${path()}?watch=true&allowWatchBookmarks=true`, 'bob');
      const other = rawWatch(env, `${path()}?watch=true`, 'alice');
      await Promise.all([stalled.status, other.status]);
      await eventually(() => stalled.events.some((e) => e.type === 'BOOKMARK'));
      expect(env.faults.stallWatches({ user: 'bob', resource: 'pods' })).to.equal(0);
      expect(env.faults.stallWatches({ user: 'bob', resource: 'configmaps' })).to.equal(1);
      expect(env.faults.stallWatches({ user: 'bob' }), 'already stalled').to.equal(0);
      const linesAtStall = stalled.lines.length;
      await create('a');
      await eventually(() => other.events.length === 1);
      expect(await stillOpen(stalled.ended, 300)).to.equal('open');
      expect(stalled.lines).to.have.length(linesAtStall); // no event, no bookmark
      const fresh = rawWatch(env, `${path()}?watch=true`, 'bob');
      await eventually(() => fresh.events.length === 1);
      expect(fresh.events[0]?.object.metadata?.name).to.equal('a');
      for (const watch of [stalled, other, fresh]) {
        watch.close();
        await watch.ended;
      }
    });

    it('leaves a client-node Watch waiting: no events, no end', async () => {
      const seen: string[] = [];
      let done = false;
      const controller = await new Watch(env.kubeConfigFor('alice')).watch(
        path(),
        {},
        (type: string, object: KubernetesObject) => seen.push(`${type} ${object.metadata?.name ?? ''}`),
        () => {
          done = true;
        },
      );
      await create('before');
      await eventually(() => seen.length === 1);
      expect(env.faults.stallWatches({ user: 'alice' })).to.equal(1);
      await create('after');
      await sleep(300);
      expect(seen).to.deep.equal(['ADDED before']);
      expect(done).to.equal(false);
      controller.abort();
    });

    it('is served over HTTP under /_envtest/', async () => {
      const watch = rawWatch(env, `${path()}?watch=true`, 'bob');
      await watch.status;
      const answer = await raw(env, 'POST', '/_envtest/watches/stall', { body: { user: 'bob' } });
      expect(answer.status).to.equal(200);
      expect(answer.json).to.deep.equal({ stalled: 1 });
      watch.close();
      await watch.ended;
    });
  });

  describe('faults.corruptWatches', () => {
    it('writes a truncated event line on the matching open watches, which go on streaming', async () => {
      const watch = rawWatch(env, `${path()}?watch=true`, 'bob');
      const other = rawWatch(env, `${path()}?watch=true`, 'alice');
      await Promise.all([watch.status, other.status]);
      expect(env.faults.corruptWatches({ user: 'bob' })).to.equal(1);
      await create('a');
      await eventually(() => watch.lines.length === 2 && other.lines.length === 1);
      expect(watch.lines[0]).to.equal('{"type":"MODIFIED","object":{"metadata":');
      expect(() => JSON.parse(watch.lines[0] ?? '') as unknown).to.throw(SyntaxError);
      expect(watch.events.map((e) => e.object.metadata?.name)).to.deep.equal(['a']);
      expect(other.lines).to.have.length(1);
      expect(env.faults.corruptWatches({ user: 'bob' }, 'not json')).to.equal(1);
      await eventually(() => watch.lines.length === 3);
      expect(watch.lines[2]).to.equal('not json');
      expect(() => env.faults.corruptWatches({}, '')).to.throw(EnvtestError, /non-empty line/);
      for (const w of [watch, other]) {
        w.close();
        await w.ended;
      }
    });

    it('is skipped by client-node Watch, which keeps delivering the events after it', async () => {
      const seen: string[] = [];
      const controller = await new Watch(env.kubeConfigFor('alice')).watch(
        path(),
        {},
        (type: string, object: KubernetesObject) => seen.push(`${type} ${object.metadata?.name ?? ''}`),
        () => undefined,
      );
      await sleep(50);
      expect(env.faults.corruptWatches({ user: 'alice' })).to.equal(1);
      await create('a');
      await eventually(() => seen.length === 1);
      controller.abort();
      expect(seen).to.deep.equal(['ADDED a']);
    });

    it('is served over HTTP under /_envtest/', async () => {
      const watch = rawWatch(env, `${path()}?watch=true`, 'bob');
      await watch.status;
      const answer = await raw(env, 'POST', '/_envtest/watches/corrupt', {
        body: { user: 'bob', line: '{"x' },
      });
      expect(answer.json).to.deep.equal({ corrupted: 1 });
      await eventually(() => watch.lines.length === 1);
      expect(watch.lines[0]).to.equal('{"x');
      const bad = await raw(env, 'POST', '/_envtest/watches/corrupt', { body: { line: 3 } });
      expect(bad.status).to.equal(400);
      watch.close();
      await watch.ended;
    });
  });
});
