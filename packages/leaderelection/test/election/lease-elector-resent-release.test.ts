import { expect } from 'chai';
import type { LeaderElectionRecord, Lock } from '@kubekit/leaderelection';
import { inWholeSeconds, rewritingLock } from '../sim/rewriting-lock.js';
import type { SimLock } from '../sim/sim-lock-store.js';
import { lockWith } from '../support/lock-with.js';
import { resentConflict } from '../support/resent-conflict.js';
import { SimWorld, fast } from '../support/sim-world.js';

// The release (an empty holder) is a compare-and-swap write like any other: when its connection
// breaks once the server has it, the transport sends it again, and the repeat is answered 409 when
// the first attempt landed (the version moved: our own release). The leader then reads the lock and
// finds an empty holder: `released` must say whether that is its own release, never someone else's.

/**
 * While `armed.on`, the next release write (an empty holder) goes to the store through `write`
 * (which may apply it, or write something else), and its caller gets a 409 marked as the answer to
 * a re-send.
 */
function resendingRelease(
  armed: { on: boolean },
  write: (record: LeaderElectionRecord, send: () => Promise<unknown>) => Promise<unknown>,
  inner: (lock: SimLock) => Lock = (lock) => lock,
): (lock: SimLock) => Lock {
  return (simLock) => {
    const lock = inner(simLock);
    return lockWith(lock, {
      update: async (record, resourceVersion, signal) => {
        if (!armed.on || record.holderIdentity !== '') return lock.update(record, resourceVersion, signal);
        armed.on = false;
        await write(record, () => lock.update(record, resourceVersion, signal)).catch(() => undefined);
        throw resentConflict(lock.description);
      },
    });
  };
}

/** Another writer's release: the one `a` sent, changed by `change`. */
const othersReleases: readonly [string, (record: LeaderElectionRecord) => LeaderElectionRecord][] = [
  [
    'its times a millisecond later',
    (record) => ({
      ...record,
      acquireTime: new Date(record.acquireTime!.getTime() + 1),
      renewTime: new Date(record.renewTime!.getTime() + 1),
    }),
  ],
  [
    'its renewTime a millisecond later',
    (record) => ({ ...record, renewTime: new Date(record.renewTime!.getTime() + 1) }),
  ],
  ['a later epoch', (record) => ({ ...record, leaseTransitions: record.leaseTransitions + 1 })],
  ['another leaseDurationSeconds', (record) => ({ ...record, leaseDurationSeconds: 15 })],
];

describe('LeaseElector', () => {
  describe('.released, when the release write is sent again and the repeat is answered 409', () => {
    it('is true when the first attempt landed (the record read back is the release it wrote)', async () => {
      const world = new SimWorld();
      const armed = { on: false };
      const a = world.add('a', {
        ...fast,
        releaseOnCancel: true,
        wrapLock: resendingRelease(armed, (_r, send) => send()),
      });
      a.start();
      await world.advance(50);
      expect(a.elector.currentLeader()).to.equal('a');
      armed.on = true;
      await world.stopAll();
      expect(armed.on, 'the release was answered 409 to a re-send').to.be.false;
      expect(world.store.snapshot()?.record?.holderIdentity, 'the release landed').to.equal('');
      expect(a.elector.released).to.be.true;
    });

    it('is true when the release landed after an earlier attempt failed without an answer', async () => {
      // A first attempt times out at the client but lands; the next one (same version) is a plain 409.
      const world = new SimWorld();
      const armed = { on: false };
      const a = world.add('a', {
        ...fast,
        releaseOnCancel: true,
        wrapLock: (simLock) =>
          lockWith(simLock, {
            update: async (record, resourceVersion, signal) => {
              const sent = simLock.update(record, resourceVersion, signal);
              if (!armed.on || record.holderIdentity !== '') return sent;
              armed.on = false;
              await sent;
              throw new Error('simulated connection reset after the server applied the write');
            },
          }),
      });
      a.start();
      await world.advance(50);
      armed.on = true;
      await world.stopAll();
      expect(armed.on).to.be.false;
      expect(world.store.snapshot()?.record?.holderIdentity).to.equal('');
      expect(a.elector.released).to.be.true;
    });

    it('is false with a lock that stores whole seconds (its release cannot be told from another’s)', async () => {
      const world = new SimWorld();
      const armed = { on: false };
      const a = world.add('a', {
        ...fast,
        releaseOnCancel: true,
        wrapLock: resendingRelease(
          armed,
          (_r, send) => send(),
          (lock) => rewritingLock(lock, (record) => inWholeSeconds(record, ['acquireTime', 'renewTime'])),
        ),
      });
      a.start();
      await world.advance(50);
      expect(a.elector.currentLeader()).to.equal('a');
      armed.on = true;
      await world.stopAll();
      expect(armed.on).to.be.false;
      expect(world.store.snapshot()?.record?.holderIdentity, 'the release landed').to.equal('');
      expect(a.elector.released, 'the safe answer').to.be.false;
    });

    for (const [what, change] of othersReleases) {
      it(`is false when the record read back is another writer’s release (${what})`, async () => {
        const world = new SimWorld();
        const armed = { on: false };
        let written: LeaderElectionRecord | undefined;
        const a = world.add('a', {
          ...fast,
          releaseOnCancel: true,
          wrapLock: resendingRelease(armed, (record) => {
            // a's attempt does not land: another writer's release does.
            written = change(record);
            world.store.put(written);
            return Promise.resolve();
          }),
        });
        a.start();
        await world.advance(50);
        expect(a.elector.currentLeader()).to.equal('a');
        armed.on = true;
        await world.stopAll();
        expect(armed.on).to.be.false;
        expect(world.store.snapshot()?.record, 'the other writer’s release is in the lock').to.deep.equal(
          written,
        );
        expect(a.elector.released).to.be.false;
      });
    }
  });
});
