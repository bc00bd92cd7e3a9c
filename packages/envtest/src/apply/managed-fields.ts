import { isRecord } from '../api/kube-object.js';
import { FieldSet } from './field-set.js';

/** One entry of `metadata.managedFields`, with its field set decoded. */
export interface ManagedEntry {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  readonly time: string;
  readonly subresource?: string;
  fields: FieldSet;
}

// Stored managedFields are never mutated: their decoded entries are kept with them, so that an
// update does not decode and encode every field set again.
const decoded = new WeakMap<object, readonly ManagedEntry[]>();

/** Reads `metadata.managedFields` (entries that are not understood are dropped). */
export function readManagedFields(value: unknown): ManagedEntry[] {
  if (!Array.isArray(value)) return [];
  const known = decoded.get(value);
  if (known !== undefined) return [...known];
  const entries: ManagedEntry[] = [];
  for (const raw of value) {
    if (!isRecord(raw) || typeof raw['manager'] !== 'string') continue;
    const operation = raw['operation'] === 'Apply' ? 'Apply' : 'Update';
    entries.push({
      manager: raw['manager'],
      operation,
      apiVersion: typeof raw['apiVersion'] === 'string' ? raw['apiVersion'] : '',
      time: typeof raw['time'] === 'string' ? raw['time'] : '',
      ...(typeof raw['subresource'] === 'string' && raw['subresource'] !== ''
        ? { subresource: raw['subresource'] }
        : {}),
      fields: FieldSet.fromJson(raw['fieldsV1']),
    });
  }
  return entries;
}

/** Writes entries as `metadata.managedFields` (empty field sets dropped); undefined when none. */
export function writeManagedFields(entries: readonly ManagedEntry[]): Record<string, unknown>[] | undefined {
  const kept = entries.filter((entry) => !entry.fields.empty);
  if (kept.length === 0) return undefined;
  const written = kept.map((entry) => ({
    manager: entry.manager,
    operation: entry.operation,
    apiVersion: entry.apiVersion,
    // An entry without a time (one a client wrote) has none, as kube-apiserver omits a nil time.
    ...(entry.time === '' ? {} : { time: entry.time }),
    fieldsType: 'FieldsV1',
    fieldsV1: entry.fields.toJson(),
    ...(entry.subresource === undefined ? {} : { subresource: entry.subresource }),
  }));
  decoded.set(written, kept);
  return written;
}

/** True when `entry` is the one a write by `manager` with `operation` records into. */
export function sameManager(
  entry: ManagedEntry,
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  subresource: string | undefined,
): boolean {
  return (
    entry.manager === manager &&
    entry.operation === operation &&
    entry.subresource === subresource &&
    (operation === 'Apply' || entry.apiVersion === apiVersion)
  );
}

/**
 * The managed fields after an update (create, PUT, PATCH) by `manager`: it owns what it changed,
 * others lose what it changed, and removed fields leave every set.
 */
export function recordUpdate(
  entries: readonly ManagedEntry[],
  manager: string,
  apiVersion: string,
  subresource: string | undefined,
  changed: FieldSet,
  removed: FieldSet,
  time: string,
): ManagedEntry[] {
  if (changed.empty && removed.empty) return [...entries];
  const out: ManagedEntry[] = [];
  let own: ManagedEntry | undefined;
  for (const entry of entries) {
    if (sameManager(entry, manager, 'Update', apiVersion, subresource)) {
      own = entry;
      continue;
    }
    const untouched = !entry.fields.overlaps(changed) && !entry.fields.overlaps(removed);
    out.push(untouched ? entry : { ...entry, fields: entry.fields.difference(changed).difference(removed) });
  }
  const keeps = own !== undefined && changed.within(own.fields) && !own.fields.overlaps(removed);
  // The common case of a controller renewing what it owns within the same second: no change.
  if (keeps && own?.time === time && out.every((entry) => entries.includes(entry))) return [...entries];
  const fields =
    own !== undefined && keeps
      ? own.fields
      : (own?.fields ?? new FieldSet()).difference(removed).union(changed);
  out.push({
    manager,
    operation: 'Update',
    apiVersion,
    time: changed.empty ? (own?.time ?? time) : time,
    ...(subresource === undefined ? {} : { subresource }),
    fields,
  });
  return out;
}
