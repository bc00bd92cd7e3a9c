import { VirtualWorld } from './virtual-world.js';

/** The current test's {@link VirtualWorld}, as {@link useVirtualWorld} hands it out. */
export type VirtualWorldHandle = Pick<VirtualWorld, 'clock' | 'store' | 'add' | 'advance'>;

/**
 * Mocha helper: call inside a `describe`. Gives each test a fresh {@link VirtualWorld} (fake timers
 * installed in `beforeEach`) and disposes of it in `afterEach`. The handle it returns reaches the
 * world of the running test, so it can be kept in a `const` at the top of the suite; it is usable
 * inside tests and hooks only.
 */
export function useVirtualWorld(): VirtualWorldHandle {
  let current: VirtualWorld | undefined;
  beforeEach(() => {
    current = new VirtualWorld();
  });
  afterEach(async () => {
    const world = current;
    current = undefined;
    await world?.dispose();
  });
  const world = (): VirtualWorld => {
    if (current === undefined) throw new Error('useVirtualWorld: the world exists only inside a test');
    return current;
  };
  return {
    get clock() {
      return world().clock;
    },
    store: (name) => world().store(name),
    add: (identity, options) => world().add(identity, options),
    advance: (ms) => world().advance(ms),
  };
}
