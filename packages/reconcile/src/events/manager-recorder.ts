import type { Manager } from '@kubekit/manager';
import { clientFor } from '../builder/manager-cache.js';
import type { EventRecorder, EventRecorderOptions } from './event-recorder.js';
import { createEventRecorder } from './queued-event-recorder.js';

const recorders = new WeakMap<Manager, Map<string, EventRecorder>>();

/** Options of {@link recorderFor}, used only by the call that creates the recorder of a name. */
export type ManagerRecorderOptions = Partial<Omit<EventRecorderOptions, 'reportingController'>>;

/**
 * The event recorder of `manager` for `name` (its `reportingController`, e.g.
 * `example.com/memcached-operator`), as controller-runtime's `GetEventRecorderFor`: created on the
 * first call for a name, writing with `clientFor(manager)`, logging with the manager's logger,
 * counting in its registry, and added to the manager as a runnable of every replica (events
 * recorded before the manager runs are written once it does). Later calls return the same
 * recorder (their options are not used).
 */
export function recorderFor(
  manager: Manager,
  name: string,
  options: ManagerRecorderOptions = {},
): EventRecorder {
  let byName = recorders.get(manager);
  if (byName === undefined) recorders.set(manager, (byName = new Map<string, EventRecorder>()));
  const existing = byName.get(name);
  if (existing !== undefined) return existing;
  const recorder = createEventRecorder({
    client: clientFor(manager),
    logger: manager.getLogger(),
    metrics: manager.getRegistry(),
    ...options,
    reportingController: name,
  });
  registerRecorder(manager, name, recorder);
  return recorder;
}

/** Makes `recorder` what `recorderFor(manager, name)` returns and adds it to the manager. For the DI module. */
export function registerRecorder(manager: Manager, name: string, recorder: EventRecorder): void {
  let byName = recorders.get(manager);
  if (byName === undefined) recorders.set(manager, (byName = new Map<string, EventRecorder>()));
  byName.set(name, recorder);
  manager.add(recorder, { name: `event-recorder ${name}` });
}
