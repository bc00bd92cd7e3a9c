import { expect } from 'chai';
import type { LeaderElectionRecord } from '@kubekit/leaderelection';
import { observerFixture } from '../support/observer-fixture.js';

// A narrowed or forgotten own mark (a 409 to an acquiring write) must not leave behind decisions the
// observer took while the mark was still wide (the write in flight). The deleted claim of a holder
// is decided when the deletion is seen: a record of another process under this identity, with the
// same epoch and (whole-second) acquire time, seen while the write was in flight and then deleted,
// is taken for this replica's own and its claim is not kept. After the 409 narrows the mark, an
// unaware writer's record over the absence and its release end the wait at once, while that
// process may still lead.

const fixture = observerFixture;

const written = new Date('2026-11-29T23:00:00.437Z'); // this replica's acquiring write
const winner: LeaderElectionRecord = {
  holderIdentity: 'x', // the same identity, another process: won epoch 3 in the same second
  leaseDurationSeconds: 10,
  acquireTime: new Date('2026-11-29T23:00:00.000Z'), // stored in whole seconds
  renewTime: new Date('2026-11-29T23:00:00.000Z'),
  leaseTransitions: 3,
};
const unaware: LeaderElectionRecord = {
  holderIdentity: 'z',
  leaseDurationSeconds: 10,
  acquireTime: new Date('2026-11-29T23:00:01.000Z'),
  renewTime: new Date('2026-11-29T23:00:01.000Z'),
  leaseTransitions: 0,
};
const released: LeaderElectionRecord = { ...unaware, holderIdentity: '', leaseDurationSeconds: 1 };

function play(
  narrowFirst: boolean,
  forget: 'narrowOwn' | 'unmarkOwn' = 'narrowOwn',
): { expiry: number; deletedAt: number; now: number } {
  const { observer, clock } = fixture();
  observer.watchStarting(undefined);
  observer.watchEstablished(true);
  observer.watchEvent({
    type: 'changed',
    snapshot: { resourceVersion: '1', record: { ...released, leaseTransitions: 2 } },
  });
  observer.markOwn({ epoch: 3, acquireTime: written }); // the acquiring write is sent
  if (narrowFirst) observer.narrowOwn({ epoch: 3, acquireTime: written });
  clock.t += 100;
  observer.watchEvent({ type: 'changed', snapshot: { resourceVersion: '2', record: winner } });
  clock.t += 100;
  const deletedAt = clock.t;
  observer.watchEvent({ type: 'deleted', resourceVersion: '3' });
  clock.t += 100;
  // The 409 arrives: to the repeat, the mark is narrowed; to a write sent once, forgotten.
  if (!narrowFirst) observer[forget]({ epoch: 3, acquireTime: written });
  clock.t += 100;
  observer.watchEvent({ type: 'changed', snapshot: { resourceVersion: '4', record: unaware } });
  clock.t += 100;
  observer.watchEvent({ type: 'changed', snapshot: { resourceVersion: '5', record: released } });
  return { expiry: observer.expiry(), deletedAt, now: clock.t };
}

describe('LockObserver (a narrowed own mark and a deleted claim)', () => {
  it('with the mark narrowed before the winner was seen, its deleted claim is waited out', () => {
    const { expiry, deletedAt } = play(true);
    expect(expiry).to.equal(deletedAt + 10_000);
  });

  it('with the mark narrowed after the winner was seen and deleted, its deleted claim is waited out too', () => {
    const { expiry, deletedAt } = play(false);
    expect(expiry).to.equal(deletedAt + 10_000);
  });

  it('with the mark forgotten (a 409 to a write sent once) after the winner was seen and deleted, likewise', () => {
    const { expiry, deletedAt } = play(false, 'unmarkOwn');
    expect(expiry).to.equal(deletedAt + 10_000);
  });
});
