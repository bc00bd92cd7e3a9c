import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startEnvtest, type Envtest } from '@kubekit/envtest';
import { plainProgress } from '#lib/demo/progress.js';
import { runDemo } from '#lib/demo/run-demo.js';
import { timelineSvg } from '#lib/demo/timeline-svg.js';

// The demo behind `npm start`, shortened (0.5 s between faults instead of 1.5 s), so it cannot rot.
// Safety is asserted exactly (no overlapping reconciles, the partitioned leader steps down before
// anyone acquires, no takeover before the lease could expire); the latency bounds are generous
// because CI machines are loaded: the demo itself checks the tight ones (≤ 100 ms, ≤ expiry + 100 ms).
describe('failover demo', function () {
  this.timeout(60_000);

  it('hands over, takes over after a crash and after a partition, with no two replicas reconciling at once', async () => {
    const lines: string[] = [];
    const { report, intervals } = await runDemo({
      steadyMs: 500,
      progress: plainProgress((line) => lines.push(line)),
    });
    const context = `\n${lines.join('\n')}\n${JSON.stringify(report.acceptance, null, 2)}`;

    expect(report.overlaps, context).to.deep.equal([]);
    expect(report.reconciles.cutByDeath, context).to.be.at.most(1);
    expect(Object.keys(report.reconciles.byReplica).length, context).to.be.at.least(2);
    const causes = report.transitions.map((t) => t.cause);
    expect(causes, context).to.deep.equal([
      'initial',
      'handover',
      'takeover-after-crash',
      'takeover-after-partition',
    ]);
    const [, handover, crash, partition] = report.transitions;
    const lease = report.timings.leaseDuration;
    expect(handover?.latencyMs, context).to.be.within(0, 1_000);
    expect(crash?.latencyMs, context).to.be.within(lease - 50, lease + 1_000);
    expect(partition?.latencyMs, context).to.be.within(lease - 50, lease + 1_000);
    expect(report.partitionStepDownMarginMs, context).to.be.greaterThan(0);
    expect(
      report.processes.every((p) => p.exit !== 'running'),
      context,
    ).to.equal(true);

    const svg = timelineSvg(report, intervals);
    expect(svg).to.match(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).to.contain('SIGKILL replica-').and.to.contain('PARTITION replica-');
  });
});

describe('failover demo against a cluster (--kubeconfig)', function () {
  this.timeout(60_000);
  let env: Envtest | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await env?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the scenario through a kubeconfig alone: a second handover instead of the partition', async () => {
    env = await startEnvtest();
    dir = mkdtempSync(join(tmpdir(), 'demo-cluster-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await env.writeKubeconfig(kubeconfig);
    const lines: string[] = [];
    const { report } = await runDemo({
      kubeconfig,
      steadyMs: 300,
      progress: plainProgress((line) => lines.push(line)),
    });
    const context = `\n${lines.join('\n')}`;
    expect(report.mode).to.equal('cluster');
    expect(report.overlaps, context).to.deep.equal([]);
    expect(
      report.transitions.map((t) => t.cause),
      context,
    ).to.deep.equal(['initial', 'handover', 'takeover-after-crash', 'handover']);
    expect(report.steps.some((s) => s.kind === 'partition')).to.equal(false);
  });
});
