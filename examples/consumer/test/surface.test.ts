import { expect } from 'chai';
import { clock, errorClasses, idle, noop } from '../src/surface.js';

describe('package surface for consumers', () => {
  it('loads every package by name at run time', async () => {
    expect(errorClasses.map((c) => c.name)).to.deep.equal([
      'KubeClientError',
      'EnvtestError',
      'LeaderElectionError',
      'ManagerError',
      'TerminalError',
    ]);
    expect(clock.now()).to.be.a('number');
    await idle.start(new AbortController().signal);
    expect(
      await noop.reconcile({ namespace: 'ns', name: 'n' }, new AbortController().signal, { term: undefined }),
    ).to.deep.equal({});
  });
});
