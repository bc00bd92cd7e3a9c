import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { LeaderElectionError } from '@kubekit/leaderelection';
import { resolvePodLocation } from '#lib/lifelong/leader-for-life-options.js';
import { Backoff } from '#lib/lifelong/backoff.js';

describe('resolvePodLocation', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifelong-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function thrown(fn: () => unknown): unknown {
    try {
      fn();
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it('reads the namespace from the service-account file and the Pod name from POD_NAME', () => {
    const file = join(dir, 'namespace');
    writeFileSync(file, 'operators\n');
    expect(
      resolvePodLocation({ lockName: 'l', namespaceFile: file, env: { POD_NAME: 'op-1' } }),
    ).to.deep.equal({
      namespace: 'operators',
      podName: 'op-1',
    });
  });

  it('prefers explicit options', () => {
    expect(
      resolvePodLocation({
        lockName: 'l',
        namespace: 'a',
        podName: 'b',
        namespaceFile: join(dir, 'none'),
        env: {},
      }),
    ).to.deep.equal({ namespace: 'a', podName: 'b' });
  });

  it('throws notInCluster out of a cluster, saying what to set', () => {
    const error = thrown(() =>
      resolvePodLocation({ lockName: 'l', namespaceFile: join(dir, 'none'), env: {} }),
    );
    expect(LeaderElectionError.is(error, 'notInCluster')).to.equal(true);
    expect((error as Error).message)
      .to.contain('namespace option')
      .and.to.contain('POD_NAME');
  });

  it('throws noNamespace in a cluster without the namespace file', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '  ');
    const error = thrown(() =>
      resolvePodLocation({
        lockName: 'l',
        namespaceFile: empty,
        env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' },
      }),
    );
    expect(LeaderElectionError.is(error, 'noNamespace')).to.equal(true);
    expect((error as Error).message).to.contain('set the namespace option');
  });

  it('throws noPodName naming the downward API field to add', () => {
    const error = thrown(() => resolvePodLocation({ lockName: 'l', namespace: 'ns', env: {} }));
    expect(LeaderElectionError.is(error, 'noPodName')).to.equal(true);
    expect((error as Error).message).to.contain(
      'name: POD_NAME valueFrom: fieldRef: fieldPath: metadata.name',
    );
  });

  it('throws invalidConfig for an empty lock name', () => {
    const error = thrown(() => resolvePodLocation({ lockName: '', namespace: 'ns', podName: 'p' }));
    expect(LeaderElectionError.is(error, 'invalidConfig')).to.equal(true);
  });
});

describe('Backoff', () => {
  describe('.next', () => {
    it('doubles up to the exact cap, jittered within the upper half', () => {
      const high = new Backoff(1000, 16_000, () => 0.999999999);
      const low = new Backoff(1000, 16_000, () => 0);
      const highs = Array.from({ length: 8 }, () => Math.round(high.next()));
      const lows = Array.from({ length: 8 }, () => low.next());
      expect(highs).to.deep.equal([1000, 2000, 4000, 8000, 16_000, 16_000, 16_000, 16_000]);
      expect(lows).to.deep.equal([500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
      const wild = new Backoff(1000, 3000, () => 7);
      for (let i = 0; i < 5; i += 1) expect(wild.next()).to.be.at.most(3000);
    });

    it('starts again after reset', () => {
      const backoff = new Backoff(100, 1000, () => 0);
      backoff.next();
      backoff.next();
      backoff.reset();
      expect(backoff.next()).to.equal(50);
    });
  });
});
