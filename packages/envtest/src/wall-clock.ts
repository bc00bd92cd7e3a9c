/**
 * The process's real wall clock, captured when envtest is loaded. envtest stands for an API
 * server outside the test's virtual time: a test that installs fake timers afterwards (sinon)
 * must neither stop the server's timers (which come from `node:timers`, not the patched globals)
 * nor skew its timestamps and certificates.
 */
const realNow = Date.now.bind(Date);

/** Milliseconds since the epoch, from the real clock even under fake timers. */
export function wallClock(): number {
  return realNow();
}
