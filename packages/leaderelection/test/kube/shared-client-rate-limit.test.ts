import { expect } from 'chai';
import sinon from 'sinon';
import { useEnvtest } from '@kubekit/envtest/testing';
import { LeaseLock } from '@kubekit/leaderelection';

// The locks' shared client has no client-side rate limit: a renew must never queue behind other
// requests. With @kubekit/client's default limit (bursts of 30, then one request per 50 ms), the
// requests beyond the 30th would wait on a timer; here the timers are frozen, so they would never go.

const never = new AbortController().signal;

describe('sharedClient: no rate limit (integration)', function () {
  this.timeout(20_000);
  const env = useEnvtest({ users: ['a'] });

  afterEach(() => {
    sinon.restore();
  });

  it('sends 45 lock requests of one instant at once, none waiting on a timer', async () => {
    const kubeConfig = env.kubeConfigFor('a');
    const lock = new LeaseLock({
      kubeConfig,
      name: 'x',
      namespace: env.namespace,
      identity: 'a',
      events: false,
    });
    const now = new Date();
    await lock.create(
      {
        holderIdentity: 'a',
        leaseDurationSeconds: 15,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      },
      never,
    );
    env.counters.reset();
    const realSetTimeout = globalThis.setTimeout;
    // Time stands still for the client (its clock is `performance.now()` and `setTimeout`).
    sinon.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'performance'],
      shouldClearNativeTimers: true,
    });
    const gets = Promise.all(Array.from({ length: 45 }, () => lock.get(never)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = realSetTimeout(() => {
        reject(
          new Error(
            `only ${String(env.counters.count({ user: 'a', verb: 'get', resource: 'leases' }))} of 45 requests reached the server`,
          ),
        );
      }, 5000);
    });
    try {
      const records = await Promise.race([gets, stuck]);
      expect(records.every((each) => each?.record?.holderIdentity === 'a')).to.be.true;
    } finally {
      clearTimeout(timer);
    }
    expect(env.counters.count({ user: 'a', verb: 'get', resource: 'leases' })).to.equal(45);
  });
});
