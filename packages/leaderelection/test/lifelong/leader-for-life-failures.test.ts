import { expect } from 'chai';
import { LeaderElectionError } from '@kubekit/leaderelection';
import { apiError } from './fake-lifelong-api.js';
import { useLifelongHarness } from './lifelong-harness.js';
import { rejectionOf } from '../support/rejection-of.js';

// What a leader-for-life elector does when the API server fails, refuses or does not answer.

describe('LeaderForLifeElector', () => {
  const harness = useLifelongHarness();
  const { start, leading } = harness;

  describe('.run', () => {
    it('keeps leading while the API server fails, and polls the lock with backoff until the watch is back', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a', { maxBackoff: 4000 });
      const term = await leading(a);
      api.fail('watchConfigMap', 503);
      api.fail('getConfigMap', 503);
      api.closeWatches(apiError(503));
      await clock.tickAsync(60_000);
      expect(term!.isValid()).to.equal(true);
      // 1, 2, 4, 4, ... s (× 0.75 jitter): bounded, never a hot loop.
      expect(api.count('getConfigMap')).to.be.within(10, 25);
      expect(a.errors.every((error) => error.kind === 'apiError')).to.equal(true);
      api.clearFailures();
      await clock.tickAsync(4000);
      expect(api.openWatches).to.equal(1);
      api.removeLock('lock');
      await clock.tickAsync(0);
      expect(term!.isValid()).to.equal(false);
    });

    it('restarts a quiet watch from the last resourceVersion without reading the lock', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      api.addPod('op-b');
      start('op-a');
      await clock.tickAsync(0);
      const b = start('op-b');
      await clock.tickAsync(10);
      const gets = api.count('getConfigMap');
      const watches = api.count('watchConfigMap');
      for (let i = 0; i < 5; i += 1) {
        await clock.tickAsync(30_000);
        api.closeWatches(); // the watch's 30 s inactivity timeout
      }
      await clock.tickAsync(0);
      expect(api.count('getConfigMap')).to.equal(gets);
      expect(api.count('watchConfigMap')).to.equal(watches + 10); // op-a's and op-b's
      expect(b.errors).to.deep.equal([]);
    });

    it('does not hot-loop on a watch that closes at once', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a', { maxBackoff: 2000 });
      await leading(a);
      const watches = api.count('watchConfigMap');
      for (let i = 0; i < 2000; i += 1) {
        api.closeWatches();
        await clock.tickAsync(5);
      }
      expect(api.count('watchConfigMap') - watches).to.be.within(3, 12);
    });

    it('starts again from a fresh read after 410 Expired on the watch', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      const a = start('op-a');
      const term = await leading(a);
      const gets = api.count('getConfigMap');
      api.closeWatches(apiError(410, 'too old resource version'));
      await clock.tickAsync(1000);
      expect(api.count('getConfigMap')).to.equal(gets + 1);
      expect(api.openWatches).to.equal(1);
      expect(term!.isValid()).to.equal(true);
    });

    it('backs off on a 403 for its own Pod and reports a forbidden error naming verb and resource', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      api.fail('getPod', 403);
      const a = start('op-a', { maxBackoff: 8000 });
      await clock.tickAsync(60_000);
      // 0.75 × (1, 2, 4, 8, 8, ...) s: 11 or 12 requests in a minute, not thousands.
      expect(api.count('getPod')).to.be.within(8, 13);
      expect(a.errors[0]?.kind).to.equal('forbidden');
      expect(a.errors[0]?.message).to.contain('verb "get" on resource "pods"');
      api.clearFailures();
      expect(await leading(a, 8000)).to.not.equal(undefined);
    });

    it('backs off on failures to create or read the lock, and to read the leader Pod', async () => {
      const { api, clock } = harness;
      api.addLeaderPod('op-a');
      api.addPod('op-b');
      api.fail('getConfigMap', 403, 3);
      const b = start('op-b', { maxBackoff: 2000 });
      await clock.tickAsync(10_000);
      expect(b.errors.map((error) => error.kind)).to.deep.equal(['forbidden', 'forbidden', 'forbidden']);
      expect(b.errors[0]?.message).to.contain('verb "get" on resource "configmaps"');
      api.fail('createConfigMap', 500, 2);
      api.fail('getPod', 403);
      api.closeWatches();
      await clock.tickAsync(10_000);
      expect(b.errors.some((error) => error.message.includes('on resource "pods"'))).to.equal(true);
      expect(api.count('getPod')).to.be.lessThan(15);
    });

    it('reports a failed delete and tries again on the next check', async () => {
      const { api, clock } = harness;
      api.addLeaderPod('op-a', { phase: 'Failed', reason: 'Evicted' });
      api.addPod('op-b');
      api.fail('deletePod', 403, 1);
      const b = start('op-b');
      await clock.tickAsync(10);
      expect(b.errors[0]?.message).to.contain('verb "delete" on resource "pods"');
      expect(await leading(b, 1000)).to.not.equal(undefined);
    });

    it('gives up on an unanswered request after requestTimeout and retries it with backoff', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      api.hang('createConfigMap', 1);
      const a = start('op-a', { requestTimeout: 5000 });
      expect(await leading(a, 4999)).to.equal(undefined);
      await clock.tickAsync(1);
      expect(a.errors[0]?.kind).to.equal('timeout');
      expect(a.errors[0]?.message).to.contain('no answer within 5000 ms');
      expect(await leading(a, 1000)).to.not.equal(undefined);
    });

    it('stops at once while a request hangs', async () => {
      const { api, clock } = harness;
      api.addPod('op-a');
      api.hang('getPod');
      const a = start('op-a', { requestTimeout: 60_000 });
      await clock.tickAsync(10);
      a.controller.abort();
      await clock.tickAsync(0);
      await a.done;
      expect(a.errors).to.deep.equal([]);
    });

    it('rejects with podNotFound when its own Pod does not exist', async () => {
      const { clock } = harness;
      const a = start('typo');
      await clock.tickAsync(0);
      const error = await rejectionOf(a.done);
      expect(LeaderElectionError.is(error, 'podNotFound')).to.equal(true);
      expect((error as Error).message).to.contain('metadata.name');
    });
  });
});
