/**
 * The JSON text of objects, encoded once and reused, as kube-apiserver's watch cache does with its
 * caching objects: a stored object is immutable (a change commits a fresh copy under a new
 * resourceVersion), so its JSON serves every GET, list and watcher until it is replaced.
 *
 * Entries are keyed by object identity in weak maps (an object nobody holds takes its text with
 * it); the store also forgets the text of a version as soon as it is no longer current (see
 * `ObjectStore.commit`), so it is held for current objects only. Texts stay strings: Node writes
 * a small string body in one piece with the response head, a Buffer as a second chunk. Two
 * exceptions: a list's items' texts are written straight into Buffers of about 256 KiB, encoded
 * as the response drains (their UTF-8 lengths are kept with the texts, for the Content-Length),
 * with no list-sized string in between; and a watch event line is kept as bytes, written as they
 * are to every watcher of the change.
 */

/** The types of watch event lines. */
export type EventLineType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** The JSON text of an object, and its UTF-8 length once asked for (-1 before). */
interface Encoding {
  readonly text: string;
  bytes: number;
}

const encoded = new WeakMap<object, Encoding>();
const lines = new WeakMap<object, Partial<Record<EventLineType, Buffer>>>();
const derived = new WeakMap<object, Map<unknown, object>>();

const LINE_PREFIX: Readonly<Record<EventLineType, string>> = {
  ADDED: '{"type":"ADDED","object":',
  MODIFIED: '{"type":"MODIFIED","object":',
  DELETED: '{"type":"DELETED","object":',
};
const LINE_SUFFIX = '}\n';
const LIST_TAIL = ']}';
const COMMA = 0x2c;
const EMPTY: Encoding = { text: '', bytes: 0 };

function encodingOf(object: object): Encoding {
  let encoding = encoded.get(object);
  if (encoding === undefined) {
    encoding = { text: JSON.stringify(object), bytes: -1 };
    if (Object.isFrozen(object)) encoded.set(object, encoding);
  }
  return encoding;
}

function bytesOf(encoding: Encoding): number {
  if (encoding.bytes < 0) encoding.bytes = Buffer.byteLength(encoding.text);
  return encoding.bytes;
}

/**
 * The JSON of `object`: serialised on first use and kept if the object is frozen (stored
 * objects and their derived forms), serialised each time otherwise.
 */
export function encodeObject(object: object): string {
  return encodingOf(object).text;
}

/** The JSON of `object` as `encodeObject` gives it, with its length in UTF-8 bytes. */
export function encodeObjectWithLength(object: object): { readonly text: string; readonly bytes: number } {
  const encoding = encodingOf(object);
  return { text: encoding.text, bytes: bytesOf(encoding) };
}

/**
 * The watch event line `{"type":…,"object":…}\n` of `object` as UTF-8 bytes, built once per
 * object and type: every watcher of a change is written the same Buffer (no conversion of a
 * string per watcher, nor the byte count HTTP/1.1's chunked framing takes of a string).
 */
export function encodeEventLine(type: EventLineType, object: object): Buffer {
  if (!Object.isFrozen(object)) return Buffer.from(LINE_PREFIX[type] + encodeObject(object) + LINE_SUFFIX);
  let cached = lines.get(object);
  if (cached === undefined) {
    cached = {};
    lines.set(object, cached);
  }
  let line = cached[type];
  if (line === undefined) {
    line = Buffer.from(LINE_PREFIX[type] + encodeObject(object) + LINE_SUFFIX);
    cached[type] = line;
  }
  return line;
}

/** A list's JSON: its size in bytes, and its bytes in parts, encoded as they are asked for. */
export interface EncodedList {
  readonly size: number;
  parts(): Generator<Buffer, void, undefined>;
}

/** The size of the parts of a list: a large list's first bytes go out before the rest is encoded. */
const LIST_PART_BYTES = 256 * 1024;

/**
 * A JSON list `{"kind":…,"apiVersion":…,"metadata":…,"items":[…]}` from its header fields and the
 * cached JSON of its items, without serialising the items again: the items' texts are encoded
 * into parts of about 256 KiB (each Buffer of its exact size), with no list-sized string or
 * Buffer in between.
 */
export function encodeList(
  kind: string,
  apiVersion: string,
  metadata: Readonly<Record<string, unknown>>,
  items: readonly object[],
): EncodedList {
  const head = `{"kind":${JSON.stringify(kind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(metadata)},"items":[`;
  const headBytes = Buffer.byteLength(head);
  const encodings = items.map(encodingOf);
  let size = headBytes + LIST_TAIL.length + Math.max(0, encodings.length - 1);
  for (const encoding of encodings) size += bytesOf(encoding);
  function* parts(): Generator<Buffer, void, undefined> {
    let start = 0;
    let partBytes = headBytes;
    for (let end = 0; end <= encodings.length; end += 1) {
      const last = end === encodings.length;
      if (last) partBytes += LIST_TAIL.length;
      else partBytes += bytesOf(encodings[end] ?? EMPTY) + (end > 0 ? 1 : 0);
      if (!last && partBytes < LIST_PART_BYTES) continue;
      // Items start..end (inclusive unless last) in one Buffer.
      const buffer = Buffer.allocUnsafe(partBytes);
      let offset = start === 0 ? buffer.write(head, 0) : 0;
      const stop = last ? end : end + 1;
      for (let i = start; i < stop; i += 1) {
        if (i > 0) buffer[offset++] = COMMA;
        offset += buffer.write((encodings[i] ?? EMPTY).text, offset);
      }
      if (last) offset += buffer.write(LIST_TAIL, offset);
      yield offset === partBytes ? buffer : buffer.subarray(0, offset);
      start = stop;
      partBytes = 0;
    }
  }
  return { size, parts };
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
