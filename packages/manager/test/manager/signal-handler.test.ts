import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { setupSignalHandler } from '@kubekit/manager';

describe('setupSignalHandler', () => {
  it('aborts on the first SIGTERM or SIGINT and exits with 1 on the second', () => {
    for (const first of ['SIGTERM', 'SIGINT'] as const) {
      const exits: number[] = [];
      const target = Object.assign(new EventEmitter(), {
        exit: (code: number) => {
          exits.push(code);
        },
      });
      const signal = setupSignalHandler(target);
      expect(signal.aborted).to.equal(false);
      target.emit(first);
      expect(signal.aborted).to.equal(true);
      expect((signal.reason as Error).message).to.equal(`received ${first}`);
      expect(exits).to.deep.equal([]);
      target.emit('SIGINT');
      expect(exits).to.deep.equal([1]);
    }
  });
});
