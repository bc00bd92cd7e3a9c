/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node models are plain-data classes; object literals are how its API is meant to be called. */
import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import { useEnvtest } from '@kubekit/envtest/testing';
import { eventually, raw, rawWatch } from './support/raw-client.js';

describe('envtest faults.cutWatchesMidEvent', () => {
  const env = useEnvtest({ users: ['alice', 'bob'], bookmarkIntervalMs: 50 });
  const core = (): CoreV1Api => env.kubeConfig.makeApiClient(CoreV1Api);
  const path = (): string => `/api/v1/namespaces/${env.namespace}/configmaps`;
  const create = async (name: string): Promise<string> => {
    const created = await core().createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name }, data: { text: 'x'.repeat(200) } },
    });
    return created.metadata?.resourceVersion ?? '';
  };

  it('writes half of the next event without its newline, then cuts the connection; bookmarks before it go out whole', async () => {
    const bob = rawWatch(env, `${path()}?watch=true&allowWatchBookmarks=true`, 'bob');
    const alice = rawWatch(env, `${path()}?watch=true`, 'alice');
    await Promise.all([bob.status, alice.status]);
    expect(env.faults.cutWatchesMidEvent({ user: 'bob' })).to.equal(1);
    // Armed, the stream still sends its bookmarks whole until an event comes.
    await eventually(() => bob.events.some((e) => e.type === 'BOOKMARK'));
    await create('a');
    await bob.ended;
    await eventually(() => alice.lines.length === 1);
    const whole = alice.lines[0] ?? '';
    expect(bob.endedCleanly(), 'the connection was cut, the response did not end').to.equal(false);
    expect(bob.events.every((e) => e.type === 'BOOKMARK')).to.equal(true);
    const part = bob.partial();
    expect(part.length).to.be.within(1, whole.length - 1);
    expect(whole.startsWith(part), 'the part is the beginning of the event line').to.equal(true);
    expect(() => JSON.parse(part) as unknown).to.throw(SyntaxError);
    await eventually(() => env.connectionStats().watches === 1);
    expect(alice.endedCleanly()).to.equal(false);
    alice.close();
    await alice.ended;
  });

  it('loses nothing on the server: a watch resumed from the last resourceVersion gets the cut event', async () => {
    const before = await create('first');
    const watch = rawWatch(env, `${path()}?watch=true&resourceVersion=${before}`, 'bob');
    await watch.status;
    expect(env.faults.cutWatchesMidEvent({ user: 'bob' })).to.equal(1);
    const cutRevision = await create('second');
    await watch.ended;
    expect(watch.events).to.deep.equal([]);
    const resumed = rawWatch(env, `${path()}?watch=true&resourceVersion=${before}`, 'bob');
    await eventually(() => resumed.events.length === 1);
    expect(resumed.events[0]?.type).to.equal('ADDED');
    expect(resumed.events[0]?.object.metadata?.name).to.equal('second');
    expect(resumed.events[0]?.object.metadata?.resourceVersion).to.equal(cutRevision);
    resumed.close();
    await resumed.ended;
  });

  it('arms each open stream once, not stalled ones nor watches opened later', async () => {
    const first = rawWatch(env, `${path()}?watch=true`, 'bob');
    const stalled = rawWatch(env, `${path()}?watch=true`, 'alice');
    await Promise.all([first.status, stalled.status]);
    expect(env.faults.stallWatches({ user: 'alice' })).to.equal(1);
    const here = { namespace: env.namespace };
    expect(env.faults.cutWatchesMidEvent(here)).to.equal(1);
    expect(env.faults.cutWatchesMidEvent(here), 'already armed').to.equal(0);
    const later = rawWatch(env, `${path()}?watch=true`, 'bob');
    await later.status;
    await eventually(() => env.connectionStats().watches === 3);
    await create('a');
    await first.ended;
    await eventually(() => later.events.length === 1);
    expect(later.endedCleanly()).to.equal(false);
    for (const w of [later, stalled]) {
      w.close();
      await w.ended;
    }
  });

  it('is served over HTTP under /_envtest/', async () => {
    const watch = rawWatch(env, `${path()}?watch=true`, 'bob');
    await watch.status;
    const answer = await raw(env, 'POST', '/_envtest/watches/cut-mid-event', { body: { user: 'bob' } });
    expect(answer.json).to.deep.equal({ armed: 1 });
    await create('a');
    await watch.ended;
    expect(watch.partial()).to.match(/^\{"type":"ADDED"/);
    expect(watch.lines).to.deep.equal([]);
  });
});
