import { expect } from 'chai';
import { EnvtestError } from '@kubekit/envtest';

describe('EnvtestError', () => {
  describe('.is', () => {
    it('recognises its instances by kind and rejects other errors', () => {
      const error = new EnvtestError('invalidOptions', 'port must be an integer');
      expect(EnvtestError.is(error, 'invalidOptions')).to.equal(true);
      expect(EnvtestError.is(error, 'notRunning')).to.equal(false);
      expect(EnvtestError.is(new Error('x'))).to.equal(false);
      expect(EnvtestError.is(undefined)).to.equal(false);
    });
  });
});
