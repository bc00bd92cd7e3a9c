import type { KubeObject } from './kube-object.js';

// events.k8s.io/v1 Event fields and the core/v1 Event fields they are stored as, as
// kube-apiserver converts between the two versions of the one `events` resource.
const RENAMED: readonly (readonly [string, string])[] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(
  object: KubeObject,
  apiVersion: string,
  pairs: readonly (readonly [string, string])[],
): KubeObject {
  const out: KubeObject = { ...object, apiVersion };
  for (const [from, to] of pairs) {
    Reflect.deleteProperty(out, to);
    if (object[from] !== undefined) out[to] = object[from];
    Reflect.deleteProperty(out, from);
  }
  // A field of the target version that the source sent under its own name is kept only there.
  for (const [from] of pairs) Reflect.deleteProperty(out, from);
  return out;
}

const REVERSED = RENAMED.map(([events, core]) => [core, events] as const);
const converted = new WeakMap<KubeObject, KubeObject>();

/** A stored (core/v1) Event as events.k8s.io/v1 shows it; computed once per stored object. */
export function coreToEventsV1(stored: KubeObject): KubeObject {
  let event = converted.get(stored);
  if (event === undefined) {
    event = rename(stored, 'events.k8s.io/v1', REVERSED);
    converted.set(stored, event);
  }
  return event;
}

/** An events.k8s.io/v1 Event in the core/v1 form it is stored in. */
export function eventsV1ToCore(event: KubeObject): KubeObject {
  return rename(event, 'v1', RENAMED);
}
