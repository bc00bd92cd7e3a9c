import { expect } from 'chai';
import type { ReconcileRecord } from '#lib/index.js';
import { closestHandoff, findOverlaps, toIntervals } from '#lib/demo/reconcile-records.js';

const begin = (replica: string, at: number): ReconcileRecord => ({
  replica,
  phase: 'begin',
  key: 'ns/a',
  at,
});
const end = (replica: string, at: number): ReconcileRecord => ({
  replica,
  phase: 'end',
  key: 'ns/a',
  at,
  outcome: 'ok',
});

describe('reconcile records', () => {
  describe('toIntervals', () => {
    it('pairs begin and end per replica', () => {
      const intervals = toIntervals([begin('a', 1), begin('b', 2), end('a', 3), end('b', 4)], new Map(), 100);
      expect(intervals.map((i) => [i.replica, i.start, i.end])).to.deep.equal([
        ['a', 1, 3],
        ['b', 2, 4],
      ]);
    });

    it('ends a reconcile without an end line at the death of its process', () => {
      const intervals = toIntervals(
        [begin('a', 10), begin('a', 50), end('a', 55)],
        new Map([['a', [20]]]),
        100,
      );
      expect(intervals[0]).to.include({ start: 10, end: 20, cutByDeath: true });
      expect(intervals[1]).to.include({ start: 50, end: 55, cutByDeath: false });
    });

    it('keeps a reconcile open until the end when no death is known', () => {
      expect(toIntervals([begin('a', 10)], new Map(), 100)[0]).to.include({ end: 100, cutByDeath: true });
    });
  });

  describe('findOverlaps', () => {
    it('finds reconciles of two replicas at the same time', () => {
      const overlaps = findOverlaps(
        toIntervals([begin('a', 1), begin('b', 2), end('b', 3), end('a', 4)], new Map(), 10),
      );
      expect(overlaps).to.have.length(1);
      expect(overlaps[0]?.ms).to.equal(1);
    });

    it('finds an overlap with a reconcile that ended long after later ones of the same replica began', () => {
      const records = [
        begin('a', 1),
        begin('c', 1.5),
        end('c', 1.6),
        end('a', 9),
        begin('a', 10),
        end('a', 11),
        begin('b', 8),
        end('b', 8.5),
      ];
      expect(
        findOverlaps(toIntervals(records, new Map(), 20)).map((o) => [o.a.replica, o.b.replica]),
      ).to.deep.include.members([
        ['a', 'c'],
        ['a', 'b'],
      ]);
    });

    it('finds none when replicas take turns, and measures the closest hand-off', () => {
      const intervals = toIntervals(
        [begin('a', 1), end('a', 2), begin('b', 2.5), end('b', 3), begin('a', 7), end('a', 8)],
        new Map(),
        10,
      );
      expect(findOverlaps(intervals)).to.deep.equal([]);
      expect(closestHandoff(intervals)).to.equal(0.5);
    });
  });
});
