import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * How `kubekit-elect` makes its command die with it. `guarded`: util-linux `setpriv` gives the
 * command and a watchdog the kernel's parent-death signal, and the watchdog also holds a pipe whose
 * only writer is `kubekit-elect`; when `kubekit-elect` dies by any means, the watchdog kills the
 * command's whole process group. `none`: nothing does (`why` says what is missing).
 */
export type CommandSupervision =
  | { readonly kind: 'guarded'; readonly setpriv: string; readonly shell: string }
  | { readonly kind: 'none'; readonly why: string };

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on `PATH`, or `undefined`. */
function onPath(name: string, path: string | undefined): string | undefined {
  for (const directory of (path ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds out whether this system can make a command die with `kubekit-elect`: Linux, `/bin/sh`, and
 * a `setpriv` on `PATH` that accepts `--pdeathsig` (util-linux 2.33 or later; BusyBox's does not),
 * which it tries once.
 */
export function probeCommandSupervision(
  env: Readonly<Record<string, string | undefined>> = process.env,
): CommandSupervision {
  if (process.platform !== 'linux') {
    return { kind: 'none', why: `${process.platform} has no parent-death signal` };
  }
  const shell = '/bin/sh';
  if (!executable(shell)) return { kind: 'none', why: `${shell} is missing` };
  const setpriv = onPath('setpriv', env['PATH']);
  if (setpriv === undefined) {
    return { kind: 'none', why: 'setpriv (util-linux) is not on PATH' };
  }
  const probe = spawnSync(setpriv, ['--pdeathsig', 'KILL', '--', shell, '-c', 'exit 0'], {
    stdio: 'ignore',
    timeout: 5_000,
  });
  if (probe.status !== 0) {
    return { kind: 'none', why: `${setpriv} does not support --pdeathsig (util-linux 2.33 or later does)` };
  }
  return { kind: 'guarded', setpriv, shell };
}
