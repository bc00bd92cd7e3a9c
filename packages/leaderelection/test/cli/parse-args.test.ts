import { expect } from 'chai';
import { LeaderElectionError } from '@kubekit/leaderelection';
import { parseElectCliArgs } from '#lib/cli/elect-cli-options.js';
import { parseDuration } from '#lib/cli/parse-duration.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseDuration', () => {
  it('reads Go-style durations', () => {
    expect(parseDuration('15s', 'd')).to.equal(15_000);
    expect(parseDuration('500ms', 'd')).to.equal(500);
    expect(parseDuration('1m30s', 'd')).to.equal(90_000);
    expect(parseDuration('1.5s', 'd')).to.equal(1500);
    expect(parseDuration('1h', 'd')).to.equal(3_600_000);
  });

  it('rejects text that is not a duration with a typed error naming the option', () => {
    for (const text of ['', '15', 's', '15 s', '15sx', '-1s', 'abc']) {
      const error = thrown(() => parseDuration(text, '--lease-duration'));
      expect(LeaderElectionError.is(error, 'invalidConfig'), text).to.equal(true);
      expect((error as Error).message).to.contain('--lease-duration');
    }
  });
});

describe('parseElectCliArgs', () => {
  it('applies client-go defaults', () => {
    expect(parseElectCliArgs(['--name', 'op'])).to.deep.equal({
      name: 'op',
      lock: 'leases',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnCancel: false,
      watch: true,
      json: false,
      command: [],
      allowOrphans: false,
    });
  });

  it('reads every option and the command after --', () => {
    const options = parseElectCliArgs([
      '--name=op',
      '--namespace',
      'ns',
      '--lock',
      'configmaps',
      '--identity',
      'me',
      '--lease-duration',
      '1s',
      '--renew-deadline',
      '600ms',
      '--retry-period',
      '200ms',
      '--release-on-cancel',
      '--no-watch',
      '--kubeconfig',
      '/tmp/kc',
      '--context',
      'ctx',
      '--json',
      '--allow-orphans',
      '--',
      'sh',
      '-c',
      'echo --name',
    ]);
    expect(options).to.deep.equal({
      name: 'op',
      namespace: 'ns',
      lock: 'configmaps',
      identity: 'me',
      leaseDurationMs: 1000,
      renewDeadlineMs: 600,
      retryPeriodMs: 200,
      releaseOnCancel: true,
      watch: false,
      kubeconfig: '/tmp/kc',
      context: 'ctx',
      json: true,
      command: ['sh', '-c', 'echo --name'],
      allowOrphans: true,
    });
  });

  it('accepts leader-for-life and asks for help', () => {
    expect(parseElectCliArgs(['--name', 'x', '--lock', 'leader-for-life'])).to.include({
      lock: 'leader-for-life',
    });
    expect(parseElectCliArgs(['--help'])).to.equal('help');
    expect(parseElectCliArgs(['-h'])).to.equal('help');
  });

  it('rejects bad command lines with the usage', () => {
    const cases: string[][] = [
      [],
      ['--name', ''],
      ['--name', 'x', '--lock', 'etcd'],
      ['--name', 'x', '--bogus'],
      ['--name', 'x', 'stray'],
      ['--name', 'x', '--retry-period', 'soon'],
    ];
    for (const args of cases) {
      const error = thrown(() => parseElectCliArgs(args));
      expect(LeaderElectionError.is(error, 'invalidConfig'), args.join(' ')).to.equal(true);
      expect((error as Error).message).to.contain('Usage: kubekit-elect');
    }
  });
});
