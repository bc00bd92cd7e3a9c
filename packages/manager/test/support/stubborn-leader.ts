import { Recorder } from './recorder.js';
import type { VirtualWorldHandle } from './use-virtual-world.js';
import type { VirtualReplica } from './virtual-world.js';

/**
 * Replica `a` leading with one leader-gated runnable, `stubborn`, that ignores its signal, and
 * replica `b` following: each started 100 ms (virtual) before this resolves. `log` records what
 * `stubborn` does.
 */
export async function stubbornLeaderAndFollower(
  world: VirtualWorldHandle,
): Promise<{ readonly log: Recorder; readonly a: VirtualReplica; readonly b: VirtualReplica }> {
  const log = new Recorder();
  const a = world.add('a');
  const b = world.add('b');
  a.manager.add(log.runnable('stubborn', { ignoreSignal: true }), { name: 'stubborn' });
  a.start();
  await world.advance(100);
  b.start();
  await world.advance(100);
  return { log, a, b };
}
