import { expect } from 'chai';
import { LeaderElectionError } from '@kubekit/leaderelection';

describe('LeaderElectionError', () => {
  describe('.is', () => {
    it('recognises its own instances and filters by kind', () => {
      const error = new LeaderElectionError('invalidConfig', 'bad', { cause: new Error('root') });
      expect(LeaderElectionError.is(error)).to.equal(true);
      expect(LeaderElectionError.is(error, 'invalidConfig')).to.equal(true);
      expect(LeaderElectionError.is(error, 'notInCluster')).to.equal(false);
      expect(error.cause).to.be.instanceOf(Error);
      expect(error.name).to.equal('LeaderElectionError');
    });

    it('recognises an error branded by another copy of the package', () => {
      const foreign = Object.assign(new Error('x'), {
        kind: 'forbidden',
        [Symbol.for('@kubekit/leaderelection.LeaderElectionError')]: true,
      });
      expect(LeaderElectionError.is(foreign, 'forbidden')).to.equal(true);
    });

    it('rejects plain errors and non-objects', () => {
      expect(LeaderElectionError.is(new Error('x'))).to.equal(false);
      expect(LeaderElectionError.is('invalidConfig')).to.equal(false);
      expect(LeaderElectionError.is(null)).to.equal(false);
    });
  });
});
