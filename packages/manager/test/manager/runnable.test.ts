import { expect } from 'chai';
import {
  ManagerError,
  isLeaderElectionRunnable,
  needsLeaderElection,
  runnable,
  type Runnable,
} from '@kubekit/manager';

describe('runnable', () => {
  it('is leader-gated by default', () => {
    const r = runnable(() => Promise.resolve());
    expect(r.needLeaderElection()).to.equal(true);
    expect(needsLeaderElection(r)).to.equal(true);
  });

  it('can declare that it runs on every replica', () => {
    const r = runnable(() => Promise.resolve(), { needLeaderElection: false });
    expect(needsLeaderElection(r)).to.equal(false);
  });

  it('passes the signal to the function', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    await runnable((signal) => {
      seen = signal;
      return Promise.resolve();
    }).start(controller.signal);
    expect(seen).to.equal(controller.signal);
  });
});

describe('isLeaderElectionRunnable', () => {
  it('tells runnables that declare their need from those that do not', () => {
    const plain: Runnable = { start: () => Promise.resolve() };
    expect(isLeaderElectionRunnable(plain)).to.equal(false);
    expect(needsLeaderElection(plain)).to.equal(true);
    expect(isLeaderElectionRunnable(null)).to.equal(false);
    expect(isLeaderElectionRunnable({ needLeaderElection: true })).to.equal(false);
  });
});

describe('ManagerError', () => {
  describe('.is', () => {
    it('filters by kind', () => {
      const error = new ManagerError('invalidState', 'manager already started');
      expect(ManagerError.is(error, 'invalidState')).to.equal(true);
      expect(ManagerError.is(error, 'startFailed')).to.equal(false);
      expect(ManagerError.is({})).to.equal(false);
    });
  });
});
