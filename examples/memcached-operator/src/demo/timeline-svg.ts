import type { DemoReport } from './demo-report.js';
import type { ReconcileInterval } from './reconcile-records.js';

const width = 1100;
const left = 110;
const right = 30;
const top = 92;
const rowHeight = 56;
const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const faultColors: Readonly<Record<string, string>> = {
  sigterm: '#1f6feb',
  sigkill: '#d1242f',
  partition: '#bf8700',
  heal: '#1a7f37',
};

/**
 * The timeline as SVG text: one row per replica with its process lifetimes (grey), its claimed
 * leadership (green, with the epoch), its reconciles as recorded (dark ticks under the bar),
 * partitions (amber hatching); faults as labelled vertical lines; lease transitions with their
 * measured latencies along the axis.
 */
export function timelineSvg(report: DemoReport, intervals: readonly ReconcileInterval[]): string {
  const rows = report.replicas;
  const span = Math.max(1, report.finishedAt - report.startedAt);
  const plotWidth = width - left - right;
  const x = (at: number): number => left + ((at - report.startedAt) / span) * plotWidth;
  const rowY = (replica: string): number => top + rows.indexOf(replica) * rowHeight;
  const axisY = top + rows.length * rowHeight + 6;
  const height = axisY + 96;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${String(width)}" height="${String(height)}" viewBox="0 0 ${String(width)} ${String(height)}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#bf8700" fill-opacity="0.45"/></pattern></defs>',
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  );
  const t = report.timings;
  const verdict = report.acceptance.passed ? 'acceptance: PASSED' : 'acceptance: FAILED';
  out.push(
    `<text x="${String(left)}" y="22" font-size="16" font-weight="bold">kubekit failover demo — leadership per replica</text>`,
    `<text x="${String(left)}" y="42" fill="#444">lease ${String(t.leaseDuration)} ms / renew deadline ${String(t.renewDeadline)} ms / retry ${String(t.retryPeriod)} ms · ${String(report.reconciles.total)} reconciles · ${String(report.overlaps.length)} overlaps · ${verdict}</text>`,
  );
  // rows
  for (const replica of rows) {
    const y = rowY(replica);
    out.push(
      `<text x="${String(left - 10)}" y="${String(y + 24)}" text-anchor="end" font-weight="bold">${escape(replica)}</text>`,
      `<line x1="${String(left)}" x2="${String(width - right)}" y1="${String(y + rowHeight - 4)}" y2="${String(y + rowHeight - 4)}" stroke="#eee"/>`,
    );
  }
  for (const life of report.processes) {
    const y = rowY(life.replica);
    out.push(
      `<rect x="${x(life.start).toFixed(1)}" y="${String(y + 8)}" width="${Math.max(1, x(life.end) - x(life.start)).toFixed(1)}" height="26" fill="#d8dee4" rx="2"><title>${escape(`${life.replica} pid ${String(life.pid)}: ${life.exit}`)}</title></rect>`,
    );
  }
  for (const lead of report.leadership) {
    const y = rowY(lead.replica);
    const w = Math.max(1, x(lead.end) - x(lead.start));
    out.push(
      `<rect x="${x(lead.start).toFixed(1)}" y="${String(y + 8)}" width="${w.toFixed(1)}" height="26" fill="#2da44e" rx="2"/>`,
    );
    const label =
      w > 130 ? `leader · epoch ${String(lead.epoch)}` : w > 60 ? `epoch ${String(lead.epoch)}` : '';
    if (label !== '')
      out.push(
        `<text x="${(x(lead.start) + 6).toFixed(1)}" y="${String(y + 25)}" fill="#fff" font-weight="bold">${label}</text>`,
      );
  }
  // process ends: a mark and how it ended
  // (not the exits of the final stop: every process ends there)
  const stopAt = report.steps.find((st) => st.kind === 'stop')?.at ?? report.finishedAt;
  for (const life of report.processes) {
    if (life.exit === 'running' || life.end >= stopAt) continue;
    const y = rowY(life.replica);
    const ex = x(life.end);
    const killed = life.exit === 'SIGKILL';
    out.push(
      `<rect x="${(ex - 1.5).toFixed(1)}" y="${String(y + 4)}" width="3" height="34" fill="${killed ? '#d1242f' : '#57606a'}"/>`,
      `<text x="${(ex + 4).toFixed(1)}" y="${String(y + 4)}" font-size="10" fill="${killed ? '#d1242f' : '#57606a'}">${killed ? 'killed' : 'exited'}</text>`,
    );
  }
  // partitions: from the partition step to the heal step of the same replica
  for (const p of report.steps.filter((s) => s.kind === 'partition')) {
    const heal = report.steps.find((s) => s.kind === 'heal' && s.replica === p.replica && s.at >= p.at);
    if (p.replica === undefined) continue;
    const y = rowY(p.replica);
    out.push(
      `<rect x="${x(p.at).toFixed(1)}" y="${String(y + 4)}" width="${(x(heal?.at ?? report.finishedAt) - x(p.at)).toFixed(1)}" height="34" fill="url(#hatch)" stroke="#bf8700"/>`,
    );
  }
  // reconciles: merged into ticks at least 1 px wide
  for (const replica of rows) {
    const y = rowY(replica) + 38;
    let from: number | undefined;
    let to = 0;
    const flush = (): void => {
      if (from !== undefined)
        out.push(
          `<rect x="${from.toFixed(1)}" y="${String(y)}" width="${Math.max(1, to - from).toFixed(1)}" height="8" fill="#24292f"/>`,
        );
    };
    for (const i of intervals.filter((r) => r.replica === replica)) {
      const a = x(i.start);
      const b = x(i.end);
      if (from !== undefined && a <= to + 1) to = Math.max(to, b);
      else {
        flush();
        from = a;
        to = b;
      }
    }
    flush();
  }
  // faults
  const faults = report.steps.filter((s) => s.kind in faultColors);
  faults.forEach((s, index) => {
    const color = faultColors[s.kind] ?? '#000';
    const fx = x(s.at).toFixed(1);
    const label = `${s.kind === 'heal' ? 'heal' : s.kind.toUpperCase()} ${s.replica ?? ''}`;
    out.push(
      `<line x1="${fx}" x2="${fx}" y1="${String(top - 6)}" y2="${String(axisY)}" stroke="${color}" stroke-width="2" stroke-dasharray="5 3"/>`,
      `<text x="${fx}" y="${String(top - 10 - (index % 2) * 16)}" fill="${color}" font-weight="bold" text-anchor="middle">${escape(label)}</text>`,
    );
  });
  // axis
  out.push(
    `<line x1="${String(left)}" x2="${String(width - right)}" y1="${String(axisY)}" y2="${String(axisY)}" stroke="#57606a"/>`,
  );
  const seconds = span / 1000;
  const stepS = seconds > 40 ? 5 : seconds > 15 ? 2 : 1;
  for (let s = 0; s <= seconds; s += stepS) {
    const tx = x(report.startedAt + s * 1000).toFixed(1);
    out.push(
      `<line x1="${tx}" x2="${tx}" y1="${String(axisY)}" y2="${String(axisY + 5)}" stroke="#57606a"/>`,
      `<text x="${tx}" y="${String(axisY + 18)}" text-anchor="middle" fill="#57606a">${String(s)} s</text>`,
    );
  }
  // transitions with latencies
  report.transitions.forEach((tr, index) => {
    const tx = x(tr.at);
    const label =
      tr.cause === 'initial'
        ? `first leader ${tr.to}`
        : `${tr.cause.replace('takeover-after-', 'takeover (')}${tr.cause.startsWith('takeover') ? ')' : ''} → ${tr.to}${tr.latencyMs === undefined ? '' : `: ${tr.latencyMs.toFixed(0)} ms`}`;
    const ty = axisY + 38 + (index % 2) * 18;
    out.push(
      `<path d="M ${tx.toFixed(1)} ${String(axisY + 24)} l -5 8 l 10 0 z" fill="#2da44e"/>`,
      `<text x="${Math.min(tx, width - right - 4).toFixed(1)}" y="${String(ty + 6)}" text-anchor="${tx > width - 220 ? 'end' : 'middle'}" fill="#24292f">${escape(label)}</text>`,
    );
  });
  // legend
  const ly = height - 14;
  out.push(
    `<rect x="${String(left)}" y="${String(ly - 9)}" width="14" height="10" fill="#d8dee4"/><text x="${String(left + 18)}" y="${String(ly)}">process running</text>`,
    `<rect x="${String(left + 130)}" y="${String(ly - 9)}" width="14" height="10" fill="#2da44e"/><text x="${String(left + 148)}" y="${String(ly)}">leader (its own claim)</text>`,
    `<rect x="${String(left + 300)}" y="${String(ly - 9)}" width="14" height="10" fill="#24292f"/><text x="${String(left + 318)}" y="${String(ly)}">reconciles (recorded)</text>`,
    `<rect x="${String(left + 470)}" y="${String(ly - 9)}" width="14" height="10" fill="url(#hatch)" stroke="#bf8700"/><text x="${String(left + 488)}" y="${String(ly)}">partitioned</text>`,
    `<text x="${String(left + 590)}" y="${String(ly)}" fill="#57606a">▲ lease holder changed (latency measured on the lease)</text>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
