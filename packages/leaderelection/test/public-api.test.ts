import { expect } from 'chai';
import * as leaderelection from '@kubekit/leaderelection';

describe('the public barrel', () => {
  it('exports what users need and none of the internals the review named (regression)', () => {
    const names = Object.keys(leaderelection);
    for (const internal of ['LeaseTerm', 'KubernetesLifelongApi', 'LeaderElectionMetrics', 'LeaderElector']) {
      expect(names, internal).to.not.include(internal);
    }
    for (const needed of [
      'LeaseElector',
      'createLeaseElector',
      'LeaderForLifeElector',
      'createLeaderForLifeElector',
      'LeaderElectionError',
      'LeaseLock',
      'ConfigMapLock',
      'systemClock',
    ]) {
      expect(names, needed).to.include(needed);
    }
  });

  it('names the lock kind of createLeaseElector lockKind (lock is always a Lock)', () => {
    type Options = leaderelection.CreateLeaseElectorOptions;
    const kind: Options['lockKind'] = 'configmaps';
    // @ts-expect-error `lock` is not an option of the factory: it is the Lock of LeaseElectorOptions
    const wrong: Options['lock'] = 'configmaps';
    expect([kind, wrong]).to.have.length(2);
  });
});
