import { expect } from 'chai';
import type { LeaderElectionRecord } from '@kubekit/leaderelection';
import { observerFixture } from '../support/observer-fixture.js';

// A holder whose record was deleted keeps its claim through an unaware writer's record (created over
// the absence by a replica that never saw the lock). That unaware writer leads too: when its record
// is deleted in turn, its own claim must be waited out, and the first holder's record coming back
// (and its release) ends only the first holder's claim. (Simulation seed 209520, 'mix' faults: the
// two claims were one, ended by the first holder's re-created record, and a follower acquired while
// the unaware writer still led.)

const fixture = observerFixture;

const first: LeaderElectionRecord = {
  holderIdentity: 'a',
  leaseDurationSeconds: 10,
  acquireTime: new Date('2026-11-29T23:00:00.000Z'),
  renewTime: new Date('2026-11-29T23:00:00.000Z'),
  leaseTransitions: 1,
};
const unaware: LeaderElectionRecord = {
  holderIdentity: 'z',
  leaseDurationSeconds: 10,
  acquireTime: new Date('2026-11-29T23:00:01.000Z'),
  renewTime: new Date('2026-11-29T23:00:01.000Z'),
  leaseTransitions: 0, // created over the absence by a replica that never saw epoch 1
};

function play(): ReturnType<typeof observerFixture> & { unawareDeletedAt: number } {
  const { observer, clock } = fixture();
  observer.watchStarting(undefined);
  observer.watchEstablished(true);
  observer.watchEvent({ type: 'changed', snapshot: { resourceVersion: '1', record: first } });
  clock.t += 100;
  observer.watchEvent({ type: 'deleted', resourceVersion: '2' });
  clock.t += 100;
  observer.watchEvent({ type: 'changed', snapshot: { resourceVersion: '3', record: unaware } });
  clock.t += 100;
  const unawareDeletedAt = clock.t;
  observer.watchEvent({ type: 'deleted', resourceVersion: '4' });
  clock.t += 100;
  // The first holder re-creates its own term's record (it was renewing through the deletions).
  const renewed = { ...first, renewTime: new Date('2026-11-29T23:00:02.000Z') };
  observer.watchEvent({ type: 'changed', snapshot: { resourceVersion: '5', record: renewed } });
  return { observer, clock, unawareDeletedAt };
}

describe('LockObserver (an unaware holder whose record was deleted)', () => {
  it("the first holder's record coming back, and its release, end only the first holder's claim", () => {
    const { observer, clock, unawareDeletedAt } = play();
    clock.t += 100;
    const released = { ...first, holderIdentity: '', leaseDurationSeconds: 1 };
    observer.watchEvent({ type: 'changed', snapshot: { resourceVersion: '6', record: released } });
    expect(observer.expiry()).to.equal(unawareDeletedAt + 10_000);
  });

  it('a record with a higher epoch than any seen (an aware writer) still ends every claim', () => {
    const { observer, clock } = play();
    clock.t += 100;
    const aware = { ...first, holderIdentity: 'b', leaseTransitions: 2 };
    observer.watchEvent({ type: 'changed', snapshot: { resourceVersion: '6', record: aware } });
    expect(observer.expiry()).to.equal(clock.t + 10_000);
  });
});
