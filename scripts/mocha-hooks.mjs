// Root hooks shared by every package's test run.
//
// - An unhandled promise rejection anywhere fails the run: inside a test it fails that test, and
//   one that surfaces between tests fails the next afterEach.
// - A handle leaked by a test (socket, timer, server) keeps the process alive after mocha has
//   finished. We never pass --exit; instead, once the run is over, a watchdog that does not keep
//   the process alive itself reports the open handles and exits 1 if the process is still up.

import { appendFileSync } from 'node:fs';

const unhandled = new Set();
// Counts for the repository-wide summary line that scripts/test-all.mjs prints.
const counts = { passed: 0, failed: 0 };

process.on('unhandledRejection', (reason) => {
  unhandled.add(reason);
});

function takeUnhandled() {
  const found = [...unhandled];
  unhandled.clear();
  if (found.length === 0) return undefined;
  const first = found[0];
  const message = first instanceof Error ? (first.stack ?? first.message) : String(first);
  return new Error(`${found.length} unhandled promise rejection(s); the first: ${message}`);
}

export const mochaHooks = {
  async afterEach() {
    const state = this.currentTest?.state;
    if (state === 'passed') counts.passed += 1;
    else if (state === 'failed') counts.failed += 1;
    // Rejections are reported after a macrotask turn; give them one before checking.
    await new Promise((resolve) => setImmediate(resolve));
    const error = takeUnhandled();
    if (error) {
      // The test itself passed, but left a rejection behind: count it as the failure it is.
      if (state === 'passed') counts.passed -= 1;
      counts.failed += 1;
      throw error;
    }
  },
};

const LEAK_GRACE_MS = Number(process.env.KUBEKIT_LEAK_GRACE_MS ?? 3000);

// mocha sets process.exitCode from its failure count in an 'exit' listener of its own; one added
// later runs after it and has the last word.
function failOnExit() {
  process.on('exit', () => {
    process.exitCode = 1;
  });
}

export function mochaGlobalTeardown() {
  const summaryFile = process.env.KUBEKIT_TEST_SUMMARY;
  if (summaryFile) appendFileSync(summaryFile, `${JSON.stringify({ cwd: process.cwd(), ...counts })}\n`);
  const late = takeUnhandled();
  if (late) {
    console.error(late.message);
    failOnExit();
  }
  const watchdog = setTimeout(() => {
    // One 'Timeout' is this watchdog itself.
    const open = process.getActiveResourcesInfo();
    console.error(
      `\nThe test process did not exit ${LEAK_GRACE_MS} ms after the last test: leaked handles keep it alive.\n` +
        `Open resources: ${JSON.stringify(open)}\n` +
        'Close every server, socket, watch and timer a test opens (in after/afterEach).',
    );
    failOnExit();
    process.exit(1);
  }, LEAK_GRACE_MS);
  watchdog.unref();
}
