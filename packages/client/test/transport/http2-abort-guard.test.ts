import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const fixture = fileURLToPath(new URL('../support/stalled-http2-abort.js', import.meta.url));
/** A child beyond this resident size is spinning (it needs about 100 MB). */
const rssLimitKb = 600 * 1024;

function residentKb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0; // already gone
  }
}

describe('guardHttp2Aborts (HTTP/2 request aborted while its body waits for the flow-control window)', () => {
  it('keeps the process alive and small once the server opens its window', async function () {
    if (process.platform !== 'linux') this.skip(); // reads /proc
    this.timeout(30_000);
    const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let peakKb = 0;
    let killed = '';
    const watch = setInterval(() => {
      const rss = residentKb(child.pid ?? 0);
      peakKb = Math.max(peakKb, rss);
      if (rss > rssLimitKb) {
        killed = `resident size ${Math.round(rss / 1024)} MB`;
        child.kill('SIGKILL');
      }
    }, 50);
    const deadline = setTimeout(() => {
      killed = 'no answer within 20 s';
      child.kill('SIGKILL');
    }, 20_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearInterval(watch);
    clearTimeout(deadline);
    expect(killed, `the child was killed: ${killed}; output: ${output}`).to.equal('');
    expect(code, output).to.equal(0);
    expect(output).to.contain('alive');
    expect(peakKb).to.be.below(rssLimitKb);
  });
});
