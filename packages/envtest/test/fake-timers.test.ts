import { expect } from 'chai';
import { setTimeout as realSleep } from 'node:timers/promises';
import sinon from 'sinon';
import { startEnvtest } from '@kubekit/envtest';
import type { Envtest } from '@kubekit/envtest';
import { raw } from './support/raw-client.js';

describe('envtest under fake timers', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  let env: Envtest | undefined;

  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await env?.stop();
    env = undefined;
  });

  it('keeps real time for its certificate, timestamps, kubelets and garbage collector', async () => {
    // sinon 22 also fakes nextTick and queueMicrotask by default, which stops all of Node's I/O;
    // tests that talk HTTP fake the timers and Date only.
    clock = sinon.useFakeTimers({
      now: 0,
      toFake: [
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'setImmediate',
        'clearImmediate',
        'Date',
      ],
    });
    env = await startEnvtest({ podGracePeriodMs: 20 });
    const pods = '/api/v1/namespaces/default/pods';
    const created = await raw(env, 'POST', pods, {
      body: { metadata: { name: 'p' }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i' }] } },
    });
    expect(created.status).to.equal(201);
    const timestamp = Date.parse(
      (created.json as { metadata: { creationTimestamp: string } }).metadata.creationTimestamp,
    );
    expect(timestamp).to.be.greaterThan(Date.UTC(2020, 0, 1));
    await raw(env, 'DELETE', `${pods}/p`);
    let status = 200;
    for (let i = 0; i < 200 && status === 200; i += 1) {
      await realSleep(10);
      status = (await raw(env, 'GET', `${pods}/p`)).status;
    }
    expect(status).to.equal(404);
  });
});
