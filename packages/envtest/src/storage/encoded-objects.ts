/**
 * The JSON text of objects, encoded once and reused, as kube-apiserver's watch cache does with its
 * caching objects: a stored object is immutable (a change commits a fresh copy under a new
 * resourceVersion), so its JSON serves every GET, list and watcher until it is replaced.
 *
 * Entries are keyed by object identity in weak maps (an object nobody holds takes its text with
 * it); the store also forgets the text of a version as soon as it is no longer current (see
 * `ObjectStore.commit`), so it is held for current objects only. Texts stay strings: Node writes
 * a small string body in one piece with the response head, a Buffer as a second chunk.
 */

/** The types of watch event lines. */
export type EventLineType = 'ADDED' | 'MODIFIED' | 'DELETED';

const encoded = new WeakMap<object, string>();
const lines = new WeakMap<object, Partial<Record<EventLineType, string>>>();
const derived = new WeakMap<object, Map<unknown, object>>();

const LINE_PREFIX: Readonly<Record<EventLineType, string>> = {
  ADDED: '{"type":"ADDED","object":',
  MODIFIED: '{"type":"MODIFIED","object":',
  DELETED: '{"type":"DELETED","object":',
};
const LINE_SUFFIX = '}\n';

/**
 * The JSON of `object`: serialised on first use and kept if the object is frozen (stored
 * objects and their derived forms), serialised each time otherwise.
 */
export function encodeObject(object: object): string {
  let text = encoded.get(object);
  if (text === undefined) {
    text = JSON.stringify(object);
    if (Object.isFrozen(object)) encoded.set(object, text);
  }
  return text;
}

/** The watch event line `{"type":…,"object":…}\n` of `object`, built once per object and type. */
export function encodeEventLine(type: EventLineType, object: object): string {
  if (!Object.isFrozen(object)) return LINE_PREFIX[type] + encodeObject(object) + LINE_SUFFIX;
  let cached = lines.get(object);
  if (cached === undefined) {
    cached = {};
    lines.set(object, cached);
  }
  let line = cached[type];
  if (line === undefined) {
    line = LINE_PREFIX[type] + encodeObject(object) + LINE_SUFFIX;
    cached[type] = line;
  }
  return line;
}

/**
 * A JSON list `{"kind":…,"apiVersion":…,"metadata":…,"items":[…]}` from its header fields and the
 * cached JSON of its items, without serialising the items again.
 */
export function encodeList(
  kind: string,
  apiVersion: string,
  metadata: Readonly<Record<string, unknown>>,
  items: readonly object[],
): string {
  const parts = items.map(encodeObject);
  return `{"kind":${JSON.stringify(kind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(metadata)},"items":[${parts.join(',')}]}`;
}

/**
 * Another form of an immutable `source` (another version's apiVersion, PartialObjectMetadata),
 * made once per `key`, frozen and kept with `source`, so that its JSON is cached too.
 */
export function derivedForm<T extends object>(source: object, key: unknown, make: () => T): T {
  let forms = derived.get(source);
  if (forms === undefined) {
    forms = new Map();
    derived.set(source, forms);
  }
  let form = forms.get(key) as T | undefined;
  if (form === undefined) {
    form = Object.freeze(make());
    forms.set(key, form);
  }
  return form;
}

/**
 * Drops the JSON of `object` and its derived forms: a version that is no longer current, or an
 * object about to be changed (committed under a resourceVersion).
 */
export function forgetEncoding(object: object): void {
  encoded.delete(object);
  lines.delete(object);
  const forms = derived.get(object);
  if (forms === undefined) return;
  derived.delete(object);
  for (const form of forms.values()) forgetEncoding(form);
}
