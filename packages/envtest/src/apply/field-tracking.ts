import { formatTime, isRecord, jsonEqual } from '../api/kube-object.js';
import type { KubeObject } from '../api/kube-object.js';
import type { ResourceType } from '../api/resource-type.js';
import { wallClock } from '../wall-clock.js';
import { BUILTIN_SHAPES } from './builtin-shapes.js';
import { readManagedFields, recordUpdate, writeManagedFields } from './managed-fields.js';
import { changedFields, fieldSetOf } from './object-fields.js';
import type { FieldScope } from './object-fields.js';
import { objectShape } from './shape.js';
import type { Shape } from './shape.js';

/** Who writes, for managedFields: a manager's update, or an apply that computed them itself. */
export type FieldManagement =
  { readonly operation: 'Update'; readonly manager: string } | { readonly operation: 'Apply' };

const PLAIN = objectShape({});

let second = -1;
let secondText = '';

/** The time of managedFields entries (whole seconds), formatted once per second. */
function now(): string {
  const ms = wallClock();
  const current = Math.floor(ms / 1000);
  if (current !== second) {
    second = current;
    secondText = formatTime(ms);
  }
  return secondText;
}

/** The shape of a resource's objects for field ownership. */
export function shapeOf(type: ResourceType): Shape {
  return type.shape ?? BUILTIN_SHAPES[type.storageId] ?? PLAIN;
}

/** The part of an object a write to `subresource` of `type` may own. */
export function scopeOf(type: ResourceType, subresource: string | undefined): FieldScope {
  if (subresource === 'status') return 'status';
  return type.statusSubresource ? 'main' : 'all';
}

/** True when a client asks to strip managedFields (`[{}]`, as kube-apiserver documents). */
function resetRequested(value: unknown): boolean {
  if (!Array.isArray(value) || value.length !== 1) return false;
  const only: unknown = value[0];
  return isRecord(only) && Object.keys(only).length === 0;
}

function setManagedFields(object: KubeObject, value: Record<string, unknown>[] | undefined): void {
  if (value === undefined) delete object.metadata['managedFields'];
  else object.metadata['managedFields'] = value;
}

/** Records the managedFields of a new object (in place). */
export function trackCreate(
  type: ResourceType,
  object: KubeObject,
  management: FieldManagement | undefined,
): void {
  if (management?.operation === 'Apply') return;
  if (management === undefined || resetRequested(object.metadata['managedFields'])) {
    delete object.metadata['managedFields'];
    return;
  }
  const fields = fieldSetOf(object, shapeOf(type), scopeOf(type, undefined));
  setManagedFields(
    object,
    writeManagedFields([
      {
        manager: management.manager,
        operation: 'Update',
        apiVersion: type.apiVersion,
        time: now(),
        fields,
      },
    ]),
  );
}

/** A JSON value, or undefined when `text` is not one. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * True when `value` decodes as a FieldsV1 set, as structured-merge-diff reads it: every child is a
 * set, `k:` elements are JSON objects, `v:` elements JSON values, `i:` elements integers (elements
 * of other kinds it skips, `.` marks a member whatever its value).
 */
function isFieldSet(value: unknown): boolean {
  if (!isRecord(value)) return false;
  for (const [element, child] of Object.entries(value)) {
    if (element === '.') continue;
    const body = element.slice(2);
    switch (element.slice(0, 2)) {
      case 'k:':
        if (!isRecord(parsed(body))) return false;
        break;
      case 'v:':
        if (parsed(body) === undefined) return false;
        break;
      case 'i:':
        if (!/^-?\d+$/.test(body)) return false;
        break;
      default:
    }
    if (!isFieldSet(child)) return false;
  }
  return true;
}

/**
 * The managedFields an update starts from: those the client sent when they are set, valid and
 * not the stored ones (kube-apiserver lets an update of the main resource rewrite them, as
 * kubectl does to hand client-side apply's fields over to server-side apply), else the stored
 * ones. They are compared as decoded (a client may send the times in another format): a client
 * sending back what it read, the usual case, keeps the stored entries.
 */
function sentOrStored(
  sent: unknown,
  stored: Record<string, unknown>[] | undefined,
): Record<string, unknown>[] | undefined {
  if (!Array.isArray(sent) || sent.length === 0 || jsonEqual(sent, stored)) return stored;
  // Any entry that does not decode makes kube-apiserver ignore them all.
  const valid = sent.every(
    (entry) =>
      isRecord(entry) &&
      typeof entry['manager'] === 'string' &&
      (entry['operation'] === 'Apply' || entry['operation'] === 'Update') &&
      (entry['time'] === undefined ||
        (typeof entry['time'] === 'string' && !Number.isNaN(Date.parse(entry['time'])))) &&
      (entry['fieldsV1'] === undefined || isFieldSet(entry['fieldsV1'])),
  );
  if (!valid) return stored;
  const decoded = readManagedFields(sent).map((entry) => ({
    ...entry,
    time: entry.time === '' ? '' : formatTime(Date.parse(entry.time)),
  }));
  const written = writeManagedFields(decoded);
  return jsonEqual(written, stored) ? stored : written;
}

/**
 * Records the managedFields of an updated object (in place), from what changed since `old`.
 * Returns true when that diff found a field of `object` new, changed or removed: the object
 * differs from `old` then, and the caller need not compare them again to detect a no-op update.
 * False says nothing (no diff was made, or it covers only the fields managers may own).
 */
export function trackUpdate(
  type: ResourceType,
  old: KubeObject,
  object: KubeObject,
  subresource: string | undefined,
  management: FieldManagement | undefined,
): boolean {
  if (management?.operation === 'Apply') return false;
  const sent = object.metadata['managedFields'];
  if (resetRequested(sent)) {
    delete object.metadata['managedFields'];
    return false;
  }
  const stored = old.metadata['managedFields'] as Record<string, unknown>[] | undefined;
  if (management === undefined) {
    setManagedFields(object, stored);
    return false;
  }
  const { changed, removed } = changedFields(old, object, shapeOf(type), scopeOf(type, subresource));
  const before = subresource === undefined ? sentOrStored(sent, stored) : stored;
  if (changed.empty && removed.empty) {
    setManagedFields(object, before);
    return false;
  }
  const previous = readManagedFields(before);
  const entries = recordUpdate(
    previous,
    management.manager,
    type.apiVersion,
    subresource,
    changed,
    removed,
    now(),
  );
  const unchanged =
    entries.length === previous.length && entries.every((entry, index) => entry === previous[index]);
  setManagedFields(object, unchanged ? before : writeManagedFields(entries));
  return true;
}

/**
 * The server's own write of an object (garbage collector, finalizer removal, cluster control):
 * no manager is recorded, but fields it removed leave every manager's set, so that nobody keeps
 * owning (and conflicting over) a field that is gone.
 */
export function trackServerWrite(type: ResourceType, old: KubeObject, object: KubeObject): void {
  const before = old.metadata['managedFields'] as Record<string, unknown>[] | undefined;
  if (before === undefined) return;
  const { removed } = changedFields(old, object, shapeOf(type), 'all');
  if (removed.empty) {
    setManagedFields(object, before);
    return;
  }
  const entries = readManagedFields(before).map((entry) =>
    entry.fields.overlaps(removed) ? { ...entry, fields: entry.fields.difference(removed) } : entry,
  );
  setManagedFields(object, writeManagedFields(entries));
}
