import { readdirSync, readFileSync } from 'node:fs';

/**
 * True while a process of group `pgid` still runs. A zombie runs no more and does not count: on
 * Linux `/proc` tells them apart (orphans of a PID 1 that never reaps stay zombies for ever, and
 * `kill(-pgid, 0)` still reaches them); elsewhere any member that `kill` reaches counts.
 */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error: unknown) {
    // EPERM: a member exists that we may not signal; it still runs.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // `pid (comm) state ppid pgrp ...`; comm may contain spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

/**
 * Resolves once no process of group `pgid` runs any more (see {@link processGroupAlive}), polling
 * every few milliseconds at first and every 50 ms later. Never rejects; waits as long as it takes.
 */
export async function processGroupGone(pgid: number): Promise<void> {
  for (let pause = 1; processGroupAlive(pgid); pause = Math.min(50, pause * 2)) {
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
