import { expect } from 'chai';
import {
  hasValidHolder,
  parseLeaderElectionAnnotation,
  parseLeaderElectionRecord,
} from '@kubekit/leaderelection';

describe('parseLeaderElectionAnnotation', () => {
  it('reads what client-go writes', () => {
    const record = parseLeaderElectionAnnotation(
      '{"holderIdentity":"a","leaseDurationSeconds":15,"acquireTime":"2024-01-02T03:04:05Z","renewTime":"2024-01-02T03:04:07Z","leaderTransitions":4}',
    );
    expect(record).to.deep.include({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 4 });
    expect(record?.renewTime?.toISOString()).to.equal('2024-01-02T03:04:07.000Z');
    expect(hasValidHolder(record)).to.be.true;
  });

  it('returns undefined for JSON garbage, never throws', () => {
    for (const garbage of ['{not json', '', 'null', '42', '"x"', '[1,2]', undefined]) {
      expect(parseLeaderElectionAnnotation(garbage), String(garbage)).to.be.undefined;
    }
  });

  it('accepts numbers written as strings', () => {
    const record = parseLeaderElectionAnnotation(
      '{"holderIdentity":"a","leaseDurationSeconds":" 15 ","leaderTransitions":"3"}',
    );
    expect(record).to.deep.include({ leaseDurationSeconds: 15, leaseTransitions: 3 });
  });

  it('ignores times that are not RFC 3339 (they are never used for expiry)', () => {
    const record = parseLeaderElectionAnnotation(
      '{"holderIdentity":"a","leaseDurationSeconds":15,"renewTime":"yesterday at noon","acquireTime":1700000000000}',
    );
    expect(record?.renewTime).to.be.undefined;
    expect(record?.acquireTime?.getTime()).to.equal(1700000000000);
    expect(hasValidHolder(record)).to.be.true;
  });

  it('treats missing fields as absent: no holder, no duration, zero transitions', () => {
    const record = parseLeaderElectionAnnotation('{}');
    expect(record).to.deep.equal({
      holderIdentity: '',
      leaseDurationSeconds: 0,
      acquireTime: undefined,
      renewTime: undefined,
      leaseTransitions: 0,
    });
    expect(hasValidHolder(record)).to.be.false;
  });

  it('gives no valid holder for zero or negative durations', () => {
    expect(hasValidHolder(parseLeaderElectionAnnotation('{"holderIdentity":"a","leaseDurationSeconds":0}')))
      .to.be.false;
    expect(hasValidHolder(parseLeaderElectionAnnotation('{"holderIdentity":"a","leaseDurationSeconds":-5}')))
      .to.be.false;
    expect(
      hasValidHolder(parseLeaderElectionAnnotation('{"holderIdentity":"a","leaseDurationSeconds":"abc"}')),
    ).to.be.false;
  });

  it('gives no valid holder for a holder that is not a string', () => {
    for (const holder of ['42', 'true', '{"name":"a"}', '["a"]', 'null']) {
      const record = parseLeaderElectionAnnotation(`{"holderIdentity":${holder},"leaseDurationSeconds":15}`);
      expect(hasValidHolder(record), holder).to.be.false;
    }
  });

  it('clamps negative or fractional transitions', () => {
    expect(parseLeaderElectionRecord({ leaseTransitions: -2 })?.leaseTransitions).to.equal(0);
    expect(parseLeaderElectionRecord({ leaseTransitions: 2.7 })?.leaseTransitions).to.equal(2);
  });
});

describe('parseLeaderElectionRecord', () => {
  it('reads a Lease spec as client-node returns it (MicroTime as strings)', () => {
    const record = parseLeaderElectionRecord({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2024-01-02T03:04:05.123456Z',
      renewTime: new Date('2024-01-02T03:04:06.000Z'),
      leaseTransitions: 2,
    });
    expect(record?.acquireTime?.toISOString()).to.equal('2024-01-02T03:04:05.123Z');
    expect(record?.renewTime?.toISOString()).to.equal('2024-01-02T03:04:06.000Z');
    expect(parseLeaderElectionRecord({ renewTime: new Date(Number.NaN) })?.renewTime).to.be.undefined;
  });

  it('returns undefined for a missing spec', () => {
    expect(parseLeaderElectionRecord(undefined)).to.be.undefined;
  });
});
