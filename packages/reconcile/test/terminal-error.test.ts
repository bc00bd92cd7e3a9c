import { expect } from 'chai';
import { TerminalError, requestKey } from '@kubekit/reconcile';

describe('TerminalError', () => {
  describe('.is', () => {
    it('finds a terminal error itself or along the cause chain', () => {
      const terminal = new TerminalError('spec.replicas must be positive');
      expect(TerminalError.is(terminal)).to.equal(true);
      expect(TerminalError.is(new Error('wrapped', { cause: terminal }))).to.equal(true);
      expect(TerminalError.is(new Error('plain'))).to.equal(false);
      expect(TerminalError.is(undefined)).to.equal(false);
    });

    it('stops on a cyclic cause chain', () => {
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      Object.assign(a, { cause: b });
      expect(TerminalError.is(a)).to.equal(false);
    });
  });
});

describe('requestKey', () => {
  it('joins namespace and name, and uses the bare name when cluster-scoped', () => {
    expect(requestKey({ namespace: 'default', name: 'web' })).to.equal('default/web');
    expect(requestKey({ namespace: '', name: 'node-1' })).to.equal('node-1');
  });
});
