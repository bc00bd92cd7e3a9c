import { expect } from 'chai';
import {
  canRestart,
  fromFactory,
  isCacheRunnable,
  isElector,
  isRestartableRunnable,
  isRunnable,
  runnable,
  type Runnable,
} from '@kubekit/manager';

describe('runnable capabilities', () => {
  it('runnable() is restartable unless told otherwise', () => {
    expect(canRestart(runnable(() => Promise.resolve()))).to.equal(true);
    expect(canRestart(runnable(() => Promise.resolve(), { restartable: false }))).to.equal(false);
    expect(canRestart({ start: () => Promise.resolve() })).to.equal(false);
    expect(isRestartableRunnable({ restartable: true })).to.equal(false);
  });

  it('fromFactory uses the first runnable for the first start, a fresh one for each later start', async () => {
    const made: string[] = [];
    const started: string[] = [];
    let n = 0;
    const factory = (): Runnable & { needLeaderElection(): boolean } => {
      const id = `r${n++}`;
      made.push(id);
      return {
        start: () => {
          started.push(id);
          return Promise.resolve();
        },
        needLeaderElection: () => false,
      };
    };
    const restartable = fromFactory(factory);
    expect(made).to.deep.equal(['r0']);
    expect(restartable.needLeaderElection()).to.equal(false);
    expect(restartable.restartable()).to.equal(true);
    await restartable.start(new AbortController().signal);
    await restartable.start(new AbortController().signal);
    await restartable.start(new AbortController().signal);
    expect(started).to.deep.equal(['r0', 'r1', 'r2']);
    expect(fromFactory(factory, { needLeaderElection: true }).needLeaderElection()).to.equal(true);
  });

  it('guards tell runnables, caches and electors apart', () => {
    const plain = { start: () => Promise.resolve() };
    expect(isRunnable(plain)).to.equal(true);
    expect(isRunnable({ start: 1 })).to.equal(false);
    expect(isRunnable(undefined)).to.equal(false);
    expect(isCacheRunnable(plain)).to.equal(false);
    expect(isCacheRunnable({ ...plain, waitForCacheSync: () => Promise.resolve(true) })).to.equal(true);
    expect(isCacheRunnable(null)).to.equal(false);
    expect(isElector(plain)).to.equal(false);
    expect(isElector({ name: 'x' })).to.equal(false);
    expect(isElector(null)).to.equal(false);
  });
});
