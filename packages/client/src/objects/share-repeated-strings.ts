/**
 * `JSON.parse` shares string values shorter than 10 characters (V8 internalizes them) and copies
 * every longer one: strings at least this long are worth sharing.
 */
const MIN_LENGTH = 10;

/** One copy of each string seen: the first. */
class StringPool {
  private readonly seen = new Map<string, string>();
  /** The last string returned: lists repeat a value in a row more often than not. */
  private last = '';

  /** `value`, or the equal string seen before. */
  share(value: string): string {
    if (value.length < MIN_LENGTH) return value;
    if (value === this.last) return this.last;
    let first = this.seen.get(value);
    if (first === undefined) {
      this.seen.set(value, value);
      first = value;
    }
    this.last = first;
    return first;
  }
}

/**
 * Makes equal strings that the objects of one list repeat one string: `metadata.namespace` and
 * `metadata.creationTimestamp`, and the `manager`, `apiVersion` and `time` of each
 * `metadata.managedFields` entry (objects written together share their timestamps). Strings are
 * immutable values: a caller cannot tell a shared one from a copy (`===`, every method and
 * `JSON.stringify` answer the same), and the objects stay as the server sent them; the list only
 * holds less memory (per ConfigMap with one managedFields entry, about 110 of 1,190 bytes).
 */
export function shareRepeatedStrings(items: readonly unknown[]): void {
  const namespaces = new StringPool();
  const times = new StringPool();
  const managers = new StringPool();
  const apiVersions = new StringPool();
  // Index loops: for-of makes iterator results until the function is optimised, garbage that
  // raised the list's peak memory by about 1.3 MB for 10,000 objects.
  // eslint-disable-next-line @typescript-eslint/prefer-for-of
  for (let i = 0; i < items.length; i++) {
    // Whatever the server sent: only objects are looked into, only strings replaced.
    const metadata = fieldsOf(fieldsOf(items[i])?.['metadata']);
    if (metadata === undefined) continue;
    share(metadata, 'namespace', namespaces);
    share(metadata, 'creationTimestamp', times);
    const managedFields = metadata['managedFields'];
    if (!Array.isArray(managedFields)) continue;
    for (let j = 0; j < managedFields.length; j++) {
      const entry = fieldsOf((managedFields as unknown[])[j]);
      if (entry === undefined) continue;
      share(entry, 'manager', managers);
      share(entry, 'apiVersion', apiVersions);
      share(entry, 'time', times);
    }
  }
}

type Fields = Record<string, unknown>;

function fieldsOf(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null ? (value as Fields) : undefined;
}

/** Replaces `fields[name]`, if it is a string, by the pool's equal one. */
function share(fields: Fields, name: string, pool: StringPool): void {
  const value = fields[name];
  if (typeof value === 'string') fields[name] = pool.share(value);
}
