// `npm start` (scripts/start.mjs) runs this: the failover demo. Exit 0 when the acceptance holds,
// 1 when it does not, 2 on bad arguments or when the demo itself failed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DemoReport } from './demo-report.js';
import { plainProgress, ttyProgress } from './progress.js';
import { runDemo } from './run-demo.js';
import { timelineSvg } from './timeline-svg.js';

const usage = `npm start -- [--kubeconfig PATH] [--out DIR] [--plain]
  --kubeconfig PATH  run against a real cluster (no envtest, no partition step); needs rights to
                     create the CRD, the namespace kubekit-demo, Memcacheds, Deployments, Leases
  --out DIR          where report.json and timeline.svg go (default: demo-report)
  --plain            plain lines even in a terminal`;

function summary(report: DemoReport, out: string): string {
  const lines = ['', 'summary:'];
  for (const t of report.transitions) {
    const latency = t.latencyMs === undefined ? '' : `  ${t.latencyMs.toFixed(1)} ms`;
    const fault = t.sinceFaultMs === undefined ? '' : ` (fault → new holder ${t.sinceFaultMs.toFixed(1)} ms)`;
    lines.push(
      `  ${t.cause.padEnd(26)} ${(t.from === '' ? '-' : t.from).padEnd(10)} → ${t.to.padEnd(10)}${latency}${fault}`,
    );
  }
  const r = report.reconciles;
  lines.push(
    `  reconciles: ${String(r.total)} (${Object.entries(r.byReplica)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(
        ', ',
      )}); closest hand-off between replicas ${r.closestHandoffMs === undefined ? '-' : `${r.closestHandoffMs.toFixed(1)} ms`}; overlaps ${String(report.overlaps.length)}`,
  );
  if (report.partitionStepDownMarginMs !== undefined)
    lines.push(
      `  partitioned leader stepped down ${report.partitionStepDownMarginMs.toFixed(1)} ms before the next acquisition`,
    );
  lines.push(`  took ${((report.finishedAt - report.startedAt) / 1000).toFixed(1)} s`, '', 'acceptance:');
  for (const c of report.acceptance.checks)
    lines.push(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  lines.push('', `wrote ${join(out, 'report.json')} and ${join(out, 'timeline.svg')}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        kubeconfig: { type: 'string' },
        out: { type: 'string', default: 'demo-report' },
        plain: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const out = resolve(values.out);
  const tty = process.stdout.isTTY && !values.plain;
  let progress = plainProgress();
  const result = await runDemo({
    ...(values.kubeconfig === undefined ? {} : { kubeconfig: values.kubeconfig }),
    get progress() {
      return progress;
    },
    onStart: (timings, where) => {
      const header = [
        `kubekit failover demo on ${where}`,
        `timings (shortened; defaults 15 s / 10 s / 2 s): leaseDuration ${String(timings.leaseDuration)} ms, renewDeadline ${String(timings.renewDeadline)} ms, retryPeriod ${String(timings.retryPeriod)} ms`,
      ];
      if (tty) progress = ttyProgress(header);
      else console.log(header.join('\n'));
    },
  });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'report.json'), `${JSON.stringify(result.report, null, 2)}\n`);
  writeFileSync(join(out, 'timeline.svg'), timelineSvg(result.report, result.intervals));
  console.log(summary(result.report, out));
  return result.report.acceptance.passed ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 2;
}
