/**
 * The JSON of objects, encoded once and reused, as kube-apiserver's watch cache does with its
 * caching objects: a stored object is immutable (a change commits a fresh copy under a new
 * resourceVersion), so its UTF-8 JSON serves every GET, list and watcher until it is replaced.
 *
 * Entries are keyed by object identity in weak maps (an object nobody holds takes its bytes with
 * it); the store also forgets the bytes of a version as soon as it is no longer current (see
 * `ObjectStore.commit`), so they are held for current objects only.
 */

/** The types of watch event lines. */
export type EventLineType = 'ADDED' | 'MODIFIED' | 'DELETED';

const encoded = new WeakMap<object, Buffer>();
const lines = new WeakMap<object, Partial<Record<EventLineType, Buffer>>>();
const derived = new WeakMap<object, Map<unknown, object>>();

const LINE_PREFIX: Readonly<Record<EventLineType, Buffer>> = {
  ADDED: Buffer.from('{"type":"ADDED","object":'),
  MODIFIED: Buffer.from('{"type":"MODIFIED","object":'),
  DELETED: Buffer.from('{"type":"DELETED","object":'),
};
const LINE_SUFFIX = Buffer.from('}\n');

/**
 * The UTF-8 JSON of `object`: serialised on first use and kept if the object is frozen (stored
 * objects and their derived forms), serialised each time otherwise.
 */
export function encodeObject(object: object): Buffer {
  let bytes = encoded.get(object);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(object));
    if (Object.isFrozen(object)) encoded.set(object, bytes);
  }
  return bytes;
}

/** The watch event line `{"type":…,"object":…}\n` of `object`, built once per object and type. */
export function encodeEventLine(type: EventLineType, object: object): Buffer {
  if (!Object.isFrozen(object)) return Buffer.concat([LINE_PREFIX[type], encodeObject(object), LINE_SUFFIX]);
  let cached = lines.get(object);
  if (cached === undefined) {
    cached = {};
    lines.set(object, cached);
  }
  let line = cached[type];
  if (line === undefined) {
    line = Buffer.concat([LINE_PREFIX[type], encodeObject(object), LINE_SUFFIX]);
    cached[type] = line;
  }
  return line;
}

/**
 * A JSON list `{"kind":…,"apiVersion":…,"metadata":…,"items":[…]}` from its header fields and the
 * cached bytes of its items, without serialising the items again.
 */
export function encodeList(
  kind: string,
  apiVersion: string,
  metadata: Readonly<Record<string, unknown>>,
  items: readonly object[],
): Buffer {
  const head = Buffer.from(
    `{"kind":${JSON.stringify(kind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(metadata)},"items":[`,
  );
  const parts: Buffer[] = [head];
  let length = head.length + LIST_END.length + Math.max(0, items.length - 1);
  for (let i = 0; i < items.length; i += 1) {
    const item = items[i];
    if (item === undefined) continue;
    if (i > 0) parts.push(COMMA);
    const bytes = encodeObject(item);
    length += bytes.length;
    parts.push(bytes);
  }
  parts.push(LIST_END);
  return Buffer.concat(parts, length);
}

const COMMA = Buffer.from(',');
const LIST_END = Buffer.from(']}');

/**
 * Another form of an immutable `source` (another version's apiVersion, PartialObjectMetadata),
 * made once per `key`, frozen and kept with `source`, so that its bytes are cached too.
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
 * Drops the bytes of `object` and its derived forms: a version that is no longer current, or an
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
