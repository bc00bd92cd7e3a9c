// Runs every benchmark of the repository, prints one table, and writes bench/results/latest.json.
//
// A benchmark is a compiled file `*.bench.js` under a workspace's `dist-test/bench/` (source:
// `<workspace>/bench/*.bench.ts`). Each runs in its own Node process and reports every figure it
// measured as one line on stdout:
//
//   @@bench {"name":"<package>/<benchmark>/<figure>","value":12.3,"unit":"ms","goal":"<= 20","baseline":2400}
//
// `goal` is a comparison against `value` ("<= 20", ">= 5000", "== 0") or null; `baseline` is the same
// figure measured for the baseline in the same run, or null. Everything else a benchmark prints is
// passed through. `npm run bench -- <substring>` runs only the benchmarks whose path contains it.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnWithLifeline } from '@kubekit/envtest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const filter = process.argv[2] ?? '';

function benchmarks() {
  const found = [];
  for (const group of ['packages', 'examples']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const workspace of readdirSync(groupDir)) {
      const dir = join(groupDir, workspace, 'dist-test', 'bench');
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir).sort()) {
        if (file.endsWith('.bench.js')) found.push(join(dir, file));
      }
    }
  }
  return found.filter((file) => relative(root, file).includes(filter));
}

function run(file) {
  return new Promise((resolve) => {
    const figures = [];
    // With the lifeline: the benchmark stops when this runner dies, even by SIGKILL, and with it
    // the processes it started.
    const child = spawnWithLifeline(file, [], { execArgv: ['--expose-gc'], stderr: 'inherit' });
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.startsWith('@@bench ')) figures.push(JSON.parse(line.slice('@@bench '.length)));
        else process.stdout.write(`  ${line}\n`);
      }
    });
    child.on('close', (code) => resolve({ code, figures }));
  });
}

export function meetsGoal(value, goal) {
  if (goal === null || goal === undefined) return null;
  const match = /^\s*(<=|>=|<|>|==)\s*(-?[\d.]+)\s*$/.exec(goal);
  if (!match) return null;
  const target = Number(match[2]);
  switch (match[1]) {
    case '<=':
      return value <= target;
    case '>=':
      return value >= target;
    case '<':
      return value < target;
    case '>':
      return value > target;
    default:
      return value === target;
  }
}

const files = benchmarks();
const results = [];
let failures = 0;
for (const file of files) {
  console.log(`\n▶ ${relative(root, file)}`);
  const { code, figures } = await run(file);
  if (code !== 0) {
    failures += 1;
    console.log(`  ✖ exited with code ${code}`);
  }
  results.push(...figures);
}

const fmt = (n) => (n === null || n === undefined ? '' : Number.isInteger(n) ? String(n) : n.toFixed(2));
const rows = results.map((r) => {
  const ok = meetsGoal(r.value, r.goal);
  return [r.name, fmt(r.value), r.unit, r.goal ?? '', fmt(r.baseline), ok === null ? '' : ok ? 'yes' : 'NO'];
});
const header = ['figure', 'value', 'unit', 'goal', 'baseline', 'met'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
for (const row of rows) console.log(line(row));
const missed = results.filter((r) => meetsGoal(r.value, r.goal) === false).length;
console.log(
  `\n${results.length} figures from ${files.length} benchmarks; goals missed: ${missed}; benchmarks failed: ${failures}`,
);

mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
process.exit(failures > 0 ? 1 : 0);
