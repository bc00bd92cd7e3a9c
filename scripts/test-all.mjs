// Runs every workspace's tests through lerna (one at a time, all of them even after a failure),
// then prints one closing line for the whole repository: "tests: N passed, N failed".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'kubekit-test-'));
const summaryFile = join(dir, 'summary.jsonl');
const result = spawnSync(
  'lerna',
  ['run', 'test', '--concurrency=1', '--no-bail', '--stream', '--no-sort', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, KUBEKIT_TEST_SUMMARY: summaryFile, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  },
);

const runs = existsSync(summaryFile)
  ? readFileSync(summaryFile, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
  : [];
rmSync(dir, { recursive: true, force: true });

let passed = 0;
let failed = 0;
console.log('\nTests by workspace:');
for (const run of runs) {
  passed += run.passed;
  failed += run.failed;
  console.log(`  ${relative(process.cwd(), run.cwd).padEnd(28)} ${run.passed} passed, ${run.failed} failed`);
}
const status = result.status ?? 1;
if (status !== 0 && failed === 0) failed = 1; // a failure outside any test (hook, leak, coverage)
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(status);
